"""Plans grounded in the world: requests about things that exist.

Two parts, both pure data over a :class:`~turnloom.tools_env.world.World`:

- :func:`rank` orders candidate values (:mod:`~turnloom.tools_env.grounding_values`: the world's
  states, earlier results, enumerated options) by word overlap with a parameter's name and description;
  a value an earlier step showed counts once more.
- :class:`Sandbox` plays a plan forward on a copy of the world (``env.call`` is pure): it tries
  candidate calls and commits the first that succeeds (a result that says nothing, such as "Unknown"
  or an empty list, only when no other does), so later steps see earlier effects (after ``cd`` the
  files of that folder, after a create the new id, after a listing its values). Only tools whose
  calls are pure functions of the world are probed: class-backed methods, never live tools nor plain
  functions.
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from turnloom.schema import PlanStep, ToolCall, ToolResult, ToolSpec
from turnloom.tools_env.analysis import profile_tool, split_words
from turnloom.tools_env.env import ToolEnvironment
from turnloom.tools_env.grounding_values import (
    Candidate,
    described,
    described_keys,
    harvest,
    naming_words,
    shown,
    weak,
    words_of,
)
from turnloom.tools_env.values._semantic import provider_for_field
from turnloom.tools_env.world import World

__all__ = ["Candidate", "Grounding", "Sandbox", "harvest", "rank", "says_failure"]

#: candidates tried per parameter, and calls tried per plan step call
_PER_PARAM = 4
_MAX_PROBES = 24
#: calls tried after a result that says nothing, looking for one that says something
_WEAK_TRIES = 4
_NO = object()
#: the first words of a description that say a tool makes something new
_CREATE = frozenset({"create", "creates", "make", "makes", "add", "adds", "new"})
#: a result text that reports a failure ("Error: User not authenticated.")
_ERROR_TEXT = re.compile(r"\s*error\s*:", re.I)


# -- ranking ---------------------------------------------------------------------------------------
#: formats a string parameter's schema or description states, as the pattern a value must match
_FORMATS = {"date": r"\d{4}-\d{2}-\d{2}", "date-time": r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?.*",
            "time": r"\d{2}:\d{2}(:\d{2})?"}
_SAID_FORMATS = ((re.compile(r"\bYYYY-MM-DD[T ]HH:MM", re.I), "date-time"),
                 (re.compile(r"\bYYYY-MM-DD\b", re.I), "date"), (re.compile(r"\bHH:MM\b", re.I), "time"))
_LETTERS = re.compile(r"\b(\d)[- ]letter\b", re.I)


def _shape(schema: Mapping[str, Any]) -> re.Pattern[str] | None:
    """The pattern a string parameter's values must match: its ``format`` (date, date-time, time) or the
    one its description states ("in the format YYYY-MM-DD", "the 3 letter code"); None when free."""
    desc = str(schema.get("description", ""))
    fmt = str(schema.get("format", "")) or next((f for rx, f in _SAID_FORMATS if rx.search(desc)), "")
    if fmt in _FORMATS:
        return _compiled(_FORMATS[fmt])
    letters = _LETTERS.search(desc)
    return _compiled(f"[A-Za-z]{{{letters.group(1)}}}") if letters else None


@lru_cache(maxsize=64)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _fit(value: Any, schema: Mapping[str, Any]) -> Any:
    """``value`` as the parameter ``schema`` takes it, or ``_NO``."""
    kind = schema.get("type")
    if isinstance(kind, list):  # ["string", "null"]: an optional value of the first real type
        kind = next((k for k in kind if k != "null"), None)
        schema = {**schema, "type": kind}
    if "enum" in schema:
        return value if value in schema["enum"] else _NO
    if kind == "string":
        shape = _shape(schema)
        return value if isinstance(value, str) and (shape is None or shape.fullmatch(value)) else _NO
    if kind == "integer":
        if isinstance(value, int):
            return value
        return int(value) if isinstance(value, str) and value.isdigit() and len(value) < 12 else _NO
    if kind == "number":
        return value if isinstance(value, (int, float)) else _NO
    if kind == "array" and isinstance(schema.get("items"), dict):
        item = _fit(value, schema["items"])
        return _NO if item is _NO else [item]
    return _NO


def rank(candidates: Sequence[Candidate], tool: ToolSpec, param: str, rng: random.Random | None = None) -> list[Any]:
    """Values of ``candidates`` that fit ``param`` of ``tool``, best first: words of the parameter's
    name count three times those of its description; ties keep a seeded order. A free-form object whose
    description names its keys takes one of those keys with a value ranked for it."""
    schema = tool.properties.get(param)
    if not isinstance(schema, dict):
        return []
    keys = described_keys(schema)
    if keys:
        # one key per object, the best value of each key first, keys taken in turn
        per_key = [[{k: v} for v in _ranked(candidates, k, sub, rng)[:_PER_PARAM]] for k, sub in keys.items()]
        return [obj for row in itertools.zip_longest(*per_key) for obj in row if obj is not None]
    return _ranked(candidates, param, schema, rng)


def _ranked(candidates: Sequence[Candidate], param: str, schema: Mapping[str, Any],
            rng: random.Random | None) -> list[Any]:
    name, desc = words_of(param), words_of(str(schema.get("description", "")))
    scored: list[tuple[int, int, Any]] = []
    seen: set[str] = set()
    order = list(range(len(candidates)))
    if rng is not None:
        rng.shuffle(order)
    # a dated value fits a dated parameter only when it means the same (a travel date, not a birth date)
    shape = _shape(schema) if schema.get("type") == "string" else None
    dated = shape is not None and shape.pattern in (_FORMATS["date"], _FORMATS["date-time"])
    for pos, i in enumerate(order):
        c = candidates[i]
        if (c.exact and not c.words <= name) or (dated and len(name & c.words) < min(2, len(name))):
            continue
        score = 3 * len(name & c.words) + len(desc & c.words)
        if score and c.shown:  # the dialogue has just shown it
            score += 1
        if score < 2:
            continue
        value = _fit(c.value, schema)
        key = repr(value)
        if value is _NO or key in seen:
            continue
        seen.add(key)
        scored.append((-score, pos, value))
    return [v for _, _, v in sorted(scored, key=lambda s: s[:2])]


# -- the sandbox -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Grounding:
    """What a planner needs to ground a plan: the environment and the initial world."""

    env: ToolEnvironment
    world: World

    @staticmethod
    def of(env: ToolEnvironment, world: World, tools: Iterable[ToolSpec]) -> Grounding | None:
        """A grounding when some of ``tools`` can be probed, else None (plans stay as they were)."""
        g = Grounding(env, world)
        return g if any(g.probeable(t.name) for t in tools) else None

    def probeable(self, name: str) -> bool:
        live = self.env.live
        return self.env.class_bound(name) and not (live is not None and name in live.names)

    def sandbox(self) -> Sandbox:
        return Sandbox(self)


@dataclass
class Sandbox:
    """One plan played forward on a copy of the world."""

    grounding: Grounding
    world: World = field(init=False)
    #: plan step index -> contents of its calls
    results: dict[int, list[Any]] = field(default_factory=dict)
    #: tool -> arguments of its latest call
    last_args: dict[str, dict[str, Any]] = field(default_factory=dict)
    _harvest: tuple[World, list[Candidate]] | None = None
    #: values the plan's calls so far showed, and the values tool descriptions enumerate
    shown: list[Candidate] = field(default_factory=list)
    options: list[Candidate] = field(default_factory=list)
    #: calls tried per plan step call (lowered while searching for prerequisite steps)
    probe_cap: int = _MAX_PROBES
    #: calls tried so far, and the text of the latest failed one
    probes: int = 0
    failure: str = ""

    def __post_init__(self) -> None:
        self.world = self.grounding.world
        self.options = described(self.grounding.env.tools.values())

    def candidates(self) -> list[Candidate]:
        if self._harvest is None or self._harvest[0] is not self.world:
            self._harvest = (self.world, harvest(self.world))
        return [*self._harvest[1], *self.shown, *self.options]

    def show(self, tool: ToolSpec, args: Mapping[str, Any], content: Any) -> None:
        """Let later steps use what a committed call of ``tool`` showed."""
        if self.grounding.probeable(tool.name):
            self.shown.extend(shown(tool, args, content))

    def covers(self, tools: Iterable[str]) -> bool:
        return any(self.grounding.probeable(t) for t in tools)

    def can_state(self, tool: ToolSpec, ids: Iterable[str]) -> bool:
        """True when ``tool`` is probed and every one of the parameters ``ids`` has a candidate."""
        return self.grounding.probeable(tool.name) and all(rank(self.candidates(), tool, p) for p in ids)

    def call(self, tool: str, arguments: dict[str, Any]) -> tuple[World, ToolResult]:
        return self.grounding.env.call(self.world, ToolCall(id="probe", name=tool, arguments=arguments))

    def fit(self, step: PlanStep, tools: Mapping[str, ToolSpec], rng: random.Random) -> PlanStep | None:
        """``step`` with slots that work in the world as it stands after the earlier steps (which it
        then joins), the step itself when it calls no probed tool, or None when nothing works."""
        if not self.covers(step.tools) or step.kind in ("chitchat", "irrelevant", "closing"):
            return step
        plans: list[tuple[ToolSpec, dict[str, Any], dict[str, Any]]]
        if step.kind == "parallel":
            calls = step.slots.get("calls", [])
            plans = [(tools[name], dict(s), {}) for name, s in zip(step.tools, calls, strict=False)]
        else:
            fixed = self._bound(step)
            if fixed is None:
                return None
            slots = dict(step.slots)
            if step.kind == "follow_up" and not step.bindings:
                fixed = {k: v for k, v in self.last_args.get(step.tools[0], {}).items() if k not in slots}
            plans = [(tools[step.tools[0]], slots, fixed)]
        world = self.world
        found: list[dict[str, Any]] = []
        contents: list[Any] = []
        calls: list[tuple[ToolSpec, dict[str, Any], Any]] = []
        for tool, slots, fixed in plans:
            # the same call twice in one turn says nothing: a second call of a tool asks for other values
            avoid = [a for a, (t, _, _) in zip(found, plans, strict=False) if t.name == tool.name]
            got = self._ground(tool, slots, fixed, rng, world, avoid)
            more = self._optional(tool, slots, fixed) if got is None and step.kind != "parallel" else {}
            if more:  # the record the call failed to find may be named by a parameter it leaves optional
                slots = {**slots, **more}
                got = self._ground(tool, slots, fixed, rng, world, avoid)
            if got is None:
                return None
            world, args, content = got
            found.append({k: args[k] for k in slots})
            contents.append(content)
            calls.append((tool, args, content))
            self.last_args[tool.name] = args
        self.world = world
        for tool, args, content in calls:
            self.show(tool, args, content)
        self.results[step.index] = contents
        if step.kind == "parallel":
            return step.model_copy(update={"slots": {"calls": found}})
        return step.model_copy(update={"slots": found[0]})

    def _optional(self, tool: ToolSpec, slots: Mapping[str, Any], fixed: Mapping[str, Any]) -> dict[str, Any]:
        """Optional parameters of ``tool`` the latest failure names ("Booking not found" -> ``booking_id``)
        that have candidates, each with its best one."""
        said = words_of(self.failure)
        out: dict[str, Any] = {}
        for p in sorted(set(tool.properties) - set(tool.required) - set(slots) - set(fixed)):
            if words_of(p) & said:
                ranked = rank(self.candidates(), tool, p)
                if ranked:
                    out[p] = ranked[0]
        return out

    def _bound(self, step: PlanStep) -> dict[str, Any] | None:
        """Values of the step's bindings (``step:N.tool.field#k``) read from earlier results."""
        out: dict[str, Any] = {}
        for param, ref in step.bindings.items():
            head, _, ordinal = ref.partition("#")
            parts = head.removeprefix("step:").split(".", 2)
            if len(parts) < 3 or not parts[0].isdigit():
                return None
            found = _find(self.results.get(int(parts[0]), []), parts[2].split("."), int(ordinal or 0))
            if found is _NO:
                return None
            out[param] = found
        return out

    def _ground(self, tool: ToolSpec, slots: dict[str, Any], fixed: dict[str, Any], rng: random.Random,
                world: World, avoid: Sequence[dict[str, Any]] = ()) -> tuple[World, dict[str, Any], Any] | None:
        if not self.grounding.probeable(tool.name):
            return world, {**slots, **fixed}, None
        pool = self.candidates()
        # what a create names is new: the planned value first
        new = profile_tool(tool).kind == "create" or bool(_CREATE & set(split_words(tool.description)[:6]))
        naming = naming_words()
        choices = []
        for p in sorted(slots):
            ranked = [v for v in rank(pool, tool, p, rng) if v != slots[p]][:_PER_PARAM]
            # what names the new thing is new; what the create refers to (a card, a date) is not
            # so is a text the user composes (a comment, a message) and a change a free-form object states by
            # its keys ({"status": ...} of an edit)
            first = (new and (bool(words_of(p) & naming) or not ranked)) or _composed(tool, p)
            choices.append((p, [slots[p], *ranked] if first else [*ranked, slots[p]]))
        # combinations in order of the sum of their ranks: the best candidates first
        combos = sorted(itertools.product(*(range(len(c)) for _, c in choices)), key=lambda ix: (sum(ix), ix))
        # a result that says nothing ("Unknown", no matches) is kept while a few more calls look for a real one
        fallback: tuple[World, dict[str, Any], Any] | None = None
        left, failures = self.probe_cap, 0
        for ix in combos[:self.probe_cap]:
            args = {**{p: c[i] for (p, c), i in zip(choices, ix, strict=True)}, **fixed}
            if {k: args[k] for k in slots} in avoid:
                continue
            if left <= 0:
                break
            left -= 1
            self.probes += 1
            after, result = self.grounding.env.call(world, ToolCall(id="probe", name=tool.name, arguments=args))
            if result.error is None and not says_failure(result.content):
                if not weak(result.content):
                    return after, args, result.content
                if fallback is None:
                    fallback, left = (after, args, result.content), min(left, _WEAK_TRIES)
                continue
            if not failures:  # the failure of the likeliest call says what is missing
                self.failure = str(result.error or result.content)[:300]
            failures += 1
        return fallback


