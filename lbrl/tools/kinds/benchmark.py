"""The ``benchmark`` experiment kind: ratio measurements in one process (kernels against the naive
computation), for the memory/speed papers (cut_cross_entropy, inf_cl, two_pass_softmax). The report is
written by the one report writer (:mod:`lbrl.tools.report`); this module measures and renders its
results section.

Method (the same for every kernel):
  * memory: ``jax.jit(grad_fn).lower(*shapes).compile().memory_analysis()``: XLA's temporary buffer size
    of the compiled gradient function (arguments and outputs excluded; outputs listed apart);
  * time: the compiled gradient function on the same random inputs, timed in interleaved rounds
    (naive, kernel, naive, kernel, ...) after one warm-up call each, median over the rounds, so that a
    slow-down of the shared machine hits both sides alike. Only the ratios are reported as results;
  * verdicts: the config's thresholds on the measured ratios, checked by code. A measurement is one
    number, not a distribution over seeds: a threshold met holds, one missed is contradicted.

Usage: ``nice python benchmarks/kernels_<op>.py --config configs/<slug>.py:variant=cpu`` or
``python -m lbrl.reproduce configs/<slug>.py`` (both write ``experiments/<slug>/README.md`` and
``results.json``), or ``run(cfg)`` from a test with the smoke variant.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

from lbrl.kernels import contrastive, linear_cross_entropy, two_pass_softmax
from lbrl.tools import stats

MIB = 2 ** 20
METHOD = ("memory: XLA's temporary buffer size (`memory_analysis().temp_size_in_bytes`) of the jitted, compiled "
          "loss-gradient function, arguments and outputs excluded; time: median seconds per call of the compiled "
          "gradient function on the same random inputs, timed in interleaved rounds (naive, kernel, naive, ...) "
          "after a warm-up call each, on this shared 2-core CPU; only the ratios are results. Thresholds are "
          "checked by code.")
# Accelerator peaks used for the roofline arithmetic (dense bf16 FLOP/s, HBM bytes/s), from the vendors'
# public spec sheets.
CHIPS = {"TPU v5e": (197e12, 819e9), "TPU v5p": (459e12, 2765e9), "H100 SXM": (989e12, 3350e9)}


# ----------------------------------------------------------------------------------------------- tools
def compiled_memory(fn, *args) -> dict:
  """Temp / output / argument bytes (MiB) of ``jax.jit(fn)`` compiled for ``args`` (arrays or specs)."""
  m = jax.jit(fn).lower(*args).compile().memory_analysis()
  return {"temp_mib": m.temp_size_in_bytes / MIB, "output_mib": m.output_size_in_bytes / MIB,
          "argument_mib": m.argument_size_in_bytes / MIB}


def interleaved_times(fns: dict, args: tuple, rounds: int) -> dict:
  """Median seconds per call of each function, timed in interleaved rounds after a warm-up call."""
  jitted = {k: jax.jit(f) for k, f in fns.items()}
  for f in jitted.values():
    jax.block_until_ready(f(*args))
  times = {k: [] for k in fns}
  for _ in range(rounds):
    for k, f in jitted.items():
      t0 = time.perf_counter()
      jax.block_until_ready(f(*args))
      times[k].append(time.perf_counter() - t0)
  return {k: statistics.median(v) for k, v in times.items()}


def available_mib() -> float:
  """MemAvailable from /proc/meminfo (inf where unknown)."""
  try:
    for line in open("/proc/meminfo"):
      if line.startswith("MemAvailable:"):
        return int(line.split()[1]) / 1024
  except OSError:
    pass
  return float("inf")


def _rule(text: str, passed: bool, **rule) -> stats.RuleResult:
  """A threshold on a measurement: met -> holds, missed -> contradicted (one measurement, no seeds)."""
  return stats.RuleResult(rule=rule, outcome=stats.HOLDS if passed else stats.CONTRADICTED, text=text)


def _roofline(flops: float, bytes_: float) -> dict:
  """Lower-bound seconds on each chip: max(FLOPs / peak, bytes / bandwidth)."""
  return {chip: max(flops / f, bytes_ / bw) for chip, (f, bw) in CHIPS.items()}


def _f(x, digits=3):
  if x is None:
    return "—"
  if isinstance(x, str):
    return x
  return f"{x:.{digits}g}"


# ------------------------------------------------------------------------------------ linear x-entropy
def _lce_losses(hyper: dict):
  def naive(h, w, y):
    return jnp.mean(optax.softmax_cross_entropy_with_integer_labels((h @ w.T).astype(jnp.float32), y))

  def fused(h, w, y):
    return jnp.mean(linear_cross_entropy(h, w, y, impl="reference", **hyper))

  return naive, fused


def lce_arithmetic(n, d, v, dtype_bytes=2, bn=256, bv=512) -> dict:
  """FLOPs and HBM bytes of the naive path and of the Pallas kernels (loss + gradient) for one call."""
  logits = n * v * dtype_bytes
  naive_bytes = 5 * logits + 3 * (n * d + v * d) * dtype_bytes        # z out, softmax in/out, dz read twice
  fused_bytes = ((3 * (n // bn) * v * d) + 2 * (v // bv) * n * d + 2 * (n * d + v * d)) * dtype_bytes
  return {"naive_flops": 6 * n * v * d, "fused_flops": 8 * n * v * d,
          "naive_bytes": naive_bytes, "fused_bytes": fused_bytes}


def run_linear_ce(b, log=print) -> dict:
  naive, fused = _lce_losses(dict(b.hyper))
  grad = lambda f: jax.grad(f, (0, 1))
  dtype = jnp.dtype(b.dtype)
  rows = []
  for shape in b.shapes:
    n, d, v = shape["n"], shape["d"], shape["v"]
    spec = (jax.ShapeDtypeStruct((n, d), dtype), jax.ShapeDtypeStruct((v, d), dtype),
            jax.ShapeDtypeStruct((n,), jnp.int32))
    mem_n, mem_f = compiled_memory(grad(naive), *spec), compiled_memory(grad(fused), *spec)
    row = {"n": n, "d": d, "v": v, "naive": mem_n, "fused": mem_f,
           "memory_ratio": mem_f["temp_mib"] / mem_n["temp_mib"]}
    log(f"[lce N={n} D={d} V={v}] temp MiB naive {mem_n['temp_mib']:.1f}  fused {mem_f['temp_mib']:.1f}")
    k = jax.random.split(jax.random.key(0), 3)
    args = (jax.random.normal(k[0], (n, d), dtype), jax.random.normal(k[1], (v, d), dtype) / np.sqrt(d),
            jax.random.randint(k[2], (n,), 0, v))
    need = sum(mem_n.values()) * 1.3
    fns = {"fused": grad(fused)}
    if shape.get("time_naive", True) and need < 0.6 * available_mib():
      fns["naive"] = grad(naive)
    else:
      row["naive_skipped"] = (f"naive not timed: needs ~{need / 1024:.1f} GiB, "
                              f"{available_mib() / 1024:.1f} GiB available")
    t = interleaved_times(fns, args, b.rounds)
    row["time_s"] = t
    row["time_ratio"] = t["fused"] / t["naive"] if "naive" in t else None
    log(f"[lce N={n} D={d} V={v}] seconds {t}  ratios mem {row['memory_ratio']:.4f} time {row['time_ratio']}")
    rows.append(row)
  paper = None
  if b.get("paper_shape"):
    ps = b.paper_shape
    paper = {"shape": dict(ps), "arithmetic": lce_arithmetic(ps["n"], ps["d"], ps["v"])}
    for dt in ("bfloat16", "float32"):
      pspec = (jax.ShapeDtypeStruct((ps["n"], ps["d"]), dt), jax.ShapeDtypeStruct((ps["v"], ps["d"]), dt),
               jax.ShapeDtypeStruct((ps["n"],), jnp.int32))
      paper[dt] = {"loss_only": {"naive": compiled_memory(naive, *pspec), "fused": compiled_memory(fused, *pspec)},
                   "loss_and_grad": {"naive": compiled_memory(grad(naive), *pspec),
                                     "fused": compiled_memory(grad(fused), *pspec)}}
    log(f"[lce paper shape] {paper['bfloat16']['loss_and_grad']} {paper['float32']['loss_and_grad']}")
  th = b.thresholds
  main = rows[0]
  rules = [_rule(f"temporary memory ratio {main['memory_ratio']:.4f} <= {th['memory_ratio']:.4f} "
                 f"at N={main['n']}, V={main['v']}", main["memory_ratio"] <= th["memory_ratio"],
                 metric="memory_ratio", op="<=", value=th["memory_ratio"]),
           _rule(f"time ratio {_f(main['time_ratio'])} <= {th['time_ratio']} at N={main['n']}, V={main['v']}",
                 main["time_ratio"] is not None and main["time_ratio"] <= th["time_ratio"],
                 metric="time_ratio", op="<=", value=th["time_ratio"])]
  return {"rows": rows, "paper_shape": paper, "rules": rules}


# -------------------------------------------------------------------------------------- contrastive
def _con_losses(kind: str, block, ring_mesh):
  P = jax.sharding.PartitionSpec

  def call(x, y, t, b, **kw):
    if kind == "clip":
      return contrastive.clip_loss(x, y, t, **kw)
    return contrastive.siglip_loss(x, y, t, b, **kw)

  fns = {"dense": lambda x, y, t, b: jnp.mean(contrastive.dense_loss(x, y, t, b, kind)),
         "tiled": lambda x, y, t, b: jnp.mean(call(x, y, t, b, block_size=block, impl="reference"))}
  if ring_mesh is not None:
    ring = jax.shard_map(lambda x, y, t, b: call(x, y, t, b, block_size=block, axis_name="data"),
                         mesh=ring_mesh, in_specs=(P("data"), P("data"), P(), P()), out_specs=P("data"))
    fns["ring"] = lambda x, y, t, b: jnp.mean(ring(x, y, t, b))
  return fns


def run_contrastive(b, log=print) -> dict:
  rows = []
  ring_mesh = None
  if b.ring_devices > 1:
    if jax.device_count() < b.ring_devices:
      raise RuntimeError(f"the ring benchmark needs {b.ring_devices} devices, found {jax.device_count()}: "
                         "run it through benchmarks/kernels_contrastive.py (it sets XLA_FLAGS)")
    ring_mesh = jax.make_mesh((b.ring_devices,), ("data",), axis_types=(jax.sharding.AxisType.Auto,),
                              devices=jax.devices()[:b.ring_devices])
  for kind in b.kinds:
    for shape in b.shapes:
      n, d = shape["b"], shape["d"]
      fns = {k: jax.grad(f, (0, 1, 2, 3)) for k, f in _con_losses(kind, b.block, ring_mesh).items()}
      spec = (jax.ShapeDtypeStruct((n, d), jnp.float32),) * 2 + (jax.ShapeDtypeStruct((), jnp.float32),) * 2
      mem = {k: compiled_memory(f, *spec) for k, f in fns.items()}
      kx, ky = jax.random.split(jax.random.key(0))
      unit = lambda a: a / jnp.linalg.norm(a, axis=1, keepdims=True)
      args = (unit(jax.random.normal(kx, (n, d))), unit(jax.random.normal(ky, (n, d))), jnp.float32(10.0),
              jnp.float32(-10.0))
      t = interleaved_times(fns, args, b.rounds)
      row = {"kind": kind, "b": n, "d": d, "memory": mem, "time_s": t,
             "memory_ratio": {k: mem[k]["temp_mib"] / mem["dense"]["temp_mib"] for k in fns if k != "dense"},
             "time_ratio": {k: t[k] / t["dense"] for k in fns if k != "dense"}}
      log(f"[{kind} B={n} D={d}] temp MiB {({k: round(m['temp_mib'], 1) for k, m in mem.items()})} seconds {t}")
      rows.append(row)
  th = b.thresholds
  rules = []
  for row in rows:
    for k in row["memory_ratio"]:
      rules.append(_rule(f"{row['kind']} {k}: temporary memory ratio {row['memory_ratio'][k]:.4f} <= "
                         f"{th['memory_ratio']:.4f} at B={row['b']}", row["memory_ratio"][k] <= th["memory_ratio"],
                         metric=f"{row['kind']}/{k}/memory_ratio", op="<=", value=th["memory_ratio"]))
    rules.append(_rule(f"{row['kind']} tiled: time ratio {row['time_ratio']['tiled']:.3f} <= {th['time_ratio']} "
                       f"at B={row['b']}", row["time_ratio"]["tiled"] <= th["time_ratio"],
                       metric=f"{row['kind']}/tiled/time_ratio", op="<=", value=th["time_ratio"]))
  return {"rows": rows, "rules": rules}


def contrastive_arithmetic(bsz, d, kind, dtype_bytes=2) -> dict:
  """FLOPs and HBM bytes (loss + gradient) of the dense path and of the Pallas kernels."""
  passes_fwd = 2 if kind == "clip" else 1          # the Pallas clip forward runs the row kernel twice
  sim = bsz * bsz * dtype_bytes
  return {"naive_flops": 6 * bsz * bsz * d, "fused_flops": (2 * passes_fwd + 8) * bsz * bsz * d,
          "naive_bytes": 5 * sim + 6 * bsz * d * dtype_bytes,
          "fused_bytes": (passes_fwd + 2) * (bsz // 256) * bsz * d * dtype_bytes + 6 * bsz * d * dtype_bytes}


# ------------------------------------------------------------------------------------ two-pass softmax
def run_two_pass(b, log=print) -> dict:
  rows = []
  for shape in b.shapes:
    r, c = shape["rows"], shape["cols"]
    x = jax.random.normal(jax.random.key(0), (r, c)) * 10
    fns = {"three_pass": lambda x: jax.nn.softmax(x, axis=-1),
           "two_pass": lambda x: two_pass_softmax(x, impl="reference")}
    t = interleaved_times(fns, (x,), b.rounds)
    row = {"rows": r, "cols": c, "mib": r * c * 4 / MIB, "time_s": t, "time_ratio": t["two_pass"] / t["three_pass"]}
    log(f"[softmax {r}x{c}] {t}")
    rows.append(row)
  # exactness at extreme logits, against float64
  xs = np.array(jax.random.normal(jax.random.key(1), (8, 4096)) * 1000, np.float32)
  xs[0, 0], xs[1, :] = 9000.0, -9000.0
  x64 = xs.astype(np.float64)
  want = np.exp(x64 - x64.max(1, keepdims=True))
  want /= want.sum(1, keepdims=True)
  err2 = float(np.max(np.abs(np.asarray(two_pass_softmax(jnp.asarray(xs), impl="reference"), np.float64) - want)))
  err3 = float(np.max(np.abs(np.asarray(jax.nn.softmax(jnp.asarray(xs)), np.float64) - want)))
  finite = bool(np.all(np.isfinite(np.asarray(two_pass_softmax(jnp.asarray(xs))))))
  exact = {"two_pass_max_abs_error": err2, "three_pass_max_abs_error": err3, "finite": finite}
  rules = [_rule(f"max |error| vs float64 at logits up to ±9000: two-pass {err2:.2e} <= three-pass {err3:.2e} + "
                 f"1e-6, all finite", finite and err2 <= err3 + 1e-6, metric="max_abs_error", op="<=")]
  return {"rows": rows, "exactness": exact, "rules": rules}


RUNNERS = {"linear_ce": run_linear_ce, "contrastive": run_contrastive, "two_pass_softmax": run_two_pass}


def run(cfg, log=print) -> dict:
  """Runs the benchmark named by ``cfg.benchmark.kind``; returns the results with the verdict."""
  from lbrl.tools import verdicts
  b = cfg.benchmark
  out = RUNNERS[b.kind](b, log=log)
  rules = out.pop("rules")
  verdict = verdicts.decide(rules, variant=cfg.variant, not_testable=b.get("not_testable", ""),
                            partly_testable=b.get("partly_testable", ""))
  return {"slug": cfg.paper.slug, "kind": "benchmark", "variant": cfg.variant, "verdict": verdict,
          "rules": [r.to_json() for r in rules],
          "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
                     f"jax {jax.__version__}, {jax.device_count()} {jax.default_backend()} device(s)",
          "processors": [processor()],
          "method": METHOD,
          **out}


def processor() -> str:
  """This machine's processor model: the trainer's record (``lbrl.train.record.processor``, what run.json
  stores) where it exists, else ``/proc/cpuinfo``'s model name, else ``platform.processor()``."""
  try:
    from lbrl.train.record import processor as recorded
    return recorded()
  except ImportError:
    pass
  try:
    for line in open("/proc/cpuinfo"):
      if line.startswith("model name"):
        return line.split(":", 1)[1].strip()
  except OSError:
    pass
  return platform.processor() or platform.machine() or "unknown"


