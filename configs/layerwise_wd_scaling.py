"""Robust Layerwise Scaling Rules by Proper Weight Decay Tuning (Fan, Liu, Zhao, Yuan & Gu, 2025,
arXiv:2510.15262).

Claim: under AdamW with muP learning rates, the weight decay that is optimal at a proxy width transfers
zero-shot to wider models when matrix-like parameters use lambda_2 ~ sqrt(d) (with eta_2 ~ 1/d) and
vector-like ones eta_1 = Theta(1), lambda_1 = 0 (Table 2); the top singular value of each matrix then
stays matched across widths (their "sublayer gain" diagnostic). Without it (muP's width-independent
per-step decay), the optimal decay drifts with width in the normalised steady state.
cpu:   MNIST-1D, lbrl ``res_mlp`` (Pre-LN, depth 4, the scale-invariant setting the paper targets), AdamW at
       lr 3e-3 (muP, base width 64), batch 128, 1500 steps (past ~1/(eta lambda) steps: the steady state);
       grid: rule (``mup``: per-step decay independent of width; ``layerwise_wd``: Table 2) x width
       (64 and 512: the 8x extremes, shrunk from 64..512 to fit a CPU sweep of 60 runs) x weight decay
       (0.03..3, half-decade steps) x 3 seeds; metric: test loss. Rules: the
       layerwise rule's plausible optimal decays (paired 95%) within one grid step at every width; muP's
       move by more than one step. The top-singular-value diagnostic (``top_singular_values``) and the
       rule itself (``lbrl.optim.parametrization.layerwise_wd``, tested against Table 2) are in lbrl.
paper: LLaMA-style Transformers on C4-scale text (proxy width 256 -> target widths), AdamW.
"""
from lbrl import config as common
from lbrl.optim import parametrization

WIDTHS = (64, 512)
WDS = (0.03, 0.1, 0.3, 1.0, 3.0)
BASE_WIDTH = 64


def get_config(arg=None):
  c, variant = common.base(arg)
  width = 16 if variant == "smoke" else BASE_WIDTH
  c.model = common.free(name="res_mlp", width=width, depth=4, norm="layer", placement="pre")
  c.optimizer = common.free(name="adamw", learning_rate=3e-3, weight_decay=0.3)
  # stem / head are vector-like (lambda_1 = 0) at every width, the base included: named by roles
  p13n = dict(optimizer="adam", input_shape=(1, 40), roles=[("^stem/", "input"), ("^head/", "output")],
              base_model=dict(name="res_mlp", width=width, depth=4, norm="layer", placement="pre",
                              num_classes=10))
  parametrization.transfer_grid(
      c, names=("mup", "layerwise_wd"), size_axis="model.width",
      sizes=common.by_variant(variant, smoke=(16, 32), cpu=WIDTHS, paper=WIDTHS),
      hp_axis="optimizer.weight_decay", hps=common.by_variant(variant, smoke=(0.1, 1.0), cpu=WDS, paper=WDS),
      p13n=p13n, steps=common.by_variant(variant, smoke=2, cpu=1500, paper=1500),
      log_every=common.by_variant(variant, smoke=1, cpu=250, paper=250),
      seeds=common.by_variant(variant, smoke=[0], cpu=[0, 1, 2], paper=[0, 1, 2]), eval_split=None)
  c.paper.update(
      title="Robust Layerwise Scaling Rules by Proper Weight Decay Tuning", year=2025, arxiv="2510.15262",
      slug="layerwise_wd_scaling", provides="transform",
      code="lbrl.optim.parametrization.layerwise_wd (wd_scaling='sqrt_width'); "
           "lbrl.analysis.coord_check.top_singular_values (diagnostic top_singular_values)",
      claim="AdamW weight decay lambda_2 ~ sqrt(d) for matrix-like parameters (with muP's eta_2 ~ 1/d) and "
            "lambda_1 = 0 for vector-like ones transfers the optimal decay across widths zero-shot",
      expected="layerwise rule: plausible optimal weight decays within one half-decade step at widths "
               "64 and 512; muP's width-independent decay: the optimum moves",
      setting="LLaMA-style Transformers (AdamW, muP learning rates) and a minimal synthetic setting; no numbers",
      hardware="GPU (paper)")
  c.sweep.partly_testable = ("an MLP stack stands in for the LLaMA-style Transformers; the singular-value "
                             "observation (top singular value ~ sqrt(eta/lambda) d^0.75) is logged by the "
                             "diagnostic, not ruled on")
  if variant == "paper":
    common.cpu_sized(c, "the paper's synthetic setting is CPU-sized and its LLaMA runs state no numbers; the "
                        "cpu grid is the minimal synthetic check the paper describes")
  return common.finalize(c)
