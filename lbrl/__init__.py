"""lbrl: paper-faithful losses, optax transforms, Pallas kernels and a jit-sharded trainer (JAX/Flax)."""
__version__ = "0.1.0"
