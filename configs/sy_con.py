"""Sy-CON / PNR (Cha, Cho, Moon, "Sy-CON: Symmetric Contrastive Loss for Continual Self-Supervised
Representation Learning", 2023, arXiv:2306.05101; v2 "Regularizing with Pseudo-Negatives for Continual
Self-Supervised Learning"): in continual SSL, two symmetric contrastive losses use the current and the
past model's embeddings as each other's negatives (pseudo-negatives): a plasticity loss (SimCLR with
the past embeddings added as negatives) and a stability loss (a predictor maps the current embedding to
the past one, the current embeddings as negatives), with no trade-off hyperparameter.

Claim: Sy-CON (PNR) beats fine-tuning and distillation-regularised continual SSL (linear evaluation
after the task sequence).
cpu:   two tasks on MNIST-1D's first training half: task 1 = classes 0-4, task 2 = classes 5-9 (labels
       never used). The past model: SimCLR (NT-Xent tau 0.2) on task 1, 400 steps, one for the whole
       sweep. The current model trains on task 2 (the CON protocol: MLP encoder 40-128-128, projector
       128-BN-32, fresh views per step, Adam 1e-3, batch 128, 400 steps) with: sy_con (SimCLR + the two
       PNR terms, predictor 32-128-BN-32, tau 0.2); finetune (SimCLR alone). The linear probe is fitted on
       all ten classes of the other training half and scored on the test split. 5 seeds.
       Departure: the trainer has no warm start, so the current model starts from scratch, not from the
       past model; the test measures what the pseudo-negatives and the stability term carry over from
       the past model, not forgetting from a shared initialisation.
paper: CIFAR-100 (5 tasks), ImageNet-100, DomainNet; ResNet-18, MoCo/SimCLR/BYOL/Barlow/VICReg bases.
"""
from lbrl import config as common
from lbrl.data import ssl_protocol

_TASK = dict(name="class_task")


def get_config(arg=None):
  c, variant = common.base(arg)
  ssl_protocol.mnist1d(c, variant, loss=dict(name="sy_con", temperature=0.2, distill_temperature=0.2), steps=400,
                       predictor=(128, 32) if variant != "smoke" else (16, 32), predictor_output="both")
  past_data = dict(c.data.to_dict(), transforms=[dict(_TASK, classes=[0, 1, 2, 3, 4])])
  c.data.transforms = [dict(_TASK, classes=[5, 6, 7, 8, 9])]
  past_model = {k: v for k, v in c.model.to_dict().items() if k not in ("predictor", "predictor_output")}
  teacher = dict(name="teacher", model_config=past_model,
                 train=dict(steps=common.by_variant(variant, smoke=2, cpu=400, paper=400), seed=0, data=past_data,
                            loss=dict(name="ntxent", temperature=0.2), post_training=[]))
  if variant == "cpu":   # one past model for every run of the sweep (trained by the first, under a lock)
    teacher["workdir"] = "~/.cache/lbrl/teachers/sy_con_cpu"
  c.auxiliary = [teacher]
  c.paper.update(
      title="Sy-CON: Symmetric Contrastive Loss for Continual Self-Supervised Representation Learning", year=2023,
      arxiv="2306.05101", slug="sy_con", provides="function",
      code="lbrl.losses.contrastive.sy_con + SSLNet(predictor_output='both') + a frozen past model (teacher)",
      claim="symmetric pseudo-negative losses on current and past embeddings balance plasticity and stability in "
            "continual SSL without a trade-off hyperparameter",
      expected="linear evaluation after the last task above fine-tuning, CaSSLe and PFR on CIFAR-100 / ImageNet-100",
      setting="CIFAR-100 split into 5 tasks, ResNet-18, MoCo-v2+ / SimCLR bases, 500 epochs per task",
      hardware="GPUs (paper)")
  c.sweep.seeds = [0, 1, 2, 3, 4]
  c.sweep.metric = "post/ssl_probe/linear_accuracy"
  c.sweep.arms = {"sy_con": {},
                  "finetune": {"loss": {"name": "ntxent", "temperature": 0.2}, "auxiliary": [],
                               "model": {"predictor": (), "predictor_output": "replace"}}}
  c.sweep.rules = [{"arm": "sy_con", "op": ">", "than": "finetune", "margin": 0.01}]
  c.sweep.partly_testable = ("the continual protocol needs a warm start from the past model (not in the trainer); "
                             "the past-model transfer through the pseudo-negatives and stability term is tested "
                             "on a two-task MNIST-1D split. The CIFAR-100/ImageNet-100 numbers need ResNet pre-training.")
  if variant == "paper":
    common.cifar(c, model=dict(name="resnet18"), dataset="cifar100", batch=256, epochs=500,
                 optimizer=dict(name="lars", learning_rate=0.3, weight_decay=1e-4))
    c.model = common.free(name="ssl_net", encoder="resnet50", example_rank=3, hidden=(2048,), projector=(2048, 128),
                          predictor=(2048, 128), predictor_output="both")
    c.loss = common.free(name="sy_con", temperature=0.2, distill_temperature=0.2)
    c.eval_metrics = ["loss"]
    c.data.augment = dict(kind="image", views=2, options=dict(pad=4, flip=True))
    c.data.transforms = [dict(_TASK, classes=list(range(50, 100)))]
    c.post_training = []
    c.auxiliary = [dict(name="teacher", workdir="~/.cache/lbrl/teachers/sy_con_paper_task1",
                        model_config=dict(name="ssl_net", encoder="resnet50", example_rank=3, hidden=(2048,),
                                          projector=(2048, 128)))]
    c.paper.update(setting="CIFAR-100 as two 50-class tasks (the paper: 5 tasks), ResNet-50 trunk (paper: ResNet-18), "
                           "SimCLR base, LARS, batch 256, 500 epochs per task; the past model from the task-1 run")
  return common.finalize(c)
