#!/usr/bin/env bash
# The kernel checks that need a GPU, in one call of at most ~10 minutes (issue 22, item 6):
#   1. install the GPU extra (jax[cuda12], setup.py's "gpu") into a fresh venv beside the repo;
#   2. run the kernel tests on the GPU (JAX_PLATFORMS=cuda overrides tests/conftest.py's CPU default, so
#      impl="auto" picks the compiled Pallas GPU kernels; the interpret-mode tests run as well);
#   3. time each kernel against XLA's naive path at paper-like shapes in bf16 and float32, writing absolute
#      times, the ratio to naive and the fraction of the GPU's roofline (bf16 FLOP/s, HBM bytes/s) to
#      $OUT/kernels_gpu.json and $OUT/kernels_gpu.md, marked with the device name.
# Usage (device machine, repo root):  OUT=/some/dir bash benchmarks/kernels_gpu.sh
# Then copy $OUT/kernels_gpu.md into the kernel reports' hardware sections (experiments/<slug>/gpu.md).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/kernels_gpu}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
LOG="$OUT/kernels_gpu.log"
: >"$LOG"

if [ ! -x .venv-gpu/bin/python ]; then
  python3 -m venv .venv-gpu >>"$LOG" 2>&1
  .venv-gpu/bin/pip install -q -c constraints.txt -e ".[gpu]" pytest >>"$LOG" 2>&1 \
    || .venv-gpu/bin/pip install -q -e ".[gpu]" pytest >>"$LOG" 2>&1
fi
PY=.venv-gpu/bin/python
$PY -c "import jax; print(jax.devices())" 2>&1 | tee -a "$LOG"

# 2. kernel tests on the GPU (the interpret-mode and lowering tests also run; 5 minutes at most)
#    (the compiled Mosaic GPU kernels, two-pass softmax and the FlashSigmoid forward, have GPU-only tests:
#    "compiled" in their names; on CPU they are skipped)
JAX_PLATFORMS=cuda timeout 300 $PY -m pytest -q -p no:cacheprovider tests/kernels/test_fused_ce.py \
  tests/kernels/test_contrastive.py tests/kernels/test_twopass.py tests/kernels/test_sigmoid_attn.py \
  tests/models/test_attention.py tests/models/test_vq_head.py \
  -k "not lower_for_their_platform and not lowers_for" 2>&1 | tail -n 30 | tee -a "$LOG"

# 3. timings (4 minutes at most)
JAX_PLATFORMS=cuda timeout 240 $PY - "$OUT" <<'PY' 2>&1 | tee -a "$LOG"
import json, sys, time, statistics
import jax, jax.numpy as jnp, numpy as np, optax
from lbrl.kernels import linear_cross_entropy, two_pass_softmax, contrastive
out = sys.argv[1]
dev = jax.devices()[0]
name = getattr(dev, "device_kind", str(dev))
# dense bf16 FLOP/s and HBM bytes/s of the chips this may run on (vendors' spec sheets)
PEAKS = {"H200": (989e12, 4.8e12), "H100": (989e12, 3.35e12), "A100": (312e12, 2.0e12)}
peak = next((v for k, v in PEAKS.items() if k in name), (989e12, 3.35e12))

def timeit(f, *args, rounds=5):
  f = jax.jit(f)
  jax.block_until_ready(f(*args))
  ts = []
  for _ in range(rounds):
    t0 = time.perf_counter(); jax.block_until_ready(f(*args)); ts.append(time.perf_counter() - t0)
  return statistics.median(ts)