# --------------------------------------------------------------------------------------------- report
def _lce_section(res, cfg) -> list[str]:
  lines = ["| N | D | V | naive temp MiB | fused temp MiB | memory ratio | naive s/call | fused s/call | time ratio |",
           "|---|---|---|---|---|---|---|---|---|"]
  for r in res["rows"]:
    t = r["time_s"]
    lines.append(f"| {r['n']} | {r['d']} | {r['v']} | {r['naive']['temp_mib']:.1f} | {r['fused']['temp_mib']:.1f} "
                 f"| {r['memory_ratio']:.4f} (1/{1 / r['memory_ratio']:.0f}) | {_f(t.get('naive'))} | "
                 f"{_f(t['fused'])} | {_f(r['time_ratio'])} |")
  for r in res["rows"]:
    if "naive_skipped" in r:
      lines.append(f"\nN={r['n']}, V={r['v']}: {r['naive_skipped']}.")
  p = res.get("paper_shape")
  if p:
    s = p["shape"]
    lines += ["", f"**At the paper's Gemma 2 2B shape** (N={s['n']}, D={s['d']}, V={s['v']}; compiled for this CPU, "
              "not run): XLA's buffer sizes (MiB) beside the paper's numbers (MB, measured on an H100; its "
              "loss+gradient figure includes the classifier gradient, an output here).", "",
              "| quantity | dtype | naive (XLA, here) | fused reference (here) | paper: baseline | paper: CCE |",
              "|---|---|---|---|---|---|"]
    for dt in ("bfloat16", "float32"):
      ln, lf = p[dt]["loss_only"]["naive"], p[dt]["loss_only"]["fused"]
      gn, gf = p[dt]["loss_and_grad"]["naive"], p[dt]["loss_and_grad"]["fused"]
      lines += [f"| loss: temp | {dt} | {ln['temp_mib']:.0f} | {lf['temp_mib']:.1f} | 24,000 | 1 |",
                f"| loss + gradient: temp | {dt} | {gn['temp_mib']:.0f} | {gf['temp_mib']:.0f} | 28,000 | 1,164 |",
                f"| loss + gradient: temp + outputs | {dt} | {gn['temp_mib'] + gn['output_mib']:.0f} | "
                f"{gf['temp_mib'] + gf['output_mib']:.0f} | 28,000 | 1,164 |"]
    lines += ["", "In bfloat16, XLA:CPU computes bf16 dots and gathers in float32 and hoists that conversion of the "
              "whole classifier out of the block loop, so the fused path's CPU temporaries include one float32 "
              "copy of w (V x D x 4 bytes); TPUs and GPUs multiply bf16 natively, and the float32 rows show the "
              "fused path's own temporaries (about one [N, block] tile, dh and the per-token statistics)."]
    lines += ["", _roofline_table(
        p["arithmetic"], "Gemma 2 2B shape, bf16; Pallas TPU tiles 256 x 512",
        "Both sides are compute-bound at this shape, so the kernels' floor is the FLOP ratio 8/6 = 1.33 (the "
        "backward pass recomputes the logits); the paper removes most of that excess with gradient filtering "
        "(`grad_filter_eps` here), which skips the dh/dw matmuls of tiles whose softmax is below bf16 precision. "
        "The naive path's 5 passes over N x V logits cost little time on these chips; its problem is memory.")]
  return lines


