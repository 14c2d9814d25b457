"""On residual network depth (Dherin & Munn, 2025, arXiv:2510.03470).

Claim (theoretical): by the Residual Expansion Theorem a depth-L residual stack is an implicit ensemble of
2^L paths; with unscaled branches the combinatorial growth of paths makes the output explode with depth,
and scaling each residual branch tames it (the mechanism behind SkipInit and Fixup).
cpu:   MNIST-1D, lbrl ``res_mlp`` without normalization (64 branches of 2 He-initialised layers, width
       32), SGD momentum 0.9, lr 0.05 cosine, batch 128, 1500 steps. Arms: branch scale a = 1 (unscaled),
       a = 1/sqrt(L) and a = 1/L. The output-explosion part is exact at init and tested
       (tests/models/test_norm.py: the stream's second moment is (1 + a^2)^L, 2^L for a = 1 and at most e
       for 1/sqrt(L)); the sweep tests its consequence for training: the scaled stacks train, the unscaled
       one does not. 3 seeds; diverged runs skip non-finite updates (max_skipped_fraction 1).
paper: the Residual Expansion Theorem with illustrative experiments (scaled, normalization-free residual
       networks; a = 1/n trains but falls short of normalized networks); no headline numbers. lbrl's CIFAR
       ResNet has no branch-scale option yet, so the paper variant is the cpu setting (cpu_sized).
"""
from lbrl import config as common


def get_config(arg=None):
  c, variant = common.base(arg)
  depth, width = common.deep_resmlp(c, variant, norm="none", residual_scale="1/sqrt(L)")
  c.paper.update(
      title="On residual network depth", year=2025, arxiv="2510.03470", slug="residual_network_depth",
      provides="module", code="lbrl.models.simple.ResMLP(residual_scale=...) + lbrl.models.norm.residual_scale_value",
      claim="unscaled residual branches make the output explode with depth (2^L paths); scaling each branch "
            "tames it",
      expected="test accuracy: a = 1/sqrt(L) and a = 1/L above a = 1 at depth 64",
      setting="theory plus small normalization-free residual networks (no headline numbers)", hardware="GPU (paper)")
  mlp = lambda scale: {"model": {"name": "res_mlp", "width": width, "depth": depth, "norm": "none",
                                 "residual_scale": scale}}
  c.sweep.arms = {"unscaled": mlp(1.0), "scale_1_over_sqrt_L": mlp("1/sqrt(L)"), "scale_1_over_L": mlp("1/L")}
  c.sweep.rules = [{"arm": "scale_1_over_sqrt_L", "op": ">", "than": "unscaled", "margin": 0.01},
                   {"arm": "scale_1_over_L", "op": ">", "than": "unscaled", "margin": 0.01}]
  c.sweep.partly_testable = ("the capacity-control part (the branch scale as an implicit regulariser of the "
                             "ensemble) states no measurable prediction to test")
  if variant == "paper":
    common.cpu_sized(c, "a theory paper whose experiments illustrate the theorem with no headline numbers; "
                        "the depth-64 residual-MLP setting of the cpu variant tests the same mechanism")
    c.model.unroll = depth  # the same function; XLA's cost analysis then counts all blocks
  return common.finalize(c)
