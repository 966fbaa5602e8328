"""API schemas -> executable, stateful mock tools; the API pool, importers and evolution.

The public surface is listed in ``__all__``; names load on first use, so importing one
part does not import them all.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "World": "world", "world_diff": "world",
    "ToolEnvironment": "env", "EnvSettings": "env", "BindingError": "env", "inject_key": "env",
    "load_binding": "env",
    "ToolProfile": "analysis", "profile_tool": "analysis",
    "Link": "flow", "find_links": "links", "output_fields": "flow",
    "ValueFactory": "values", "generate_value": "values",
    "infer_returns": "infer_returns", "with_inferred_returns": "infer_returns", "INFERRED_TAG": "infer_returns",
    "PoolError": "pool", "load_pool": "pool", "save_pool": "pool", "builtin_pool": "pool",
    "resolve_pool": "pool", "pool_stats": "pool",
    "ToolImportError": "importers", "import_tools": "importers", "export_openai": "importers",
    "evolve_pool": "evolve", "aevolve_pool": "evolve", "SpeciationTree": "evolve",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'turnloom.tools_env' has no attribute {name!r}")
    return getattr(importlib.import_module(f"turnloom.tools_env.{_EXPORTS[name]}"), name)