def _roofline_table(a, what, note) -> str:
  rn, rf = _roofline(a["naive_flops"], a["naive_bytes"]), _roofline(a["fused_flops"], a["fused_bytes"])
  lines = [f"**What the Pallas kernels should reach** ({what}): lower bounds max(FLOPs / peak bf16 FLOP/s, "
           f"HBM bytes / bandwidth). Naive: {a['naive_flops']:.3g} FLOPs, {a['naive_bytes'] / 1e9:.3g} GB of HBM "
           f"traffic (dominated by ~5 passes over the logits); kernels: {a['fused_flops']:.3g} FLOPs (recompute), "
           f"{a['fused_bytes'] / 1e9:.3g} GB (operand tiles re-read per block, logits never leave VMEM/SRAM).", "",
           "| chip | peak bf16 TFLOP/s | HBM GB/s | naive bound ms | kernel bound ms | kernel / naive |",
           "|---|---|---|---|---|---|"]
  for chip, (f, bw) in CHIPS.items():
    lines.append(f"| {chip} | {f / 1e12:.0f} | {bw / 1e9:.0f} | {rn[chip] * 1e3:.1f} | {rf[chip] * 1e3:.1f} | "
                 f"{rf[chip] / rn[chip]:.2f} |")
  lines.append("\n" + note)
  return "\n".join(lines)


