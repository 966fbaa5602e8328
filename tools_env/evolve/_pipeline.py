"""Tool Self-evolution Synthesis (ToolACE): grow an API pool by speciation, adaptation, evolution.

- **Speciation** builds the hierarchical API context tree from the pool: domain ->
  function group (the entity a tool acts on, ``hotel`` for ``search_hotels``; its verb
  when it names none) -> API (:class:`SpeciationTree`). ToolACE derives the tree from
  API-related text with a model; here it comes from the pool's own domains and names.
- **Adaptation** gives each new API a subtree sampled from the tree, seeded: one API
  node, several APIs of one group, or several APIs across one domain.
- **Evolution** makes the new API from the subtree and an example from a buffer
  (pool tools first, accepted ones added as they come), applying one diversity operator
  (``add_functionality``, ``add_parameters``, ``add_constraints``, ``mutate_types``,
  ``change_returns``, ``combine``) as a deterministic schema mutation (``_mutations``;
  ``combine`` here), or asking a model through an async ``llm`` hook with the prompt of
  :func:`build_evolution_prompt`. Operators are taken round-robin in seeded order, the
  next one standing in when one does not apply to the sampled subtree.

Every new API is validated (ToolSpec, ``returns`` present, JSON Schema ``check_schema``,
``required`` within ``properties``) and de-duplicated: the same normalized name, or a
token Jaccard of name words + parameter names >= 0.9 against the pool and the APIs
accepted so far. Accepted APIs of generation < ``max_generation`` join the tree and can
evolve again. The same pool, ``n`` and seed always give the same result.
"""

from __future__ import annotations

import asyncio
import copy
import json
import random
import re
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from turnloom.schema import ToolSpec
from turnloom.tools_env.evolve._mutations import (
    MUTATIONS,
    Job,
    Raw,
    first_sentence,
    lower_first,
    new_api,
    params_of,
    record_fields,
    returns_of,
)
from turnloom.tools_env.pool import READ_VERBS, group_key, schema_problems, singular, verb_entity, words

__all__ = [
    "OPERATORS",
    "EvolveResult",
    "LlmHook",
    "SpeciationTree",
    "Subtree",
    "aevolve_pool",
    "build_evolution_prompt",
    "evolve_pool",
    "parse_llm_tool",
    "validate_candidate",
]

LlmHook = Callable[[str], Awaitable[str]]
NEAR_DUPLICATE = 0.9

_GUIDE = {
    "add_functionality": "add a functionality: a filter on a returned field, or a feature with parameters",
    "add_parameters": "add one or two useful optional parameters",
    "add_constraints": "add constraints to parameters (enum, minimum/maximum, pattern or format)",
    "mutate_types": "change a parameter's type (a date string into {year, month, day}, a value into a list)",
    "change_returns": "change the return value (add fields, or return a list of results)",
    "combine": "combine two of the related APIs into one API that does both",
}


def combine(job: Job) -> Raw | None:
    """Two pool APIs of the subtree as one; what the first returns is optional for the second."""
    others = [t for t in job.context if t.name != job.base.name and "evolved" not in t.tags]
    if not others or "evolved" in job.base.tags:
        return None
    a, b = job.base, others[job.rng.randrange(len(others))]
    if verb_entity(a.name)[0] not in READ_VERBS and verb_entity(b.name)[0] in READ_VERBS:
        a, b = b, a
    (va, ea), (vb, eb) = verb_entity(a.name), verb_entity(b.name)
    if va and vb and va != vb and ea and eb and singular(ea[-1]) == singular(eb[-1]):
        name = "_".join([va, "and", vb, *eb])
    else:
        name = f"{a.name}_and_{b.name}"
    produced = set(record_fields(returns_of(a))[0])
    props, required = params_of(a)
    for key, sub in b.properties.items():
        clash = key in props and props[key].get("type") != sub.get("type")
        new = f"{vb or 'then'}_{key}" if clash else key
        props.setdefault(new, copy.deepcopy(sub))
        if key in b.required and key not in produced and new not in required:
            required.append(new)
    ra, rb = f"{words(a.name)[0]}_result", f"{words(b.name)[0]}_result"
    if ra == rb:
        ra, rb = "first_result", "second_result"
    returns = {"type": "object", "required": [ra, rb], "properties": {ra: returns_of(a), rb: returns_of(b)}}
    desc = f"{first_sentence(a.description)}, then {lower_first(first_sentence(b.description))}, in one call."
    return new_api(job, name.replace(".", "_"), desc, props, required, returns)


