"""Per-example loss functions, one module per family.

Every loss has the signature ``loss(outputs, labels, *, <hyperparameters>, where=None) -> [batch...]``
and returns one value per example; reduce with :func:`lbrl.losses.reduce`.
"""
from lbrl.losses._common import reduce
from lbrl.losses import classification  # noqa: F401  (registers the family's losses)
from lbrl.losses import robust, lm, binary, tagging  # noqa: F401
from lbrl.losses.classification import (check_labels, cross_entropy, harmonic_loss, ldam, ldam_drw,
                                        cross_entropy_drw, drw_weights, one_vs_rest, poly1_cross_entropy,
                                        softmax_focal, sovr, sparsemax, sparsemax_loss, spherical_zloss,
                                        spherical_zloss_linear,
                                        squentropy, stablemax, stablemax_cross_entropy)
from lbrl.losses.robust import (active_passive, aldr_kl, comp_sum, generalized_cross_entropy, ldr_kl,
                                mean_absolute_error, normalized_cross_entropy, normalized_focal,
                                reverse_cross_entropy)
from lbrl.losses.lm import cross_entropy_zloss, logit_zloss, number_token_loss
from lbrl.losses.binary import anyloss, binary_hinge, binary_logistic, ensloss
from lbrl.losses.tagging import dice_nlp, tversky_nlp
