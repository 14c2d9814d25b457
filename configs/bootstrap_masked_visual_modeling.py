"""HPM, journal extension (Wang, Song, Fan, Wang, Xie, Zhang, "Bootstrap Masked Visual Modeling via Hard
Patches Mining", 2023, arXiv:2312.13714): the hard-patches MAE of CVPR 2023 (a loss predictor trained
with a relative objective; the patches it predicts hardest are masked, easy-to-hard) carried to video
and other MIM targets; the model "bootstraps" its own curriculum.

Claim: the easy-to-hard curriculum of predicted-hard masks improves masked visual modeling; the
relative (ranking) loss-prediction objective is better than regressing the loss values (the paper's
ablation: relative > absolute).
cpu:   the same MNIST-digit MIM protocol as hard_patches_mining_masked (lbrl.data.ssl_protocol.mnist5k_mim:
       2,000 digits, 7x7 patches, mask 0.75, width-64 MAE, 500 steps); arms: hpm (relative objective,
       guided masks), hpm_absolute (the standardised-loss regression), mae (random masks, no predictor).
       Linear probe of the mean-pooled encoder. 5 seeds. The hpm and mae arms are the same runs as
       hard_patches_mining_masked's (equal overrides and training config, checked by the sweep's training
       hash): their records are shared, only hpm_absolute is trained for this report.
paper: ImageNet-1K (ViT-B/L) and Kinetics-400 / Something-Something v2 video (VideoMAE backbones).
"""
from lbrl import config as common
from lbrl.data import ssl_protocol


def get_config(arg=None):
  c, variant = common.base(arg)
  ssl_protocol.mnist5k_mim(c, variant, steps=500)
  c.paper.update(
      title="Bootstrap Masked Visual Modeling via Hard Patches Mining", year=2023, arxiv="2312.13714",
      slug="bootstrap_masked_visual_modeling", provides="module",
      code="lbrl.models.ssl_mim.HardPatchesMAE + lbrl.losses.contrastive.hpm (relative=True/False)",
      claim="loss-guided easy-to-hard masking improves masked image and video modeling; relative loss prediction "
            "beats absolute",
      expected="HPM above MAE/VideoMAE on ImageNet-1K, K400 and SSv2 fine-tuning; relative above absolute in the ablation",
      setting="ImageNet-1K ViT-B/16 800 epochs; K400/SSv2 with VideoMAE ViT-B, 800 epochs",
      hardware="GPUs (paper)")
  c.sweep.seeds = [0, 1, 2, 3, 4]
  c.sweep.metric = "post/ssl_probe/linear_accuracy"
  c.sweep.arms = {"hpm": {}, "hpm_absolute": {"loss": {"relative": False}},
                  "mae": {"model": {"learn_loss": False, "hard_masking": False}}}
  c.sweep.rules = [{"arm": "hpm", "op": ">", "than": "mae", "margin": 0.01},
                   {"arm": "hpm", "op": ">", "than": "hpm_absolute", "margin": 0.005}]
  c.sweep.not_testable = "video MIM (Kinetics-400, Something-Something v2) needs video data and VideoMAE backbones."
  c.sweep.partly_testable = "the image claims are tested with a linear probe on real MNIST digits, not ImageNet fine-tuning."
  if variant == "paper":
    ssl_protocol.mim_paper(c, epochs=800)
  return common.finalize(c)
