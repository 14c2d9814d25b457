"""SAF (Du, Zhou, Feng, Tan & Zhou, "Sharpness-Aware Training for Free", NeurIPS 2022,
arXiv:2205.14083).

Claim: replacing SAM's second gradient by a "trajectory loss" (KL divergence between the current
outputs and the outputs recorded a few epochs earlier, kept per example) reduces sharpness like SAM at
essentially the base optimizer's cost.
cpu:   not testable yet: lbrl.optim provides SAF as a gradient estimator that keeps the past outputs in a
       state (``lbrl.optim.GRAD_FNS["saf"]``: one gradient evaluation per step, N x C x delay floats of
       memory; unit-tested against a NumPy KL and its memory schedule), but the trainer neither carries
       that state nor gives each example its index in the batch, both of which SAF needs. The sweep
       below runs only the base optimizer of the SAM reproduction's setting (MNIST-1D CNN, 20% label
       noise, SGD-momentum lr 0.02; SAM's numbers are in the sam report) so that the SAF arm can be
       added beside it once the trainer hook exists. 3 seeds, under a minute.
paper: ResNet / ViT on ImageNet (SAF and MESA at about the base optimizer's cost vs SAM's two passes).
"""
from lbrl import config as common


def get_config(arg=None):
  c, variant = common.noisy_cnn(arg)
  c.grad_estimator = common.free(name="saf")  # the base setting is the paper's method; SGD-momentum is the arm
  c.paper.update(
      title="Sharpness-Aware Training for Free", year=2022, arxiv="2205.14083", slug="saf",
      provides="transform", code="lbrl.optim.sharpness.saf_estimator",
      claim="SAF reduces sharpness and improves accuracy like SAM at about the base optimizer's cost",
      expected="needs the trainer's gradient-estimator hook (see the docstring)",
      setting="ResNet/ViT on ImageNet", hardware="GPU (paper)")
  c.sweep.arms = {"sgd_momentum": {**common.SGD_MOMENTUM, "grad_estimator": {"name": "plain"}}}
  c.sweep.not_testable = ("the trainer does not yet carry SAF's per-example output memory or example "
                          "indices (lbrl.optim.GRAD_FNS['saf'] is implemented and unit-tested)")
  if variant == "paper":
    # Du et al., Sec. 5: ResNet-50 on ImageNet, 90 epochs, batch 512, SGD momentum 0.9, lr 0.2 cosine,
    # weight decay 1e-4, SAF lambda 0.3, temperature 5, delay 3 epochs (assumed batch and rate: the
    # standard recipe scaled linearly).
    common.imagenet_resnet50(c, batch=512, epochs=90, devices=8,
                             optimizer=dict(name="sgd", learning_rate=0.2, momentum=0.9, weight_decay=1e-4))
    c.grad_estimator = common.free(name="saf", lam=0.3, temperature=5.0, delay=3)
    c.paper.update(hardware="8 GPUs",
                   expected="SAF top-1 above SGD's and close to SAM's at the base optimizer's cost (the "
                            "paper's ImageNet table)")
  return common.finalize(c)