def _con_section(res, cfg) -> list[str]:
  lines = ["| loss | B | D | dense temp MiB | tiled temp MiB | ring temp MiB (per device) | tiled mem ratio | "
           "ring mem ratio | dense s | tiled s | ring s | tiled time ratio | ring time ratio |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
  for r in res["rows"]:
    m, t, mr, tr = r["memory"], r["time_s"], r["memory_ratio"], r["time_ratio"]
    g = lambda d, k, f="{:.1f}": f.format(d[k]) if k in d else "—"
    lines.append(f"| {r['kind']} | {r['b']} | {r['d']} | {m['dense']['temp_mib']:.1f} | {m['tiled']['temp_mib']:.1f} | "
                 f"{g(m.get('ring', {}), 'temp_mib')} | {g(mr, 'tiled', '{:.4f}')} | "
                 f"{g(mr, 'ring', '{:.4f}')} | {g(t, 'dense', '{:.2f}')} | {g(t, 'tiled', '{:.2f}')} | "
                 f"{g(t, 'ring', '{:.2f}')} | {g(tr, 'tiled', '{:.3f}')} | {g(tr, 'ring', '{:.3f}')} |")
  for kind in cfg.benchmark.kinds:
    lines += ["", _roofline_table(
        contrastive_arithmetic(2 ** 20, 768, kind), f"{kind}, B = 2^20 pairs on one chip, D = 768, bf16, 256-row tiles",
        "Compute-bound: the kernels' floor is their FLOP ratio (recompute in the backward pass; the Pallas clip "
        "forward runs the row kernel on (x, y) and on (y, x)); the dense B x B float32 logits alone would need "
        f"{2 ** 40 * 4 / 2 ** 40:.0f} TiB, far beyond any chip's HBM.")]
  lines += ["", f"The ring's time on this machine runs {cfg.benchmark.ring_devices} simulated devices on the same "
            "2 cores, so its time ratio measures overhead, not speed-up; its memory is per device."
            if cfg.benchmark.ring_devices > 1 else ""]
  return lines


def _two_pass_section(res, cfg) -> list[str]:
  lines = ["| rows x cols | MiB | three-pass s (jax.nn.softmax) | two-pass s (reference) | ratio |", "|---|---|---|---|---|"]
  for r in res["rows"]:
    lines.append(f"| {r['rows']} x {r['cols']} | {r['mib']:.0f} | {r['time_s']['three_pass']:.4f} | "
                 f"{r['time_s']['two_pass']:.4f} | {r['time_ratio']:.3f} |")
  e = res["exactness"]
  lines += ["", f"Exactness at logits up to ±9000 (exp overflows float32 beyond 88.7): max |error| vs float64 "
            f"two-pass {e['two_pass_max_abs_error']:.2e}, three-pass {e['three_pass_max_abs_error']:.2e}; "
            f"all finite: {e['finite']}."]
  return lines


SECTIONS = {"linear_ce": _lce_section, "contrastive": _con_section, "two_pass_softmax": _two_pass_section}


def section(res, cfg) -> list[str]:
  """The report's results section for a benchmark: method, machine, the kind's table."""
  b = cfg.benchmark
  lines = [f"**Paper's setting.** {cfg.paper.setting} ({cfg.paper.hardware})", "",
           f"**Expected here.** {cfg.paper.expected}", "", f"**Method.** {res['method']}", "",
           f"Machine: {res['machine']}.", ""]
  lines += SECTIONS[b.kind](res, cfg)
  if b.get("notes"):
    lines += ["", "**Notes.** " + b.notes]
  return lines
