"""What a tool *does*, inferred once from every signal it carries.

The mock environment executes a tool according to its :class:`ToolProfile`:

* ``create``  – makes a new record of ``entity`` and returns it with a fresh id;
* ``read``    – returns the record named by ``id_param``;
* ``list``    – returns the records of ``entity`` (in the array field ``collection``, or
  the top-level array when ``collection`` is ``""``) filtered by the arguments;
* ``update``  – changes the record named by ``id_param`` with the other arguments;
* ``delete``  – removes the record named by ``id_param``;
* ``status``  – sets the status of the record named by ``id_param`` (cancel, close, end,
  approve, archive…): the record stays, and later reads show the new status;
* ``action``  – anything else (compute, send, convert…): same arguments, same answer.

The signals, strongest first: the HTTP method and path template of an imported HTTP
operation (``POST /pets`` creates, ``GET /pets/{petId}`` reads, ``POST /orders/{id}/cancel``
changes a status); the verb in the tool's name, wherever it stands (``verb_noun``,
``noun_verb``, camelCase, ``*_read``); MCP annotations (a read-only tool never creates);
and the schemas (a list needs an array of records to return). The words are data:
``tools_env/data/operations.yaml``.

Entities are shared across tools through id names: a ``book_flight`` that returns a
``booking_id`` and a ``get_booking(booking_id)`` both work on the ``booking`` table. Ids
are ``id``, ``*_id``, ``*Id``, ``*Sid``, ``*_uuid``, ``slug``, ``username``… and every path
parameter of an HTTP operation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

import yaml

from turnloom.schema import ToolSpec
from turnloom.tools_env.flow import normalize_name

__all__ = ["STATUS_VALUES", "OpKind", "ToolProfile", "operation", "operation_verb", "profile_tool", "singular",
           "split_words"]

OpKind = Literal["create", "read", "list", "update", "delete", "status", "action"]


def _vocabulary() -> dict[str, Any]:
    text = (resources.files("turnloom.tools_env") / "data" / "operations.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)  # type: ignore[no-any-return]


_VOCAB = _vocabulary()
_VERBS: dict[str, OpKind] = {w: kind for kind, words in _VOCAB["verbs"].items() for w in words}
_STRONG = frozenset(_VOCAB["strong"])
#: status verb -> the values it leaves in a status field, most likely first
STATUS_VALUES: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _VOCAB["status"].items()}
_NOISE = frozenset(_VOCAB["noise"])
_ID_WORDS = frozenset(_VOCAB["id_words"])
#: last words that make a name ``noun_verb`` ("shopping_list" ends in a noun)
_END_VERBS = (_STRONG - {"list"}) | frozenset(STATUS_VALUES)

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
    #: the word of the name that says what the tool does (``cancel`` in ``cancel_order``)
    verb: str | None = None


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


def _records_array(schema: Any, root: dict[str, Any]) -> bool:
    schema = _resolve(schema, root)
    if not isinstance(schema, dict) or schema.get("type") != "array":
        return False
    items = _resolve(schema.get("items", {}), root)
    return isinstance(items, dict) and (items.get("type") == "object" or "properties" in items)


def _array_of_objects(returns: dict[str, Any]) -> str | None:
    """The array field of records in a returns schema; ``""`` when the top level is that array."""
    if _records_array(returns, returns):
        return ""
    for key, sub in sorted(_props(returns).items()):
        sub = _resolve(sub, returns)
        if isinstance(sub, dict) and sub.get("type") == "array":
            items = _resolve(sub.get("items", {}), returns)
            if isinstance(items, dict) and (items.get("type") == "object" or "properties" in items):
                return str(key)
    return None


def _is_id(name: str) -> bool:
    n = normalize_name(name)
    last = n.rsplit("_", 1)[-1]
    return n == "id" or last == "id" or last in _ID_WORDS


def _id_entity(name: str) -> str | None:
    n = normalize_name(name)
    if n == "username":
        return "user"
    head, _, last = n.rpartition("_")
    return head if head and (last == "id" or last in _ID_WORDS) else None


def _path_params(tool: ToolSpec) -> list[str]:
    """The tool's parameters that fill its HTTP path template, in template order."""
    http = tool.http
    if http is None:
        return []
    wire = {http.wire_names.get(p, p): p for p in http.path_params}
    names = re.findall(r"\{([^}]+)\}", http.path)
    return [wire[n] for n in names if n in wire and wire[n] in tool.properties]


def _id_params(tool: ToolSpec) -> list[str]:
    path = _path_params(tool)
    return path + [p for p in tool.required if _is_id(p) and p not in path]


def _pick_id_param(tool: ToolSpec, words: list[str]) -> str | None:
    path = _path_params(tool)
    if path:
        return path[-1]
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


