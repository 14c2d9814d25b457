"""Decoder-only Transformer language model (GPT-style, pre-LN).

    h_0 = E[x_t] (+ P[t] with learned positions)
    h_l = h_{l-1} + Attn_causal(LN(h_{l-1})),  h_l = h_l + MLP(LN(h_l))     for l = 1..L
    logits = LN_f(h_L) @ U^T,   U = E when the embeddings are tied

Attention is causal (position t sees positions <= t); positions are rotary (RoPE, Su et al., 2021,
arXiv:2104.09864; no position parameters) or learned (``max_len`` x ``width`` table). MLP hidden width
is ``mlp_ratio * width`` with GELU. Weights are initialised N(0, 0.02^2) as in GPT-2 (Radford et al.,
2019).

Hyperparameters (defaults): ``vocab_size`` (None: filled from the dataset), ``num_layers=4``,
``num_heads=4``, ``width=128``, ``mlp_ratio=4``, ``max_len=256``, ``positions="rope"`` ("rope" or
"learned"), ``tie_embeddings=True``, ``use_bias=False``, ``dropout=0.0``; normalization (:mod:`lbrl.models.norm`):
``norm="layer"`` (any name of ``make_norm``), ``placement="pre"`` ("post": Post-LN, no final norm;
"sandwich"), ``residual_scale=1.0`` (a number, "1/sqrt(L)" or "1/L" over the ``2 * num_layers``
branches), ``skip_scale=1.0`` (the shortcut's multiplier: ``h <- skip_scale * h + residual_scale * F(h)``;
DeepScaleLM's lambda, beta: :func:`lbrl.optim.parametrization.deepscalelm_scales`),
``layernorm_scaling=False`` (LayerNorm Scaling: layer ``l``'s pre-norms times ``1/sqrt(l)``),
``embed_scale=1.0`` (a number or "sqrt(d)": the embeddings times it before the first block, Spike No
More's Scaled Embed, Takase et al., 2023, arXiv:2312.16903; the unembedding is unchanged), ``gpas=False``
(GPAS: after each sub-layer of block ``l`` (attention and MLP, after the residual sum),
``h <- h - SiLU(a_l) * stop_gradient(h)`` with a learned scalar ``a_l`` (init 0, ``block_l/gpas``) shared
by the block's two sub-layers as in the authors' code (github.com/dandingsky/GPAS, ``GPASBlock``): the
forward activations shrink by ``1 - SiLU(a_l)`` while the gradient to ``h`` passes unscaled; Chen et al.,
"GPAS: Accelerating Convergence of LLM Pretraining via Gradient-Preserving Activation Scaling", 2025,
arXiv:2506.22049); ``head="dense"`` (``"vq"``:
the VQ-Logits codebook head of :mod:`lbrl.models.vq_head` with ``vq_codes`` codes, map v -> v mod K,
``vq_token_bias=False``, ``vq_assign="state"`` (``"params"``: the map is a frozen parameter that
``config.init.transform="vq_from_dense"`` sets from a trained dense head); the output layer then holds
K*D (+ V) parameters instead of V*D); ``lir=False``
(Layer Index Rescaling, Owen et al., "Variance Control via Weight Rescaling in LLM Pre-training", 2025,
arXiv:2503.17500: the kernels of block ``l = 1..L`` are drawn N(0, (0.02 / sqrt(l))^2), embeddings unchanged).

Parameter count: ``V*D`` (embedding) ``+ L*(12*D^2 + 2*D)`` (blocks: q, k, v, out 4*D^2, MLP 8*D^2, two
LayerNorm scales 2*D) ``+ D`` (final LayerNorm) ``[+ T*D learned positions] [+ V*D untied
unembedding]``; ``use_bias`` adds ``11*D`` per block (q, k, v, out, MLP and LayerNorm offsets) and ``D``
for the final LayerNorm. At the defaults with ``vocab_size=65`` (Tiny Shakespeare characters):
65*128 + 4*(12*128^2 + 2*128) + 128 = **795,904**. The nanoGPT shakespeare-char model (6 layers, 6
heads, 384 wide, learned positions over 256, tied, bias-free) has 65*384 + 256*384 + 6*(12*384^2 +
2*384) + 384 = **10,745,088** (nanoGPT prints 10.65M, which leaves out the position table).

``model.apply(variables, x, return_hidden=True)`` returns ``(hidden [B, T, D], unembed [V, D])``, the
final-LayerNorm hidden states and the unembedding matrix, so that a fused/chunked linear
cross-entropy can compute the loss without materialising the ``[B, T, V]`` logits.
"""
from __future__ import annotations

import functools
import math
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from lbrl.models import _layers as L
from lbrl.models import norm as N