rows = []
for dt in ("bfloat16", "float32"):
  for n, d, v in [(8192, 2304, 256000), (8192, 4096, 131072), (16384, 2048, 32768)]:
    k = jax.random.split(jax.random.key(0), 3)
    h = jax.random.normal(k[0], (n, d), dt); w = (jax.random.normal(k[1], (v, d)) / np.sqrt(d)).astype(dt)
    y = jax.random.randint(k[2], (n,), 0, v)
    naive = jax.grad(lambda h, w: jnp.mean(optax.softmax_cross_entropy_with_integer_labels((h @ w.T).astype(jnp.float32), y)), (0, 1))
    row = {"op": "linear_ce", "dtype": dt, "n": n, "d": d, "v": v, "device": name}
    try:
      row["naive_s"] = timeit(naive, h, w)
    except Exception as e:   # the naive logits may not fit
      row["naive_s"] = None; row["naive_error"] = str(e)[:200]
    for impl in ("pallas_gpu", "pallas_mgpu", "reference"):   # pallas_mgpu: bf16 only, no filtering (errors recorded)
      for eps in (None, "auto"):
        f = jax.grad(lambda h, w: jnp.mean(linear_cross_entropy(h, w, y, impl=impl, grad_filter_eps=eps)), (0, 1))
        key = f"{impl}{'_filter' if eps else ''}_s"
        try:
          row[key] = timeit(f, h, w)
        except Exception as e:
          row[key] = None; row[key.replace('_s', '_error')] = str(e)[:200]
    flops = 6 * n * v * d                              # the naive count (the kernels' recompute adds 2NVD)
    bytes_ = (n * d + 2 * v * d) * jnp.dtype(dt).itemsize
    floor = max(flops / peak[0], bytes_ / peak[1])
    for key in [k for k in row if k.endswith("_s") and row[k]]:
      row[key.replace("_s", "_roofline_fraction")] = floor / row[key]
      if row.get("naive_s"):
        row[key.replace("_s", "_ratio_to_naive")] = row[key] / row["naive_s"]
    print(row); rows.append(row)
  x = jax.random.normal(jax.random.key(1), (8192, 32768), dt)
  r = {"op": "softmax", "dtype": dt, "shape": [8192, 32768], "device": name,
       "three_pass_s": timeit(lambda x: jax.nn.softmax(x, -1), x),
       "two_pass_s": timeit(lambda x: two_pass_softmax(x), x)}
  r["two_pass_ratio_to_naive"] = r["two_pass_s"] / r["three_pass_s"]
  r["two_pass_roofline_fraction"] = (3 * x.size * x.dtype.itemsize / peak[1]) / r["two_pass_s"]  # 2 reads + 1 write
  print(r); rows.append(r)
  if dt == "bfloat16":
    # FlashSigmoid forward (Mosaic GPU) vs the XLA reference and XLA/cuDNN softmax attention, inference
    from lbrl.kernels import sigmoid_attention
    for b_, t_, h_, causal in [(4, 4096, 16, False), (4, 4096, 16, True)]:
      q, k, v = (jax.random.normal(kk, (b_, t_, h_, 64), dt) for kk in jax.random.split(jax.random.key(3), 3))
      r = {"op": "sigmoid_attention_fwd", "dtype": dt, "shape": [b_, t_, h_, 64], "causal": causal, "device": name}
      fns = {"mosaic_gpu_s": lambda q, k, v: sigmoid_attention(q, k, v, causal=causal, impl="pallas_gpu"),
             "reference_s": lambda q, k, v: sigmoid_attention(q, k, v, causal=causal, impl="reference"),
             "softmax_xla_s": lambda q, k, v: jax.nn.dot_product_attention(q, k, v, is_causal=causal),
             "softmax_cudnn_s": lambda q, k, v: jax.nn.dot_product_attention(q, k, v, is_causal=causal,
                                                                             implementation="cudnn")}
      for key, f in fns.items():
        try:
          r[key] = timeit(f, q, k, v)
        except Exception as e:
          r[key] = None; r[key.replace("_s", "_error")] = str(e)[:200]
      flops = 4 * b_ * h_ * t_ * t_ * 64 * (0.5 if causal else 1.0)
      for key in [kk for kk in fns if r.get(kk)]:
        r[key.replace("_s", "_roofline_fraction")] = (flops / peak[0]) / r[key]
      if r.get("mosaic_gpu_s") and r.get("softmax_cudnn_s"):
        r["speedup_over_cudnn_softmax"] = r["softmax_cudnn_s"] / r["mosaic_gpu_s"]   # the paper: 1.17x over FA2 (H100)
      print(r); rows.append(r)
json.dump({"device": name, "peaks": peak, "rows": rows}, open(f"{out}/kernels_gpu.json", "w"), indent=1)
with open(f"{out}/kernels_gpu.md", "w") as f:
  f.write(f"# Kernel timings on {name} (benchmarks/kernels_gpu.sh)\n\nRoofline: {peak[0]/1e12:.0f} TFLOP/s bf16, "
          f"{peak[1]/1e12:.2f} TB/s HBM. Median of 5 calls after a warm-up; loss + gradient.\n\n")
  for r in rows:
    f.write("- " + ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in r.items()) + "\n")
print("wrote", out)
PY
echo "done; see $OUT" | tee -a "$LOG"