_STEPS: dict[str, Callable[[Job], Raw | None]] = {**MUTATIONS, "combine": combine}
#: the diversity operators of evolution, in canonical order
OPERATORS: tuple[str, ...] = tuple(_STEPS)


@dataclass
class Subtree:
    """The part of the API context tree one new API is evolved from (adaptation)."""

    mode: str
    domain: str
    base: ToolSpec
    tools: list[ToolSpec]


class SpeciationTree:
    """The API context tree: domain -> function group -> API names (insertion order kept)."""

    def __init__(self) -> None:
        self.domains: dict[str, dict[str, list[str]]] = {}
        self.tools: dict[str, ToolSpec] = {}

    @classmethod
    def from_tools(cls, tools: Iterable[ToolSpec]) -> SpeciationTree:
        tree = cls()
        for tool in sorted(tools, key=lambda t: (t.domain, group_key(t.name), t.name)):
            tree.add(tool)
        return tree

    def add(self, tool: ToolSpec) -> None:
        if tool.name in self.tools:
            return
        self.tools[tool.name] = tool
        self.domains.setdefault(tool.domain, {}).setdefault(group_key(tool.name), []).append(tool.name)

    def to_json(self) -> dict[str, Any]:
        domains = []
        for domain, groups in sorted(self.domains.items()):
            children = [{"name": g, "kind": "group", "children": [{"name": n, "kind": "api"} for n in names]}
                        for g, names in sorted(groups.items())]
            domains.append({"name": domain, "kind": "domain", "children": children})
        return {"name": "pool", "kind": "root", "children": domains}

    def sample(self, rng: random.Random) -> Subtree:
        """A seeded subtree around a random API: the node alone, its group, or its domain."""
        names = list(self.tools)
        base = self.tools[names[rng.randrange(len(names))]]
        groups = self.domains[base.domain]
        mode = rng.choices(("node", "group", "domain"), weights=(3, 4, 3))[0]
        peers: list[str] = []
        if mode == "group":
            peers = [n for n in groups[group_key(base.name)] if n != base.name]
        if mode == "domain" or (mode == "group" and not peers):
            mode = "domain"
            peers = [n for g in sorted(groups) for n in groups[g] if n != base.name]
        if not peers:
            mode = "node"
        picked = rng.sample(peers, k=min(len(peers), 3)) if peers else []
        return Subtree(mode, base.domain, base, [base, *(self.tools[n] for n in picked)])


@dataclass
class EvolveResult:
    tools: list[ToolSpec]
    #: accepted new APIs per operator (every operator listed)
    operators: dict[str, int]
    #: rejected candidates per reason
    rejected: dict[str, int]
    attempts: int
    #: True when the attempt budget ran out before ``n`` APIs were accepted
    exhausted: bool
    tree: SpeciationTree = field(repr=False)

    def summary(self) -> dict[str, Any]:
        return {"new": len(self.tools), "operators": self.operators, "rejected": self.rejected,
                "attempts": self.attempts, "exhausted": self.exhausted}


def validate_candidate(raw: dict[str, Any]) -> tuple[ToolSpec | None, str]:
    """A new API as a ToolSpec, or None and why it was rejected."""
    if not isinstance(raw, dict):
        return None, "invalid_spec"
    if isinstance(raw.get("name"), str) and len(raw["name"]) > 64:
        return None, "name_too_long"
    try:
        tool = ToolSpec.model_validate(raw)
    except ValidationError:
        return None, "invalid_spec"
    if tool.returns is None:
        return None, "missing_returns"
    if tool.parameters.get("type") != "object":
        return None, "invalid_schema"
    problems = schema_problems(tool.parameters, "parameters") + schema_problems(tool.returns, "returns")
    if problems:
        return None, problems[0][0]
    return tool, ""


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _signature(tool: ToolSpec) -> frozenset[str]:
    return frozenset(words(tool.name)) | frozenset(tool.properties)