class TransformerLM(nn.Module):
  """Decoder-only pre-LN Transformer LM: ``x [B, T]`` int tokens -> logits ``[B, T, vocab_size]``."""
  vocab_size: int | None = None
  num_layers: int = 4
  num_heads: int = 4
  width: int = 128
  mlp_ratio: int = 4
  max_len: int = 256
  positions: str = "rope"
  tie_embeddings: bool = True
  use_bias: bool = False
  dropout: float = 0.0
  dtype: Any = jnp.float32
  param_dtype: Any = jnp.float32
  norm: str = "layer"
  placement: str = "pre"
  residual_scale: Any = 1.0
  skip_scale: float = 1.0      # the shortcut's multiplier (DeepScaleLM's lambda)
  layernorm_scaling: bool = False
  embed_scale: Any = 1.0
  gpas: bool = False
  norm_options: Any = ()       # extra norm-layer fields, e.g. (("warmup_iters", 4000),) for PowerNorm
  attention: str = "softmax"   # "sigmoid": sigmoid attention with attention_bias (lbrl.models.attention)
  attention_bias: Any = "-log n"
  head: str = "dense"          # "vq": VQ-Logits codebook head (lbrl.models.vq_head), vq_codes codes
  vq_codes: int = 0
  vq_token_bias: bool = False
  vq_assign: str = "state"      # VQ map c: "state" (fixed v mod K, collection "vq") | "params" (set by vq_from_dense)
  lir: bool = False            # Layer Index Rescaling: block l's kernels N(0, (init_std / sqrt(l))^2) (lbrl.optim.norm_rescaling)
  init_std: float = 0.02       # base std of the block kernels, learned positions and untied unembedding (GPT-2: 0.02)
  linear: Any = ()             # block projections low-rank / LOST (lbrl.models.lowrank_sparse: rank, channels, budget_rank)

  def _attention_module(self):
    if self.attention == "softmax":
      return None
    if self.attention == "sigmoid":
      from lbrl.models.attention import SigmoidAttention
      return functools.partial(SigmoidAttention, bias=self.attention_bias)
    raise ValueError(f"TransformerLM.attention={self.attention!r}; expected 'softmax' or 'sigmoid'")

  @nn.compact
  def __call__(self, x, *, train: bool = False, return_hidden: bool = False):
    if self.vocab_size is None:
      raise ValueError("TransformerLM.vocab_size is unset: give model.vocab_size or a dataset with a vocabulary")
    if self.positions not in ("rope", "learned"):
      raise ValueError(f"TransformerLM.positions must be 'rope' or 'learned', got {self.positions!r}")
    if x.ndim != 2:
      raise ValueError(f"TransformerLM expects token ids [batch, time], got shape {x.shape}")
    t = x.shape[1]
    kw = dict(dtype=self.dtype, param_dtype=self.param_dtype)
    embed = L.Embed(self.vocab_size, self.width, name="embed", **kw)
    h = embed(x)
    if self.embed_scale != 1.0:
      h = h * jnp.asarray(N.embed_scale_value(self.embed_scale, self.width), h.dtype)
    if self.positions == "learned":
      if t > self.max_len:
        raise ValueError(f"sequence length {t} exceeds TransformerLM.max_len={self.max_len}")
      pos = self.param("pos_embed", nn.initializers.normal(self.init_std), (self.max_len, self.width), self.param_dtype)
      h = h + jnp.asarray(L.gather(pos)[:t], self.dtype)[None]
    h = nn.Dropout(self.dropout)(h, deterministic=not train)
    alpha = N.residual_scale_value(self.residual_scale, 2 * self.num_layers)
    if self.linear and self.attention != "softmax":
      raise ValueError(f"TransformerLM.linear needs attention='softmax', got {self.attention!r}")
    if self.lir and self.attention != "softmax":
      raise ValueError(f"TransformerLM.lir needs attention='softmax', got {self.attention!r}")
    for i in range(self.num_layers):
      h = L.Block(self.num_heads, mlp_dim=self.mlp_ratio * self.width, causal=True,
                  use_rope=self.positions == "rope", use_bias=self.use_bias, dropout=self.dropout,
                  norm=self.norm, placement=self.placement, residual_scale=alpha, skip_scale=float(self.skip_scale),
                  norm_multiplier=1 / math.sqrt(i + 1) if self.layernorm_scaling else 1.0,
                  attention_module=self._attention_module(),
                  init_std=self.init_std / math.sqrt(i + 1) if self.lir else self.init_std,
                  norm_options=N.norm_options(self.norm_options),
                  gpas=self.gpas, linear=tuple(sorted(dict(self.linear).items())), name=f"block_{i}", **kw)(h, train=train)
    if self.placement != "post":
      h = N.make_norm(self.norm, use_bias=self.use_bias, train=train, name="ln_f", **kw)(h)
    if self.head not in ("dense", "vq"):
      raise ValueError(f"TransformerLM.head must be 'dense' or 'vq', got {self.head!r}")
    if self.head == "vq":   # VQ-Logits: z_v = h . e_{c(v)} (+ b_v) from vq_codes codes instead of V x D
      from lbrl.models.vq_head import VQHead
      if self.vq_assign not in ("state", "params"):
        raise ValueError(f"TransformerLM.vq_assign must be 'state' or 'params', got {self.vq_assign!r}")
      vq = VQHead(self.vocab_size, self.vq_codes, token_bias=self.vq_token_bias,
                  assign_in_params=self.vq_assign == "params", dtype=self.dtype, name="vq_head")
      if not return_hidden:
        logits = vq(h)
        return L.gather(logits, keep=L.data_axes(logits))
      codebook, assign, bias = vq(h, return_parts=True)
      if bias is not None:
        raise ValueError("TransformerLM: return_hidden with a VQ head needs vq_token_bias=False (logits h . e_c(v))")
      return h, jnp.take(jnp.asarray(codebook, self.dtype), assign, axis=0)   # [V, D]: the fused CE composes
    if self.tie_embeddings:
      unembed = jnp.asarray(embed.embedding, self.dtype)
    else:
      unembed = jnp.asarray(self.param("unembed", nn.initializers.normal(self.init_std), (self.vocab_size, self.width),
                                       self.param_dtype), self.dtype)
    if not return_hidden:
      logits = L.dot_general(h, unembed, (((h.ndim - 1,), (1,)), ((), ())))
      return L.gather(logits, keep=L.data_axes(logits))  # vocabulary unsharded: any loss works on it
    return h, unembed

  @classmethod
  def sharding_rules(cls) -> list[tuple[str, tuple]]:
    """Vocabulary over ``"model"`` for the embedding/head, Megatron blocks, FSDP storage over ``"fsdp"``."""
    return [
        (r".*embed/embedding", ("model", "fsdp")),
        (r".*pos_embed", (None, "fsdp")),
        (r".*unembed", ("model", "fsdp")),
    ] + L.block_sharding_rules()


