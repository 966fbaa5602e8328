"""What links the steps of an offline plan: the record keys a request must state, which data-flow links
feed a key a tool really consumes, which fields an earlier step's result surely carries, and the focus
tool each dialogue leans toward (the tools whose results lead to it, and step kinds narrowed toward it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from turnloom.schema import ToolSpec
from turnloom.tools_env.analysis import ToolProfile, profile_tool
from turnloom.tools_env.flow import Link, normalize_name

__all__ = ["Done", "feeds_key", "is_id", "is_key", "named_keys", "nearest", "option_tool", "present", "reaching",
           "record_key", "record_keys", "statable_params", "toward"]


def is_id(param: str) -> bool:
    norm = normalize_name(param)
    return norm == "id" or norm.endswith("_id") or norm.endswith("_ids")


def is_key(tool: ToolSpec, param: str) -> bool:
    """True when ``param`` names a record ``tool`` works on: an id, or the key its operation looks up
    (``username`` of ``GET /user/{username}``)."""
    return is_id(param) or param == profile_tool(tool).id_param


def record_keys(tool: ToolSpec) -> list[str]:
    """The record keys a request for ``tool`` must state."""
    prof = profile_tool(tool)
    return sorted({p for p in tool.required if is_key(tool, p)} | ({prof.id_param} if prof.id_param else set()))


def option_tool(option: Any) -> str:
    """The tool an option of a step kind calls: a tool, (done, tool) or (done, link)."""
    if isinstance(option, tuple):
        return str(getattr(option[1], "target", None) or option[1].name)
    return str(option.name)


def statable_params(tool: ToolSpec) -> bool:
    """True when a user can state every required parameter (no ids or record keys they could not know),
    and the tool does not look up a record by a key it leaves optional (``PUT /pet`` with the id in its body)."""
    prof = profile_tool(tool)
    if prof.id_param and prof.kind in ("read", "update", "delete", "status"):
        return False
    return not any(is_key(tool, p) for p in tool.required)


def feeds_key(lk: Link, target: ToolSpec) -> bool:
    """True when ``lk`` passes a record key ``target`` really consumes: its lookup key, or a reference to
    another entity. The new record's own id in a create body, or an ``id`` body field of a tool that
    looks records up by another key (``PUT /user/{username}``), is no input a result should feed."""
    prof = profile_tool(target)
    if not is_key(target, lk.param) or (lk.param not in target.required and lk.param != prof.id_param):
        # an optional reference is one an assistant may leave out; a step cannot rely on it
        return False
    if lk.param == prof.id_param:
        return True
    norm = normalize_name(lk.param)
    own = norm == "id" or (prof.entity is not None and norm in (f"{prof.entity}_id", f"{prof.entity}_ids"))
    return not own


def present(d: Done, field: str, tool: ToolSpec) -> bool:
    """True when the result of step ``d`` surely carries ``field`` (a top-level field the request states,
    the returns schema requires, or the record's id), or ``field`` lies inside a list or object."""
    if "." in field or "[]" in field:
        return True
    returns = tool.returns if isinstance(tool.returns, dict) else {}
    required = returns.get("required", []) if returns.get("type", "object") == "object" else []
    schema = returns.get("properties", {}).get(field, {})
    kinds = schema.get("type", []) if isinstance(schema, dict) else []
    if schema.get("nullable") is True or "null" in (kinds if isinstance(kinds, list) else [kinds]):
        return field in d.slots  # a field that may be null (a message's run_id) carries only what was sent
    return field in d.slots or field in required or field == d.profile.id_field


def record_key(d: Done, target: ToolProfile, source: ToolSpec) -> str | None:
    """The field of the record step ``d`` created that ``target`` looks it up by: the record's id for an id
    key, the same-named field for another key (a user's ``username``); None when the result lacks it."""
    key = target.id_param
    if key is None:
        return None
    if normalize_name(key) in ("id", f"{target.entity}_id"):
        return d.profile.id_field
    return key if present(d, key, source) else None


def named_keys(tool: ToolSpec, by_name: dict[str, ToolSpec]) -> list[str]:
    """Parameters of a create ``tool`` that other tools look its record up by, other than ids
    (``username`` for ``create_user`` when ``get_user_by_name`` takes it)."""
    prof = profile_tool(tool)
    if prof.kind != "create" or not prof.entity:
        return []
    keys = {p.id_param for p in map(profile_tool, by_name.values()) if p.entity == prof.entity and p.id_param}
    return sorted(k for k in keys if k in tool.properties and not is_id(k))


def reaching(focus: str, links: list[Link]) -> dict[str, int]:
    """The tools whose results lead, link by link, to a key ``focus`` needs, with the number of links."""
    found: dict[str, int] = {}
    frontier = [focus]
    while frontier:
        nxt = []
        for target in frontier:
            for lk in links:
                if lk.target == target and lk.source not in found and lk.source != focus:
                    found[lk.source] = found.get(target, 0) + 1
                    nxt.append(lk.source)
        frontier = sorted(set(nxt))
    return found


def nearest(items: list[Any], dist: dict[str, int], name: Any) -> list[Any]:
    """The ``items`` closest to the focus by ``dist`` (``name`` gives an item's tool); [] when none leads there."""
    near = [it for it in items if name(it) in dist]
    best = min((dist[name(it)] for it in near), default=0)
    return [it for it in near if dist[name(it)] == best]


def toward(focus: str, reach: dict[str, int], kind: str, option: Any, options: dict[str, Any],
            planned: set[str], *, switch: bool = True) -> tuple[str, Any]:
    """Step ``kind`` and its choices narrowed toward the ``focus`` tool: call it when a request can,
    else a tool not called yet whose result leads to it; unchanged when nothing does. With ``switch``
    (the scenario's mix plans dependent steps) a single call may become a dependent one."""
    dep = options.get("dependent") or []
    if kind == "dependent" or (switch and kind in ("single", "error_recovery", "clarification")):
        hit = [o for o in dep if o[1].target == focus]
        if hit:
            return "dependent", hit
        closer = nearest([o for o in dep if o[1].target not in planned], reach, lambda o: o[1].target)
        if closer:
            return "dependent", closer
    if kind == "dependent":
        return kind, nearest(dep, reach, lambda o: o[1].target) or option
    if kind in ("single", "error_recovery", "clarification") and option:
        return kind, [t for t in option if t.name == focus] or nearest(option, reach, lambda t: t.name) or option
    return kind, option


@dataclass
class Done:
    """What earlier steps produced."""

    step: int
    tool: str
    profile: ToolProfile
    slots: dict[str, Any] = field(default_factory=dict)
