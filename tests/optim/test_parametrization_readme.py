"""The README's muP example, run as written: a user applies muP to their own Flax module in a few lines.

README text (keep in sync)::

    import flax.linen as nn, jax, jax.numpy as jnp, optax
    from lbrl.optim.parametrization import apply_init, mup

    class MyNet(nn.Module):
      width: int
      @nn.compact
      def __call__(self, x):
        h = nn.relu(nn.Dense(self.width, name="embed")(x))
        h = nn.relu(nn.Dense(self.width, name="trunk")(h))
        return nn.Dense(10, name="readout")(h)

    x = jnp.zeros((1, 40))
    base = jax.eval_shape(lambda: MyNet(64).init(jax.random.PRNGKey(0), x))["params"]   # the tuned proxy
    p13n = mup("adam", base_shapes=base,
               roles=[("embed", "input"), ("trunk", "hidden"), ("readout", "output")])
    params = apply_init(MyNet(1024).init(jax.random.PRNGKey(0), x)["params"], p13n)
    tx = optax.chain(optax.adam(3e-3), p13n.scale_updates(3e-3))   # the lr tuned at width 64

In a config: ``c.parametrization = dict(name="mup", optimizer="adam", base_model=dict(name="mlp",
hidden=(64, 64), num_classes=10), input_shape=(1, 40))`` (zoo models need no roles).
"""
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax

from lbrl.optim.parametrization import apply_init, mup


class MyNet(nn.Module):
  width: int

  @nn.compact
  def __call__(self, x):
    h = nn.relu(nn.Dense(self.width, name="embed")(x))
    h = nn.relu(nn.Dense(self.width, name="trunk")(h))
    return nn.Dense(10, name="readout")(h)


def test_readme_example():
  x = jnp.zeros((1, 40))
  base = jax.eval_shape(lambda: MyNet(64).init(jax.random.PRNGKey(0), x))["params"]
  p13n = mup("adam", base_shapes=base, roles=[("embed", "input"), ("trunk", "hidden"), ("readout", "output")])
  sp_params = MyNet(1024).init(jax.random.PRNGKey(0), x)["params"]
  params = apply_init(sp_params, p13n)
  tx = optax.chain(optax.adam(3e-3), p13n.scale_updates(3e-3))

  # what it did: the readout init std x 1/sqrt(16), every other leaf untouched (TP5 Table 3, width 1024 / 64)
  np.testing.assert_allclose(params["readout"]["kernel"], sp_params["readout"]["kernel"] / 4, rtol=1e-6)
  np.testing.assert_array_equal(params["trunk"]["kernel"], sp_params["trunk"]["kernel"])
  grads = jax.tree.map(jnp.ones_like, params)
  updates, _ = tx.update(grads, tx.init(params), params)
  # Adam's first step is -lr * sign(g); muP divides the hidden and output leaves' by m_in = 16
  np.testing.assert_allclose(updates["embed"]["kernel"], -3e-3, rtol=1e-4)
  np.testing.assert_allclose(updates["trunk"]["kernel"], -3e-3 / 16, rtol=1e-4)
  np.testing.assert_allclose(updates["readout"]["kernel"], -3e-3 / 16, rtol=1e-4)
  np.testing.assert_allclose(updates["readout"]["bias"], -3e-3, rtol=1e-4)
