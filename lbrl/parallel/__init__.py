"""Meshes, sharding rules and multi-host initialisation."""
from lbrl.parallel.mesh import (batch_sharding, data_parallel_size, initialize_distributed, make_mesh,
                                replicated, tree_shardings)
