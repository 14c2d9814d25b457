"""Models for distillation (catalog family KD).

* :class:`DualHead` -- Yang, Zong, Huang, Feng and An, "Dual-Head Knowledge Distillation: Enhancing Logits
  Utilization with an Auxiliary Head" (2024, arXiv:2411.08937, slug ``dual_head_kd``): any zoo
  classifier with a second classifier head on its penultimate features, so that a logit-level
  distillation loss trains the backbone through the auxiliary head while the original head keeps only
  the cross-entropy (the paper finds the two losses conflict inside one linear classifier).
"""
from __future__ import annotations

from typing import Any

import flax.linen as nn
import jax.numpy as jnp


class DualHead(nn.Module):
  """A registered classifier (``backbone``) plus an auxiliary head on the input of its final ``nn.Dense``.

  ``__call__(x, train)`` returns the backbone's logits; with ``return_aux=True`` it returns
  ``(logits, aux_logits)`` (the trainer asks for that when the loss consumes ``logits_aux``). The
  penultimate features are the input of the backbone's last ``nn.Dense`` call, read with
  ``flax.linen.intercept_methods`` so that any zoo model ending in a dense classifier works unchanged
  (its parameters live under ``backbone``). ``aux="linear"`` is one dense layer; ``"nonlinear"`` is the
  authors' ``NonLinearClassifier``: dense 200, dropout ``p``, batch norm, ReLU, dense (penghui-yang/DHKD,
  ``models/classifier.py``). Inference uses the original head only.

  Attributes:
    backbone: a name in :data:`lbrl.registry.MODELS` whose output is logits from a final ``nn.Dense``.
    backbone_kwargs: its arguments (``num_classes`` is this module's).
    aux: ``"linear"`` or ``"nonlinear"``; hidden, dropout: the nonlinear head's width and dropout rate.
  """
  num_classes: int | None = None
  backbone: str = "mlp"
  backbone_kwargs: Any = None
  aux: str = "linear"
  hidden: int = 200
  dropout: float = 0.1
  dtype: str = "float32"
  param_dtype: str = "float32"

  @nn.compact
  def __call__(self, x, *, train: bool = False, return_aux: bool = False):
    from lbrl.registry import MODELS
    if self.aux not in ("linear", "nonlinear"):
      raise ValueError(f"DualHead.aux must be 'linear' or 'nonlinear', got {self.aux!r}")
    if self.num_classes is None:
      raise ValueError("DualHead.num_classes is unset: give model.num_classes or a dataset with class labels")
    kwargs = dict(self.backbone_kwargs or {})
    cls = MODELS.get(self.backbone)
    for key, value in (("dtype", self.dtype), ("param_dtype", self.param_dtype)):
      if key in cls.__dataclass_fields__:
        kwargs.setdefault(key, value)
    net = cls(num_classes=self.num_classes, name="backbone", **kwargs)
    seen = []

    def record_dense_inputs(next_fun, args, kw, context):
      if isinstance(context.module, nn.Dense) and context.method_name == "__call__":
        seen.append(args[0])
      return next_fun(*args, **kw)

    with nn.intercept_methods(record_dense_inputs):
      logits = net(x, train=train)
    # the auxiliary head always exists (initialised with the model); it is only returned on request
    if not seen:
      raise ValueError(f"DualHead: backbone {self.backbone!r} has no nn.Dense classifier to read features from")
    h = seen[-1]
    kw = dict(dtype=self.dtype, param_dtype=self.param_dtype)
    if self.aux == "nonlinear":
      h = nn.Dense(self.hidden, name="aux_hidden", **kw)(h)
      h = nn.Dropout(self.dropout, deterministic=not train)(h)
      h = nn.BatchNorm(use_running_average=not train, momentum=0.9, name="aux_norm", **kw)(h)
      h = nn.relu(h)
    aux = nn.Dense(self.num_classes, name="aux_head", **kw)(h)
    return (logits, jnp.asarray(aux)) if return_aux else logits
