"""The dialogue state machine (LangGraph) and the tool graph with its sampling (networkx).

The public surface is listed in ``__all__``; names load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "build_dialogue_graph": "dialogue", "DialogueState": "dialogue", "initial_state": "dialogue",
    "make_checkpointer": "dialogue", "NODES": "dialogue", "recursion_limit": "dialogue",
    "make_nodes": "dialogue", "compile_dialogue_graph": "dialogue", "DirectDialogue": "direct",
    "ToolGraph": "tool_graph", "build_tool_graph": "tool_graph", "load_or_build": "tool_graph",
    "sample_tools": "sampling", "relevance": "sampling", "SAMPLING_MODES": "sampling",
    "compare_modes": "sampling",
    "LexicalBackend": "similarity", "EmbeddingBackend": "similarity", "get_backend": "similarity",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'turnloom.graphs' has no attribute {name!r}")
    return getattr(importlib.import_module(f"turnloom.graphs.{_EXPORTS[name]}"), name)
