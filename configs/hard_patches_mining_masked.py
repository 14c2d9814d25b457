"""Hard Patches Mining (Wang, Song, Fan, Wang, Xie, Zhang, "Hard Patches Mining for Masked Image
Modeling", CVPR 2023, arXiv:2304.05919): an MAE that also learns to predict, per patch, how hard it is to
reconstruct (a relative, pairwise objective), and masks the patches it predicts hardest (an easy-to-hard
share of the mask, the rest random), so the model becomes its own teacher of what to learn.

Claim: HPM learns better representations than MAE at the same budget (ImageNet-1K fine-tuning,
ADE20K segmentation); the loss-prediction objective alone already helps (table 4 ablation).
cpu:   real MNIST digits (mnist5k: 2,000 training images for pre-training), 7x7 patches, mask ratio 0.75,
       a width-64 transformer MAE (encoder depth 2, decoder depth 1), AdamW 1e-3, batch 128, 500 steps;
       arms: hpm (loss predictor + guided masks ramping to half of the masked patches), mae (random masks,
       no predictor), predictor_only (the predictor, random masks). Linear probe of the mean-pooled
       encoder features (fitted on the other 2,000 training images, scored on the 1,000 test images).
       5 seeds. The guided mask comes from the online network itself (stop-gradient), not its EMA.
paper: ImageNet-1K, ViT-B/16 and ViT-L/16, 200-1600 epochs, batch 4096, AdamW; fine-tuning top-1 and
       ADE20K mIoU above MAE.
"""
from lbrl import config as common
from lbrl.data import ssl_protocol


def get_config(arg=None):
  c, variant = common.base(arg)
  ssl_protocol.mnist5k_mim(c, variant, steps=500)
  c.paper.update(
      title="Hard Patches Mining for Masked Image Modeling", year=2023, arxiv="2304.05919",
      slug="hard_patches_mining_masked", provides="module",
      code="lbrl.models.ssl_mim.HardPatchesMAE + lbrl.losses.contrastive.hpm",
      claim="predicting patch-wise reconstruction difficulty and masking the hard patches beats MAE's random "
            "masks; the loss-prediction objective alone already helps",
      expected="HPM above MAE on ImageNet-1K fine-tuning and ADE20K segmentation at equal epochs (ViT-B/16, ViT-L/16)",
      setting="ImageNet-1K, ViT-B/16, 200-1600 epochs, batch 4096, AdamW 1.5e-4 x B/256, mask ratio 0.75",
      hardware="GPUs (paper: 8-32 A100)")
  c.sweep.seeds = [0, 1, 2, 3, 4]
  c.sweep.metric = "post/ssl_probe/linear_accuracy"
  c.sweep.arms = {"hpm": {},
                  "mae": {"model": {"learn_loss": False, "hard_masking": False}},
                  "predictor_only": {"model": {"hard_masking": False}}}
  c.sweep.rules = [{"arm": "hpm", "op": ">", "than": "mae", "margin": 0.01},
                   {"arm": "predictor_only", "op": ">", "than": "mae", "margin": 0.005}]
  c.sweep.partly_testable = ("ImageNet fine-tuning and ADE20K need ViT pre-training at scale; the ordering of "
                             "HPM, its predictor-only ablation and MAE is tested with a linear probe on real "
                             "MNIST digits.")
  if variant == "paper":
    ssl_protocol.mim_paper(c, epochs=800)
  return common.finalize(c)
