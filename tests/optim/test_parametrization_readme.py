"""The README's muP example, run as written: a user applies muP to their own Flax module in a few lines.

The code block under README.md's "### muP on your own Flax model" is read from the README and executed, so
the README and this test cannot drift apart; the test then checks what the example did against TP5's
Table 3 (Yang et al. 2022, arXiv:2203.03466): readout init / sqrt(width ratio), Adam learning rates of the
hidden and output weights / width ratio, input weights and biases unchanged.
"""
import pathlib
import re

import jax
import jax.numpy as jnp
import numpy as np

README = pathlib.Path(__file__).resolve().parents[2] / "README.md"
SECTION = "### muP on your own Flax model"


def readme_example() -> str:
  """The first ```python block after the README's muP section heading."""
  text = README.read_text()
  if SECTION not in text:
    raise AssertionError(f"README.md has no section {SECTION!r}")
  block = re.search(r"```python\n(.*?)```", text[text.index(SECTION):], re.S)
  if block is None:
    raise AssertionError(f"README.md's {SECTION!r} has no python code block")
  return block.group(1)


def test_readme_example():
  ns: dict = {}
  exec(compile(readme_example(), str(README), "exec"), ns)  # pylint: disable=exec-used
  params, tx, x, net = ns["params"], ns["tx"], ns["x"], ns["MyNet"]
  sp_params = net(1024).init(jax.random.PRNGKey(0), x)["params"]   # the same key, standard init

  # what it did: the readout init std x 1/sqrt(16), every other leaf untouched (TP5 Table 3, width 1024 / 64)
  np.testing.assert_allclose(params["readout"]["kernel"], sp_params["readout"]["kernel"] / 4, rtol=1e-6)
  np.testing.assert_array_equal(params["trunk"]["kernel"], sp_params["trunk"]["kernel"])
  np.testing.assert_array_equal(params["embed"]["kernel"], sp_params["embed"]["kernel"])
  grads = jax.tree.map(jnp.ones_like, params)
  updates, _ = tx.update(grads, tx.init(params), params)
  # Adam's first step is -lr * sign(g); muP divides the hidden and output weights' by m_in = 16
  np.testing.assert_allclose(updates["embed"]["kernel"], -3e-3, rtol=1e-4)
  np.testing.assert_allclose(updates["trunk"]["kernel"], -3e-3 / 16, rtol=1e-4)
  np.testing.assert_allclose(updates["readout"]["kernel"], -3e-3 / 16, rtol=1e-4)
  np.testing.assert_allclose(updates["readout"]["bias"], -3e-3, rtol=1e-4)
