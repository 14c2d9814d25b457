"""EQ-Net: elastic quantization supernet (Xu, Zhang, Li, Wang, Wang and Guo, "EQ-Net: Elastic Quantization
Neural Networks", ICCV 2023, arXiv:2308.07650; authors' code github.com/xuke225/EQ-Net).

Method: one network is trained over an elastic quantization space (bit-width, granularity, symmetry), so
that any configuration drawn from it works without retraining; two losses (weight distribution
regularisation, group progressive guidance) close the gaps between widths, and a predictor with a genetic
algorithm searches mixed precision. lbrl (:mod:`lbrl.quant.eq_net`, checked against the authors'
``QuantSuperNetTrainer`` and ``criterion.py``): model ``eq_net_mlp`` with loss ``eq_net_sandwich``, per step
the largest subnet (all layers at 8 bits) with cross-entropy, a random subnet (each Dense layer's width
drawn from {2, 3, 4, 8}) and then the smallest (all 2 bits), each distilled from the previous one
(0.5 KL + 0.5 CE, the progressive guidance), plus the weight distribution regularisation (kurtosis to 1.8
at rate 0.015, skewness to 0 at rate 1, every kernel but the first's); per-tensor int fake quantization of
each Dense input and kernel (straight-through) with the authors' quantizer as they initialise it
(``elastic_quantizer="mse"``, :func:`lbrl.quant.policy.elastic_mse_fake_quant`: the clip minimising the
L2.4 error over 80 candidates, unsigned codes for ReLU outputs), searched at every step. Static QAT baselines: ``mlp`` with
``precision.matmul.elastic_bits=[b]`` (one width, the same quantizer, cross-entropy). The ``elastic_eval`` tool measures each
trained network at every width. Not reproduced: the learned LSQ step sizes (from that clip), the granularity/symmetry axes, the
8-bit first and last layers, label smoothing and the mixed-precision search.
Claim: the supernet at each width is close to or better than static QAT at that width (no single number).
cpu:   MNIST-1D MLP 40-256-256-10 (:func:`lbrl.quant.policy.training_protocol`), the authors' protocol: every
       quantized arm starts from a pretrained float model. Per run, a first stage trains the float MLP
       (``config.init.train``: the protocol's 1,500 steps of Adam 3e-3, constant rate, cross-entropy, no
       quantization; its own seed, on the run's training split); then each arm continues from it for 1,500
       steps with the authors' optimiser (Adam, cosine decay to 0, gradient clipping at norm 1;
       configs/train-supernet-imagenet.yaml): the EQ-Net supernet (the float parameters nested under
       ``net`` by the ``eq_net_from_float`` transform), static QAT at 4 bits and at 2 bits, and float32
       continued in float (in no rule). 3 seeds, each trained model evaluated at 2/3/4/8 bits on the
       1,000 test examples. Each arm's continued-stage Adam rate is tuned on a validation split first
       (``sweep.tune``: train[90%:], trained, first stage included, on train[:90%]; grid 3e-5 .. 1e-1
       around the authors' 1e-3; one selection seed) on validation accuracy, each static arm at its own
       width and the supernet at 4 bits (``eval_width``). The grid was first 1e-4 .. 1e-2; its selection
       runs put both static arms at 1e-2 and the supernet at 1e-4 (tied with 3e-4), all grid edges, so it
       was widened by one point each way before any test run (rules unchanged). The report of that grid put
       the supernet at its new top, 3e-2 (validation 68.3% vs 67.0% at 1e-2, one selection seed), so 1e-1 was
       added for every arm and the report rerun (its finished selection runs kept; rules unchanged): every
       arm's 1e-1 fell to 9.5-32% validation accuracy, so the choices (static 1e-2, supernet 3e-2) are
       interior and the test runs stand.
       That run (2026-12-02, pretrained start, lbrl's symmetric absmax quantizer ``elastic_quantizer=
       "absmax"``, 3 seeds; not committed as a report): the supernet at 4 bits 57.4% vs static int4 66.5%,
       -9.1 points [-13.3, -4.9] (contradicted against the 1-point margin), at 2 bits -11.8 [-22.9, -0.8]
       (inconclusive); the supernet's 4-bit accuracy equalled the pretrained float model's evaluated at 4
       bits (57.7%), its float accuracy 64.7% vs 67.5%. Its 2-bit quantizer was not the authors': symmetric
       codes {-1, 0, 1} x max|a| leave ReLU outputs one non-zero level, and static int2 QAT stayed at chance
       at every rate (11-22% on validation); the authors' quantizer gives ReLU outputs four levels
       {0..3} x s with a searched clip. The quantizer was switched to theirs (``"mse"``) for every arm and
       the evaluation before the next run; rules unchanged.
       Earlier runs from scratch (not committed as reports; this is why the protocol changed, before any
       run of it): with per-arm tuned rates the supernet was 9.1 points [5.3, 13.0] below static int4 QAT at
       4 bits (52.6% vs 61.7%) and 5.0 [-5.0, 15.1] below static int2 at 2 bits (both near chance), 56.3% at
       8 bits vs the float MLP's 67.1%; with one shared rate and without the guidance and regularisation,
       6.6 points below static int4. A first selection on validation loss (not accuracy) picked the grid's
       smallest rate for both static arms, 11 (int4) and 5 (int2) points below their best accuracy.
paper: ResNet-18/50, MobileNetV2 on ImageNet; the paper variant is the zoo's ImageNet ResNet-50 recipe
       (Dense matmuls only in lbrl's policy).
"""
from lbrl import config as common
from lbrl.quant.policy import paper_recipe, training_protocol