def _verb(words: list[str]) -> tuple[OpKind | None, int]:
    """The operation kind its name says, and the index of the word that says it (-1: none).

    ``verb_noun`` is read from the start; ``noun_verb`` from the end when the last word is
    unmistakably a verb (``domains_create``, ``issue_read``, ``order_cancel``); a name built
    from an HTTP method and a path (``post_orders_by_order_id_cancel``) names its action last."""
    if not words:
        return None, -1
    n = len(words)
    last_is_verb = n > 1 and words[-1] in _END_VERBS
    if words[0] in _HTTP and n > 1 or last_is_verb and words[0] not in _STRONG and _VERBS.get(words[0]) != "action":
        order = [n - 1, 0]
    else:
        order = [0, n - 1] if last_is_verb else [0]
    for i in order:
        w = words[i]
        if w in STATUS_VALUES:
            return "status", i
        if w in _VERBS:
            return _VERBS[w], i
    return None, -1


def _entity_from_words(words: list[str], verb_at: int = 0) -> str | None:
    """The entity a name is about: its words but the verb (at ``verb_at``), noise words and
    HTTP methods; cut at a preposition (``search_flights_by_price`` -> ``flight``)."""
    body = [w for i, w in enumerate(words) if i != verb_at]
    rest = [w for w in body if w not in _NOISE and w not in _HTTP]
    if not rest:
        return None
    # keep a compound like "support_ticket" when short
    cut = rest
    for i, w in enumerate(body):
        if w in {"by", "with", "for", "from", "to", "in", "on"}:
            cut = [x for x in body[:i] if x not in _NOISE and x not in _HTTP] or rest
            break
    return "_".join(singular(w) for w in cut[-2:]) if len(cut) > 1 else singular(cut[0])


def _http_operation(tool: ToolSpec) -> tuple[OpKind, str | None, str | None] | None:
    """(kind, entity, the path's action word) from the HTTP method and path template; None
    without them."""
    http = tool.http
    if http is None:
        return None
    method = http.method.lower()
    segments = [s for s in http.path.split("/") if s]
    literal = [(i, s) for i, s in enumerate(segments) if not s.startswith("{")]
    if not literal:
        return None
    item = bool(segments) and segments[-1].startswith("{")
    last_i, last = literal[-1]
    words = split_words(last)
    action = not item and last_i > 0 and segments[last_i - 1].startswith("{") and bool(words) and (
        words[0] in STATUS_VALUES or words[0] in _VERBS)
    if action:
        owner = next((s for i, s in reversed(literal[:-1])), "")
        entity = singular(normalize_name(owner)) if owner else None
        kind: OpKind = "status" if words[0] in STATUS_VALUES else _VERBS[words[0]]
        return ("action" if kind in ("create", "list") else kind), entity, words[0]
    entity = singular(normalize_name(last))
    if words and _VERBS.get(words[0]) in ("list", "read") and len(literal) > 1:
        # GET /pet/findByStatus, POST /users/search: a verb on the collection before it
        entity = singular(normalize_name(literal[-2][1]))
        if _VERBS[words[0]] == "list" or method == "get" and _VERBS[words[0]] == "read":
            return "list", entity, None
    if method == "get":
        return ("read" if item else "list"), entity, None
    if method == "delete":
        return ("delete" if item else "action"), entity, None
    if method in ("put", "patch"):
        return "update", entity, None
    if method == "post":
        return ("update" if item else "create"), entity, None
    return None


def _top(schema: Any) -> Any:
    """A schema whose top level is a ``$ref`` (``{"$ref": "#/$defs/Pet", "$defs": …}``) as
    the object it names, keeping the definitions."""
    if isinstance(schema, dict) and "$ref" in schema:
        target = _resolve(schema, schema)
        if isinstance(target, dict) and target is not schema:
            defs = {k: schema[k] for k in ("$defs", "definitions") if k in schema}
            return {**target, **defs}
    return schema


@lru_cache(maxsize=65536)
def _profile_cached(key: str) -> ToolProfile:
    tool = ToolSpec.model_validate_json(key)
    return _infer(tool)


def profile_tool(tool: ToolSpec) -> ToolProfile:
    """The (cached) profile of one tool."""
    return _profile_cached(tool.key())


def operation(tool: ToolSpec) -> tuple[OpKind | None, str | None]:
    """The kind and entity the tool's HTTP binding, name and annotations say, before its
    schemas are consulted (what a response shape is inferred from when none is declared)."""
    kind, entity, _ = _operation(tool)
    return kind, entity


