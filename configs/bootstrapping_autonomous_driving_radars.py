"""Radical (Hao, Madani, Guan, Alloulah, Gupta, Hassanieh, "Bootstrapping Autonomous Driving Radars with
Self-Supervised Learning", CVPR 2024, arXiv:2312.04519): a radar encoder pre-trained on unlabeled radar
heatmaps with a cross-modal contrastive loss against a frozen vision model's features of the paired
camera images, plus an intra-radar contrastive loss between two radar augmentations.

Claim: the pre-training improves downstream radar object detection (+5.8% mAP over supervised
baselines); both the cross-modal and the intra-radar terms contribute (ablation).
cpu:   a synthetic radar/camera pairing (dataset mnist1d_radar: channel 0 a coarse, noisy, randomly scaled
       rendering of each MNIST-1D signal, channel 1 the clean signal), 2,000 pairs, fresh augmented views
       per step (both channels shifted alike). The "vision model": an MLP SimCLR encoder trained first on
       the clean channel (400 steps, one for the sweep), frozen. The radar encoder (MLP 40-128-128,
       projector 128-BN-32 on channel 0; Adam 1e-3, batch 128, 400 steps) trains with: radical (cross +
       symmetric intra, tau 0.07, weight 1, the authors' rescaling); intra_only; cross_only. Linear probe
       of the radar encoder's features (classes of the other training half, scored on the test split).
       5 seeds.
paper: Radatron radar dataset with paired camera images (CLIP features), Radatron detector; mAP.
"""
from lbrl import config as common
from lbrl.data import ssl_protocol


def get_config(arg=None):
  c, variant = common.base(arg)
  small = variant == "smoke"
  ssl_protocol.mnist1d(c, variant, loss=dict(name="radical", temperature=0.07, intra_weight=1.0), steps=400,
                       input_channel=0, example_rank=2)
  c.data.name = "mnist1d_radar"
  vision = {k: v for k, v in c.model.to_dict().items()}
  vision["input_channel"] = 1
  teacher = dict(name="teacher", model_config=vision,
                 train=dict(steps=2 if small else 400, seed=0, loss=dict(name="ntxent", temperature=0.2),
                            post_training=[]))
  if variant == "cpu":   # one frozen vision model for the sweep (trained by the first run, under a lock)
    teacher["workdir"] = "~/.cache/lbrl/teachers/radical_cpu"
  c.auxiliary = [teacher]
  c.paper.update(
      title="Bootstrapping Autonomous Driving Radars with Self-Supervised Learning", year=2024, arxiv="2312.04519",
      slug="bootstrapping_autonomous_driving_radars", provides="function",
      code="lbrl.losses.contrastive.radical + a frozen vision teacher + SSLNet(input_channel=0)",
      claim="radar-to-vision plus radar-to-radar contrastive pre-training bootstraps radar representations "
            "(+5.8% mAP downstream over supervised baselines)",
      expected="+5.8% mAP on radar object detection (Radatron) over the supervised baseline; both terms help",
      setting="Radatron radar heatmaps + camera images (frozen CLIP image features), Radatron ResNet backbone, MoCo "
              "queue, radar-specific augmentations (RMM)",
      hardware="GPUs (paper)")
  c.sweep.seeds = [0, 1, 2, 3, 4]
  c.sweep.metric = "post/ssl_probe/linear_accuracy"
  c.sweep.arms = {"radical": {}, "intra_only": {"loss": {"intra_only": True}},
                  "cross_only": {"loss": {"intra_weight": 0.0}}}
  c.sweep.rules = [{"arm": "radical", "op": ">", "than": "intra_only", "margin": 0.01},
                   {"arm": "radical", "op": "not_worse", "than": "cross_only", "margin": 0.01}]
  c.sweep.not_testable = ("the detection claim needs the Radatron radar/camera dataset and detector; the "
                          "mechanism is tested on a synthetic radar/camera pairing of MNIST-1D.")
  if variant == "paper":
    c.paper.cpu_sized = ("the radar heatmaps and the Radatron detector have no TFDS builder; the paper variant "
                         "keeps the synthetic pairing at the paper's batch and queue-free in-batch form")
    c.data.batch_size = 256
    c.steps = 20000
  return common.finalize(c)
