"""Mesh construction and regex sharding rules."""
import jax
import pytest
from jax.sharding import PartitionSpec as P

from lbrl.parallel import mesh as M


def test_resolve_shape():
  assert M.resolve_shape((-1,), 8) == (8,)
  assert M.resolve_shape((2, -1), 8) == (2, 4)
  assert M.resolve_shape((1,), 8) == (1,)  # a subset of the devices
  with pytest.raises(ValueError, match="needs 16 devices"):
    M.resolve_shape((16,), 8)
  with pytest.raises(ValueError, match="more than one -1"):
    M.resolve_shape((-1, -1), 8)
  with pytest.raises(ValueError, match="not divisible by 3"):
    M.resolve_shape((3, -1), 8)


def test_make_mesh_axis_types_and_errors():
  m = M.make_mesh((2, -1), ("data", "model"))
  assert dict(m.shape) == {"data": 2, "model": 4}
  assert all(t == jax.sharding.AxisType.Auto for t in m.axis_types)
  assert M.data_parallel_size(m) == 2
  assert M.data_parallel_size(M.make_mesh((2, 4), ("data", "fsdp"))) == 8
  with pytest.raises(ValueError, match="differ in length"):
    M.make_mesh((8,), ("data", "model"))


def test_rules_first_match_rank_and_divisibility():
  m = M.make_mesh((2, 4), ("data", "model"))
  rules = [(r"attn/.*kernel", (None, "model")), (r"kernel", ("fsdp", "model"))]
  assert M.spec_for("params/attn/q/kernel", (16, 8), rules, m) == P(None, "model")
  # fsdp is not in this mesh: dropped, the model axis stays
  assert M.spec_for("params/mlp/kernel", (16, 8), rules, m) == P(None, "model")
  # rank mismatch (a bias) and indivisible sizes fall back to replicated
  assert M.spec_for("params/attn/q/kernel", (8,), rules, m) == P()
  assert M.spec_for("params/attn/q/kernel", (16, 6), rules, m) == P()
  assert M.spec_for("params/embed", (16, 8), rules, m) == P()


def test_tree_shardings_cover_optimizer_state():
  import optax
  m = M.make_mesh((2, 4), ("data", "fsdp"))
  params = {"Dense_0": {"kernel": jax.numpy.zeros((40, 8)), "bias": jax.numpy.zeros((8,))}}
  state = optax.adam(1e-3).init(params)
  sh = M.tree_shardings((params, state), [(r"Dense_\d+/kernel", (None, "fsdp"))], m)
  specs = [s.spec for s in jax.tree.leaves(sh)]
  assert specs.count(P(None, "fsdp")) == 3  # params, mu, nu kernels
  assert P() in specs  # biases and the step count are replicated
