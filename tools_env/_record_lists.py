"""List operations of the record semantics: the records of an entity, filtered by the
call's arguments, in the collection field of the tool's ``returns`` (or as the returned
array itself), with totals; materialized from the items schema where no tool creates
that entity (or the world is lazy)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from turnloom.schema import ToolSpec, canonical_json, derive_seed
from turnloom.tools_env._memo import OBJECT_LEVEL, Memo
from turnloom.tools_env.analysis import ToolProfile, _resolve
from turnloom.tools_env.world import World

if TYPE_CHECKING:
    from turnloom.tools_env._records import RecordOps

__all__ = ["DELETED", "list_frame", "matches", "op_list"]

DELETED = "__deleted__"
_TOTALS = ("total", "count", "total_count", "total_results")


def op_list(ops: RecordOps, world: World, tool: ToolSpec, profile: ToolProfile,
            args: dict[str, Any]) -> tuple[World, Any, str | None]:
    entity = profile.entity or tool.name
    returns = ops.returns_of(tool)
    coll = profile.collection or ""
    coll_schema = returns if not coll else _resolve(returns.get("properties", {}).get(coll, {}), returns)
    items_schema = _resolve(coll_schema.get("items", {}), returns) if isinstance(coll_schema, dict) else {}
    records = [r for r in world.records(entity) if not r.get(DELETED) and matches(r, args)]
    records.sort(key=lambda r: str(r.get(profile.id_field or "", "")))
    fresh: set[int] = set()
    if not records and (entity not in ops.created or ops.settings.lazy_world):
        world, records = _materialize(ops, world, tool, profile, args, items_schema, returns)
        fresh = {id(r) for r in records}  # made from the items schema just now: valid as they are
    ipath = ("items", coll)
    fields = items_schema.get("properties", {}) if isinstance(items_schema, dict) else {}
    required = items_schema.get("required", []) if isinstance(items_schema, dict) else []
    items = []
    for i, rec in enumerate(records):
        own = {k: v for k, v in rec.items() if k in fields}
        usable = bool(own) and (id(rec) in fresh or (all(k in own for k in required)
                                                    and ops.valid(returns, own, ipath, items_schema)))
        if not usable:
            # a record of another shape (made by a create tool): generated fields fill the item
            own = ops.gen(items_schema, derive_seed(world.seed, "item", entity, i), root=returns)
            own = own if isinstance(own, dict) else {}
        # the record's own fields, then the call's arguments echoed into same-named fields
        items.append(ops.put(returns, ipath, items_schema, own, {**rec, **_scalars(args)}))
    if not coll:
        return world, items, None
    frame = list_frame(returns, coll)
    base = ops.gen(frame, derive_seed(world.seed, "list", tool.name, canonical_json(args)), name=tool.name)
    if not isinstance(base, dict):
        return world, base, None
    out = ops.put(returns, (), returns, base, {**args, coll: items})
    counts = {f: len(items) for f in _TOTALS if isinstance(out.get(f), int)}
    out = ops.put(returns, (), returns, out, counts)
    return world, out, None


#: (returns id, collection) -> the returns schema with that collection generated empty
_FRAMES = Memo()


def list_frame(returns: dict[str, Any], coll: str) -> dict[str, Any]:
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
            k in sub for k in OBJECT_LEVEL):
        frame = {**returns, "properties": {**props, coll: {**sub, "maxItems": 0}}}
    _FRAMES.put((id(returns), coll), returns, frame)
    return frame


def _scalars(args: dict[str, Any]) -> dict[str, Any]:
    """Arguments echoed into list items: a filter given as a list of values (``status:
    [available, pending]``) says nothing about one item."""
    return {k: v for k, v in args.items() if not isinstance(v, list)}


def _materialize(ops: RecordOps, world: World, tool: ToolSpec, profile: ToolProfile, args: dict[str, Any],
                 items_schema: dict[str, Any], returns: dict[str, Any]) -> tuple[World, list[dict[str, Any]]]:
    entity = profile.entity or tool.name
    n = ops.settings.search_results
    records = []
    args_json = canonical_json(args)
    ipath = ("items", profile.collection or "")
    for i in range(n):
        seed = derive_seed(world.seed, "search", tool.name, args_json, i)
        item = ops.gen(items_schema, seed, root=returns)
        item = item if isinstance(item, dict) else {}
        item = ops.put(returns, ipath, items_schema, item, _one_of_each(args, i))
        world, new_id = ops.fresh_id(world, tool, profile)
        rid = str(new_id)
        if profile.id_field:
            item = ops.put(returns, ipath, items_schema, item, {profile.id_field: new_id})
            rid = str(item.get(profile.id_field, rid))
        existing = world.get(entity, rid)
        if existing is not None and existing.get(DELETED):
            continue
        world = world.with_record(entity, rid, item)
        records.append(item)
    return world, records


def _one_of_each(args: dict[str, Any], i: int) -> dict[str, Any]:
    """The arguments as one found record shows them: one value of each list filter."""
    return {k: (v[i % len(v)] if v else None) if isinstance(v, list) else v for k, v in args.items()}


def matches(record: dict[str, Any], args: dict[str, Any]) -> bool:
    """Whether a record passes a list call's filters: text contains, numbers and flags equal,
    a list of values holds the record's value, ``min_x``/``max_x`` bound ``x``."""
    for key, want in args.items():
        if key in record:
            have = record[key]
            if isinstance(want, list):
                if want and not isinstance(have, list) and have not in want:
                    return False
            elif isinstance(want, str) and isinstance(have, str):
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
