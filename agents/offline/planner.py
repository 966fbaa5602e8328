"""Offline planner: turns a tool subset into a plan of per-turn user requirements
(ToolFlow), choosing step kinds by the scenario's mix (ToolACE's dialogue types).

Deterministic under the view's seed. Dependent and follow-up steps are built from
data-flow links (:mod:`turnloom.tools_env.flow`), so later turns really use ids
returned by earlier calls.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from turnloom.agents._protocol import AgentOutput, AgentView
from turnloom.agents.offline._phrasing import CHITCHAT, IRRELEVANT, words
from turnloom.agents.offline._templates import expand
from turnloom.schema import Plan, PlanStep, ToolSpec, derive_seed
from turnloom.tools_env.analysis import ToolProfile, profile_tool, split_words
from turnloom.tools_env.flow import Link
from turnloom.tools_env.links import find_links
from turnloom.tools_env.ranges import repair_ranges
from turnloom.tools_env.values import ValueFactory

__all__ = ["OfflinePlanner", "statable_params"]

_HINTS = ("city", "country", "date", "time", "email", "name", "phone", "currency", "address", "language",
          "company", "title", "url", "zip", "code", "amount", "price")


def _is_id(param: str) -> bool:
    return param == "id" or param.endswith("_id") or param.endswith("_ids")


def statable_params(tool: ToolSpec) -> bool:
    """True when a user can state every required parameter (no ids they could not know)."""
    return not any(_is_id(p) for p in tool.required)


@dataclass
class _Done:
    """What earlier steps produced."""

    step: int
    tool: str
    profile: ToolProfile
    slots: dict[str, Any] = field(default_factory=dict)


class OfflinePlanner:
    """Template planner over the tools' profiles and data-flow links."""

    name = "offline-planner"

    def __init__(self) -> None:
        self._values: ValueFactory | None = None
        # per tool set (most runs plan over one): dependent-call links and vocabulary
        self._tool_sets: dict[tuple[str, ...], tuple[list[Link], set[str]]] = {}

    def _links_and_vocab(self, tools: list[ToolSpec]) -> tuple[list[Link], set[str]]:
        key = tuple(t.key() for t in tools)
        found = self._tool_sets.get(key)
        if found is None:
            links = [lk for lk in find_links(tools) if _is_id(lk.param) and lk.source != lk.target]
            vocab = {w for t in tools for w in split_words(t.name) + words(t.description)}
            if len(self._tool_sets) >= 256:
                self._tool_sets.clear()
            found = self._tool_sets[key] = (links, vocab)
        return found

    def _factory(self) -> ValueFactory:
        # one Faker-backed factory per planner; every slot value reseeds it, so plans stay deterministic
        if self._values is None:
            self._values = ValueFactory(0)
        return self._values

    async def act(self, view: AgentView) -> AgentOutput:
        return AgentOutput(plan=self.plan(view.tools, view.seed, view.context))

    # -------------------------------------------------------------------------------
    def plan(self, tools: list[ToolSpec], seed: int, context: dict[str, Any]) -> Plan:
        rng = random.Random(seed)
        values = self._factory()
        settings = context.get("plan", {})
        lo, hi = int(settings.get("min_steps", 3)), int(settings.get("max_steps", 5))
        mix = {k: float(v) for k, v in settings.get("mix", {"single": 1.0}).items() if float(v) > 0}
        tools = sorted(tools, key=lambda t: t.name)
        by_name = {t.name: t for t in tools}
        links, vocab = self._links_and_vocab(tools)
        n = rng.randint(lo, hi)
        steps: list[PlanStep] = []
        done: list[_Done] = []
        want_dependent = bool(settings.get("require_dependent", True)) and mix.get("dependent", 0) > 0
        lazy = bool(context.get("env", {}).get("lazy_world", False))
        sources = {lk.source for lk in links}
        for i in range(n):
            options = self._feasible(by_name, links, done, lazy)
            weights = {k: w for k, w in mix.items() if k in options}
            if not weights:
                weights = {k: 1.0 for k in ("single", "chitchat") if k in options} or {"chitchat": 1.0}
            kinds = sorted(weights)
            kind = rng.choices(kinds, weights=[weights[k] for k in kinds])[0]
            has_dep = any(st.kind == "dependent" for st in steps)
            option = options.get(kind)
            if want_dependent and not has_dep:
                if "dependent" in options and (i == n - 1 or kind == "dependent"):
                    kind, option = "dependent", options["dependent"]
                elif i == 0 and "single" in options:
                    # open with a call whose result a later step can use
                    producers = [t for t in options["single"] if t.name in sources]
                    if producers:
                        kind, option = "single", producers
            step = self._make(kind, i, option, by_name, done, rng, values, vocab, seed)
            steps.append(step)
        if settings.get("closing", True):
            steps.append(PlanStep(index=len(steps), kind="closing", intent="thank the assistant and end"))
        plan = Plan(steps=steps, tools=[t.name for t in tools], persona=str(context.get("persona", "")),
                    goal="; ".join(context.get("goals", [])))
        return plan

    def _feasible(self, by_name: dict[str, ToolSpec], links: list[Link], done: list[_Done],
                  lazy: bool = False) -> dict[str, Any]:
        created = {p.entity for p in (profile_tool(t) for t in by_name.values()) if p.kind == "create" and p.entity}
        statable = [t for t in by_name.values() if statable_params(t) and profile_tool(t).kind != "delete"]
        options: dict[str, Any] = {"chitchat": True, "irrelevant": True}
        if statable:
            options["single"] = statable
            options["error_recovery"] = statable
            options["parallel"] = statable
            with_required = [t for t in statable if t.required]
            if with_required:
                options["clarification"] = with_required
        dep = []
        for d in done:
            for lk in links:
                target = by_name.get(lk.target)
                if lk.source != d.tool or target is None:
                    continue
                src_kind = d.profile.kind
                if "[]" in lk.field and (src_kind != "list" or (d.profile.entity in created and not lazy)):
                    # a list of records some tool creates may well be empty in a strict world
                    continue
                if src_kind in ("delete",):
                    continue
                others = [p for p in target.required if p != lk.param]
                if any(_is_id(p) for p in others):
                    continue
                dep.append((d, lk))
        if dep:
            options["dependent"] = dep
        follow = []
        for d in done:
            if d.profile.kind == "create" and d.profile.entity:
                for t in by_name.values():
                    p = profile_tool(t)
                    if p.kind == "update" and p.entity == d.profile.entity and any(
                        q != p.id_param and not _is_id(q) for q in t.properties
                    ):
                        follow.append((d, t))
            if d.profile.kind in ("list", "action") and d.slots:
                follow.append((d, by_name[d.tool]))
        if follow:
            options["follow_up"] = follow
        return options

    def _slot(self, tool: ToolSpec, param: str, values: ValueFactory, seed: int) -> Any:
        schema = tool.properties.get(param, {})
        hint = param
        desc_words = set(words(str(schema.get("description", "")) if isinstance(schema, dict) else ""))
        if not any(h in param for h in _HINTS):
            extra = next((h for h in _HINTS if h in desc_words), None)
            if extra:
                hint = f"{param}_{extra}"
        values.reseed(derive_seed(seed, tool.name, param))
        return values.value(schema if isinstance(schema, dict) else {}, name=hint, root=tool.parameters)

    def _slots(self, tool: ToolSpec, rng: random.Random, values: ValueFactory, seed: int,
               skip: tuple[str, ...] = ()) -> dict[str, Any]:
        slots = {p: self._slot(tool, p, values, seed) for p in tool.required if p not in skip}
        for p in sorted(tool.properties):
            sch = tool.properties[p]
            if p in slots or p in skip or _is_id(p) or not isinstance(sch, dict):
                continue
            if sch.get("type") in ("string", "integer", "number", "boolean") and rng.random() < 0.25:
                slots[p] = self._slot(tool, p, values, seed)
        return repair_ranges(slots)

    def _make(self, kind: str, i: int, option: Any, by_name: dict[str, ToolSpec], done: list[_Done],
              rng: random.Random, values: ValueFactory, vocab: set[str], seed: int) -> PlanStep:
        s = derive_seed(seed, "step", i)
        if kind in ("single", "error_recovery", "clarification"):
            tool = rng.choice(option)
            slots = self._slots(tool, rng, values, s)
            withhold: list[str] = []
            if kind == "clarification":
                withhold = [rng.choice(sorted(tool.required))]
            done.append(_Done(i, tool.name, profile_tool(tool), slots))
            intent = {"single": f"ask to {tool.name}", "error_recovery": f"ask to {tool.name}; the first call "
                      "fails with a transient error and the assistant recovers",
                      "clarification": f"ask to {tool.name} but leave out {withhold[0] if withhold else ''}; "
                      "answer when asked"}[kind]
            return PlanStep(index=i, kind=kind, intent=intent, tools=[tool.name], slots=slots,  # type: ignore[arg-type]
                            withhold=withhold)
        if kind == "parallel":
            tool = rng.choice(option)
            others = [t for t in option if t.name != tool.name]
            second = tool if (not others or rng.random() < 0.5) else rng.choice(others)
            a = self._slots(tool, rng, values, derive_seed(s, "a"))
            b = self._slots(second, rng, values, derive_seed(s, "b"))
            if second.name == tool.name and a == b:
                b = self._slots(second, rng, values, derive_seed(s, "c"))
                if a == b and others:  # the same call twice says nothing: ask for another tool
                    second = rng.choice(others)
                    b = self._slots(second, rng, values, derive_seed(s, "d"))
            done.append(_Done(i, tool.name, profile_tool(tool), a))
            return PlanStep(index=i, kind="parallel", intent=f"ask for {tool.name} and {second.name} at once",
                            tools=[tool.name, second.name], slots={"calls": [a, b]})
        if kind == "dependent":
            d, lk = rng.choice(option)
            target = by_name[lk.target]
            slots = self._slots(target, rng, values, s, skip=(lk.param,))
            ordinal = rng.randrange(2) if "[]" in lk.field else 0
            binding = f"step:{d.step}.{lk.source}.{lk.field}#{ordinal}"
            done.append(_Done(i, target.name, profile_tool(target), slots))
            return PlanStep(index=i, kind="dependent", intent=f"use {lk.field} from step {d.step} to {target.name}",
                            tools=[target.name], depends_on=[d.step], slots=slots, bindings={lk.param: binding})
        if kind == "follow_up":
            d, tool = rng.choice(option)
            prof = profile_tool(tool)
            if prof.kind == "update":
                changeable = sorted(q for q in tool.properties if q != prof.id_param and not _is_id(q))
                param = rng.choice(changeable)
                value = self._slot(tool, param, values, derive_seed(s, "new"))
                value = repair_ranges(dict(d.slots, **{param: value}), fixed=set(d.slots) - {param})[param]
                done.append(_Done(i, tool.name, prof, {param: value}))
                return PlanStep(index=i, kind="follow_up", intent=f"change {param} of the {prof.entity} from "
                                f"step {d.step}", tools=[tool.name], depends_on=[d.step], slots={param: value},
                                bindings={prof.id_param or "id": f"step:{d.step}.{d.tool}.{d.profile.id_field}#0"})
            param = rng.choice(sorted(d.slots))
            value = self._slot(tool, param, values, derive_seed(s, "again"))
            # the request continues the conversation: the latest values of this tool's calls
            latest: dict[str, Any] = {}
            for e in done:
                if e.tool == d.tool:
                    latest.update(e.slots)
            value = repair_ranges(dict(latest, **{param: value}), fixed=set(latest) - {param})[param]
            done.append(_Done(i, tool.name, prof, dict(d.slots, **{param: value})))
            return PlanStep(index=i, kind="follow_up", intent=f"repeat step {d.step} with another {param}",
                            tools=[tool.name], depends_on=[d.step], slots={param: value})
        if kind == "irrelevant":
            choices = [(q, what) for q, what in IRRELEVANT if not (set(words(q)) & vocab - _STOP)]
            q, what = rng.choice(choices or list(IRRELEVANT))
            return PlanStep(index=i, kind="irrelevant", intent=f"ask for something no tool can do: {what}",
                            slots={"text": expand(q, random.Random(f"{seed}:{i}"))})
        choices = [q for q in CHITCHAT if not (set(words(q)) & vocab - _STOP)]
        return PlanStep(index=i, kind="chitchat", intent="small talk, no tool needed",
                        slots={"text": expand(rng.choice(choices or list(CHITCHAT)), random.Random(f"{seed}:{i}"))})


_STOP = {"a", "an", "the", "for", "to", "of", "in", "on", "my", "me", "you", "can", "could", "please", "is",
         "it", "and", "or", "by", "with", "what", "how", "do", "any", "i", "this", "at", "last", "year", "s",
         "get", "way", "one", "good", "what's", "be", "are", "your", "from", "day", "time", "new"}
