"""Experiment kinds of the reproduction runner: sweep, grid, benchmark, fit, analysis (see
:mod:`lbrl.tools.experiment`). Each module measures or trains, and renders its results section; the
report, the verdict and the figure are shared (:mod:`lbrl.tools.report`, :mod:`lbrl.tools.verdicts`,
:mod:`lbrl.tools.plots`)."""
