"""Meshes, sharding rules and multi-host initialisation."""
from lbrl.parallel.mesh import (batch_sharding, data_parallel_size, example_sharding, initialize_distributed,
                                make_mesh, model_rules, replicated, tree_shardings)
