"""onehot_mlp (the stablemax paper's MLP on one-hot operands): the same function as concatenated one-hot
vectors through bias-free dense layers (NumPy), the parameter count and PyTorch's default init bounds."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lbrl.models._layers import count_params
from lbrl.models.onehot import OneHotMLP
from lbrl.registry import MODELS

P = 113


def tokens(n, seed=0):
  rng = np.random.default_rng(seed)
  a, b = rng.integers(0, P, n), rng.integers(0, P, n)
  return np.stack([a, b, np.full(n, P), np.full(n, P + 1)], 1).astype(np.int32)   # [a, b, op, =]


def test_matches_one_hot_matmul_and_counts():
  assert MODELS.get("onehot_mlp") is OneHotMLP
  model = OneHotMLP(num_classes=P)
  x = tokens(64)
  params = model.init(jax.random.key(0), jnp.asarray(x))["params"]
  assert count_params(params) == 2 * P * 200 + 200 * 200 + 200 * P == 107_800
  w1 = np.asarray(params["embed_kernel"], np.float64)
  w2, w3 = (np.asarray(params[f"Dense_{i}"]["kernel"], np.float64) for i in (0, 1))
  assert set(params) == {"embed_kernel", "Dense_0", "Dense_1"}      # no biases
  onehot = np.concatenate([np.eye(P)[x[:, 0]], np.eye(P)[x[:, 1]]], 1)
  ref = np.maximum(np.maximum(onehot @ w1, 0) @ w2, 0) @ w3
  np.testing.assert_allclose(np.asarray(model.apply({"params": params}, jnp.asarray(x))), ref, rtol=1e-5,
                             atol=1e-6)
  # gradients reach only the rows of the operands that occur
  g = jax.grad(lambda p: model.apply({"params": p}, jnp.asarray(x[:1])).sum())(params)["embed_kernel"]
  assert set(np.flatnonzero(np.abs(np.asarray(g)).sum(1))) <= {x[0, 0], P + x[0, 1]}


def test_torch_init_bounds_and_bias_option():
  params = OneHotMLP(num_classes=P, use_bias=True).init(jax.random.key(1), jnp.asarray(tokens(2)))["params"]
  for leaf, fan_in in ((params["embed_kernel"], 2 * P), (params["embed_bias"], 2 * P),
                       (params["Dense_0"]["kernel"], 200), (params["Dense_0"]["bias"], 200),
                       (params["Dense_1"]["kernel"], 200)):
    bound = 1 / np.sqrt(fan_in)
    v = np.asarray(leaf)
    assert np.abs(v).max() <= bound and np.abs(v).max() > 0.9 * bound
    np.testing.assert_allclose(v.std(), bound / np.sqrt(3), rtol=0.15)    # U(-b, b) has std b / sqrt(3)
  with pytest.raises(ValueError, match="weight_init"):
    OneHotMLP(num_classes=P, weight_init="xavier").init(jax.random.key(0), jnp.asarray(tokens(2)))
