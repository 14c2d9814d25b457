"""lbrl's muP multipliers against the ``mup`` package (recorded by regen_scale_mup.py into scale_mup.npz):
per parameter of an MLP and a one-block Transformer, the effective MuAdam / MuSGD learning rates and the
effective init scales of ``set_base_shapes`` (fan-in init) and ``mup.init.normal_`` (constant-std init)
relative to the base width must equal lbrl's multipliers to 1e-6."""
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lbrl.optim.parametrization import Parametrization
from lbrl.registry import MODELS

GOLDEN = np.load(os.path.join(os.path.dirname(__file__), "scale_mup.npz"))
MLP_BASE, MLP_WIDTH, TF_BASE, TF_WIDTH, HEADS, VOCAB = (int(v) for v in GOLDEN["settings"])


def _shapes(name, x, **kw):
  model = MODELS.get(name)(**kw)
  return jax.eval_shape(lambda: model.init(jax.random.PRNGKey(0), x, train=False))["params"]


def _models():
  mlp = lambda w: _shapes("mlp", jnp.zeros((1, 40)), num_classes=10, hidden=(w, w))
  tf = lambda w: _shapes("transformer_lm", jnp.zeros((1, 8), jnp.int32), vocab_size=VOCAB, num_layers=1,
                         num_heads=HEADS, width=w, max_len=8, tie_embeddings=False, use_bias=False)
  return {"mlp": (mlp(MLP_WIDTH), mlp(MLP_BASE)), "transformer": (tf(TF_WIDTH), tf(TF_BASE))}


@pytest.mark.parametrize("model", ["mlp", "transformer"])
def test_multipliers_match_the_mup_package(model):
  params, base = _models()[model]
  prefix = f"{model}/"
  recorded = {k[len(prefix):].rsplit("/", 1)[0] for k in GOLDEN.files if k.startswith(prefix)}
  checked = 0
  for opt in ("adam", "sgd"):
    for init in ("fan_in", "constant"):
      p = Parametrization("mup", optimizer=opt, base_shapes=base, base_init=init)
      rows = p.table(params)
      assert {r[0] for r in rows} == recorded          # every lbrl leaf has a recorded reference
      for path, shape, kind, init_m, lr_m, _ in rows:
        key = f"{prefix}{path}"
        np.testing.assert_allclose(lr_m, GOLDEN[f"{key}/{opt}_lr"], rtol=1e-6, atol=1e-12, err_msg=f"{key} {opt} lr")
        assert int(np.prod(shape)) == int(np.prod(GOLDEN[f"{key}/shape"])), key
        if f"{key}/init_{init}" in GOLDEN.files:
          np.testing.assert_allclose(init_m, GOLDEN[f"{key}/init_{init}"], rtol=1e-6, err_msg=f"{key} init {init}")
          checked += 1
  assert checked >= 8


def test_golden_records_its_versions():
  assert str(GOLDEN["mup_version"]) and str(GOLDEN["torch_version"])
