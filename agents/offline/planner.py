"""Offline planner: turns a tool subset into a plan of per-turn user requirements
(ToolFlow), choosing step kinds by the scenario's mix (ToolACE's dialogue types).

Deterministic under the view's seed. Dependent and follow-up steps are built from
data-flow links (:mod:`turnloom.tools_env.flow`), so later turns really use ids
returned by earlier calls.
"""

from __future__ import annotations

import random
from functools import lru_cache
from typing import Any

from turnloom.agents._protocol import AgentOutput, AgentView
from turnloom.agents.offline._phrasing import words
from turnloom.agents.offline._plan_links import (
    Done,
    feeds_key,
    is_id,
    is_key,
    named_keys,
    option_tool,
    present,
    reaching,
    record_key,
    record_keys,
    statable_params,
    toward,
)
from turnloom.agents.offline._templates import expand, irrelevant, small_talk
from turnloom.agents.spoken import dialogue_date
from turnloom.schema import Plan, PlanStep, ToolSpec, derive_seed
from turnloom.tools_env.analysis import profile_tool, split_words
from turnloom.tools_env.flow import Link, output_fields
from turnloom.tools_env.grounding import Grounding, Sandbox
from turnloom.tools_env.grounding_prereq import enable
from turnloom.tools_env.grounding_values import described_keys
from turnloom.tools_env.links import find_links
from turnloom.tools_env.ranges import repair_ranges
from turnloom.tools_env.values import ValueFactory

__all__ = ["OfflinePlanner", "statable_params"]

_HINTS = ("city", "country", "date", "time", "email", "name", "phone", "currency", "address", "language",
          "company", "title", "url", "zip", "code", "amount", "price")


