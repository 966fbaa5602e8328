"""The record semantics behind each operation kind (create / read / list / update /
delete / action). Every returned value validates against the tool's ``returns``."""

from __future__ import annotations

import copy
import json
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from jsonschema import Draft202012Validator

from turnloom.schema import ToolSpec, canonical_json, derive_seed
from turnloom.tools_env.analysis import ToolProfile, _resolve
from turnloom.tools_env.world import World

if TYPE_CHECKING:
    from turnloom.tools_env.env import EnvSettings
    from turnloom.tools_env.values import ValueFactory

_DEFAULT_RETURNS: dict[str, Any] = {
    "type": "object",
    "properties": {"status": {"type": "string", "enum": ["ok"]}, "message": {"type": "string"}},
    "required": ["status", "message"],
}
_DELETED = "__deleted__"
#: object-level keywords a per-field check cannot account for
_OBJECT_LEVEL = ("oneOf", "anyOf", "allOf", "not", "if", "dependentSchemas", "dependentRequired", "propertyNames",
                 "patternProperties", "unevaluatedProperties", "maxProperties", "$ref")
#: entries kept by the generation and validation memos: a few dialogues' worth of calls, so
#: that a dialogue's final replay finds its own values, and memory plateaus however long the run
_MEMO_LIMIT = 4096
_SCALARS = (str, int, float, bool, type(None))


class Memo:
    """A bounded LRU shared by every environment of the process (the verifier replays a
    dialogue on its own environment over the same tool schemas). Each entry holds the
    objects whose ids are in its key, so an id cannot be reused while it is cached."""

    def __init__(self, limit: int = _MEMO_LIMIT) -> None:
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


