"""Fused linear cross-entropy: values and gradients vs NumPy float64, masks, bf16, sharding, memory."""
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from jax.sharding import NamedSharding, PartitionSpec as P

from lbrl.kernels import linear_cross_entropy
from tests.kernels import _oracle


def inputs(n=37, d=16, v=301, scale=1.0, seed=0, dtype=jnp.float32, ignore=True):
  k = jax.random.split(jax.random.key(seed), 4)
  h = (jax.random.normal(k[0], (n, d)) * scale).astype(dtype)
  w = jax.random.normal(k[1], (v, d)).astype(dtype)
  y = jax.random.randint(k[2], (n,), -4 if ignore else 0, v)
  g = jax.random.normal(k[3], (n,))
  return h, w, y, g


def run(fn, h, w, y, g):
  loss, (dh, dw) = jax.value_and_grad(lambda h, w: jnp.sum(g * fn(h, w, y)), (0, 1))(h, w)
  return fn(h, w, y), dh, dw


def naive(h, w, y, *, z_loss=0.0, label_smoothing=0.0, logit_softcap=None, where=None):
  """The same-dtype naive computation: materialised logits + optax cross-entropy."""
  z = jnp.einsum("nd,vd->nv", h, w).astype(jnp.float32)
  if logit_softcap:
    z = logit_softcap * jnp.tanh(z / logit_softcap)
  v = w.shape[0]
  t = optax.smooth_labels(jax.nn.one_hot(y, v), label_smoothing) if label_smoothing else jax.nn.one_hot(y, v)
  out = optax.softmax_cross_entropy(z, t) + z_loss * jax.nn.logsumexp(z, -1) ** 2
  ok = (y >= 0) & (y < v) & (True if where is None else where)
  return jnp.where(ok, out, 0.0)


def errors(got, want):
  return [float(np.max(np.abs(np.asarray(a, np.float64) - b))) for a, b in zip(got, want)]


HYPERS = [dict(), dict(z_loss=1e-3, label_smoothing=0.2, logit_softcap=3.0)]


@pytest.mark.parametrize("backward", ["fused", "recompute"])
@pytest.mark.parametrize("hyper", HYPERS, ids=lambda d: ",".join(d) or "plain")
@pytest.mark.parametrize("scale", [1.0, 40.0], ids=["normal", "large_logits"])
@pytest.mark.parametrize("uniform", [False, True], ids=["any_cotangent", "mean_cotangent"])
def test_matches_float64_and_beats_naive_error(hyper, scale, backward, uniform):
  h, w, y, g = inputs(scale=scale)
  if uniform:          # a mean: the fused backward scales its residuals; otherwise it reruns its pass
    g = jnp.full_like(g, 0.37)
  want = _oracle.linear_ce(h, w, y, g, z_loss=hyper.get("z_loss", 0.0), a=hyper.get("label_smoothing", 0.0),
                           c=hyper.get("logit_softcap"))[:3]
  got = run(lambda h, w, y: linear_cross_entropy(h, w, y, block_size=64, token_block=16, backward=backward,
                                                 **hyper), h, w, y, g)
  base = run(lambda h, w, y: naive(h, w, y, **hyper), h, w, y, g)
  e_got, e_base = errors(got, want), errors(base, want)
  # float32 logits of size ~|h||w| (hundreds at scale 40) round differently in [bn, V] and [N, V] products
  # (and differently again at the tests' -O0): up to 8 naive errors allowed there.
  slack = 1.0 if scale == 1.0 else 8.0
  tol = [1e-5 * max(1.0, float(np.abs(x).max())) for x in want]
  for eg, eb, t in zip(e_got, e_base, tol):
    assert eg <= slack * eb + t, (e_got, e_base)
  assert np.all(np.asarray(got[0])[np.asarray(y) < 0] == 0)


@pytest.mark.parametrize("block", [7, 101, 1024])
def test_block_size_does_not_change_the_result(block):
  h, w, y, g = inputs(n=9, v=101)
  want = _oracle.linear_ce(h, w, y, g)[:3]
  got = run(lambda h, w, y: linear_cross_entropy(h, w, y, block_size=block), h, w, y, g)
  np.testing.assert_allclose(np.asarray(got[0]), want[0], atol=2e-5)
  np.testing.assert_allclose(np.asarray(got[1]), want[1], atol=2e-5)
  np.testing.assert_allclose(np.asarray(got[2]), want[2], atol=2e-5)