def generate(model: TransformerLM, variables, prompt, num_tokens: int, *, seed: int = 0,
             temperature: float = 1.0, top_k: int | None = None, context: int | None = None):
  """Autoregressive sampling: ``prompt [B, P]`` int ids -> ``[B, P + num_tokens]``.

  Each new token is drawn from ``softmax(logits / temperature)`` at the last position (restricted to the
  ``top_k`` most likely tokens if given; ``temperature=0`` is greedy). The model sees at most the last
  ``context`` tokens (default ``model.max_len``); shorter windows are right-padded, which the causal mask
  makes invisible to the position being predicted. No KV cache: meant for short samples.
  """
  import jax
  import numpy as np
  prompt = np.asarray(prompt, np.int32)
  if prompt.ndim != 2 or prompt.shape[1] < 1:
    raise ValueError(f"generate: prompt must be int ids [batch, length >= 1], got shape {prompt.shape}")
  c = int(context or model.max_len)

  @jax.jit
  def step(window, last, key):
    logits = model.apply(variables, window)[jnp.arange(window.shape[0]), last].astype(jnp.float32)
    if temperature == 0:
      return jnp.argmax(logits, -1).astype(jnp.int32)
    if top_k is not None:
      kth = jax.lax.top_k(logits, top_k)[0][:, -1:]
      logits = jnp.where(logits < kth, -jnp.inf, logits)
    return jax.random.categorical(key, logits / temperature).astype(jnp.int32)

  out = prompt
  key = jax.random.PRNGKey(seed)
  for _ in range(int(num_tokens)):
    key, sub = jax.random.split(key)
    n = out.shape[1]
    window = out[:, -c:] if n >= c else np.pad(out, ((0, 0), (0, c - n)))
    nxt = np.asarray(step(jnp.asarray(window), min(n, c) - 1, sub))
    out = np.concatenate([out, nxt[:, None]], axis=1)
  return out


def sample_text(model: TransformerLM, variables, vocab: str, *, prompt: str = "\n", num_tokens: int = 200,
                seed: int = 0, temperature: float = 0.8, top_k: int | None = None) -> str:
  """A text sample from a character-level model (``vocab[i]`` is token ``i``'s character)."""
  table = {ch: i for i, ch in enumerate(vocab)}
  missing = sorted(set(prompt) - set(table))
  if missing:
    raise ValueError(f"sample_text: prompt characters {missing} are not in the vocabulary")
  ids = generate(model, variables, [[table[ch] for ch in prompt]], num_tokens, seed=seed,
                 temperature=temperature, top_k=top_k)
  return "".join(vocab[int(i)] for i in ids[0])