def build_evolution_prompt(subtree: Subtree, example: ToolSpec, operator: str) -> str:
    """The instruction for a model to evolve one new API (the model-backed path)."""

    def show(t: ToolSpec) -> str:
        data = {"name": t.name, "description": t.description, "parameters": t.parameters}
        return json.dumps({**data, "returns": t.returns}, ensure_ascii=False)

    related = "\n".join(f"- {show(t)}" for t in subtree.tools)
    return (
        "You design API definitions for a tool-use dataset.\n"
        f"Domain: {subtree.domain}. Related APIs from the API context tree:\n{related}\n"
        f"An example of the format (from another part of the pool):\n{show(example)}\n"
        f"Write ONE new API, different from all of the above, that starts from {subtree.base.name} "
        f"and does this: {_GUIDE.get(operator, operator)}.\n"
        "Rules: a snake_case name that reads naturally (verb, object, qualifier, e.g. "
        "search_hotels_by_rating); a one-sentence description; parameters is a JSON Schema object "
        "with a description for every property and every required name listed in properties; returns "
        "is a JSON Schema of the result.\n"
        'Answer with one JSON object {"name": ..., "description": ..., "parameters": {...}, '
        '"returns": {...}} and nothing else.'
    )


def parse_llm_tool(text: str) -> dict[str, Any] | None:
    """The tool a model answered with (bare, fenced or OpenAI-shaped JSON), or None."""
    fenced = re.search(r"```(?:json)?\s*(\{.*?\})\s*```", text, re.S)
    body = fenced.group(1) if fenced else text[text.find("{") : text.rfind("}") + 1]
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, ValueError):
        return None
    if isinstance(data, dict) and isinstance(data.get("function"), dict):
        data = data["function"]
    if not isinstance(data, dict):
        return None
    returns = next((data[k] for k in ("returns", "response", "outputSchema") if k in data), None)
    return {"name": data.get("name"), "description": data.get("description", ""),
            "parameters": data.get("parameters"), "returns": returns}