def operation_verb(tool: ToolSpec) -> str | None:
    """The word that says what the tool does: the action of its path (``archive`` in
    ``POST /pets/{id}/archive``), else the verb of its name (``cancel`` in ``cancel_order``)."""
    return _operation(tool)[2]


@lru_cache(maxsize=65536)
def _operation_cached(key: str) -> tuple[OpKind | None, str | None, str | None]:
    return _read_operation(ToolSpec.model_validate_json(key))


def _operation(tool: ToolSpec) -> tuple[OpKind | None, str | None, str | None]:
    return _operation_cached(tool.key())


def _read_operation(tool: ToolSpec) -> tuple[OpKind | None, str | None, str | None]:
    words = split_words(tool.name)
    kind, at = _verb(words)
    entity = _entity_from_words(words, max(at, 0))
    verb = words[at] if at >= 0 else None
    http = _http_operation(tool)
    if http is not None:
        http_kind, http_entity, http_verb = http
        entity = http_entity or entity
        # the name refines a generic HTTP reading: POST /orders/{id}/cancel, PUT /pets/{id}/archive
        if not (kind == "status" and http_kind in ("action", "update", "create")):
            kind, verb = http_kind, http_verb or verb
    if "read-only" in tool.tags and kind in ("create", "update", "delete", "status"):
        kind = "read" if _id_params(tool) else "list"
    return kind, entity, verb


def _infer(tool: ToolSpec) -> ToolProfile:
    words = split_words(tool.name)
    kind, name_entity, verb = _operation(tool)
    returns = _top(tool.returns) if tool.returns else {}
    rprops = _props(returns)
    collection = _array_of_objects(returns)
    id_param = _pick_id_param(tool, words)
    required = tuple(tool.required)
    optional = tuple(sorted(p for p in tool.properties if p not in required))
    param_entities = {e for e in map(_id_entity, _id_params(tool)) if e}
    own_ids = [k for k in sorted(rprops) if _is_id(k) and _id_entity(k) not in param_entities]
    if kind == "update" and id_param is None and tool.http is not None:
        # PUT /pet with the id in the body
        id_param = next((p for p in tool.properties if _is_id(p)), None)

    if kind is None:
        kind = "action"
    if kind == "read" and id_param is None:
        kind = "list" if collection is not None else "action"
    if kind == "list" and (collection is None or id_param is not None and not tool.properties.keys() - {id_param}
                           and tool.http is None):
        kind = "read" if id_param else "action"
    if kind in ("update", "delete", "status") and id_param is None:
        kind = "action"
    if kind == "create" and tool.http is None and "destructive" in tool.tags and id_param is not None:
        kind = "update"

    entity: str | None = None
    id_field: str | None = None
    if kind in ("read", "update", "delete", "status") and id_param:
        entity = (name_entity if tool.http is not None else None) or _id_entity(id_param) or name_entity
        id_field = next((k for k in sorted(rprops) if normalize_name(k) == normalize_name(id_param)),
                        "id" if "id" in rprops else None)
    elif kind == "create":
        bare = [k for k in own_ids if normalize_name(k) == "id" or normalize_name(k) in _ID_WORDS]
        specific = [k for k in own_ids if k not in bare]
        preferred = {f"{name_entity}_{w}" for w in ("id", *_ID_WORDS)} if name_entity else set()
        # the entity's own id, then a bare id (Twilio's sid next to its account_sid), then any
        id_field = next((k for k in specific if normalize_name(k) in preferred), None) or (
            bare[0] if bare and tool.http is not None else None) or (specific[0] if specific else None) or (
            bare[0] if bare else None)
        entity = (name_entity if tool.http is not None else None) or (
            _id_entity(id_field) if id_field and id_field != "id" else None) or name_entity
    elif kind == "list" and collection is not None:
        coll_schema = returns if collection == "" else _resolve(rprops[collection], returns)
        items = _resolve(coll_schema.get("items", {}), returns)
        item_keys = sorted(_props(items))
        generic = collection in {"", "items", "results", "data", "records", "entries", "list", "rows"}
        entity = (name_entity if generic else singular(normalize_name(collection))) or (
            singular(normalize_name(collection)) if collection else None)
        preferred = f"{entity}_id"
        id_field = next((k for k in item_keys if normalize_name(k) == preferred), None) or (
            "id" if "id" in item_keys else None)
    if kind == "create" and id_field is None and tool.http is not None:
        kind = "action"  # POST of a singleton or a computation: nothing to fetch back by id
    return ToolProfile(
        name=tool.name,
        kind=kind,
        entity=entity,
        id_param=id_param if kind in ("read", "update", "delete", "status") else None,
        id_field=id_field,
        collection=collection if kind == "list" else None,
        required=required,
        optional=optional,
        verb=verb,
    )