def get_config(arg=None):
  c, variant = common.base(arg)
  training_protocol(c, variant)
  hidden = c.model.hidden   # the supernet's MLP (the paper variant's base model is a ResNet)
  c.sweep.kind = "analysis"
  c.analysis = dict(tool="elastic_eval", kwargs={"widths": [2, 3, 4, 8], "quantizer": "mse"}, split="eval",
                    batch_size=common.by_variant(variant, smoke=64, cpu=1000, paper=1000), at="final")
  c.paper.update(
      title="EQ-Net: Elastic Quantization Neural Networks", year=2023, arxiv="2308.07650", slug="eq_net",
      provides="analysis tool",
      code="lbrl.quant.eq_net (EQNetMLP = eq_net_mlp, eq_net_sandwich, weight_distribution_regularizer); "
           "lbrl.quant.policy (elastic_bits static QAT; elastic_eval_tool) on lbrl.models.simple.MLP",
      claim="one elastic-quantization supernet is close to or better than static QAT at each width",
      expected="cpu: the supernet within 1 point of static 4-bit QAT at 4 bits and within 2 points of static 2-bit "
               "QAT at 2 bits",
      setting="paper: ImageNet ResNet-18/50, MobileNetV2; 2-8 bits, channel/tensor, symmetric/asymmetric",
      hardware="paper: 8 GPUs; cpu: 2 cores")
  paper_recipe(c, variant, "imagenet_resnet50", {"elastic_bits": [2, 3, 4, 8], "elastic_quantizer": "mse"})
  c.sweep.seeds = [0, 1, 2]
  c.sweep.metric = "analysis/acc_w4"
  c.sweep.arms = common.free(
      fp32={}, static4={"precision": {"matmul": {"elastic_bits": [4], "elastic_quantizer": "mse"}}},
      static2={"precision": {"matmul": {"elastic_bits": [2], "elastic_quantizer": "mse"}}},
      supernet={"model": {"name": "eq_net_mlp", "hidden": hidden, "widths": [2, 3, 4, 8], "eval_width": 4,
                            "quantizer": "mse"},
                "loss": {"name": "eq_net_sandwich"}})
  # the authors' start: a pretrained float model (the base model, float, cross-entropy, the protocol's
  # optimiser and schedule: pinned, so that tuning changes only the continued stage), trained per run
  first = dict(model=c.model.to_dict(), loss=c.loss.to_dict(), precision=dict(rules=[]), optimizer=c.optimizer.to_dict(),
               schedule=c.schedule.to_dict(), steps=c.steps, grad_clip_norm=0.0)
  c.init = dict(train=first, transform="")
  c.sweep.arms.supernet.init = dict(transform="eq_net_from_float")
  if variant != "paper":   # the continued stage: the authors' Adam with cosine decay and clipping at 1
    c.schedule.update(name="cosine", warmup_steps=0, end_fraction=0.0)
    c.grad_clip_norm = 1.0
  grid = [("optimizer.learning_rate", [3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1])]
  c.sweep.tune = dict(grids=dict(static4=grid, static2=grid, supernet=grid), split="train[90%:]",
                      train_split="train[:90%]", metric="eval/accuracy", mode="max", seeds=[1000])
  c.sweep.rules = [{"arm": "supernet", "op": "not_worse", "than": "static4", "metric": "analysis/acc_w4", "margin": 0.01},
                   {"arm": "supernet", "op": "not_worse", "than": "static2", "metric": "analysis/acc_w2", "margin": 0.02}]
  c.sweep.partly_testable = ("per-tensor clips searched at every step (the authors' LSQ initialisation) instead of "
                             "learned LSQ step sizes, no granularity/symmetry axes, no mixed-precision search; the "
                             "pretrained start is a float MLP trained here; an MNIST-1D MLP for ImageNet CNNs")
  return common.finalize(c)
