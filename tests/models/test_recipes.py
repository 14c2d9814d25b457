"""Scaling recipes (lbrl.models.recipes): EfficientNet compound scaling and the B0-B7 networks, ResNet-RS.

References: the paper's Table 1 (B0 stages) and eq. 3 (alpha, beta, gamma); the authors' released
(width, depth, resolution, dropout) per variant; torchvision's ``efficientnet_b0`` .. ``efficientnet_b7``
parameter counts (an independent implementation: 5,288,548 ... 66,347,960; the paper's Table 2 rounds
them to 5.3M ... 66M); the ResNet-RS paper's parameter counts (35.7M, 63.6M, 93.2M, 191.9M for
RS-50/101/200/420) and the authors' released top-1 per (depth, image size)."""
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lbrl.models import recipes as R

TORCHVISION_PARAMS = {"b0": 5_288_548, "b1": 7_794_184, "b2": 9_109_994, "b3": 12_233_232, "b4": 19_341_616,
                      "b5": 30_389_784, "b6": 43_040_704, "b7": 66_347_960}


def test_compound_scaling_equation():
  c = R.compound_coefficients(1.0)
  assert (c["depth"], c["width"], c["resolution"]) == (1.2, 1.1, 1.15)
  assert c["flops"] == pytest.approx(1.2 * 1.1 ** 2 * 1.15 ** 2) and abs(c["flops"] - 2) < 0.1  # "~2"
  assert R.compound_coefficients(3.0)["flops"] == pytest.approx(c["flops"] ** 3)
  with pytest.raises(ValueError, match="alpha"):
    R.compound_coefficients(1.0, alpha=0.9)


def test_b0_is_table_1_and_scaled_stages_match_the_released_models():
  assert R.efficientnet_stages(1.0, 1.0) == [(e, k, s, i, o, n) for e, k, s, i, o, n in R.B0_STAGES]
  assert [s[4] for s in R.B0_STAGES] == [16, 24, 40, 80, 112, 192, 320]
  assert [s[5] for s in R.B0_STAGES] == [1, 2, 2, 3, 3, 4, 1]
  b4 = R.efficientnet_stages(*R.EFFICIENTNET["b4"][:2])
  assert [s[4] for s in b4] == [24, 32, 56, 112, 160, 272, 448] and [s[5] for s in b4] == [2, 4, 4, 6, 6, 8, 2]
  b7 = R.efficientnet_stages(*R.EFFICIENTNET["b7"][:2])
  assert [s[4] for s in b7] == [32, 48, 80, 160, 224, 384, 640] and [s[5] for s in b7] == [4, 7, 7, 10, 10, 13, 4]
  assert (R.round_filters(32, 2.0), R.round_filters(1280, 2.0)) == (64, 2560)
  assert (R.round_filters(32, 1.4), R.round_filters(1280, 1.4)) == (48, 1792)
  assert R.round_filters(16, 1.1) == 16 and R.round_repeats(3, 1.1) == 4
  assert [R.EFFICIENTNET[v][2] for v in sorted(R.EFFICIENTNET)] == [224, 240, 260, 300, 380, 456, 528, 600]


def test_efficientnet_b0_parameters():
  assert R.count_params(R.EfficientNet(num_classes=1000), 32) == TORCHVISION_PARAMS["b0"]


@pytest.mark.slow
def test_efficientnet_forward_trains_mode():
  small = R.EfficientNet(num_classes=5, width=0.25, depth=0.34)
  x = jnp.ones((2, 8, 8, 3))
  v = small.init(jax.random.key(0), x)
  out, _ = jax.jit(lambda v, x: small.apply(v, x, train=True, mutable=["batch_stats"],
                                            rngs={"dropout": jax.random.key(1)}))(v, x)
  assert out.shape == (2, 5) and np.all(np.isfinite(out))
  with pytest.raises(ValueError, match="variant"):
    R.EfficientNet(num_classes=3, variant="b9").init(jax.random.key(0), x)


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["b1", "b4", "b7"])
def test_efficientnet_parameters_match_torchvision(variant):
  assert R.count_params(R.EfficientNet(num_classes=1000, variant=variant), 32) == TORCHVISION_PARAMS[variant]


def test_resnet_rs_family_table():
  assert R.resnet_rs_config(350, 256) == {"layers": (4, 36, 72, 4), "image_size": 256, "top1": 84.0}
  # depth grows with the model; resolution more slowly (160 -> 320 over 50 -> 420)
  sizes = sorted(R.RESNET_RS)
  assert min(s for _, s in sizes) == 160 and max(s for _, s in sizes) == 320
  assert [sum(R.RESNET_RS_LAYERS[d]) * 3 + 2 for d in (50, 101, 152, 200)] == [50, 101, 152, 200]
  with pytest.raises(ValueError, match="released"):
    R.resnet_rs_config(50, 224)


def test_resnet_rs_50_parameters_and_forward():
  assert round(R.count_params(R.ResNetRS(num_classes=1000, depth=50), 32) / 1e6, 1) == 35.7
  model = R.ResNetRS(num_classes=4, depth=50)
  x = jnp.ones((1, 32, 32, 3))
  v = jax.eval_shape(lambda: model.init(jax.random.key(0), x))
  assert v["params"]["stage1_block0"]["proj"]["kernel"].shape == (1, 1, 256, 512)   # ResNet-D: 1x1 after pooling
  assert v["params"]["stage3_block0"]["se"]["reduce"]["kernel"].shape == (1, 1, 2048, 512)


@pytest.mark.slow
@pytest.mark.parametrize("depth,published", [(101, 63.6), (200, 93.2), (420, 191.9)])
def test_resnet_rs_parameters_match_the_paper(depth, published):
  assert round(R.count_params(R.ResNetRS(num_classes=1000, depth=depth), 32) / 1e6, 1) == published


def test_table_tools_compare_with_the_printed_numbers():
  out = R.efficientnet_table(None, variants=("b0",))
  assert out["params_match"] == 1.0 and out["params_m_b0"] == pytest.approx(5.288548)
  assert R._digits(12) == 0 and R._digits(5.3) == 1 and R._digits(191.9) == 1
