"""The engine: effects, flows, policy, limits and the runners that perform them."""
