"""Bounded memos shared by the environments of a process, and the JSON helpers they key on."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any

__all__ = ["MEMO_LIMIT", "OBJECT_LEVEL", "Memo", "json_clone", "strict_json"]

#: entries kept by the generation and validation memos: a few dialogues' worth of calls, so
#: that a dialogue's final replay finds its own values, and memory plateaus however long the run
MEMO_LIMIT = 4096
#: object-level keywords a per-field check cannot account for
OBJECT_LEVEL = ("oneOf", "anyOf", "allOf", "not", "if", "dependentSchemas", "dependentRequired", "propertyNames",
                "patternProperties", "unevaluatedProperties", "maxProperties", "$ref")


class Memo:
    """A bounded LRU shared by every environment of the process (the verifier replays a
    dialogue on its own environment over the same tool schemas). Each entry holds the
    objects whose ids are in its key, so an id cannot be reused while it is cached."""

    def __init__(self, limit: int = MEMO_LIMIT) -> None:
        self.limit = limit
        self._data: OrderedDict[Any, tuple[Any, Any, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any, ref: Any, ref2: Any = None) -> tuple[bool, Any]:
        with self._lock:
            hit = self._data.get(key)
            if hit is None or hit[0] is not ref or hit[1] is not ref2:
                return False, None
            self._data.move_to_end(key)
            return True, hit[2]

    def put(self, key: Any, ref: Any, value: Any, ref2: Any = None) -> None:
        with self._lock:
            self._data[key] = (ref, ref2, value)
            if len(self._data) > self.limit:
                self._data.popitem(last=False)


def strict_json(value: Any) -> str:
    """Canonical JSON text; raises TypeError on anything that is not JSON."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def json_clone(value: Any) -> Any:
    """A deep copy of JSON-like data (dicts, lists, scalars), much cheaper than ``copy.deepcopy``."""
    if isinstance(value, dict):
        return {k: json_clone(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_clone(v) for v in value]
    return value
