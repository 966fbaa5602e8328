"""The record semantics behind each operation kind (create / read / list / update /
delete / status / action). Every returned value validates against the tool's ``returns``.

What a call sends is stored as sent: generated values fill only the fields it left out.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from jsonschema import Draft202012Validator

from turnloom.schema import ToolSpec, canonical_json, derive_seed
from turnloom.tools_env._memo import MEMO_LIMIT, OBJECT_LEVEL, Memo, json_clone, strict_json
from turnloom.tools_env._record_lists import DELETED, op_list
from turnloom.tools_env.analysis import STATUS_VALUES, ToolProfile, _resolve, _top
from turnloom.tools_env.relations import related_values
from turnloom.tools_env.world import World

if TYPE_CHECKING:
    from turnloom.tools_env.env import EnvSettings
    from turnloom.tools_env.values import ValueFactory

#: a tool the environment has not inferred a return schema for (bound tools): any JSON value
_ANY: dict[str, Any] = {}
_SCALARS = (str, int, float, bool, type(None))


#: (schema id, root id, seed, name, locale) -> generated value (a pure function of these)
_GENERATED = Memo()
#: (root id, path) -> compiled validator of that schema location
_VALIDATORS = Memo()
#: (validator id, type, scalar) -> valid: record fields go into many outputs
_CHECKED = Memo(4 * MEMO_LIMIT)
#: (validator id, type, JSON text) -> valid: objects and arrays, checked again by the replay
_CHECKED_JSON = Memo(MEMO_LIMIT // 2)
#: id(returns) -> that schema with its top-level $ref resolved
_TOPS = Memo()
_STATUS_FIELDS = ("status", "state")
_STATUS_WORDS = {"delete": ("cancelled", "canceled", "deleted", "removed", "closed", "archived", "inactive"),
                 "create": ("confirmed", "created", "active", "open", "scheduled", "pending", "booked")}


class RecordOps:
    def __init__(self, values: ValueFactory, settings: EnvSettings, created_entities: set[str],
                 entities: set[str] | None = None,
                 id_schemas: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] | None = None) -> None:
        self.values = values
        self.settings = settings
        self.created = created_entities
        #: entity -> (name, schema, parameters) of the parameter its read/update/delete tools take it by
        self.id_schemas = id_schemas or {}
        self._id_checks: dict[str, Draft202012Validator] = {}
        #: entity -> how its new ids are made ("readable", "integer" or "generated")
        self._id_modes: dict[str, str] = {}
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

    def valid(self, root: dict[str, Any], value: Any, path: tuple[str, ...] = (), schema: Any = None) -> bool:
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

    def put(self, root: dict[str, Any], path: tuple[str, ...], obj_schema: dict[str, Any], obj: dict[str, Any],
             fields: dict[str, Any]) -> dict[str, Any]:
        """``obj`` with each of ``fields`` set where the object still validates. A field is
        checked against its own subschema; the whole object only when its schema has
        object-level constraints a field check cannot see."""
        props = obj_schema.get("properties", {})
        simple = not any(k in obj_schema for k in OBJECT_LEVEL)
        out = dict(obj)
        for key in sorted(fields):
            if key not in props or key.startswith("_") or out.get(key) == fields[key]:
                continue
            sub = _resolve(props[key], root)
            if not isinstance(sub, dict) or not self.valid(root, fields[key], (*path, key), sub):
                continue
            trial = dict(out)
            trial[key] = fields[key]
            if simple or self.valid(root, trial, path, obj_schema):
                out = trial
        return out

    def gen(self, schema: dict[str, Any], seed: int, name: str = "", root: dict[str, Any] | None = None) -> Any:
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
        wrapping the record) wherever the result still validates against ``returns``. A
        field the top level has stays there: a pet's ``name`` is not its category's name,
        and an object sent whole (``category``) is kept as sent."""
        if not isinstance(base, dict):
            return base
        out = self.put(returns, (), returns, base, fields)
        props = returns.get("properties", {})
        below = {k: v for k, v in fields.items() if k not in props}
        if not below:
            return out
        for key, sub in sorted(props.items()):
            sub = _resolve(sub, returns)
            if key not in fields and isinstance(out.get(key), dict) and isinstance(sub, dict) and "properties" in sub:
                inner = self.put(returns, ("inner", key), sub, out[key], below)
                if inner != out[key]:
                    out = dict(out)
                    out[key] = inner
        return out

    def _related(self, returns: dict[str, Any], out: Any, fixed: Any) -> Any:
        """``out`` with the relations among its fields applied (amount × rate, unit price ×
        quantity, ranges in order), leaving the ``fixed`` names (what was sent or stored) alone."""
        if not isinstance(out, dict):
            return out
        changes = related_values(out, fixed=fixed)
        return self.put(returns, (), returns, out, changes) if changes else out

    def returns_of(self, tool: ToolSpec) -> dict[str, Any]:
        """The tool's ``returns``; a top-level ``$ref`` seen as the object it names (cached
        by the schema's identity, so memos keyed on it keep hitting)."""
        r = tool.returns
        if not isinstance(r, dict) or not r:
            return _ANY
        if "$ref" not in r:
            return r
        found, top = _TOPS.get(id(r), r)
        if not found:
            top = _top(r)
            _TOPS.put(id(r), r, top)
        return top  # type: ignore[no-any-return]

    def _set_status(self, returns: dict[str, Any], out: Any, op: str) -> Any:
        if not isinstance(out, dict):
            return out
        status = _resolve(returns.get("properties", {}).get("status"), returns)
        if isinstance(status, dict) and isinstance(status.get("enum"), list):
            for word in _STATUS_WORDS.get(op, ()):
                if word in status["enum"]:
                    return self.put(returns, (), returns, out, {"status": word})
        return out

    def _base(self, tool: ToolSpec, seed: int) -> Any:
        """A value generated from the tool's ``returns`` (an object for most tools; an
        array or scalar where the schema says so)."""
        return self.gen(self.returns_of(tool), seed, name=tool.name)

    def fresh_id(self, world: World, tool: ToolSpec, profile: ToolProfile) -> tuple[World, Any]:
        """The next id of the entity: readable (``BOO-00001``) unless the tools that take it
        constrain it (an integer, a uuid, Twilio's ``^WA[0-9a-f]{32}$``): then a value that fits."""
        entity = profile.entity or tool.name
        world, n = world.next_id(entity)
        readable = f"{self.prefixes.get(entity) or _prefix(entity, set())}-{n:05d}"
        taken = self.id_schemas.get(entity)
        if taken is None:
            return world, readable
        _, schema, root = taken
        mode = self._id_modes.get(entity)
        if mode is None:  # the same for every n: decided once per entity
            check = self._id_validator(entity, schema, root)
            mode = "readable" if check.is_valid(readable) else "integer" if check.is_valid(n) else "generated"
            self._id_modes[entity] = mode
        if mode == "readable":
            return world, readable
        if mode == "integer":
            return world, n
        return world, self.gen(schema, derive_seed(world.seed, "id", entity, n), name=f"{entity}_id", root=root)

    def _id_validator(self, entity: str, schema: dict[str, Any], root: dict[str, Any]) -> Draft202012Validator:
        found = self._id_checks.get(entity)
        if found is None:
            found = Draft202012Validator({**schema, **_defs(root)}, format_checker=Draft202012Validator.FORMAT_CHECKER)
            self._id_checks[entity] = found
        return found

    def record_key(self, profile: ToolProfile, record: dict[str, Any], rid: str) -> str:
        """The key a new record is stored under: the value of the field its readers look it
        up by (``username`` for ``get_user(username)``) when the record has one, else ``rid``."""
        taken = self.id_schemas.get(profile.entity or "")
        if taken is not None and taken[0] in record and isinstance(record[taken[0]], (str, int)):
            return str(record[taken[0]])
        return rid

    def _with_id(self, returns: dict[str, Any], out: Any, field: str | None, rid: Any) -> Any:
        if not field or not isinstance(out, dict):
            return out
        # an integer id, a uuid or a pattern may refuse ours: then the generated one stays and the
        # record is stored under it
        out = self.put(returns, (), returns, out, {field: rid})
        sub = _resolve(returns.get("properties", {}).get(field), returns)
        if out.get(field) is None and isinstance(sub, dict):
            # an optional or nullable id left out: a created record always says its id
            for attempt in range(4):
                value = self.gen(sub, derive_seed(attempt, "id", field, str(rid)), name=field, root=returns)
                if value is not None:
                    out = self.put(returns, (), returns, out, {field: value})
                    break
        return out

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
        returns = self.returns_of(tool)
        out = self._related(returns, self._overlay(returns, base, args), args.keys())
        return world.with_memo(key, out), out, None

    def _op_create(self, world: World, tool: ToolSpec, profile: ToolProfile, args: dict[str, Any]):
        returns = self.returns_of(tool)
        world, new_id = self.fresh_id(world, tool, profile)
        rid = str(new_id)
        base = self._base(tool, derive_seed(world.seed, "create", tool.name, rid))
        out = self._related(returns, self._overlay(returns, base, args), args.keys())
        out = self._with_id(returns, out, profile.id_field, new_id)
        if not any(f in args for f in _STATUS_FIELDS):  # a status the call sends is kept
            out = self._set_status(returns, out, "create")
        rid = str(out.get(profile.id_field, rid)) if profile.id_field and isinstance(out, dict) else rid
        record = {**out, **args} if isinstance(out, dict) else dict(args)
        world = world.with_record(profile.entity or tool.name, self.record_key(profile, record, rid), record)
        return world, out, None

    def _lookup(self, world: World, tool: ToolSpec, profile: ToolProfile, args: dict[str, Any]):
        entity = profile.entity or tool.name
        rid = str(args.get(profile.id_param or "", ""))
        record = world.get(entity, rid)
        if record is not None and record.get(DELETED):
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
        returns = self.returns_of(tool)
        rid = str(args.get(profile.id_param or ""))
        base = self._base(tool, derive_seed(world.seed, "read", tool.name, rid))
        sent = {**record, **args}
        out = self._related(returns, self._overlay(returns, base, sent), sent.keys())
        return world, out, None

    def _op_update(self, world: World, tool: ToolSpec, profile: ToolProfile, args: dict[str, Any]):
        world, record, error = self._lookup(world, tool, profile, args)
        if error is not None:
            return world, None, error
        entity = profile.entity or tool.name
        rid = str(args.get(profile.id_param or ""))
        record = {**record, **{k: v for k, v in args.items() if k != profile.id_param}}
        world = world.with_record(entity, rid, record)
        returns = self.returns_of(tool)
        base = self._base(tool, derive_seed(world.seed, "update", tool.name, rid, world.clock))
        sent = {**record, **args}
        out = self._related(returns, self._overlay(returns, base, sent), sent.keys())
        return world, out, None

    def _op_delete(self, world: World, tool: ToolSpec, profile: ToolProfile, args: dict[str, Any]):
        world, record, error = self._lookup(world, tool, profile, args)
        if error is not None:
            return world, None, error
        entity = profile.entity or tool.name
        rid = str(args.get(profile.id_param or ""))
        world = world.with_record(entity, rid, {DELETED: True})
        returns = self.returns_of(tool)
        base = self._base(tool, derive_seed(world.seed, "delete", tool.name, rid))
        sent = {**record, **args}
        out = self._related(returns, self._overlay(returns, base, sent), sent.keys())
        out = self._set_status(returns, out, "delete")
        return world, out, None

    def _op_status(self, world: World, tool: ToolSpec, profile: ToolProfile, args: dict[str, Any]):
        """A status change (cancel, close, end, approve…): the record stays, with the status
        the verb leaves, so later reads and lists agree."""
        world, record, error = self._lookup(world, tool, profile, args)
        if error is not None:
            return world, None, error
        entity = profile.entity or tool.name
        rid = str(args.get(profile.id_param or ""))
        returns = self.returns_of(tool)
        field, value = self._status_value(returns, record, profile.verb or "")
        record = {**record, **{k: v for k, v in args.items() if k != profile.id_param}}
        if field is not None and value is not None:
            record[field] = value
        world = world.with_record(entity, rid, record)
        base = self._base(tool, derive_seed(world.seed, "status", tool.name, rid, world.clock))
        sent = {**record, **args}
        out = self._related(returns, self._overlay(returns, base, sent), sent.keys())
        return world, out, None

    def _status_value(self, returns: dict[str, Any], record: dict[str, Any], verb: str) -> tuple[str | None, Any]:
        """The status field of the record and the value ``verb`` leaves in it: the first of the
        verb's values that the returned field's enum allows (None when it allows none of them),
        or the first value where the field is free text."""
        props = returns.get("properties", {}) if isinstance(returns, dict) else {}
        field = next((f for f in _STATUS_FIELDS if f in props), None) or next(
            (f for f in _STATUS_FIELDS if f in record), None)
        choices = STATUS_VALUES.get(verb, ())
        if field is None or not choices:
            return None, None
        sub = _resolve(props.get(field), returns)
        enum = sub.get("enum") if isinstance(sub, dict) else None
        if isinstance(enum, list) and enum:
            return field, next((c for c in choices if c in enum), next(
                (e for e in enum if isinstance(e, str) and e.lower() in choices), None))
        return field, choices[0]

    def _op_list(self, world: World, tool: ToolSpec, profile: ToolProfile, args: dict[str, Any]):
        return op_list(self, world, tool, profile, args)


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
