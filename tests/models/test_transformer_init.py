"""TransformerLM's base init std (``init_std``, GPT-2's 0.02 by default) reaches every N(0, s^2) kernel,
the learned positions and the untied unembedding; LIR divides it by sqrt(l) per block."""
import jax
import numpy as np

from lbrl.models.transformer import TransformerLM


def _params(**kw):
  m = TransformerLM(vocab_size=64, num_layers=2, num_heads=2, width=64, positions="learned", max_len=16,
                    tie_embeddings=False, **kw)
  return m.init(jax.random.PRNGKey(0), np.zeros((1, 8), np.int32))["params"]


def _kernel_stds(params):
  flat = jax.tree_util.tree_flatten_with_path(params)[0]
  return {jax.tree_util.keystr(p): float(np.std(np.asarray(v))) for p, v in flat
          if "kernel" in jax.tree_util.keystr(p) and "block" in jax.tree_util.keystr(p).lower()}


def test_init_std_scales_kernels_positions_and_unembedding():
  base, wide = _params(), _params(init_std=0.1)
  assert np.isclose(np.std(base["pos_embed"]), 0.02, rtol=0.1)
  assert np.isclose(np.std(wide["pos_embed"]), 0.1, rtol=0.1)
  assert np.isclose(np.std(wide["unembed"]), 0.1, rtol=0.1)
  b, w = _kernel_stds(base), _kernel_stds(wide)
  assert b and b.keys() == w.keys()
  for k in b:
    assert np.isclose(w[k] / b[k], 5.0, rtol=0.02), (k, w[k], b[k])


def test_lir_divides_the_base_std_by_sqrt_depth():
  stds = _kernel_stds(_params(init_std=0.1, lir=True))
  for k, s in stds.items():
    layer = 1 + int(k.split("block_")[1].split("'")[0]) if "block_" in k else None
    if layer:
      assert np.isclose(s, 0.1 / np.sqrt(layer), rtol=0.15), (k, s)
