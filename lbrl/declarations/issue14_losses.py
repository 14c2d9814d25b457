"""Issue 14's loss/protocol reproductions (normalized_losses, number_token_loss, harmonic_loss, polyloss,
normalized_lr_gd, fira, adam_atan2): the names they added beyond the core declarations."""
from lbrl.registry import POST_TRAINING

# greedy decoding of answer tokens on a held-out split; metrics as post/greedy_answer_decode/<name>
POST_TRAINING.declare("greedy_answer_decode", "lbrl.evaluation.generation:greedy_answer_decode")
