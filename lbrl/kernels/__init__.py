"""Kernels: fused linear cross-entropy (also vocabulary-sharded: ``linear_cross_entropy_sharded``), tiled/ring
contrastive losses, two-pass softmax, sigmoid attention (FlashSigmoid).

Each op lives in ``lbrl/kernels/<op>/`` as ``reference.py`` (pure JAX, blockwise, ``custom_vjp``: the
CPU default and the oracle), ``pallas_tpu.py`` and ``pallas_gpu.py``; the public function dispatches on
``impl=`` ("auto" picks Pallas on TPU/GPU and the reference on CPU).
"""
from lbrl.kernels.twopass import two_pass_logsumexp, two_pass_softmax  # noqa: F401
from lbrl.kernels.fused_ce import linear_cross_entropy, linear_cross_entropy_sharded  # noqa: F401
from lbrl.kernels import contrastive  # noqa: F401  (clip_loss, siglip_loss: tiled / ring)
from lbrl.kernels.sigmoid_attn import sigmoid_attention  # noqa: F401
