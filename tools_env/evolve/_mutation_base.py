"""Shared pieces of the evolution operators: the job, schema helpers and name helpers."""

from __future__ import annotations

import copy
import random
import re
from dataclasses import dataclass
from typing import Any

from turnloom.schema import ToolSpec
from turnloom.tools_env.pool import (
    READ_VERBS,
    plural,
    verb_entity,
)

Raw = dict[str, Any]


def lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:1].isupper() and text[1:2].islower() else text


def first_sentence(text: str) -> str:
    """The first sentence of a description, without its final stop."""
    m = re.match(r"(.+?[.!?])(\s|$)", text.strip(), re.S)
    return (m.group(1) if m else text.strip()).rstrip(".!?")


def _describe(desc: str, clause: str = "", extra: str = "") -> str:
    """``clause`` joined to the first sentence, ``extra`` appended as a sentence of its own."""
    text = desc.strip() or "Perform the operation."
    head = first_sentence(text)
    tail = text[len(head):].lstrip(".!?").strip()
    for link in (", filtered by ", ", with "):
        if clause.startswith(link) and link in head:
            clause = " and " + clause[len(link):]
    return " ".join(x for x in (f"{head}{clause}.", tail, extra) if x)


def _named(base: str, link: str, rest: str) -> str:
    """``base_link_rest``, with ``and`` instead of a link word the name already uses."""
    return f"{base}_and_{rest}" if f"_{link}_" in f"{base}_" else f"{base}_{link}_{rest}"


@dataclass
class Job:
    base: ToolSpec
    context: list[ToolSpec]
    example: ToolSpec
    rng: random.Random


def default_returns(tool: ToolSpec) -> Raw:
    """A plausible return schema for a tool that declares none."""
    verb, _ = verb_entity(tool.name)
    if verb in READ_VERBS:
        item = {"type": "object", "properties": {"id": {"type": "string"}, "name": {"type": "string"}}}
        results = {"results": {"type": "array", "items": item}}
        return {"type": "object", "properties": results, "required": ["results"]}
    props = {"success": {"type": "boolean"}, "message": {"type": "string"}}
    return {"type": "object", "properties": props, "required": ["success"]}


def returns_of(tool: ToolSpec) -> Raw:
    return copy.deepcopy(tool.returns) if tool.returns is not None else default_returns(tool)


def record_fields(returns: Raw) -> tuple[dict[str, Raw], bool]:
    """The fields of one returned record, and whether records come as a list."""
    if returns.get("type") == "array" and isinstance(returns.get("items"), dict):
        return dict(returns["items"].get("properties") or {}), True
    props = returns.get("properties") or {}
    for sub in props.values():
        items = sub.get("items") if isinstance(sub, dict) and sub.get("type") == "array" else None
        if isinstance(items, dict) and items.get("properties"):
            return dict(items["properties"]), True
    return dict(props), False


def params_of(tool: ToolSpec) -> tuple[Raw, list[str]]:
    return copy.deepcopy(tool.properties), list(tool.required)


def _listed(props: Raw, required: list[str], key: str, desc: str, **kw: Any) -> tuple[Raw, list[str], str]:
    """``key`` turned into a list parameter named in the plural (same place, same required-ness)."""
    many = plural(key)
    item = {k: v for k, v in props[key].items() if k != "description"}
    listed = {"type": "array", "items": item, "minItems": 1, **kw, "description": desc}
    props = {(many if k == key else k): (listed if k == key else v) for k, v in props.items()}
    return props, [many if r == key else r for r in required], many


def _results(returns: Raw, desc: str, **extra: Raw) -> Raw:
    results = {"type": "array", "items": returns, "description": desc}
    return {"type": "object", "required": ["results"], "properties": {"results": results, **extra}}


def new_api(job: Job, name: str, description: str, props: Raw, required: list[str], returns: Raw) -> Raw:
    params: Raw = {"type": "object", "properties": props}
    if required:
        params["required"] = required
    return {"name": name, "description": description, "parameters": params, "returns": returns,
            "domain": job.base.domain}


# -- add functionality ------------------------------------------------------------------------

_S = "string"


def _enum(desc: str, *values: str) -> Raw:
    return {"type": _S, "enum": list(values), "description": desc}


def _typed(kind: str, desc: str, **kw: Any) -> Raw:
    return {"type": kind, **kw, "description": desc}


def _kw(text: str) -> frozenset[str]:
    return frozenset(text.split(" ")) if text else frozenset()


#: verbs that make something (a booking, an order, a message): the ones domain features fit
