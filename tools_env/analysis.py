"""What a tool *does*, inferred once from its name, parameters and return schema.

The mock environment executes a tool according to its :class:`ToolProfile`:

* ``create``  – makes a new record of ``entity`` and returns it with a fresh id;
* ``read``    – returns the record named by ``id_param``;
* ``list``    – returns the records of ``entity`` (in the array field ``collection``)
  filtered by the arguments;
* ``update``  – changes the record named by ``id_param`` with the other arguments;
* ``delete``  – removes the record named by ``id_param``;
* ``action``  – anything else (compute, send, convert…): same arguments, same answer.

Entities are shared across tools through id names: a ``book_flight`` that returns a
``booking_id`` and a ``get_booking(booking_id)`` both work on the ``booking`` table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from turnloom.schema import ToolSpec
from turnloom.tools_env.flow import normalize_name

__all__ = ["OpKind", "ToolProfile", "profile_tool", "singular", "split_words"]

OpKind = Literal["create", "read", "list", "update", "delete", "action"]

_CREATE = {"create", "add", "book", "schedule", "make", "place", "open", "register", "new", "post", "submit",
           "reserve", "order", "upload", "insert", "enroll", "subscribe", "file", "start", "issue", "rent",
           "request", "plan", "save", "hire", "apply", "generate_invoice"}
_READ = {"get", "fetch", "retrieve", "read", "show", "view", "describe", "lookup", "track", "download", "details"}
_LIST = {"list", "search", "find", "query", "browse", "filter", "discover", "explore", "recommend", "suggest"}
_UPDATE = {"update", "modify", "edit", "change", "reschedule", "rename", "set", "patch", "move", "upgrade",
           "adjust", "extend", "assign", "mark", "rate", "reassign", "approve", "reject", "resolve", "pause",
           "resume", "toggle", "transfer_ownership"}
_DELETE = {"delete", "remove", "cancel", "archive", "unsubscribe", "close", "terminate", "revoke", "drop",
           "withdraw", "unenroll", "dismiss", "clear"}
_NOISE = {"details", "detail", "info", "information", "status", "by", "with", "for", "of", "the", "a", "an",
          "all", "my", "new", "to", "from", "in", "on", "id", "data", "record", "records"}


_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_NON_ALNUM = re.compile(r"[^A-Za-z0-9]+")


@lru_cache(maxsize=65536)
def _split_words(identifier: str) -> tuple[str, ...]:
    spaced = _CAMEL.sub(r"\1 \2", identifier)
    return tuple(w.lower() for w in _NON_ALNUM.split(spaced) if w)


def split_words(identifier: str) -> list[str]:
    """``getFlightDetails`` / ``get_flight-details`` -> ``['get', 'flight', 'details']``."""
    return list(_split_words(identifier))


@lru_cache(maxsize=65536)
def singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


@dataclass(frozen=True)
class ToolProfile:
    name: str
    kind: OpKind
    entity: str | None
    #: parameter naming the record (read / update / delete)
    id_param: str | None
    #: field of the returned object carrying the record id (create / read / update)
    id_field: str | None
    #: list tools: the array field of the returned object holding the records
    collection: str | None
    required: tuple[str, ...]
    optional: tuple[str, ...]


def _props(schema: dict[str, Any] | None) -> dict[str, Any]:
    if not isinstance(schema, dict):
        return {}
    props = schema.get("properties")
    return props if isinstance(props, dict) else {}


def _resolve(schema: Any, root: dict[str, Any]) -> Any:
    seen = 0
    while isinstance(schema, dict) and "$ref" in schema and seen < 10:
        ref = schema["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return schema
        node: Any = root
        for part in ref[2:].split("/"):
            node = node.get(part, {}) if isinstance(node, dict) else {}
        schema = node
        seen += 1
    return schema


def _array_of_objects(returns: dict[str, Any]) -> str | None:
    for key, sub in sorted(_props(returns).items()):
        sub = _resolve(sub, returns)
        if isinstance(sub, dict) and sub.get("type") == "array":
            items = _resolve(sub.get("items", {}), returns)
            if isinstance(items, dict) and (items.get("type") == "object" or "properties" in items):
                return str(key)
    return None


def _is_id(name: str) -> bool:
    n = normalize_name(name)
    return n == "id" or n.endswith("_id")


def _id_entity(name: str) -> str | None:
    n = normalize_name(name)
    return n[:-3] if n.endswith("_id") and len(n) > 3 else None


def _id_params(tool: ToolSpec) -> list[str]:
    return [p for p in tool.required if _is_id(p)]


def _pick_id_param(tool: ToolSpec, words: list[str]) -> str | None:
    ids = _id_params(tool)
    if not ids:
        return None
    # prefer the id naming an entity mentioned in the tool's name
    for p in ids:
        ent = _id_entity(p) or ""
        if ent and all(part in words or singular(part) in words for part in ent.split("_")):
            return p
    return ids[0]


_HTTP = {"post", "put", "patch", "head"}


def _verb_kind(words: list[str]) -> OpKind | None:
    candidates = [words[0]] if words else []
    if words and words[0] in _HTTP and len(words) > 1:
        # names made from method + path ("post_orders_by_order_id_cancel"): the action is last
        candidates = [words[-1], words[0]]
    for verb in candidates:
        for kind, verbs in (("list", _LIST), ("delete", _DELETE), ("update", _UPDATE), ("create", _CREATE),
                            ("read", _READ)):
            if verb in verbs:
                return kind  # type: ignore[return-value]
    return None


def _entity_from_words(words: list[str]) -> str | None:
    rest = [w for w in words[1:] if w not in _NOISE and w not in _HTTP]
    if not rest:
        return None
    # "search_flights_by_price" -> "flight"; keep a compound like "support_ticket" when short
    cut = rest
    for i, w in enumerate(words[1:]):
        if w in {"by", "with", "for", "from", "to", "in", "on"}:
            cut = [x for x in words[1 : 1 + i] if x not in _NOISE] or rest
            break
    return "_".join(singular(w) for w in cut[-2:]) if len(cut) > 1 else singular(cut[0])


@lru_cache(maxsize=65536)
def _profile_cached(key: str) -> ToolProfile:
    tool = ToolSpec.model_validate_json(key)
    return _infer(tool)


def profile_tool(tool: ToolSpec) -> ToolProfile:
    """The (cached) profile of one tool."""
    return _profile_cached(tool.key())


def _infer(tool: ToolSpec) -> ToolProfile:
    words = split_words(tool.name)
    kind = _verb_kind(words)
    returns = tool.returns or {}
    rprops = _props(returns)
    collection = _array_of_objects(returns)
    id_param = _pick_id_param(tool, words)
    required = tuple(tool.required)
    optional = tuple(sorted(p for p in tool.properties if p not in required))
    param_entities = {_id_entity(p) for p in _id_params(tool)}
    own_ids = [k for k in sorted(rprops) if _is_id(k) and _id_entity(k) not in param_entities]
    name_entity = _entity_from_words(words)

    if kind is None:
        kind = "action"
    if kind == "read" and id_param is None:
        kind = "list" if collection else "action"
    if kind == "list" and (collection is None or id_param is not None and not tool.properties.keys() - {id_param}):
        kind = "read" if id_param else "action"
    if kind in ("update", "delete") and id_param is None:
        kind = "action"

    entity: str | None = None
    id_field: str | None = None
    if kind in ("read", "update", "delete") and id_param:
        entity = _id_entity(id_param) or name_entity
        id_field = next((k for k in sorted(rprops) if normalize_name(k) == normalize_name(id_param)),
                        "id" if "id" in rprops else None)
    elif kind == "create":
        specific = [k for k in own_ids if k != "id"]
        preferred = f"{name_entity}_id" if name_entity else None
        id_field = (preferred if preferred in specific else (specific[0] if specific else None)) or (
            "id" if "id" in rprops else None)
        entity = (_id_entity(id_field) if id_field and id_field != "id" else None) or name_entity
    elif kind == "list" and collection:
        items = _resolve(_resolve(rprops[collection], returns).get("items", {}), returns)
        item_keys = sorted(_props(items))
        generic = collection in {"items", "results", "data", "records", "entries", "list", "rows"}
        entity = (name_entity if generic else singular(collection)) or singular(collection)
        preferred = f"{entity}_id"
        id_field = next((k for k in item_keys if normalize_name(k) == preferred), None) or (
            "id" if "id" in item_keys else None)
    return ToolProfile(
        name=tool.name,
        kind=kind,
        entity=entity,
        id_param=id_param if kind in ("read", "update", "delete") else None,
        id_field=id_field,
        collection=collection if kind == "list" else None,
        required=required,
        optional=optional,
    )
