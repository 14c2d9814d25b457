"""Per-example loss functions, one module per family.

Every loss has the signature ``loss(outputs, labels, *, <hyperparameters>, where=None) -> [batch...]``
and returns one value per example; reduce with :func:`lbrl.losses.reduce`.
"""
from lbrl.losses._common import reduce
from lbrl.losses import classification  # noqa: F401  (registers the family's losses)
from lbrl.losses.classification import cross_entropy
