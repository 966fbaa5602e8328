"""Response shapes for tools that declare none (most OpenAI-format, BFCL and MCP tools).

A tool without ``returns`` gets one inferred from what it does (:func:`operation`: its kind
and entity) and from its sibling tools, the ones working on the same entity:

* create / read / update / status -> the entity's record: its id under the name the
  siblings take (``note_id`` when ``get_note(note_id)`` exists), the fields that the
  create and update siblings send, a ``status`` where a sibling changes it, and
  ``created_at`` / ``updated_at``;
* list -> ``{"<entities>": [record, ...], "total": n}``;
* delete -> ``{"<id>": ..., "deleted": true}``;
* any other action -> the fields its verb implies (``send`` -> the message id and a
  status, ``convert`` -> the rate and the converted amount...; the table is data:
  ``tools_env/data/action_returns.yaml``) plus the arguments it was given.

Inferred schemas are marked with the tag :data:`INFERRED_TAG`; ``turnloom pool
infer-returns`` writes them for review and editing, and a declared ``returns`` always wins.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from turnloom.schema import ToolSpec
from turnloom.tools_env.analysis import (
    STATUS_VALUES,
    _id_params,
    _is_id,
    operation,
    operation_verb,
    singular,
    split_words,
)
from turnloom.tools_env.flow import CONTROL_PARAMS, normalize_name

__all__ = ["INFERRED_TAG", "infer_returns", "with_inferred_returns"]

#: the tag that marks a ``returns`` schema as inferred rather than declared
INFERRED_TAG = "returns:inferred"
_RECORD_KINDS = ("create", "read", "update", "status")


@lru_cache(maxsize=1)
def _action_table() -> dict[str, dict[str, Any]]:
    text = (resources.files("turnloom.tools_env") / "data" / "action_returns.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)["verbs"]  # type: ignore[no-any-return]


def _plural(entity: str) -> str:
    last = entity.rsplit("_", 1)[-1]
    if last.endswith("y") and not last.endswith(("ay", "ey", "oy", "uy")):
        return entity[:-1] + "ies"
    if last.endswith(("s", "x", "ch", "sh")):
        return entity + "es"
    return entity + "s"


def _field(schema: Any) -> dict[str, Any]:
    """A parameter's schema as a record field: the same type and constraints, no default."""
    out = copy.deepcopy(schema) if isinstance(schema, dict) else {}
    out.pop("default", None)
    return out


class _Entity:
    """What the sibling tools of one entity say about its records."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.id_names: list[str] = []
        self.fields: dict[str, dict[str, Any]] = {}
        self.defs: dict[str, Any] = {}
        self.statuses: list[str] = []

    def id_name(self) -> str:
        return self.id_names[0] if self.id_names else f"{self.name}_id"

    def record(self) -> dict[str, Any]:
        id_name = self.id_name()
        props: dict[str, Any] = {id_name: {"type": "string", "description": f"Identifier of the {_words(self.name)}."}}
        for key, schema in sorted(self.fields.items()):
            if normalize_name(key) != normalize_name(id_name):
                props[key] = schema
        if self.statuses:
            props.setdefault("status", {"type": "string", "enum": ["active", *self.statuses]})
        props.setdefault("created_at", {"type": "string", "format": "date-time"})
        out: dict[str, Any] = {"type": "object", "properties": props, "required": [id_name]}
        if self.defs:
            out["$defs"] = copy.deepcopy(self.defs)
        return out


def _words(name: str) -> str:
    return " ".join(split_words(name))


def _entities(tools: Sequence[ToolSpec]) -> dict[str, _Entity]:
    found: dict[str, _Entity] = {}
    for tool in sorted(tools, key=lambda t: t.name):
        kind, name = operation(tool)
        if not name:
            continue
        ent = found.setdefault(name, _Entity(name))
        ids = _id_params(tool)
        if kind in ("read", "update", "delete", "status") and ids:
            own = [p for p in ids if normalize_name(p).startswith(normalize_name(name))] or ids[-1:]
            for p in own:
                if p not in ent.id_names:
                    ent.id_names.append(p)
        if kind in ("create", "update"):
            for key, schema in tool.properties.items():
                if key in ids or key in CONTROL_PARAMS or not isinstance(schema, dict):
                    continue
                ent.fields.setdefault(key, _field(schema))
            ent.defs.update({k: v for k, v in tool.parameters.get("$defs", {}).items() if k not in ent.defs})
        if kind == "status":
            verb = operation_verb(tool)
            if verb in STATUS_VALUES and STATUS_VALUES[verb][0] not in ent.statuses:
                ent.statuses.append(STATUS_VALUES[verb][0])
    return found


def _echo(tool: ToolSpec) -> dict[str, Any]:
    return {k: _field(v) for k, v in tool.properties.items()
            if isinstance(v, dict) and "$ref" not in str(v) and k not in CONTROL_PARAMS}


def _action(tool: ToolSpec, entity: str | None) -> dict[str, Any]:
    words = split_words(tool.name)
    table = _action_table()
    verb = next((w for w in words if w in table), None)
    props: dict[str, Any] = _echo(tool)
    required: list[str] = []
    if verb is not None:
        for key, schema in table[verb].items():
            name = key.replace("{entity}", entity or "result")
            props[name] = copy.deepcopy(schema)
            required.append(name)
    else:
        props["success"] = {"type": "boolean", "const": True, "description": "Whether the operation succeeded."}
        required.append("success")
    return {"type": "object", "properties": props, "required": required}


def infer_returns(tool: ToolSpec, siblings: Sequence[ToolSpec],
                  entities: dict[str, _Entity] | None = None) -> dict[str, Any]:
    """The response shape of ``tool`` (which declares none), given the tools offered with it
    (``entities``: what :func:`_entities` found in them, when the caller has it)."""
    kind, entity = operation(tool)
    entities = entities if entities is not None else _entities(siblings)
    ent = entities.get(entity or "") if entity else None
    if ent is None and entity:
        ent = _Entity(entity)
    if kind in _RECORD_KINDS and ent is not None:
        return ent.record()
    if kind == "list" and ent is not None:
        field = _plural(ent.name)
        return {"type": "object",
                "properties": {field: {"type": "array", "items": ent.record()},
                               "total": {"type": "integer", "minimum": 0, "description": "Number of matches."}},
                "required": [field, "total"]}
    if kind == "delete" and ent is not None:
        id_name = next((p for p in _id_params(tool) if _is_id(p)), ent.id_name())
        return {"type": "object",
                "properties": {id_name: {"type": "string"}, "deleted": {"type": "boolean", "const": True}},
                "required": [id_name, "deleted"]}
    singular_entity = singular(entity) if entity else None
    return _action(tool, singular_entity)


def with_inferred_returns(tools: Sequence[ToolSpec]) -> list[ToolSpec]:
    """``tools`` with a ``returns`` inferred (and tagged) for each tool that declares none."""
    if all(t.returns is not None for t in tools):
        return list(tools)
    entities = _entities(tools)
    return [t if t.returns is not None else t.model_copy(update={
        "returns": infer_returns(t, tools, entities), "tags": [*t.tags, INFERRED_TAG]}) for t in tools]
