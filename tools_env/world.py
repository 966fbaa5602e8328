"""The world: all mock-environment state as plain JSON-serializable data.

``World`` is immutable by convention: :class:`turnloom.tools_env.ToolEnvironment`
never mutates one in place, it returns a new world that shares untouched tables.
That is what makes replay, checkpoint history and MCTS branching exact.
"""

from __future__ import annotations

import hashlib
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from turnloom.schema import canonical_json

__all__ = ["World", "world_diff"]


class World(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: seed of every value this world will ever generate
    seed: int = 0
    #: number of calls executed so far (part of the per-call random stream)
    clock: int = 0
    #: entity tables: entity type -> record id -> record
    tables: dict[str, dict[str, dict[str, Any]]] = Field(default_factory=dict)
    #: memoized answers of side-effect-free actions: call key -> result content
    memo: dict[str, Any] = Field(default_factory=dict)
    #: per-entity id counters
    counters: dict[str, int] = Field(default_factory=dict)

    def digest(self) -> str:
        """Stable hash of the whole state (tables, memo and counters; not the clock)."""
        payload = canonical_json({"tables": self.tables, "memo": self.memo, "counters": self.counters})
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    def get(self, entity: str, record_id: str) -> dict[str, Any] | None:
        return self.tables.get(entity, {}).get(str(record_id))

    def records(self, entity: str) -> list[dict[str, Any]]:
        return list(self.tables.get(entity, {}).values())

    def with_record(self, entity: str, record_id: str, record: dict[str, Any] | None) -> World:
        """A new world with one record put (or removed when ``record`` is None)."""
        table = dict(self.tables.get(entity, {}))
        if record is None:
            table.pop(str(record_id), None)
        else:
            table[str(record_id)] = record
        tables = dict(self.tables)
        tables[entity] = table
        return self.model_copy(update={"tables": tables})

    def tick(self) -> World:
        return self.model_copy(update={"clock": self.clock + 1})

    def next_id(self, entity: str) -> tuple[World, int]:
        n = self.counters.get(entity, 0) + 1
        counters = dict(self.counters)
        counters[entity] = n
        return self.model_copy(update={"counters": counters}), n

    def with_memo(self, key: str, value: Any) -> World:
        memo = dict(self.memo)
        memo[key] = value
        return self.model_copy(update={"memo": memo})


def world_diff(before: World, after: World) -> dict[str, Any]:
    """Records added, removed and changed between two worlds, per entity type."""
    out: dict[str, Any] = {}
    for entity in sorted(set(before.tables) | set(after.tables)):
        old = before.tables.get(entity, {})
        new = after.tables.get(entity, {})
        added = {k: new[k] for k in sorted(set(new) - set(old))}
        removed = sorted(set(old) - set(new))
        changed = {}
        for k in sorted(set(old) & set(new)):
            if old[k] != new[k]:
                fields = sorted(f for f in set(old[k]) | set(new[k]) if old[k].get(f) != new[k].get(f))
                changed[k] = {f: [old[k].get(f), new[k].get(f)] for f in fields}
        if added or removed or changed:
            out[entity] = {"added": added, "removed": removed, "changed": changed}
    return out
