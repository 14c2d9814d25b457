"""Heavy-tailed class imbalance (Kunstner, Yadav, Milligan, Schmidt & Bietti, "Heavy-Tailed Class
Imbalance and Why Adam Outperforms Gradient Descent on Language Models", 2024, arXiv:2402.19449).

Claim: with heavy-tailed class frequencies, (stochastic) gradient descent makes slow progress on the
rare classes, while Adam and sign descent do not; with balanced classes the gap vanishes. Shown on a
linear softmax model (and Transformers), where the effect comes from the class imbalance itself.
cpu:   scikit-learn digits, multinomial logistic regression (a linear softmax model), batch 128, 500
       steps, constant learning rate. Long-tailed training set: exponential subsample with head/tail
       ratio 100 (about 144 images of the most frequent class down to 1 of the rarest); balanced: the
       full training set. The metric is the balanced (per-class mean) accuracy on the balanced test
       set, a proxy for how well the rare classes were fitted. Learning rates were chosen per optimizer
       on the *balanced* set from {0.1, 1, 10} (SGD: 10), {1e-3, 1e-2, 1e-1} (Adam: 0.1) and
       {1e-3, 1e-2, 1e-1} (sign descent: 0.01) by one run each (test accuracy 0.975 / 0.967 / 0.964), so
       the choice does not favour the claim. 3 seeds (the long-tail subsample and the initialisation),
       about a minute on 2 cores.
paper: linear models and Transformers on WikiText / PTB tokens and on a vision set with heavy-tailed
       class frequencies; per-frequency-bin training loss curves (figures).
"""
from lbrl import config as common


def get_config(arg=None):
  c, variant = common.base(arg)
  c.data.update(name="digits", batch_size=128, eval_batch_size=360,
                transforms=[{"name": "long_tail", "imbalance_ratio": 100}])
  c.model = common.free(name="logreg")
  c.loss.name = "cross_entropy"
  c.optimizer = common.free(name="adam", learning_rate=0.1)
  c.eval_metrics = ["loss", "accuracy", "balanced_accuracy"]
  c.steps = common.by_variant(variant, smoke=2, cpu=500, paper=500)
  c.eval_every = common.by_variant(variant, smoke=0, cpu=100, paper=100)
  c.log_every = common.by_variant(variant, smoke=1, cpu=100, paper=100)
  c.paper.update(
      title="Heavy-Tailed Class Imbalance and Why Adam Outperforms Gradient Descent on Language Models",
      year=2024, arxiv="2402.19449", slug="heavy_tailed_imbalance", provides="transform",
      code="lbrl.optim.descent.sign_descent (optax.sign_sgd), optax.adam, optax.sgd",
      claim="under heavy-tailed class imbalance GD fits rare classes slowly while Adam and sign descent "
            "do not; with balanced classes the gap vanishes",
      expected="long-tailed: Adam > SGD and sign descent > SGD on balanced accuracy; balanced: Adam "
               "ties SGD",
      setting="linear softmax models and Transformers on language-model data", hardware="GPU (paper)")
  c.sweep.metric = "eval/balanced_accuracy"
  opts = {"sgd": {"name": "sgd", "learning_rate": 10.0}, "adam": {"name": "adam", "learning_rate": 0.1},
          "sign": {"name": "sign_descent", "learning_rate": 0.01}}
  arms = {}
  for k, o in opts.items():
    arms[f"{k}_longtail"] = {"optimizer": o}
    arms[f"{k}_balanced"] = {"optimizer": o, "data": {"transforms": []}}
  c.sweep.arms = arms
  c.sweep.rules = [{"arm": "adam_longtail", "op": ">", "than": "sgd_longtail"},
                   {"arm": "sign_longtail", "op": ">", "than": "sgd_longtail"},
                   {"arm": "adam_balanced", "op": "tie", "than": "sgd_balanced"}]
  if variant == "paper":
    # Kunstner et al., Sec. 2: GPT2-Small on WikiText-103, Adam vs SGD, with per-frequency-bin training
    # loss. TFDS has no WikiText-103: the stand-in is One Billion Word (lm1b) with the GPT-2 tokenizer,
    # context 1024, batch 32 sequences, 100 epochs' worth of steps replaced by 100,000 steps (assumed).
    common.paper_run(c, data="lm1b", batch=32, steps=100_000, devices=8,
                     model=dict(name="gpt2_small", vocab_size=50_257, max_len=1024), optimizer=dict(name="adam", learning_rate=3e-4),
                     schedule=dict(name="cosine", warmup_steps=1000), grad_clip_norm=1.0,
                     compute_dtype="bfloat16")
    c.paper.update(hardware="8 GPUs",
                   expected="Adam's training loss falls on the rare-token bins where SGD's stays flat (the "
                            "paper's Figure 1); no single number")
  return common.finalize(c)
