"""NFNets' adaptive gradient clipping (Brock, De, Smith & Simonyan, "High-Performance Large-Scale Image
Recognition Without Normalization", ICML 2021, arXiv:2102.06171).

Claim: adaptive gradient clipping (AGC: clip each unit's gradient where ||G|| / max(||W||, 1e-3) exceeds
lambda, the final classifier excluded) lets normalizer-free ResNets train stably at large batch sizes and
learning rates, where they otherwise become unstable or degrade.
cpu:   MNIST-1D, a normalizer-free residual MLP (lbrl ``res_mlp``, 16 branches of width 64, no
       normalization, branch scale alpha = 0.2 as in NF-ResNets), batch 1000 (a quarter of the training
       set), SGD with Nesterov momentum 0.9, cosine, 300 steps (75 epochs); learning rates 0.2 (moderate)
       and 1.6 (large). Arms: plain SGD and SGD + AGC (lambda 0.01, the paper's NFNet value;
       lbrl.optim.clipping.sgd_agc) at each rate. 3 seeds (sized to the shared machine). Diverged runs
       skip non-finite updates (max_skipped_fraction 1).
paper: NFNet-F0..F6 on ImageNet at batch 4096, SGD-Nesterov lr 0.1 x batch/256, AGC lambda 0.01
       (F0: 83.6% top-1). lbrl has no NF-ResNet yet: the paper variant runs AGC on the zoo's ResNet-50
       with BatchNorm at the paper's batch, learning rate and clipping (not the paper's model).
"""
from lbrl import config as common


def get_config(arg=None):
  c, variant = common.base(arg)
  c.data.update(name="mnist1d", batch_size=common.by_variant(variant, smoke=32, cpu=1000, paper=1000),
                eval_batch_size=1000)
  c.model = common.free(name="res_mlp", width=common.by_variant(variant, smoke=8, cpu=64, paper=64),
                        depth=common.by_variant(variant, smoke=2, cpu=16, paper=16), norm="none", residual_scale=0.2)
  c.loss = common.free(name="cross_entropy")
  c.optimizer = common.free(name="sgd_agc", learning_rate=1.6, momentum=0.9, nesterov=True, clipping=0.01)
  c.schedule.name = "cosine"
  c.steps = common.by_variant(variant, smoke=2, cpu=300, paper=300)
  c.eval_every = common.by_variant(variant, smoke=0, cpu=100, paper=100)
  c.log_every = common.by_variant(variant, smoke=1, cpu=50, paper=50)
  c.max_skipped_fraction = 1.0
  c.paper.update(
      title="High-Performance Large-Scale Image Recognition Without Normalization", year=2021, arxiv="2102.06171",
      slug="nfnets_agc", provides="transform", code="lbrl.optim.clipping.agc / sgd_agc (optax.adaptive_grad_clip, masked)",
      claim="AGC lets normalizer-free ResNets train at large batch and learning rate, where they are unstable "
            "without it",
      expected="test accuracy at lr 1.6, batch 1000: AGC above plain SGD; at lr 0.2 AGC not worse",
      setting="ImageNet, NFNet-F0..F6, batch 4096, SGD-Nesterov, AGC lambda 0.01", hardware="TPUv3 (paper)")
  opt = lambda lr, clip: {"optimizer": {"name": "sgd_agc", "learning_rate": lr, "momentum": 0.9, "nesterov": True,
                                        "clipping": clip}}
  c.sweep.arms = {"sgd_lr0p2": opt(0.2, 0.0), "agc_lr0p2": opt(0.2, 0.01),
                  "sgd_lr1p6": opt(1.6, 0.0), "agc_lr1p6": opt(1.6, 0.01)}
  c.sweep.rules = [{"arm": "agc_lr1p6", "op": ">", "than": "sgd_lr1p6", "margin": 0.01},
                   {"arm": "agc_lr0p2", "op": "not_worse", "than": "sgd_lr0p2", "margin": 0.02}]
  c.sweep.partly_testable = ("the ImageNet accuracy and training-speed claims of NFNets need the NF-ResNet family "
                             "and the paper's scale; here only AGC's stabilising effect on a normalizer-free net")
  if variant == "paper":
    # Brock et al. 2021: batch 4096, SGD Nesterov momentum 0.9, lr 0.1 * 4096/256 = 1.6, weight decay 2e-5,
    # cosine with 5 warm-up epochs, 360 epochs (F0), AGC lambda 0.01 on all but the classifier.
    common.imagenet_resnet50(c, batch=4096, epochs=360, warmup_epochs=5,
                             optimizer=dict(name="sgd_agc", learning_rate=1.6, momentum=0.9, nesterov=True,
                                            clipping=0.01, weight_decay=2e-5))
    c.paper.update(expected="NFNet-F0 83.6% ImageNet top-1 (Table 3); here AGC on BN ResNet-50 (no NF-ResNet)")
  return common.finalize(c)
