"""Plans grounded in the world: requests about things that exist.

Two parts, both pure data over a :class:`~turnloom.tools_env.world.World`:

- :func:`harvest` collects candidate values from the states of the world's class backends (and its
  seeded records): string and number leaves and mapping keys, each with the words of its key path
  and of its owning object's class (a ``File``'s name carries ``file`` and ``name``; a key of
  ``stocks`` carries ``stock`` and, through the synonyms in ``data/grounding.yaml``, ``symbol``).
  :func:`rank` orders them by word overlap with a parameter's name and description.
- :class:`Sandbox` plays a plan forward on a copy of the world (``env.call`` is pure): it tries
  candidate calls and commits the first that succeeds, so later steps see earlier effects (after
  ``cd`` the files of that folder, after a create the new id). Only tools whose calls are pure
  functions of the world are probed: class-backed methods, never live tools nor plain functions.
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from turnloom.schema import PlanStep, ToolCall, ToolResult, ToolSpec
from turnloom.tools_env.analysis import profile_tool, singular, split_words
from turnloom.tools_env.env import ToolEnvironment
from turnloom.tools_env.world import World

__all__ = ["Candidate", "Grounding", "Sandbox", "harvest", "rank", "says_failure"]

#: longest string worth stating in a request
_MAX_TEXT = 80
#: candidates tried per parameter, and calls tried per plan step call
_PER_PARAM = 4
_MAX_PROBES = 24
_NO = object()
#: the first words of a description that say a tool makes something new
_CREATE = frozenset({"create", "creates", "make", "makes", "add", "adds", "new"})
#: a result text that reports a failure ("Error: User not authenticated.")
_ERROR_TEXT = re.compile(r"\s*error\s*:", re.I)


@dataclass(frozen=True)
class Candidate:
    """A value the world holds, with the words that say what it is."""

    value: Any
    words: frozenset[str]


@lru_cache(maxsize=1)
def _vocabulary() -> tuple[dict[str, frozenset[str]], frozenset[str]]:
    text = (resources.files("turnloom.tools_env") / "data" / "grounding.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    synonyms = {str(k): frozenset(str(w) for w in v) for k, v in (data.get("synonyms") or {}).items()}
    return synonyms, frozenset(str(w) for w in data.get("stop") or [])


@lru_cache(maxsize=4096)
def _words(text: str) -> frozenset[str]:
    """The meaningful words of an identifier or a sentence, singular."""
    stop = _vocabulary()[1]
    return frozenset(singular(w) for w in split_words(text) if w not in stop and not w.isdigit())


def _expand(words: Iterable[str]) -> frozenset[str]:
    synonyms = _vocabulary()[0]
    out = set(words)
    for w in list(out):
        out |= synonyms.get(w, frozenset())
    return frozenset(out)


def _class_words(ref: str) -> frozenset[str]:
    return _words(ref.rpartition(":")[2].rpartition(".")[2])


# -- harvesting ------------------------------------------------------------------------------------
def harvest(world: World) -> list[Candidate]:
    """Candidate values of ``world``: its class-backend states and its records, in a stable order."""
    out: list[Candidate] = []
    for key in sorted(world.memo):
        if key.startswith("python-backend:"):
            state = world.memo[key]
            cls = key.partition(":")[2]
            # the instance's own attributes, as a nested object's
            _walk({"$obj": cls, "$attrs": state} if isinstance(state, dict) else state, frozenset(), frozenset(), out)
    for entity in sorted(world.tables):
        for rid, record in sorted(world.tables[entity].items()):
            ent = _words(entity)
            out.append(Candidate(rid, _expand(ent | {"id"})))
            _walk(record, ent, frozenset(), out)
    seen: set[tuple[str, Any, frozenset[str]]] = set()
    unique = []
    for c in out:
        k = (type(c.value).__name__, c.value, c.words)
        if k not in seen:
            seen.add(k)
            unique.append(c)
    return unique


def _walk(node: Any, owner: frozenset[str], path: frozenset[str], out: list[Candidate]) -> None:
    if isinstance(node, list):
        for item in node:
            _walk(item, owner, path, out)
        return
    if not isinstance(node, dict):
        _leaf(node, owner | path, out)
        return
    if "$obj" in node:
        cls = _class_words(str(node["$obj"]))
        for attr, value in sorted((node.get("$attrs") or {}).items()):
            if not attr.startswith("_") or isinstance(value, (dict, list)):
                _walk(value, cls, _words(attr), out)
        return
    if "$tuple" in node or "$set" in node:
        _walk(node.get("$tuple", node.get("$set")), owner, path, out)
        return
    if "$dict" in node:
        pairs = [(k, v) for k, v in node["$dict"] if isinstance(k, (str, int)) and not isinstance(k, bool)]
    elif any(str(k).startswith("$") for k in node):
        return  # $ref, $random, $datetime, ...: nothing to name
    else:
        pairs = sorted(node.items())
    if _is_collection(pairs):
        for k, value in pairs:
            # a collection is keyed by what names its items: contents["notes.txt"] -> File
            if isinstance(value, dict) and "$obj" in value:
                _leaf(k, _class_words(str(value["$obj"])) | path | {"name", "id"}, out)
            else:
                _leaf(k, owner | path | ({"name", "id"} if isinstance(value, (dict, list)) else {"key"}), out)
            _walk(value, owner, path, out)
        return
    for k, value in pairs:  # a record: its keys name fields
        if isinstance(k, str) and k.startswith("_") and not isinstance(value, (dict, list)):
            continue
        kw = _words(str(k))
        _walk(value, owner, (path | kw) if isinstance(value, (dict, list)) else (kw or path), out)


_FIELD = re.compile(r"^_*[a-z][a-zA-Z0-9_]*$")


def _is_collection(pairs: Sequence[tuple[Any, Any]]) -> bool:
    """Keys that are data (names, ids), not field names: their items are all containers, or some key
    is a field name (a lower-case identifier)."""
    if not pairs:
        return False
    if all(isinstance(v, dict) and "$obj" in v for _, v in pairs):
        return True
    if all(isinstance(v, (dict, list)) for _, v in pairs) and len(pairs) > 1:
        return True
    return not any(isinstance(k, str) and _FIELD.match(k) for k, _ in pairs)


def _leaf(value: Any, words: frozenset[str], out: list[Candidate]) -> None:
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, str) and not (0 < len(value) <= _MAX_TEXT and value.strip() == value):
        return
    if isinstance(value, (str, int, float)):
        out.append(Candidate(value, _expand(words)))


# -- ranking ---------------------------------------------------------------------------------------
def _fit(value: Any, schema: Mapping[str, Any]) -> Any:
    """``value`` as the parameter ``schema`` takes it, or ``_NO``."""
    kind = schema.get("type")
    if "enum" in schema:
        return value if value in schema["enum"] else _NO
    if kind == "string":
        return value if isinstance(value, str) else _NO
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
    name count three times those of its description; ties keep a seeded order."""
    schema = tool.properties.get(param)
    if not isinstance(schema, dict):
        return []
    name, desc = _words(param), _words(str(schema.get("description", "")))
    scored: list[tuple[int, int, Any]] = []
    seen: set[str] = set()
    order = list(range(len(candidates)))
    if rng is not None:
        rng.shuffle(order)
    for pos, i in enumerate(order):
        c = candidates[i]
        score = 3 * len(name & c.words) + len(desc & c.words)
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
    #: calls tried per plan step call (lowered while searching for prerequisite steps)
    probe_cap: int = _MAX_PROBES
    #: calls tried so far, and the text of the latest failed one
    probes: int = 0
    failure: str = ""

    def __post_init__(self) -> None:
        self.world = self.grounding.world

    def candidates(self) -> list[Candidate]:
        if self._harvest is None or self._harvest[0] is not self.world:
            self._harvest = (self.world, harvest(self.world))
        return self._harvest[1]

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
        for tool, slots, fixed in plans:
            # the same call twice in one turn says nothing: a second call of a tool asks for other values
            avoid = [a for a, (t, _, _) in zip(found, plans, strict=False) if t.name == tool.name]
            got = self._ground(tool, slots, fixed, rng, world, avoid)
            if got is None:
                return None
            world, args, content = got
            found.append({k: args[k] for k in slots})
            contents.append(content)
            self.last_args[tool.name] = args
        self.world = world
        self.results[step.index] = contents
        if step.kind == "parallel":
            return step.model_copy(update={"slots": {"calls": found}})
        return step.model_copy(update={"slots": found[0]})

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
        choices = []
        for p in sorted(slots):
            ranked = [v for v in rank(pool, tool, p, rng) if v != slots[p]][:_PER_PARAM]
            choices.append((p, [slots[p], *ranked] if new else [*ranked, slots[p]]))
        # combinations in order of the sum of their ranks: the best candidates first
        combos = sorted(itertools.product(*(range(len(c)) for _, c in choices)), key=lambda ix: (sum(ix), ix))
        for ix in combos[:self.probe_cap]:
            args = {**{p: c[i] for (p, c), i in zip(choices, ix, strict=True)}, **fixed}
            if {k: args[k] for k in slots} in avoid:
                continue
            self.probes += 1
            after, result = self.grounding.env.call(world, ToolCall(id="probe", name=tool.name, arguments=args))
            if result.error is None and not says_failure(result.content):
                return after, args, result.content
            self.failure = str(result.error or result.content)[:300]
        return None


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