def _composed(tool: ToolSpec, param: str) -> bool:
    """True when a value of ``param`` is one the user writes rather than one the world holds: free text
    (a comment, a message) or a free-form object of named keys."""
    schema = tool.properties.get(param)
    if not isinstance(schema, dict):
        return False
    if described_keys(schema):
        return True
    provider = provider_for_field(param, schema) if schema.get("type") == "string" and "enum" not in schema else None
    return provider is not None and (provider.key == "sentence" or provider.key.startswith("phrase:"))


def says_failure(content: Any) -> bool:
    """True when a result that is no tool error still reports a failure: an ``error`` field beside others
    (``{"booking_status": false, "error": "Invalid access token"}``) or an ``Error: ...`` text, alone or as
    the only item of a list."""
    if isinstance(content, list) and len(content) == 1:
        content = content[0]
    if isinstance(content, dict):
        return bool(content.get("error"))
    return isinstance(content, str) and _ERROR_TEXT.match(content) is not None


def _find(contents: list[Any], path: list[str], ordinal: int) -> Any:
    """The ``ordinal``-th value at ``path`` (``items[].id`` style) in the first content that has it."""
    keys = [k.removesuffix("[]") for k in path]
    for content in contents:
        found: list[Any] = []
        _collect(content, keys, found)
        if found:
            return found[min(ordinal, len(found) - 1)]
    return _NO


def _collect(node: Any, keys: list[str], out: list[Any]) -> None:
    if isinstance(node, list):
        for item in node:
            _collect(item, keys, out)
    elif not keys:
        if node is not None and not isinstance(node, dict):
            out.append(node)
    elif isinstance(node, dict):
        if keys[0] in node:
            _collect(node[keys[0]], keys[1:], out)
        elif len(keys) == 1:
            for v in node.values():  # the field may sit one level down
                if isinstance(v, dict) and keys[0] in v:
                    _collect(v[keys[0]], [], out)