#: (schema id, root id, seed, name, locale) -> generated value (a pure function of these)
_GENERATED = Memo()
#: (root id, path) -> compiled validator of that schema location
_VALIDATORS = Memo()
#: (validator id, type, scalar) -> valid: record fields go into many outputs
_CHECKED = Memo(4 * _MEMO_LIMIT)
#: (validator id, type, JSON text) -> valid: objects and arrays, checked again by the replay
_CHECKED_JSON = Memo(_MEMO_LIMIT // 2)
_STATUS_WORDS = {"delete": ("cancelled", "canceled", "deleted", "removed", "closed", "archived", "inactive"),
                 "create": ("confirmed", "created", "active", "open", "scheduled", "pending", "booked")}


class RecordOps:
    def __init__(self, values: ValueFactory, settings: EnvSettings, created_entities: set[str],
                 entities: set[str] | None = None) -> None:
        self.values = values
        self.settings = settings
        self.created = created_entities
        #: id prefix per entity, unique within the environment ("RES" and "REST", not "RES" twice)
        self.prefixes: dict[str, str] = {}
        for entity in sorted(entities or set()):
            self.prefixes[entity] = _prefix(entity, set(self.prefixes.values()))

    # -- validation (cached per schema location) -----------------------------------------
    def _validator(self, root: dict[str, Any], path: tuple[str, ...], schema: dict[str, Any]) -> Draft202012Validator:
        """A compiled validator for the subschema at ``path`` of ``root`` (refs resolved
        against the root's definitions); cached by the root's identity and the path."""
        key = (id(root), path)
        found, validator = _VALIDATORS.get(key, root)
        if not found:
            validator = Draft202012Validator({**schema, **_defs(root)} if path else schema)
            _VALIDATORS.put(key, root, validator)
        return validator  # type: ignore[no-any-return]

    def _valid(self, root: dict[str, Any], value: Any, path: tuple[str, ...] = (), schema: Any = None) -> bool:
        validator = self._validator(root, path, schema if schema is not None else root)
        memo = _CHECKED if isinstance(value, _SCALARS) else _CHECKED_JSON
        try:
            key = (id(validator), type(value), value if memo is _CHECKED else strict_json(value))
        except (TypeError, ValueError):  # not JSON (a bound tool's odd value): checked, not memoized
            return bool(validator.is_valid(value))
        found, ok = memo.get(key, validator)
        if not found:
            ok = bool(validator.is_valid(value))
            memo.put(key, validator, ok)
        return bool(ok)

    def _put(self, root: dict[str, Any], path: tuple[str, ...], obj_schema: dict[str, Any], obj: dict[str, Any],
             fields: dict[str, Any]) -> dict[str, Any]:
        """``obj`` with each of ``fields`` set where the object still validates. A field is
        checked against its own subschema; the whole object only when its schema has
        object-level constraints a field check cannot see."""
        props = obj_schema.get("properties", {})
        simple = not any(k in obj_schema for k in _OBJECT_LEVEL)
        out = dict(obj)
        for key in sorted(fields):
            if key not in props or key.startswith("_") or out.get(key) == fields[key]:
                continue
            sub = _resolve(props[key], root)
            if not isinstance(sub, dict) or not self._valid(root, fields[key], (*path, key), sub):
                continue
            trial = dict(out)
            trial[key] = fields[key]
            if simple or self._valid(root, trial, path, obj_schema):
                out = trial
        return out

    def _gen(self, schema: dict[str, Any], seed: int, name: str = "", root: dict[str, Any] | None = None) -> Any:
        root = root if root is not None else schema
        key = (id(schema), id(root), seed, name, self.values.locale)
        found, value = _GENERATED.get(key, schema, root)
        if found:
            return json_clone(value)
        self.values.reseed(seed)
        value = self.values.value(schema, name=name, root=root)
        _GENERATED.put(key, schema, json_clone(value), root)
        return value

    def _overlay(self, returns: dict[str, Any], base: Any, fields: dict[str, Any]) -> Any:
        """Put ``fields`` into ``base`` (and one level down, e.g. ``{"booking": {...}}``
        wrapping the record) wherever the result still validates against ``returns``."""
        if not isinstance(base, dict):
            return base
        out = self._put(returns, (), returns, base, fields)
        for key, sub in sorted(returns.get("properties", {}).items()):
            sub = _resolve(sub, returns)
            if isinstance(out.get(key), dict) and isinstance(sub, dict) and "properties" in sub:
                inner = self._put(returns, ("inner", key), sub, out[key], fields)
                if inner != out[key]:
                    out = dict(out)
                    out[key] = inner
        return out

    def _returns(self, tool: ToolSpec) -> dict[str, Any]:
        r = tool.returns
        return r if isinstance(r, dict) and r else _DEFAULT_RETURNS

    def _set_status(self, returns: dict[str, Any], out: Any, op: str) -> Any:
        if not isinstance(out, dict):
            return out
        status = _resolve(returns.get("properties", {}).get("status"), returns)
        if isinstance(status, dict) and isinstance(status.get("enum"), list):
            for word in _STATUS_WORDS.get(op, ()):
                if word in status["enum"]:
                    return self._put(returns, (), returns, out, {"status": word})
        return out

    def _base(self, tool: ToolSpec, seed: int) -> Any:
        """A value generated from the tool's ``returns`` (an object for most tools; an
        array or scalar where the schema says so)."""
        return self._gen(self._returns(tool), seed, name=tool.name)

    def _fresh_id(self, world: World, tool: ToolSpec, profile: ToolProfile) -> tuple[World, str]:
        entity = profile.entity or tool.name
        world, n = world.next_id(entity)
        return world, f"{self.prefixes.get(entity) or _prefix(entity, set())}-{n:05d}"

    def _with_id(self, returns: dict[str, Any], out: Any, field: str | None, rid: str) -> Any:
        if not field or not isinstance(out, dict):
            return out
        # an integer id, a uuid or a pattern may refuse ours: then the generated one stays and the
        # record is stored under it
        return self._put(returns, (), returns, out, {field: rid})

    # -- dispatch --------------------------------------------------------------------
    def execute(
        self, world: World, tool: ToolSpec, profile: ToolProfile, args: dict[str, Any]
    ) -> tuple[World, Any, str | None]:
        op = getattr(self, f"_op_{profile.kind}")
        return op(world, tool, profile, args)  # type: ignore[no-any-return]

    def _op_action(self, world: World, tool: ToolSpec, profile: ToolProfile, args: dict[str, Any]):
        key = f"{tool.name}:{canonical_json(args)}"
        if key in world.memo:
            return world, copy.deepcopy(world.memo[key]), None
        seed = derive_seed(world.seed, "action", key)
        base = self._base(tool, seed)
        out = self._overlay(self._returns(tool), base, args)
        return world.with_memo(key, out), out, None

    def _op_create(self, world: World, tool: ToolSpec, profile: ToolProfile, args: dict[str, Any]):
        returns = self._returns(tool)
        world, rid = self._fresh_id(world, tool, profile)
        base = self._base(tool, derive_seed(world.seed, "create", tool.name, rid))
        out = self._overlay(returns, base, args)
        out = self._with_id(returns, out, profile.id_field, rid)
        out = self._set_status(returns, out, "create")
        rid = str(out.get(profile.id_field, rid)) if profile.id_field and isinstance(out, dict) else rid
        record = {**args, **out} if isinstance(out, dict) else dict(args)
        world = world.with_record(profile.entity or tool.name, rid, record)
        return world, out, None

    def _lookup(self, world: World, tool: ToolSpec, profile: ToolProfile, args: dict[str, Any]):
        entity = profile.entity or tool.name
        rid = str(args.get(profile.id_param or "", ""))
        record = world.get(entity, rid)
        if record is not None and record.get(_DELETED):
            return world, None, f"not found: {entity} {rid!r} was deleted"
        if record is None:
            if not self.settings.lazy_world:
                return world, None, f"not found: no {entity} with {profile.id_param}={rid!r}"
            base = self._base(tool, derive_seed(world.seed, "materialize", entity, rid))
            record = dict(base) if isinstance(base, dict) else {}
            record[profile.id_param or "id"] = args.get(profile.id_param or "")
            world = world.with_record(entity, rid, record)
        return world, record, None

    def _op_read(self, world: World, tool: ToolSpec, profile: ToolProfile, args: dict[str, Any]):
        world, record, error = self._lookup(world, tool, profile, args)
        if error is not None:
            return world, None, error
        returns = self._returns(tool)
        rid = str(args.get(profile.id_param or ""))
        base = self._base(tool, derive_seed(world.seed, "read", tool.name, rid))
        out = self._overlay(returns, base, {**record, **args})
        return world, out, None

    def _op_update(self, world: World, tool: ToolSpec, profile: ToolProfile, args: dict[str, Any]):
        world, record, error = self._lookup(world, tool, profile, args)
        if error is not None:
            return world, None, error
        entity = profile.entity or tool.name
        rid = str(args.get(profile.id_param or ""))
        record = {**record, **{k: v for k, v in args.items() if k != profile.id_param}}
        world = world.with_record(entity, rid, record)
        returns = self._returns(tool)
        base = self._base(tool, derive_seed(world.seed, "update", tool.name, rid, world.clock))
        out = self._overlay(returns, base, {**record, **args})
        return world, out, None

    def _op_delete(self, world: World, tool: ToolSpec, profile: ToolProfile, args: dict[str, Any]):
        world, record, error = self._lookup(world, tool, profile, args)
        if error is not None:
            return world, None, error
        entity = profile.entity or tool.name
        rid = str(args.get(profile.id_param or ""))
        world = world.with_record(entity, rid, {_DELETED: True})
        returns = self._returns(tool)
        base = self._base(tool, derive_seed(world.seed, "delete", tool.name, rid))
        out = self._overlay(returns, base, {**record, **args})
        out = self._set_status(returns, out, "delete")
        return world, out, None

    def _op_list(self, world: World, tool: ToolSpec, profile: ToolProfile, args: dict[str, Any]):
        entity = profile.entity or tool.name
        returns = self._returns(tool)
        coll = profile.collection or ""
        coll_schema = _resolve(returns.get("properties", {}).get(coll, {}), returns)
        items_schema = _resolve(coll_schema.get("items", {}), returns) if isinstance(coll_schema, dict) else {}
        records = [r for r in world.records(entity) if not r.get(_DELETED) and _matches(r, args)]
        records.sort(key=lambda r: str(r.get(profile.id_field or "", "")))
        fresh: set[int] = set()
        if not records and (entity not in self.created or self.settings.lazy_world):
            world, records = self._materialize(world, tool, profile, args, items_schema, returns)
            fresh = {id(r) for r in records}  # made from the items schema just now: valid as they are
        frame = _list_frame(returns, coll)
        base = self._gen(frame, derive_seed(world.seed, "list", tool.name, canonical_json(args)), name=tool.name)
        if not isinstance(base, dict):
            return world, base, None
        ipath = ("items", coll)
        fields = items_schema.get("properties", {}) if isinstance(items_schema, dict) else {}
        required = items_schema.get("required", []) if isinstance(items_schema, dict) else []
        items = []
        for i, rec in enumerate(records):
            own = {k: v for k, v in rec.items() if k in fields}
            usable = bool(own) and (id(rec) in fresh or (all(k in own for k in required)
                                                        and self._valid(returns, own, ipath, items_schema)))
            if not usable:
                # a record of another shape (made by a create tool): generated fields fill the item
                own = self._gen(items_schema, derive_seed(world.seed, "item", entity, i), root=returns)
                own = own if isinstance(own, dict) else {}
            # the record's own fields, then the call's arguments echoed into same-named fields
            items.append(self._put(returns, ipath, items_schema, own, {**rec, **args}))
        out = self._put(returns, (), returns, base, {**args, coll: items})
        counts = {f: len(items) for f in ("total", "count", "total_count", "total_results")
                  if isinstance(out.get(f), int)}
        out = self._put(returns, (), returns, out, counts)
        return world, out, None

    def _materialize(self, world, tool, profile, args, items_schema, returns):
        entity = profile.entity or tool.name
        n = self.settings.search_results
        records = []
        args_json = canonical_json(args)
        for i in range(n):
            seed = derive_seed(world.seed, "search", tool.name, args_json, i)
            item = self._gen(items_schema, seed, root=returns)
            item = item if isinstance(item, dict) else {}
            item = self._put(returns, ("items", profile.collection or ""), items_schema, item, args)
            world, rid = self._fresh_id(world, tool, profile)
            if profile.id_field:
                item = self._put(returns, ("items", profile.collection or ""), items_schema, item,
                                 {profile.id_field: rid})
                rid = str(item.get(profile.id_field, rid))
            existing = world.get(entity, rid)
            if existing is not None and existing.get(_DELETED):
                continue
            world = world.with_record(entity, rid, item)
            records.append(item)
        return world, records


#: (returns id, collection) -> the returns schema with that collection generated empty
_FRAMES = Memo()


def _list_frame(returns: dict[str, Any], coll: str) -> dict[str, Any]:
    """The schema a list result's frame (totals, paging, echoes) is generated from: its
    ``returns`` with the collection left empty, since the items are put in from records.
    The schema itself when the collection may not be empty."""
    found, frame = _FRAMES.get((id(returns), coll), returns)
    if found:
        return frame  # type: ignore[no-any-return]
    props = returns.get("properties", {})
    sub = _resolve(props.get(coll), returns) if coll else None
    frame = returns
    if isinstance(sub, dict) and sub.get("type") == "array" and not sub.get("minItems") and not any(
            k in sub for k in _OBJECT_LEVEL):
        frame = {**returns, "properties": {**props, coll: {**sub, "maxItems": 0}}}
    _FRAMES.put((id(returns), coll), returns, frame)
    return frame


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


def _prefix(entity: str, taken: set[str]) -> str:
    """``booking`` -> ``BOO``; ``support_ticket`` -> ``ST``; longer when already taken."""
    parts = [p for p in entity.split("_") if p] or ["rec"]
    initials = "".join(p[0] for p in parts).upper()
    candidates = [parts[0][:3].upper()] if len(parts) == 1 else [initials[:3]]
    word = "".join(parts).upper()
    candidates += [word[:k] for k in range(4, len(word) + 1)]
    for cand in candidates:
        if cand not in taken:
            return cand
    k = 2
    while f"{candidates[0]}{k}" in taken:
        k += 1
    return f"{candidates[0]}{k}"


def _defs(root: dict[str, Any]) -> dict[str, Any]:
    return {k: root[k] for k in ("$defs", "definitions") if k in root}


def _matches(record: dict[str, Any], args: dict[str, Any]) -> bool:
    for key, want in args.items():
        if key in record:
            have = record[key]
            if isinstance(want, str) and isinstance(have, str):
                if want.strip().lower() not in have.strip().lower():
                    return False
            elif isinstance(want, (int, float, bool)) and have != want:
                return False
        elif key.startswith(("min_", "max_")) and key[4:] in record:
            have = record[key[4:]]
            if isinstance(have, (int, float)) and isinstance(want, (int, float)) and (
                (key.startswith("min_") and have < want) or (key.startswith("max_") and have > want)
            ):
                return False
    return True