def test_bf16_error_within_naive_bf16_error():
  h, w, y, g = inputs(n=64, d=32, v=515, dtype=jnp.bfloat16, scale=3.0)
  want = _oracle.linear_ce(np.asarray(h, np.float32), np.asarray(w, np.float32), y, g)[:3]
  got = run(lambda h, w, y: linear_cross_entropy(h, w, y, block_size=128), h, w, y, g)
  base = run(naive, h, w, y, g)
  assert got[0].dtype == jnp.float32 and got[1].dtype == jnp.bfloat16 and got[2].dtype == jnp.bfloat16
  e_got, e_base = errors(got, want), errors(base, want)
  for eg, eb, x in zip(e_got, e_base, want):
    assert eg <= eb + 1e-2 * max(1.0, float(np.abs(x).max())), (e_got, e_base)


def test_where_mask_batch_shape_jit_and_vmap():
  h, w, y, g = inputs(n=24)
  h3, y3, g3 = h.reshape(2, 3, 4, 16), y.reshape(2, 3, 4), g.reshape(2, 3, 4)
  where = (jnp.arange(24) % 3 != 0).reshape(2, 3, 4)
  f = jax.jit(lambda h, w: linear_cross_entropy(h, w, y3, where=where, block_size=50))
  loss, dh, dw = run(lambda h, w, y: f(h, w), h3, w, y3, g3)
  want = _oracle.linear_ce(h, w, y, g, valid=np.asarray(where).reshape(-1))
  np.testing.assert_allclose(np.asarray(loss).reshape(-1), want[0], atol=2e-5)
  np.testing.assert_allclose(np.asarray(dh).reshape(24, 16), want[1], atol=2e-5)
  np.testing.assert_allclose(np.asarray(dw), want[2], atol=2e-5)
  vm = jax.vmap(lambda h, y: linear_cross_entropy(h, w, y, block_size=50))(h3[0], y3[0])
  np.testing.assert_allclose(np.asarray(vm).reshape(-1), _oracle.linear_ce(h[:12], w, y[:12], g[:12])[0], atol=2e-5)


def test_all_ignored_gives_zero_loss_and_gradient():
  h, w, _, g = inputs(n=5)
  y = jnp.array([-100, -1, 301, 1000, -5])
  loss, dh, dw = run(lambda h, w, y: linear_cross_entropy(h, w, y, block_size=64), h, w, y, g)
  assert not np.any(np.asarray(loss)) and not np.any(np.asarray(dh)) and not np.any(np.asarray(dw))


def test_gradient_filter_auto_in_bf16_against_float64():
  """CCE's filter at its bf16 default (eps = 2**-12): the gradient stays as close to float64 as the
  unfiltered bf16 gradient (within one bf16 step of the largest entry), and the value is untouched."""
  h, w, y, g = inputs(n=64, d=32, v=2048, dtype=jnp.bfloat16, scale=3.0, ignore=False)
  g = jnp.full_like(g, 1 / 64)
  want = _oracle.linear_ce(np.asarray(h, np.float32), np.asarray(w, np.float32), y, g)[:3]
  f = lambda eps: run(lambda h, w, y: linear_cross_entropy(h, w, y, block_size=128, token_block=16,
                                                           grad_filter_eps=eps), h, w, y, g)
  exact, filt = f(None), f("auto")
  np.testing.assert_array_equal(np.asarray(filt[0]), np.asarray(exact[0]))
  for k in (1, 2):
    e_exact, e_filt = errors([exact[k]], [want[k]])[0], errors([filt[k]], [want[k]])[0]
    assert e_filt <= e_exact + 2 ** -8 * float(np.abs(want[k]).max()), (k, e_filt, e_exact)
  with pytest.raises(ValueError, match="grad_filter_eps"):
    linear_cross_entropy(h, w, y, grad_filter_eps="high")


