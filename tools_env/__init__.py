"""API schemas -> executable, stateful mock tools; the API pool and its importers."""

from toolweave.tools_env.world import World, world_diff

__all__ = ["World", "world_diff"]
