"""The reproduction runner and its pieces: :mod:`~lbrl.tools.experiment` (configs, kinds, runs),
:mod:`~lbrl.tools.stats` (seed statistics and three-way rules), :mod:`~lbrl.tools.verdicts` (the one
verdict evaluator), :mod:`~lbrl.tools.kinds` (sweep, grid, benchmark, fit, analysis),
:mod:`~lbrl.tools.report` (the one report writer and the index), :mod:`~lbrl.tools.plots` (the one plot
module) and :mod:`~lbrl.tools.reproduce` (``python -m lbrl.reproduce``). Library layers never import it."""