class OfflinePlanner:
    """Template planner over the tools' profiles and data-flow links."""

    name = "offline-planner"

    def __init__(self) -> None:
        self._values: ValueFactory | None = None
        # per tool set (most runs plan over one): dependent-call links and vocabulary
        self._tool_sets: dict[tuple[str, ...], tuple[list[Link], set[str]]] = {}
        self._statics: dict[tuple[str, ...], tuple[set[str], list[str]]] = {}

    def _links_and_vocab(self, tools: list[ToolSpec]) -> tuple[list[Link], set[str]]:
        key = tuple(t.key() for t in tools)
        found = self._tool_sets.get(key)
        if found is None:
            by_name = {t.name: t for t in tools}
            links = [lk for lk in find_links(tools) if lk.source != lk.target and feeds_key(lk, by_name[lk.target])]
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
        return AgentOutput(plan=self.plan(view.tools, view.seed, view.context, view.grounding))

    # -------------------------------------------------------------------------------
    def plan(self, tools: list[ToolSpec], seed: int, context: dict[str, Any],
             grounding: Grounding | None = None) -> Plan:
        rng = random.Random(seed)
        box = grounding.sandbox() if grounding is not None else None
        values = self._factory()
        settings = context.get("plan", {})
        lo, hi = int(settings.get("min_steps", 3)), int(settings.get("max_steps", 5))
        mix = {k: float(v) for k, v in settings.get("mix", {"single": 1.0}).items() if float(v) > 0}
        tools = sorted(tools, key=lambda t: t.name)
        by_name = {t.name: t for t in tools}
        links, vocab = self._links_and_vocab(tools)
        n = rng.randint(lo, hi)
        steps: list[PlanStep] = []
        done: list[Done] = []
        want_dependent = bool(settings.get("require_dependent", True)) and mix.get("dependent", 0) > 0
        lazy = bool(context.get("env", {}).get("lazy_world", False))
        sources = {lk.source for lk in links}
        # each dialogue leans toward one tool drawn from its own seed, so a run covers every tool
        focus = random.Random(derive_seed(seed, "focus")).choice(tools).name if tools else ""
        reach = reaching(focus, links)
        for j in range(n):
            # prerequisite steps found in the world take indices of their own
            i = len(steps)
            options = self._feasible(by_name, links, done, lazy, box)
            weights = {k: w for k, w in mix.items() if k in options}
            if not weights:
                weights = {k: 1.0 for k in ("single", "chitchat") if k in options} or {"chitchat": 1.0}
            kinds = sorted(weights)
            kind = rng.choices(kinds, weights=[weights[k] for k in kinds])[0]
            has_dep = any(st.kind == "dependent" for st in steps)
            option = options.get(kind)
            if want_dependent and not has_dep:
                if "dependent" in options and (j == n - 1 or kind == "dependent"):
                    kind, option = "dependent", options["dependent"]
                elif j == 0 and "single" in options:
                    # open with a call whose result a later step can use
                    producers = [t for t in options["single"] if t.name in sources]
                    if producers:
                        kind, option = "single", producers
            if not any(focus in st.tools for st in steps):
                kind, option = toward(focus, reach, kind, option, options, {t for st in steps for t in st.tools},
                                       switch=mix.get("dependent", 0) > 0)
            if box is not None and focus in by_name and not any(focus in st.tools for st in steps) and not any(
                    isinstance(o, list) and any(option_tool(x) == focus for x in o) for o in options.values()):
                # a focus no request can state yet may follow the steps that make it possible
                reached = self._enabled(by_name[focus], i, by_name, done, rng, values, vocab, seed, box)
                if reached:
                    steps.extend(reached)
                    continue
            step = self._make(kind, i, option, by_name, done, rng, values, vocab, seed)
            if box is None:
                steps.append(step)
            else:
                steps.extend(self._grounded(step, kind, option, options, by_name, done, rng, values, vocab, seed,
                                            box))
        if settings.get("closing", True):
            steps.append(PlanStep(index=len(steps), kind="closing", intent="thank the assistant and end"))
        today = dialogue_date([st.slots for st in steps], seed)
        plan = Plan(steps=steps, tools=[t.name for t in tools], persona=str(context.get("persona", "")),
                    goal="; ".join(context.get("goals", [])), today=today.isoformat() if today else None)
        return plan

    def _grounded(self, step: PlanStep, kind: str, option: Any, options: dict[str, Any],
                  by_name: dict[str, ToolSpec], done: list[Done], rng: random.Random, values: ValueFactory,
                  vocab: set[str], seed: int, box: Sandbox) -> list[PlanStep]:
        """``step`` with slots that work in the sandbox's world, after the prerequisite steps it needs
        there (a login first); else the same kind with another tool, then a single call of another
        tool, then small talk."""
        tried: set[str] = set()
        current: PlanStep | None = step
        for k, opt in [(kind, option)] * 4 + [("single", options.get("single"))] * 4:
            if current is None:
                rest = [o for o in opt if option_tool(o) not in tried] if isinstance(opt, list) else []
                if not rest:
                    continue
                current = self._make(k, step.index, rest, by_name, done, rng, values, vocab, seed)
            fitted = box.fit(current, by_name, rng)
            before: list[PlanStep] = []
            if fitted is None and not tried:
                enabled = enable(box, current, by_name, rng,
                                 lambda t: self._slots(t, rng, values, derive_seed(seed, "before", step.index)))
                if enabled is not None:
                    before, fitted = enabled.before, enabled.step
            if fitted is not None:
                if done and done[-1].step == step.index:
                    done[-1].slots = dict(fitted.slots["calls"][0] if fitted.kind == "parallel" else fitted.slots)
                    done[-1].step = fitted.index
                    done[-1:-1] = [Done(b.index, b.tools[0], profile_tool(by_name[b.tools[0]]), dict(b.slots))
                                   for b in before]
                return [*before, fitted]
            if done and done[-1].step == step.index:
                done.pop()
            tried.update(current.tools[:1])
            current = None
        return [self._make("chitchat", step.index, True, by_name, done, rng, values, vocab, seed)]

    def _enabled(self, tool: ToolSpec, i: int, by_name: dict[str, ToolSpec], done: list[Done], rng: random.Random,
                 values: ValueFactory, vocab: set[str], seed: int, box: Sandbox) -> list[PlanStep]:
        """A single call of ``tool`` after the prerequisite steps that make it work in the sandbox; []
        when none do."""
        step = self._make("single", i, [tool], by_name, done, rng, values, vocab, seed)
        enabled = enable(box, step, by_name, rng, lambda t: self._slots(t, rng, values, derive_seed(seed, "before", i)))
        if enabled is None:
            done.pop()
            return []
        done[-1].slots, done[-1].step = dict(enabled.step.slots), enabled.step.index
        done[-1:-1] = [Done(b.index, b.tools[0], profile_tool(by_name[b.tools[0]]), dict(b.slots))
                       for b in enabled.before]
        return [*enabled.before, enabled.step]

    def _static(self, by_name: dict[str, ToolSpec]) -> tuple[set[str], list[str]]:
        """What does not change within a plan: the entities some tool creates, and the tools a user
        can ask for outright (names, in the tools' order); per tool set."""
        key = tuple(t.key() for t in by_name.values())
        found = self._statics.get(key)
        if found is None:
            created = {p.entity for p in (profile_tool(t) for t in by_name.values()) if p.kind == "create" and p.entity}
            names = [t.name for t in by_name.values() if statable_params(t) and profile_tool(t).kind != "delete"]
            if len(self._statics) >= 256:
                self._statics.clear()
            found = self._statics[key] = (created, names)
        return found

    def _feasible(self, by_name: dict[str, ToolSpec], links: list[Link], done: list[Done],
                  lazy: bool = False, box: Sandbox | None = None) -> dict[str, Any]:
        created, names = self._static(by_name)
        statable = [by_name[n] for n in names]
        if box is not None:  # keys of things that exist can be stated
            statable += [t for t in by_name.values() if t not in statable and box.can_state(t, record_keys(t))]
        options: dict[str, Any] = {"chitchat": True, "irrelevant": True}
        if statable:
            options["single"] = statable
            options["error_recovery"] = statable
            options["parallel"] = statable
            with_required = [t for t in statable if t.required]
            if with_required:
                options["clarification"] = with_required
        def usable(d: Done, lk: Link) -> bool:
            if lk.source != d.tool or lk.target not in by_name:
                return False
            if "[]" in lk.field and (d.profile.kind != "list" or (d.profile.entity in created and not lazy)):
                # a list of records some tool creates may well be empty in a strict world
                return False
            return d.profile.kind != "delete" and present(d, lk.field, by_name[d.tool])

        dep: list[tuple[Any, ...]] = []
        for d in done:
            for lk in links:
                if not usable(d, lk):
                    continue
                target = by_name[lk.target]
                # every other key the target needs comes from an earlier result too (a run of a thread)
                extra = []
                for key in (p for p in target.required if p != lk.param and is_key(target, p)):
                    feed = next(((e, k) for e in reversed(done) for k in links
                                 if k.target == target.name and k.param == key and usable(e, k)), None)
                    if feed is None:
                        break
                    extra.append(feed)
                else:
                    dep.append((d, lk, *extra))
        if dep:
            options["dependent"] = dep
        follow = []
        for d in done:
            if d.profile.kind == "create" and d.profile.entity:
                for t in by_name.values():
                    p = profile_tool(t)
                    if p.kind == "update" and p.entity == d.profile.entity and any(
                        q != p.id_param and not is_id(q) for q in t.properties
                    ) and all(q == p.id_param for q in t.required) and record_key(d, p, by_name[d.tool]):
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
        keys = described_keys(schema) if isinstance(schema, dict) else {}
        if keys:  # a free-form object whose description names its keys: one of them, with a new value
            key = random.Random(derive_seed(seed, tool.name, param, "key")).choice(sorted(keys))
            values.reseed(derive_seed(seed, tool.name, param, key))
            return {key: values.value(keys[key], name=key, root=tool.parameters)}
        values.reseed(derive_seed(seed, tool.name, param))
        if isinstance(schema, dict) and "enum" not in schema and schema.get("type") == "string":
            # a free text that writes a field of the record the tool returns takes that field's values
            # ("status" of update_pet_with_form: available / pending / sold, not "completed")
            returned = _returned_enum(tool, param)
            if returned:
                schema = {**schema, "enum": returned}
        return values.value(schema if isinstance(schema, dict) else {}, name=hint, root=tool.parameters)

    def _slots(self, tool: ToolSpec, rng: random.Random, values: ValueFactory, seed: int,
               skip: tuple[str, ...] = ()) -> dict[str, Any]:
        slots = {p: self._slot(tool, p, values, seed) for p in tool.required if p not in skip}
        for p in sorted(tool.properties):
            sch = tool.properties[p]
            if p in slots or p in skip or is_id(p) or not isinstance(sch, dict):
                continue
            if sch.get("type") in ("string", "integer", "number", "boolean") and rng.random() < 0.25:
                slots[p] = self._slot(tool, p, values, seed)
        return repair_ranges(slots)

    def _make(self, kind: str, i: int, option: Any, by_name: dict[str, ToolSpec], done: list[Done],
              rng: random.Random, values: ValueFactory, vocab: set[str], seed: int) -> PlanStep:
        s = derive_seed(seed, "step", i)
        if kind in ("single", "error_recovery", "clarification"):
            tool = rng.choice(option)
            slots = self._slots(tool, rng, values, s)
            for key in named_keys(tool, by_name):
                # a new user is created with the username it is later looked up by
                slots.setdefault(key, self._slot(tool, key, values, s))
            withhold: list[str] = []
            if kind == "clarification":
                withhold = [rng.choice(sorted(tool.required))]
            done.append(Done(i, tool.name, profile_tool(tool), slots))
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
            done.append(Done(i, tool.name, profile_tool(tool), a))
            return PlanStep(index=i, kind="parallel", intent=f"ask for {tool.name} and {second.name} at once",
                            tools=[tool.name, second.name], slots={"calls": [a, b]})
        if kind == "dependent":
            d, lk, *extra = rng.choice(option)
            target = by_name[lk.target]
            slots = self._slots(target, rng, values, s, skip=(lk.param, *(k.param for _, k in extra)))
            ordinal = rng.randrange(2) if "[]" in lk.field else 0
            bindings = {lk.param: f"step:{d.step}.{lk.source}.{lk.field}#{ordinal}"}
            bindings.update({k.param: f"step:{e.step}.{k.source}.{k.field}#0" for e, k in extra})
            done.append(Done(i, target.name, profile_tool(target), slots))
            return PlanStep(index=i, kind="dependent", intent=f"use {lk.field} from step {d.step} to {target.name}",
                            tools=[target.name], depends_on=sorted({d.step, *(e.step for e, _ in extra)}),
                            slots=slots, bindings=bindings)
        if kind == "follow_up":
            d, tool = rng.choice(option)
            prof = profile_tool(tool)
            if prof.kind == "update":
                key = record_key(d, prof, by_name[d.tool])
                changeable = sorted(q for q in tool.properties if q != prof.id_param and not is_id(q))
                param = rng.choice(changeable)
                value = self._slot(tool, param, values, derive_seed(s, "new"))
                value = repair_ranges(dict(d.slots, **{param: value}), fixed=set(d.slots) - {param})[param]
                done.append(Done(i, tool.name, prof, {param: value}))
                return PlanStep(index=i, kind="follow_up", intent=f"change {param} of the {prof.entity} from "
                                f"step {d.step}", tools=[tool.name], depends_on=[d.step], slots={param: value},
                                bindings={prof.id_param or "id": f"step:{d.step}.{d.tool}.{key}#0"})
            param = rng.choice(sorted(d.slots))
            value = self._slot(tool, param, values, derive_seed(s, "again"))
            # the request continues the conversation: the latest values of this tool's calls
            latest: dict[str, Any] = {}
            for e in done:
                if e.tool == d.tool:
                    latest.update(e.slots)
            value = repair_ranges(dict(latest, **{param: value}), fixed=set(latest) - {param})[param]
            done.append(Done(i, tool.name, prof, dict(d.slots, **{param: value})))
            return PlanStep(index=i, kind="follow_up", intent=f"repeat step {d.step} with another {param}",
                            tools=[tool.name], depends_on=[d.step], slots={param: value})
        if kind == "irrelevant":
            offered = {t.domain for t in by_name.values()}
            choices = [(q, what) for q, what, domain in irrelevant()
                       if domain not in offered and not (set(words(q)) & vocab - _STOP)]
            # none left: a request no tool of any domain serves (a chore), never one an offered tool might
            q, what = rng.choice(choices or [(q, what) for q, what, domain in irrelevant() if not domain])
            return PlanStep(index=i, kind="irrelevant", intent=f"ask for something no tool can do: {what}",
                            slots={"text": expand(q, random.Random(f"{seed}:{i}"))})
        choices = [q for q in small_talk() if not (set(words(q)) & vocab - _STOP)]
        return PlanStep(index=i, kind="chitchat", intent="small talk, no tool needed",
                        slots={"text": expand(rng.choice(choices or list(small_talk())), random.Random(f"{seed}:{i}"))})


_STOP = {"a", "an", "the", "for", "to", "of", "in", "on", "my", "me", "you", "can", "could", "please", "is",
         "it", "and", "or", "by", "with", "what", "how", "do", "any", "i", "this", "at", "last", "year", "s",
         "get", "way", "one", "good", "what's", "be", "are", "your", "from", "day", "time", "new"}


def _returned_enum(tool: ToolSpec, param: str) -> list[str] | None:
    """The string values the record a tool returns allows in its top-level field named ``param``, if it
    lists them (the returned schema's ``$ref`` resolved)."""
    return _returned_enums(tool.key()).get(param) if tool.returns else None


@lru_cache(maxsize=4096)
def _returned_enums(key: str) -> dict[str, list[str]]:
    """Top-level field -> the string values it allows, over the fields of a tool's result (by tool key)."""
    tool = ToolSpec.model_validate_json(key)
    out: dict[str, list[str]] = {}
    for path, leaf in output_fields(tool):
        enum = leaf.get("enum")
        if "." not in path and "[" not in path and isinstance(enum, list) and enum \
                and all(isinstance(v, str) for v in enum):
            out[path] = enum
    return out