def test_gradient_filter():
  # Labels confined to a few blocks; the other blocks carry visible gradient that eps=1e9 drops.
  h, w, y, g = inputs(n=16, d=16, v=640, scale=1.0, ignore=False)
  y = y % 300                            # labels in 5 of the 10 vocabulary blocks
  loss0, dh0, dw0 = run(lambda h, w, y: linear_cross_entropy(h, w, y, block_size=64), h, w, y, g)
  # A tiny eps skips nothing that matters: equal to the exact gradient.
  tiny = run(lambda h, w, y: linear_cross_entropy(h, w, y, block_size=64, grad_filter_eps=1e-30), h, w, y, g)
  np.testing.assert_allclose(np.asarray(tiny[1]), np.asarray(dh0), atol=1e-6)
  # A huge eps keeps exactly the blocks holding a label (oracle: dz zeroed outside those blocks).
  *_, dz = _oracle.linear_ce(h, w, y, g)
  keep = np.zeros(640 // 64, bool)
  keep[np.asarray(y) // 64] = True
  exact_dh = dz @ np.asarray(w, np.float64)
  dz = dz * np.repeat(keep, 64)[None, :]
  assert np.abs(exact_dh - dz @ np.asarray(w, np.float64)).max() > 1e-2   # skipping is visible
  big = run(lambda h, w, y: linear_cross_entropy(h, w, y, block_size=64, grad_filter_eps=1e9), h, w, y, g)
  np.testing.assert_allclose(np.asarray(big[1]), dz @ np.asarray(w, np.float64), rtol=5e-5, atol=2e-5)
  np.testing.assert_allclose(np.asarray(big[2]), dz.T @ np.asarray(h, np.float64), rtol=5e-5, atol=2e-5)
  assert not keep.all()
  np.testing.assert_array_equal(np.asarray(big[0]), np.asarray(loss0))   # the forward pass is exact
  # A bf16-level eps changes the gradient by less than eps per logit times the block count.
  mid = run(lambda h, w, y: linear_cross_entropy(h, w, y, block_size=64, grad_filter_eps=2.0 ** -12), h, w, y, g)
  bound = 2.0 ** -12 * 640 * float(np.abs(np.asarray(w)).max())
  assert float(np.abs(np.asarray(mid[1]) - np.asarray(dh0)).max()) <= bound


def test_tokens_sharded_over_data_axis():
  h, w, y, g = inputs(n=64, v=300)
  want = _oracle.linear_ce(h, w, y, g)
  mesh = jax.make_mesh((8,), ("data",), axis_types=(jax.sharding.AxisType.Auto,))
  shard = NamedSharding(mesh, P("data"))
  f = jax.jit(jax.value_and_grad(lambda h, w, y, g: jnp.sum(g * linear_cross_entropy(h, w, y, block_size=64)),
                                 (0, 1)), in_shardings=(shard, None, shard, shard))
  val, (dh, dw) = f(h, w, y, g)
  assert dh.sharding.spec == P("data")
  np.testing.assert_allclose(float(val), float(np.sum(np.asarray(g, np.float64) * want[0])), rtol=1e-5)
  np.testing.assert_allclose(np.asarray(dh), want[1], atol=2e-5)
  np.testing.assert_allclose(np.asarray(dw), want[2], atol=2e-5)


@pytest.mark.parametrize("shape", [(1, 8), (2, 4), (4, 2), (8, 1)])
def test_vocabulary_sharded_over_model_axis(shape):
  h, w, y, g = inputs(n=32, v=296)
  hyper = dict(z_loss=1e-3, label_smoothing=0.1, logit_softcap=4.0)
  want = _oracle.linear_ce(h, w, y, g, z_loss=1e-3, a=0.1, c=4.0)
  mesh = jax.make_mesh(shape, ("data", "model"), axis_types=(jax.sharding.AxisType.Auto,) * 2)

  def local(h, w, y, g):
    l = linear_cross_entropy(h, w, y, block_size=16, vocab_axis_name="model", **hyper)
    return jax.lax.psum(jnp.sum(g * l), "data"), l

  f = jax.shard_map(local, mesh=mesh, in_specs=(P("data"), P("model"), P("data"), P("data")),
                    out_specs=(P(), P("data")))
  (val, loss), (dh, dw) = jax.jit(jax.value_and_grad(f, (0, 1), has_aux=True))(h, w, y, g)
  np.testing.assert_allclose(np.asarray(loss), want[0], atol=2e-5)
  np.testing.assert_allclose(np.asarray(dh), want[1], atol=2e-5)
  np.testing.assert_allclose(np.asarray(dw), want[2], atol=2e-5)


def temp_mib(f, *shapes):
  return jax.jit(f).lower(*shapes).compile().memory_analysis().temp_size_in_bytes / 2 ** 20


@pytest.mark.parametrize("backward", ["fused", "recompute"])
def test_gradient_temp_memory_is_one_tile_not_n_times_v(backward):
  """"recompute": one [N, block] tile whatever V; "fused": one [bn, V] logits tile of the default
  ~16 MiB, no [V, D] temporary (dw is updated in place and becomes the output); both far below naive."""
  n, d = 1024, 64
  spec = lambda *s: jax.ShapeDtypeStruct(s, jnp.float32)
  ys = jax.ShapeDtypeStruct((n,), jnp.int32)
  fused = jax.grad(lambda h, w, y: jnp.mean(linear_cross_entropy(h, w, y, block_size=256, backward=backward)), (0, 1))
  dense = jax.grad(lambda h, w, y: jnp.mean(naive(h, w, y)), (0, 1))
  small, large = (temp_mib(fused, spec(n, d), spec(v, d), ys) for v in (4096, 32768))
  dense_large = temp_mib(dense, spec(n, d), spec(32768, d), ys)
  assert dense_large >= n * 32768 * 4 / 2 ** 20          # the naive path holds at least the logits
  if backward == "recompute":
    assert large <= 1.1 * small + 1.0, (small, large)     # 8x the vocabulary, same temporaries
  else:
    tile = 128 * 32768 * 4 / 2 ** 20                      # default token_block at V=32768: 2**22 / V = 128
    assert large <= 1.25 * tile + 1.0, (large, tile)      # the tile, no [V, D] = 8 MiB buffer beside dw
  assert large <= dense_large / 10, (large, dense_large)


def test_bad_inputs_name_the_argument():
  h, w, y, _ = inputs(n=4)
  with pytest.raises(ValueError, match="h must be"):
    linear_cross_entropy(h[:, :3], w, y)
  with pytest.raises(TypeError, match="labels must be integer"):
    linear_cross_entropy(h, w, y.astype(jnp.float32))
  with pytest.raises(ValueError, match="labels must have shape"):
    linear_cross_entropy(h, w, y[:2])
  with pytest.raises(ValueError, match="label_smoothing"):
    linear_cross_entropy(h, w, y, label_smoothing=1.0)
  with pytest.raises(ValueError, match="logit_softcap"):
    linear_cross_entropy(h, w, y, logit_softcap=0.0)
  with pytest.raises(ValueError, match="z_loss"):
    linear_cross_entropy(h, w, y, z_loss=-1.0)
  with pytest.raises(ValueError, match="where must have shape"):
    linear_cross_entropy(h, w, y, where=jnp.ones(3, bool))
  with pytest.raises(ValueError, match="w must be"):
    linear_cross_entropy(h, w[None], y)
  with pytest.raises(ValueError, match="backward must be"):
    linear_cross_entropy(h, w, y, backward="twice")
  with pytest.raises(ValueError, match="token_block"):
    linear_cross_entropy(h, w, y, token_block=0)
  with pytest.raises(ValueError, match="backward='fused' needs"):
    linear_cross_entropy(h, w, y, backward="fused", impl="pallas_tpu")


PALLAS = ["pallas_tpu", "pallas_gpu"]
TRITON = jax.export.DisabledSafetyCheck.custom_call("__gpu$xla.gpu.triton")


@pytest.mark.parametrize("impl", PALLAS)
@pytest.mark.parametrize("hyper", [dict(), dict(z_loss=1e-3, label_smoothing=0.2, logit_softcap=3.0)],
                         ids=["plain", "all"])
def test_pallas_interpret_matches_float64(impl, hyper):
  h, w, y, g = inputs(n=37, d=20, v=301, scale=3.0)
  want = _oracle.linear_ce(h, w, y, g, z_loss=hyper.get("z_loss", 0.0), a=hyper.get("label_smoothing", 0.0),
                           c=hyper.get("logit_softcap"))[:3]
  got = run(lambda h, w, y: linear_cross_entropy(h, w, y, impl=impl, interpret=True, block_size=128, **hyper),
            h, w, y, g)
  base = run(lambda h, w, y: naive(h, w, y, **hyper), h, w, y, g)
  for eg, eb, x in zip(errors(got, want), errors(base, want), want):
    assert eg <= eb + 1e-5 * max(1.0, float(np.abs(x).max()))


@pytest.mark.parametrize("impl", PALLAS)
def test_pallas_gradient_filter_keeps_label_tiles(impl):
  h, w, y, g = inputs(n=16, d=16, v=512, scale=1.0, ignore=False)
  y = y % 200                            # labels in the first two of four vocabulary blocks
  *_, dz = _oracle.linear_ce(h, w, y, g)
  bv = 128
  keep = np.zeros(512 // bv, bool)
  keep[np.asarray(y) // bv] = True
  assert not keep.all()
  # With 16 tokens both kernels use one token block, so a kept tile is a kept vocabulary block.
  exact_dh = dz @ np.asarray(w, np.float64)
  dz = dz * np.repeat(keep, bv)[None, :]
  assert np.abs(exact_dh - dz @ np.asarray(w, np.float64)).max() > 1e-2   # skipping is visible
  got = run(lambda h, w, y: linear_cross_entropy(h, w, y, impl=impl, interpret=True, block_size=bv,
                                                 grad_filter_eps=1e9), h, w, y, g)
  np.testing.assert_allclose(np.asarray(got[1]), dz @ np.asarray(w, np.float64), rtol=5e-5, atol=2e-5)
  np.testing.assert_allclose(np.asarray(got[2]), dz.T @ np.asarray(h, np.float64), rtol=5e-5, atol=2e-5)


@pytest.mark.parametrize("platform,impl", [("tpu", "pallas_tpu"), ("cuda", "pallas_gpu")])
@pytest.mark.parametrize("dtype", [jnp.float32, jnp.bfloat16])
def test_pallas_kernels_lower_for_their_platform(platform, impl, dtype):
  hyper = dict(z_loss=1e-4, label_smoothing=0.1, logit_softcap=30.0)
  f = jax.jit(jax.value_and_grad(lambda h, w, y: jnp.mean(linear_cross_entropy(h, w, y, impl=impl, **hyper)),
                                 (0, 1)))
  spec = [jax.ShapeDtypeStruct((576, 96), dtype), jax.ShapeDtypeStruct((1100, 96), dtype),
          jax.ShapeDtypeStruct((576,), jnp.int32)]
  text = jax.export.export(f, platforms=[platform], disabled_checks=[TRITON])(*spec).mlir_module()
  target = "tpu_custom_call" if platform == "tpu" else "__gpu$xla.gpu.triton"
  for name in ("cce_forward", "cce_backward_dh", "cce_backward_dw"):
    assert name in text, name
  assert target in text


def test_mosaic_gpu_kernels_lower_for_cuda():
  """The opt-in Mosaic GPU kernels (wgmma, D tiled; no interpreter can run them on CPU) lower, forward and
  backward, for cuda with every option (N, V, D padded to 128, 128, 64), within the SMEM budget."""
  hyper = dict(z_loss=1e-4, label_smoothing=0.1, logit_softcap=30.0)
  f = jax.jit(jax.value_and_grad(lambda h, w, y: jnp.mean(linear_cross_entropy(h, w, y, impl="pallas_mgpu", **hyper)),
                                 (0, 1)))
  spec = [jax.ShapeDtypeStruct((200, 96), jnp.bfloat16), jax.ShapeDtypeStruct((300, 96), jnp.bfloat16),
          jax.ShapeDtypeStruct((200,), jnp.int32)]
  text = jax.export.export(f, platforms=["cuda"])(*spec).mlir_module()
  assert text.count("stablehlo.custom_call @mosaic_gpu") == 2
  assert "cce_forward_mgpu" in text and "cce_backward_mgpu" in text
  h, w, y, _ = inputs(n=8, d=16, v=32)
  with pytest.raises(ValueError, match="no interpret mode"):
    linear_cross_entropy(h, w, y, impl="pallas_mgpu", interpret=True)
  with pytest.raises(ValueError, match="must both be bfloat16 or both float16"):
    linear_cross_entropy(h, w, y, impl="pallas_mgpu")


@pytest.mark.skipif(jax.default_backend() != "gpu", reason="compiled Mosaic GPU kernels: need a GPU (benchmarks/kernels_gpu.sh)")
@pytest.mark.parametrize("hyper", HYPERS, ids=lambda d: ",".join(d) or "plain")
def test_mosaic_gpu_compiled_matches_float64(hyper):
  h, w, y, g = (a.astype(jnp.bfloat16) if a.dtype == jnp.float32 and i < 2 else a
                for i, a in enumerate(inputs(n=300, d=200, v=1000, scale=3.0)))
  want = _oracle.linear_ce(h, w, y, g, z_loss=hyper.get("z_loss", 0.0), a=hyper.get("label_smoothing", 0.0),
                           c=hyper.get("logit_softcap"))[:3]
  got = run(lambda h, w, y: linear_cross_entropy(h, w, y, impl="pallas_mgpu", **hyper), h, w, y, g)
  base = run(lambda h, w, y: naive(h, w, y, **hyper), h, w, y, g)
  for eg, eb in zip(errors(got, want), errors(base, want)):
    assert eg <= 2 * eb + 1e-4, (eg, eb)


def test_sharded_wrapper_under_jit_on_a_data_model_mesh():
  from lbrl.kernels import linear_cross_entropy_sharded
  h, w, y, g = inputs(n=32, v=296)
  h3, y3, g3 = h.reshape(4, 8, 16), y.reshape(4, 8), g.reshape(4, 8)
  where = (jnp.arange(32) % 5 != 0).reshape(4, 8)
  want = _oracle.linear_ce(h, w, y, g, valid=np.asarray(where).reshape(-1), z_loss=1e-3)
  mesh = jax.make_mesh((2, 4), ("data", "model"), axis_types=(jax.sharding.AxisType.Auto,) * 2)
  f = lambda h, w: jnp.sum(g3 * linear_cross_entropy_sharded(h, w, y3, mesh=mesh, where=where, z_loss=1e-3,
                                                              block_size=16))
  val, (dh, dw) = jax.jit(jax.value_and_grad(f, (0, 1)))(h3, w)
  np.testing.assert_allclose(float(val), float(np.sum(np.asarray(g, np.float64) * want[0])), rtol=1e-5)
  np.testing.assert_allclose(np.asarray(dh).reshape(32, 16), want[1], atol=2e-5)
  np.testing.assert_allclose(np.asarray(dw), want[2], atol=2e-5)


@pytest.mark.parametrize("shape", [(8, 1), (4, 2), (2, 4), (1, 8)], ids=lambda s: f"model{s[1]}")
def test_explicit_mesh_with_vocabulary_sharded_w_takes_the_sharded_path(shape):
  """Under jax.set_mesh with w's rows on "model" (the TransformerLM rules: ("model", "fsdp")), the plain
  call equals float64 on 1, 2, 4, 8 model shards (vocabulary-sharded when "model" > 1)."""
  from jax.sharding import AxisType
  from lbrl.kernels import fused_ce
  h, w, y, g = inputs(n=32, v=296)
  want = _oracle.linear_ce(h, w, y, g, z_loss=1e-3)
  mesh = jax.make_mesh(shape, ("fsdp", "model"), axis_types=(AxisType.Explicit,) * 2)
  with jax.set_mesh(mesh):
    hs = jax.device_put(h, NamedSharding(mesh, P("fsdp", None)))
    ws = jax.device_put(w, NamedSharding(mesh, P("model", "fsdp")))
    ys, gs = (jax.device_put(a, NamedSharding(mesh, P("fsdp"))) for a in (y, g))
    f = lambda h, w, y, g: jnp.sum(g * linear_cross_entropy(h, w, y, z_loss=1e-3, block_size=16))
    val, (dh, dw) = jax.jit(jax.value_and_grad(f, (0, 1)))(hs, ws, ys, gs)
    assert (fused_ce._explicit_vocab_axis(ws) == "model") == (shape[1] > 1)
  np.testing.assert_allclose(float(val), float(np.sum(np.asarray(g, np.float64) * want[0])), rtol=1e-5)
  np.testing.assert_allclose(np.asarray(dh), want[1], atol=2e-5)
  np.testing.assert_allclose(np.asarray(dw), want[2], atol=2e-5)