class _Evolution:
    def __init__(self, tools: list[ToolSpec], seed: int, max_generation: int) -> None:
        if not tools:
            raise ValueError("the pool is empty: nothing to evolve from")
        self.rng = random.Random(seed)
        self.tree = SpeciationTree.from_tools(tools)
        self.max_generation = max_generation
        self.generation = {t.name: 0 for t in tools}
        self.buffer = list(self.tree.tools.values())
        self.accepted: list[ToolSpec] = []
        self.names = {_norm(t.name) for t in tools}
        self.signatures = [_signature(t) for t in tools]
        self.operators: Counter[str] = Counter()
        self.rejected: Counter[str] = Counter()
        self.agenda: list[str] = []
        self.attempts = 0

    def plan(self) -> tuple[Subtree, ToolSpec, list[str]]:
        """Adaptation: a subtree, an example from the buffer, operators in the order to try."""
        self.attempts += 1
        subtree = self.tree.sample(self.rng)
        example = self.buffer[self.rng.randrange(len(self.buffer))]
        if not self.agenda:
            self.agenda = list(OPERATORS)
            self.rng.shuffle(self.agenda)
        first = self.agenda.pop(0)
        i = OPERATORS.index(first)
        return subtree, example, [*OPERATORS[i:], *OPERATORS[:i]]

    def offline_step(self) -> None:
        subtree, example, ops = self.plan()
        done = {t.split(":", 1)[1] for t in subtree.base.tags if t.startswith("evolved:")}
        for op in (o for o in ops if o not in done):
            raw = _STEPS[op](Job(subtree.base, subtree.tools, example, self.rng))
            if raw is not None:
                self.consider(raw, op, subtree.base)
                return
        self.rejected["not_applicable"] += 1

    def _near_duplicate(self, tool: ToolSpec) -> bool:
        sig = _signature(tool)
        for other in self.signatures:
            small, big = sorted((len(sig), len(other)))
            if small >= NEAR_DUPLICATE * big and len(sig & other) >= NEAR_DUPLICATE * len(sig | other):
                return True
        return False

    def consider(self, raw: dict[str, Any] | None, op: str, base: ToolSpec) -> bool:
        if raw is None:
            self.rejected["unparseable"] += 1
            return False
        name = raw.get("name")
        if isinstance(name, str) and _norm(name) in self.names:
            self.rejected["duplicate_name"] += 1
            return False
        tags = [t for t in base.tags if not t.startswith(("http:", "evolved"))]
        raw = {**raw, "domain": raw.get("domain") or base.domain, "tags": [*tags, "evolved", f"evolved:{op}"]}
        tool, reason = validate_candidate(raw)
        if tool is not None and self._near_duplicate(tool):
            reason = "near_duplicate"
        if tool is None or reason:
            self.rejected[reason] += 1
            return False
        self.accepted.append(tool)
        self.operators[op] += 1
        self.names.add(_norm(tool.name))
        self.signatures.append(_signature(tool))
        self.buffer.append(tool)
        self.generation[tool.name] = self.generation.get(base.name, 0) + 1
        if self.generation[tool.name] < self.max_generation:
            self.tree.add(tool)
        return True

    def result(self, n: int) -> EvolveResult:
        return EvolveResult(
            tools=self.accepted[:n],
            operators={op: self.operators[op] for op in OPERATORS},
            rejected=dict(sorted(self.rejected.items())),
            attempts=self.attempts,
            exhausted=len(self.accepted) < n,
            tree=self.tree,
        )


def _budget(n: int, max_attempts: int | None) -> int:
    return max_attempts if max_attempts is not None else max(100, 25 * n)


def evolve_pool(
    tools: Iterable[ToolSpec],
    n: int,
    *,
    seed: int = 0,
    max_generation: int = 2,
    max_attempts: int | None = None,
) -> EvolveResult:
    """``n`` new APIs evolved offline from ``tools`` (fewer, with ``exhausted``, if the budget runs out)."""
    evo = _Evolution(list(tools), seed, max_generation)
    budget = _budget(n, max_attempts)
    while len(evo.accepted) < n and evo.attempts < budget:
        evo.offline_step()
    return evo.result(n)


async def aevolve_pool(
    tools: Iterable[ToolSpec],
    n: int,
    *,
    seed: int = 0,
    llm: LlmHook | None = None,
    concurrency: int = 4,
    max_generation: int = 2,
    max_attempts: int | None = None,
) -> EvolveResult:
    """Like :func:`evolve_pool`, with each new API written by ``llm`` (offline when it is None).

    Jobs are planned in batches of ``concurrency`` with the seeded generator, their prompts
    sent together, and the answers considered in planning order, so a deterministic model
    gives a deterministic result.
    """
    if llm is None:
        return evolve_pool(tools, n, seed=seed, max_generation=max_generation, max_attempts=max_attempts)
    evo = _Evolution(list(tools), seed, max_generation)
    budget = _budget(n, max_attempts)
    while len(evo.accepted) < n and evo.attempts < budget:
        jobs = []
        for _ in range(max(1, min(concurrency, n - len(evo.accepted), budget - evo.attempts))):
            subtree, example, ops = evo.plan()
            op = next(o for o in ops if o != "combine" or len(subtree.tools) > 1)
            jobs.append((subtree, op, build_evolution_prompt(subtree, example, op)))
        answers = await asyncio.gather(*(llm(prompt) for _, _, prompt in jobs))
        for (subtree, op, _), answer in zip(jobs, answers, strict=True):
            evo.consider(parse_llm_tool(answer), op, subtree.base)
    return evo.result(n)
