"""Scaling laws (catalog family LAW, issue 21): functional forms with published fits
(:mod:`lbrl.laws.forms`), a fitter with bootstrap intervals, extrapolation error and compute-optimal
allocation (:mod:`lbrl.laws.fitting`), the solvable power-law random-features model
(:mod:`lbrl.laws.plrf`), warmup-stable-decay schedules (:mod:`lbrl.laws.schedules`) and a command line
(``python -m lbrl.laws``, :mod:`lbrl.laws.cli`). A library layer: never imports lbrl.train or lbrl.tools.
"""
