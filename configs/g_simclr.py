"""G-SimCLR (Chakraborty, Gosthipaty, Paul, "G-SimCLR: Self-Supervised Contrastive Learning with Guided
Projection via Pseudo Labelling", ICDM Workshops 2020, arXiv:2009.12007): pseudo-labels from k-means on a
denoising autoencoder's codes guide SimCLR's batches (no two images of a pseudo-class in a batch), so
fewer negatives are false negatives.

Claim: G-SimCLR improves SimCLR's linear evaluation (CIFAR-10, an ImageNet subset; "comparable
enhancements", the paper gives small gains).
cpu:   the CON protocol (lbrl.data.ssl_protocol.mnist1d: MLP encoder 40-128-128, projector 128-BN-32,
       fresh augmented views per step, Adam 1e-3, batch 128, 400 steps), NT-Xent tau 0.2; arms: simclr;
       g_simclr (pseudo-labels: scikit-learn denoising MLP autoencoder 40-64-16-64-40 + k-means, 10
       clusters; each anchor's same-pseudo-label negatives removed: the per-anchor effect of the paper's
       batches); oracle (the same with the true labels: the most the mechanism can give). Linear probe.
       5 seeds. The pseudo-labels' purity is recorded in each run's data meta.
paper: CIFAR-10 and an ImageNet subset with a ResNet-50 encoder: small gains over SimCLR.
"""
from lbrl import config as common
from lbrl.data import ssl_protocol

_PL = dict(name="pseudo_labels", hidden=(64, 16, 64), noise=0.3, iters=200)


def get_config(arg=None):
  c, variant = common.base(arg)
  ssl_protocol.mnist1d(c, variant, loss=dict(name="ntxent", temperature=0.2, exclude_same_label=True), steps=400)
  c.data.transforms = [dict(_PL, iters=5 if variant == "smoke" else 200)]
  c.paper.update(
      title="G-SimCLR: Self-Supervised Contrastive Learning with Guided Projection via Pseudo Labelling", year=2020,
      arxiv="2009.12007", slug="g_simclr", provides="tool",
      code="lbrl.data.ssl_gsimclr.pseudo_labels + lbrl.losses.contrastive.ntxent(exclude_same_label=True)",
      claim="pseudo-label-guided batches (no two examples of a pseudo-class) improve SimCLR's representations",
      expected="linear evaluation above SimCLR on CIFAR-10 and an ImageNet subset (small gains; the abstract's 76.5% "
               "is SimCLR's own ImageNet number)",
      setting="CIFAR-10, ResNet-50 encoder, denoising autoencoder + k-means (k = 10) pseudo-labels, SimCLR NT-Xent",
      hardware="GPU (paper)")
  c.sweep.seeds = [0, 1, 2, 3, 4]
  c.sweep.metric = "post/ssl_probe/linear_accuracy"
  c.sweep.arms = {"g_simclr": {},
                  "simclr": {"loss": {"exclude_same_label": False}, "data": {"transforms": []}},
                  "oracle": {"data": {"transforms": []}}}
  c.sweep.rules = [{"arm": "g_simclr", "op": ">", "than": "simclr", "margin": 0.005},
                   {"arm": "oracle", "op": ">", "than": "simclr", "margin": 0.005}]
  c.sweep.partly_testable = ("the CIFAR-10/ImageNet numbers need ResNet pre-training; the mechanism (pseudo-labels "
                             "from a denoising autoencoder removing false negatives) is tested on MNIST-1D, with "
                             "the true-label oracle as its ceiling.")
  if variant == "paper":
    common.cifar(c, model=dict(name="resnet18"), batch=256, epochs=100,
                 optimizer=dict(name="lars", learning_rate=0.3 * 256 / 256, weight_decay=1e-6))
    c.model = common.free(name="ssl_net", encoder="resnet50", example_rank=3, hidden=(2048,), projector=(2048, 128))
    c.loss = common.free(name="ntxent", temperature=0.5, exclude_same_label=True)
    c.eval_metrics = ["loss"]
    c.data.augment = dict(kind="image", views=2, options=dict(pad=4, flip=True))
    c.data.transforms = [dict(_PL, hidden=(512, 64, 512))]
    c.post_training = []
    c.paper.update(setting="CIFAR-10, ResNet-50 trunk, SimCLR NT-Xent tau 0.5, batch 256, 100 epochs, LARS "
                           "(lbrl's stand-in: crops and flips for SimCLR's colour augmentations)")
  return common.finalize(c)
