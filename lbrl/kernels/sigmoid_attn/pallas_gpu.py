"""FlashSigmoid forward as a Pallas kernel on Mosaic GPU (``jax.experimental.pallas.mosaic_gpu``, Hopper
warpgroup MMA): sigmoid attention that never stores the T x S weights.

One program per (head, query block): the query block sits in shared memory (SMEM, 128-byte swizzled
tiles), an ``emit_pipeline`` streams key/value blocks through SMEM (two in flight), and per key block
s = q k^T (``wgmma`` into a float32 accumulator), p = sigmoid(s c + b) masked (keys past S, and above the
diagonal when causal), o += p v (``wgmma``, p cast to the inputs' 16-bit type). No row statistics: sigmoid
attention needs neither a running max nor a normaliser, which is what makes FlashSigmoid simpler than
FlashAttention. Causal tiles above the diagonal are masked, not skipped (the pipeline's trip count is
static). Operands must be bfloat16 or float16 (``wgmma``), Dh a multiple of 64.

The backward pass is not a kernel here: :func:`lbrl.kernels.sigmoid_attention` differentiates the
pure-JAX reference (XLA fuses it; it materialises the [T, S] weights per head). Pallas's interpreters
cannot run ``wgmma`` (no CPU discharge rule), so the CPU tests check that the kernel lowers for ``cuda``
(``jax.export``) and the numerics are checked on a GPU by ``benchmarks/kernels_gpu.sh``.
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from jax.experimental import pallas as pl
from jax.experimental.pallas import mosaic_gpu as plgpu


def _transforms(dtype):
  elems = 128 // jnp.dtype(dtype).itemsize        # one 128-byte swizzle row
  return (plgpu.TilingTransform((8, elems)), plgpu.SwizzleTransform(128))


def _fwd_kernel(q_smem, k_ref, v_ref, o_smem, *, b, scale, causal, s_len, bq, bk):
  head, i = pl.program_id(0), pl.program_id(1)
  wg = plgpu.Layout.WGMMA
  acc0 = plgpu.layout_cast(jnp.zeros((bq, q_smem.shape[-1]), jnp.float32), wg)

  def body(idx, k_smem, v_smem, acc):
    (j,) = idx

    def qk(acc_ref):
      plgpu.wgmma(acc_ref, q_smem, plgpu.transpose_ref(k_smem, (1, 0)))
      return acc_ref[...]

    s = pl.run_scoped(qk, plgpu.ACC((bq, bk), jnp.float32))
    p = 1.0 / (1.0 + jnp.exp(-(s * scale + b)))
    cols = j * bk + plgpu.broadcasted_iota(jnp.int32, (bq, bk), 1, layout=wg)
    keep = cols < s_len
    if causal:
      keep = keep & (cols <= i * bq + plgpu.broadcasted_iota(jnp.int32, (bq, bk), 0, layout=wg))
    p = jnp.where(keep, p, 0.0).astype(v_smem.dtype)

    def pv(acc_ref):
      plgpu.wgmma(acc_ref, p, v_smem)

    return pl.run_state(pv)(plgpu.ACC.init(acc))

  dh = q_smem.shape[-1]
  kv = plgpu.BlockSpec((bk, dh), lambda j: (j, 0), transforms=_transforms(k_ref.dtype))
  acc = plgpu.emit_pipeline(body, grid=(k_ref.shape[1] // bk,), in_specs=[kv, kv], max_concurrent_steps=2,
                            init_carry=acc0)(k_ref.at[head], v_ref.at[head])
  o_smem[...] = acc.astype(o_smem.dtype)


@functools.partial(jax.jit, static_argnames=("st",))
def forward(q, k, v, st):
  """o [BH, T, Dh] for padded q [BH, T, Dh], k, v [BH, S, Dh] (16-bit); ``st`` as in the TPU kernel."""
  b, scale, causal, s_len, bq, bk = st
  bh, t, dh = q.shape
  if q.dtype not in (jnp.bfloat16, jnp.float16) or dh % 64:
    raise ValueError(f"sigmoid_attention (Mosaic GPU): q, k, v must be bfloat16/float16 with Dh a multiple of 64, "
                     f"got {q.dtype} and Dh={dh}")
  qs = plgpu.BlockSpec((None, bq, dh), lambda h, i: (h, i, 0), transforms=_transforms(q.dtype))
  gmem = pl.BlockSpec(memory_space=plgpu.GMEM)
  kern = functools.partial(_fwd_kernel, b=b, scale=scale, causal=causal, s_len=s_len, bq=bq, bk=bk)
  return pl.pallas_call(kern, grid=(bh, t // bq), in_specs=[qs, gmem, gmem], out_specs=qs,
                        out_shape=jax.ShapeDtypeStruct(q.shape, q.dtype),
                        compiler_params=plgpu.CompilerParams(dimension_semantics=("parallel", "parallel")),
                        name="flash_sigmoid_forward_mgpu")(q, k, v)
