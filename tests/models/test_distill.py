"""DualHead: the backbone's logits unchanged, the auxiliary head on exactly the backbone's penultimate
features (the input of its final dense layer)."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lbrl.models.distill import DualHead
from lbrl.models.simple import MLP


@pytest.mark.parametrize("aux", ["linear", "nonlinear"])
def test_dual_head_reads_the_penultimate_features(aux):
  x = jax.random.normal(jax.random.PRNGKey(0), (6, 40))
  m = DualHead(num_classes=10, backbone="mlp", aux=aux)
  v = m.init({"params": jax.random.PRNGKey(1), "dropout": jax.random.PRNGKey(2)}, x)
  logits, aux_logits = m.apply(v, x, return_aux=True)
  assert logits.shape == aux_logits.shape == (6, 10)
  p = v["params"]["backbone"]
  np.testing.assert_allclose(logits, MLP(num_classes=10).apply({"params": p}, x), rtol=1e-6)
  h = jax.nn.relu(jax.nn.relu(x @ p["Dense_0"]["kernel"] + p["Dense_0"]["bias"]) @ p["Dense_1"]["kernel"]
                  + p["Dense_1"]["bias"])
  if aux == "linear":
    a = v["params"]["aux_head"]
    np.testing.assert_allclose(aux_logits, h @ a["kernel"] + a["bias"], rtol=1e-5, atol=1e-6)
  else:
    assert set(v["params"]) == {"backbone", "aux_hidden", "aux_norm", "aux_head"} and "batch_stats" in v
  np.testing.assert_allclose(m.apply(v, x), logits, rtol=1e-6)   # inference: the main head only
  with pytest.raises(ValueError, match="aux must be"):
    DualHead(num_classes=10, aux="conv").init(jax.random.PRNGKey(0), x)
