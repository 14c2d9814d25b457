"""The CON family's shared CPU protocol for self-supervised claims on MNIST-1D (issue 16).

One function sets what the SSL configs share, so their numbers are comparable and a change of protocol
happens in one place:

* data: MNIST-1D; self-supervised training on the first half of the training split (2,000 signals),
  fresh augmented views at every step (``config.data.augment``, :mod:`lbrl.data.augment`: circular shift
  <= 5, amplitude 0.8-1.2, Gaussian noise 0.05; deterministic in (seed, step));
* model: :class:`lbrl.models.ssl.SSLNet`, MLP encoder 40-128-128, projector 128-BN-32 (smoke: 16 wide);
* optimizer: Adam 1e-3, batch 128, ``steps`` (cpu) / 3 (smoke);
* evaluation: the ``ssl_probe`` stage (linear probe and kNN fitted on the other, labelled half of the
  training split, scored on the test split; collapse statistics) except in the smoke variant.

Usage in a config: ``ssl_protocol.mnist1d(c, variant, loss=dict(name="ntxent", temperature=0.2))``.
"""
from __future__ import annotations

from lbrl import config as common

AUGMENT_1D = dict(max_shift=5, scale=(0.8, 1.2), noise=0.05)
PROBE_SPLIT = "train[50%:]"


def mnist1d(c, variant: str, *, loss: dict, steps: int = 400, views: int = 2, batch: int = 128,
            hidden=(128, 128), projector=(128, 32), probe: dict | None = None, model: str = "ssl_net",
            augment: dict | None = None, **model_kw):
  """Fills ``c`` (from ``common.base``) with the protocol above; returns ``c``.

  ``loss``: the loss sub-config; ``steps``: the cpu variant's steps; ``views``: augmented views per
  example; ``hidden``/``projector``: the cpu widths (smoke uses 16); ``probe``: extra keyword arguments
  of the ``ssl_probe`` stage (e.g. ``clusters=True``); ``model``: a registered model name; ``augment``:
  overrides of :data:`AUGMENT_1D`; other keywords go to the model.
  """
  if int(steps) < 1 or int(views) < 1 or int(batch) < 2:
    raise ValueError(f"ssl_protocol.mnist1d: steps >= 1, views >= 1, batch >= 2 expected, got {steps}, {views}, {batch}")
  small = variant == "smoke"
  c.data.update(name="mnist1d", batch_size=batch if not small else 16, eval_batch_size=1000,
                split_train="train[:50%]", transforms=[])
  c.data.augment = dict(kind="1d", views=int(views), options=dict(AUGMENT_1D, **(augment or {})))
  widths = dict(hidden=(16,) if small else tuple(hidden),
                projector=(16, projector[-1]) if small else tuple(projector))
  c.model = common.free(name=model, **widths, **model_kw)
  c.loss = common.free(**loss)
  c.optimizer = common.free(name="adam", learning_rate=1e-3)
  c.steps = 3 if small else int(steps)
  c.log_every = 1 if small else max(int(steps) // 4, 1)
  c.eval_metrics = ["loss"]
  c.post_training = [] if small else [dict(name="ssl_probe", split=PROBE_SPLIT, **(probe or {}))]
  return c


def mnist5k_mim(c, variant: str, *, steps: int = 500, batch: int = 128, **model_kw):
  """The masked-image-modeling protocol of the two hard-patches configs: real 28x28 MNIST digits
  (mnist5k: pre-training on the first half of its 4,000 training images, the probe fitted on the other
  half, scored on its 1,000 test images), 7x7 patches (16 per image, 12 masked), a transformer of width
  64 (encoder depth 2, decoder depth 1, 4 heads), AdamW 1e-3 (weight decay 0.05), ``steps`` (cpu) / 3
  (smoke); loss ``hpm``; the probe on the mean-pooled encoding of the whole image."""
  small = variant == "smoke"
  c.data.update(name="mnist5k", batch_size=16 if small else batch, eval_batch_size=1000,
                split_train="train[:50%]", transforms=[])
  c.data.augment = None
  n = 3 if small else int(steps)
  c.model = common.free(name="hard_patches_mae", patch=7, example_rank=2, width=16 if small else 64,
                        depth=1 if small else 2, decoder_depth=1, num_heads=4, mask_ratio=0.75, schedule_steps=n,
                        **model_kw)
  c.loss = common.free(name="hpm", weight=1.0, relative=True)
  c.optimizer = common.free(name="adamw", learning_rate=1e-3, weight_decay=0.05)
  c.steps = n
  c.log_every = 1 if small else max(n // 4, 1)
  c.eval_metrics = ["loss"]
  c.post_training = [] if small else [dict(name="ssl_probe", split=PROBE_SPLIT)]
  return c


def mim_paper(c, *, epochs: int = 800, batch: int = 4096):
  """The paper variant of the hard-patches configs: ImageNet-1K pre-training of a ViT-B/16-sized
  HardPatchesMAE (width 768, 12 blocks, 12 heads; decoder depth 8 at the encoder's width: lbrl's
  decoder shares the width), AdamW lr 1.5e-4 x batch / 256, weight decay 0.05, cosine, 40 warm-up
  epochs, mask ratio 0.75, on 64 devices."""
  common.imagenet_resnet50(c, optimizer=dict(name="adamw", learning_rate=1.5e-4 * batch / 256, weight_decay=0.05),
                           batch=batch, epochs=epochs, warmup_epochs=40, devices=64, compute_dtype="bfloat16")
  c.model = common.free(name="hard_patches_mae", patch=16, example_rank=2, width=768, depth=12, decoder_depth=8,
                        num_heads=12, mask_ratio=0.75, schedule_steps=int(c.steps))
  c.loss = common.free(name="hpm", weight=1.0, relative=True)
  c.eval_metrics = ["loss"]
  c.post_training = []
  return c
