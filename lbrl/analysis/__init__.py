"""Analysis functions that run inside training or on a trained model: signal-propagation diagnostics,
coordinate checks, gradient noise scale, sensitivity measures. Diagnostics follow the contract of
:data:`lbrl.registry.DIAGNOSTICS`. A library layer: it never imports lbrl.train, lbrl.tools or the
launcher."""
