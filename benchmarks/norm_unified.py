"""Inference cost of LayerNorm vs Unified Normalization folded into the linear layers (slug
unified_normalization_accelerating_stabilizing; Yang et al., 2022, arXiv:2208.01313).

UN's inference map ``a * x + b`` folds into the next linear layer (:func:`lbrl.models.norm_unified.fold_into_dense`,
tested exact), so a UN Transformer at inference *is* the same Transformer without normalization layers and with
biases on the linear maps that follow a norm. This script measures what that saves against the LayerNorm model on
this machine: the eval forward pass of ``TransformerLM(norm="layer", use_bias=True)`` vs
``TransformerLM(norm="none", use_bias=True)`` (the folded UN model), both jitted, timed in interleaved rounds
(median), and XLA's temporary-buffer size of each compiled forward. The paper's 31% / 18% are GPU measurements
of its own kernels; a CPU ratio is reported as a measurement, not as a verdict on that claim.

Usage: ``nice python benchmarks/norm_unified.py [--layers 6 --width 384 --batch 8 --context 256 --rounds 20]``
(prints one JSON line).
"""
from __future__ import annotations

import argparse
import json

import jax
import jax.numpy as jnp

from lbrl.models.transformer import TransformerLM
from lbrl.tools.kinds.benchmark import compiled_memory, interleaved_times


def measure(layers: int, width: int, heads: int, batch: int, context: int, rounds: int, vocab: int = 65) -> dict:
  x = jnp.zeros((batch, context), jnp.int32)
  fns = {}
  for name, norm in (("layernorm", "layer"), ("unified_folded", "none")):
    m = TransformerLM(vocab_size=vocab, num_layers=layers, num_heads=heads, width=width, max_len=context,
                      use_bias=True, norm=norm)
    params = m.init(jax.random.key(0), x)
    fns[name] = (lambda m_, p_: (lambda ids: m_.apply(p_, ids)))(m, params)
  times = interleaved_times(fns, (x,), rounds)
  mem = {k: compiled_memory(f, x)["temp_mib"] for k, f in fns.items()}
  return {"layers": layers, "width": width, "batch": batch, "context": context, "rounds": rounds,
          "seconds": times, "temp_mib": mem,
          "time_ratio_folded_over_layernorm": times["unified_folded"] / times["layernorm"],
          "memory_ratio_folded_over_layernorm": mem["unified_folded"] / max(mem["layernorm"], 1e-12)}


def main():
  ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  ap.add_argument("--layers", type=int, default=6)
  ap.add_argument("--width", type=int, default=384)
  ap.add_argument("--heads", type=int, default=6)
  ap.add_argument("--batch", type=int, default=8)
  ap.add_argument("--context", type=int, default=256)
  ap.add_argument("--rounds", type=int, default=20)
  a = ap.parse_args()
  print(json.dumps(measure(a.layers, a.width, a.heads, a.batch, a.context, a.rounds)))


if __name__ == "__main__":
  main()
