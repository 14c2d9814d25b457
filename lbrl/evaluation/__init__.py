"""Evaluation beyond per-batch metrics, one module per family (retrieval for metric learning, linear probes
and kNN for self-supervised encoders, calibration, ranking). Metric functions follow the
:mod:`lbrl.metrics` contract (per-example statistics on device + a host reduction) and are declared in
:data:`lbrl.registry.METRICS` from the family's module in :mod:`lbrl.declarations`. A library layer: it
never imports lbrl.train, lbrl.tools or the launcher."""
