"""Flax models (declared by name in lbrl.registry.MODELS)."""
from lbrl.models import simple  # noqa: F401
from lbrl.models.simple import CNN1D, GRU, MLP, LogReg
from lbrl.models import dual_encoder, resnet, transformer, vit  # noqa: F401,E402
from lbrl.models.dual_encoder import DualEncoder  # noqa: E402
from lbrl.models.resnet import ResNet, ResNet18  # noqa: E402
from lbrl.models.transformer import TransformerLM  # noqa: E402
from lbrl.models.vit import ViT  # noqa: E402
from lbrl.models import heads  # noqa: F401,E402  (harmonic distance and cosine heads)
from lbrl.models.onehot import OneHotMLP  # noqa: F401,E402  (the grokking MLP on one-hot operands)
from lbrl.models import zoo  # noqa: F401,E402  (the papers' models: resnet50, wide_resnet, preact_resnet18, vit_s16, gpt2_small)
from lbrl.models.zoo import GPT2Small, PreActResNet18, ResNet50, ViTS16, WideResNet  # noqa: F401,E402
