"""Prerequisite steps found in the world: when a plan step's call fails in the sandbox, a short run of
other calls (a login with credentials the world holds, a create that makes the record the step needs)
after which it succeeds.

The search is bounded: the candidate tools are the probed ones whose name, description or parameters share
words with the failure the step met ("Please log in" -> ``ticket_login``), those whose call changes the world
tried first, at most two calls deep, each tried with a few values (the folder that holds the file the failure
names, the values the step itself would take, first), and a step's retries are capped, so planning stays
cheap. A prerequisite changes the world, or its result shows values the step can then use (the airports a
booking goes between); a call that does neither cannot enable anything, and status checks and deletes never
count.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from turnloom.schema import PlanStep, ToolSpec
from turnloom.tools_env.analysis import profile_tool, split_words
from turnloom.tools_env.grounding import Sandbox, rank
from turnloom.tools_env.grounding_values import Candidate, containers, weak, words_of
from turnloom.tools_env.world import World

__all__ = ["Enabled", "enable"]

#: operation kinds that cannot enable another call: they change nothing, or remove what it may need
_INERT = frozenset({"status", "delete"})
#: tools called as candidates for the first call, tools tried as the first and as the second call of a run
_SCAN, _FIRST, _SECOND = 10, 5, 3
#: calls tried per prerequisite, calls tried when retrying the step, and all calls of one search
_PER_TOOL, _RETRY, _BUDGET = 4, 6, 100


@dataclass(frozen=True)
class Enabled:
    """Prerequisite steps and the step they enable, numbered from the step's own index."""

    before: list[PlanStep]
    step: PlanStep


def _stems(text: str) -> set[str]:
    return {w[:5] for w in split_words(text) if len(w) >= 3}


def _related(failure: str, tool: ToolSpec) -> int:
    """Words the failure text shares with ``tool``'s name (counted twice), its description's first line and
    its required parameters ("Receiver ID not found" -> ``send_message(receiver_id, ...)``)."""
    said = _stems(failure)
    first = tool.description.strip().splitlines()[0] if tool.description.strip() else ""
    params = _stems(" ".join(tool.required))
    return 2 * len(said & _stems(tool.name)) + len(said & (_stems(first) | params))


def _changed(before: World, after: World) -> bool:
    return before.digest() != after.digest()


def enable(box: Sandbox, step: PlanStep, tools: Mapping[str, ToolSpec], rng: random.Random,
           propose: Callable[[ToolSpec], dict[str, Any]]) -> Enabled | None:
    """Prerequisite steps after which ``step`` fits the sandbox's world, committed there with it; None when
    no run of one or two other probed calls enables it. ``propose`` gives planned values for a tool's slots."""
    if step.kind not in ("single", "error_recovery", "clarification", "dependent") or not step.tools:
        return None
    target = step.tools[0]
    failure = box.failure
    pool = [t for name, t in sorted(tools.items())
            if name != target and box.grounding.probeable(name) and profile_tool(t).kind not in _INERT]
    pool.sort(key=lambda t: -_related(failure, t))
    start, results, last_args, cap, spent = box.world, dict(box.results), dict(box.last_args), box.probe_cap, box.probes
    shown = list(box.shown)
    # where the record the failure names lies ("No such file: a.txt" -> its folder): a likelier argument
    near = containers(start, failure)
    hints = [Candidate(c.value, c.words, shown=True) for c in box.candidates() if c.value in near]
    # what the step itself would take: a message sent to the receiver whose latest message it deletes
    if target in tools:
        hints += [Candidate(v, words_of(p), shown=True) for p in sorted(tools[target].required)
                  for v in rank(box.candidates(), tools[target], p)[:2]]

    def seen(chain: list[tuple[ToolSpec, dict[str, Any], Any]]) -> None:
        box.shown = list(shown)
        for tool, args, content in chain:
            box.show(tool, args, content)

    def attempt(chain: list[tuple[ToolSpec, dict[str, Any], Any]], world: World) -> Enabled | None:
        box.world, box.probe_cap = world, _RETRY
        seen(chain)
        moved = step.model_copy(update={"index": step.index + len(chain)})
        fitted = box.fit(moved, tools, rng)
        box.probe_cap = cap
        if fitted is None:
            box.world, box.results, box.last_args, box.shown = start, dict(results), dict(last_args), list(shown)
            return None
        before = []
        for k, (tool, args, content) in enumerate(chain):
            before.append(PlanStep(index=step.index + k, kind="single", intent=f"ask to {tool.name} first",
                                   tools=[tool.name], slots=args))
            box.results[step.index + k] = [content]
            box.last_args[tool.name] = args
        return Enabled(before, fitted)

    def call(tool: ToolSpec, world: World, chain: list[tuple[ToolSpec, dict[str, Any], Any]]
             ) -> tuple[World, dict[str, Any], Any] | None:
        box.probe_cap = _PER_TOOL
        seen(chain)
        box.shown.extend(hints)
        slots = {p: v for p, v in propose(tool).items() if p in tool.required}
        got = box._ground(tool, slots, {}, rng, world)
        box.probe_cap, box.shown = cap, list(shown)
        if got is None:
            return None
        if not (_changed(world, got[0]) or (got[2] is not None and not weak(got[2]))):
            return None
        return got

    # a call that changes the world is tried before one that only shows values, the likeliest first
    made: list[tuple[ToolSpec, World, dict[str, Any], Any]] = []
    for tool in pool[:_SCAN]:
        if box.probes - spent > _BUDGET:
            break
        got = call(tool, start, [])
        if got is not None:
            made.append((tool, *got))
    made.sort(key=lambda m: not _changed(start, m[1]))
    firsts: list[tuple[ToolSpec, World, dict[str, Any], Any]] = []
    # a run after which the step's result says nothing (an empty file sorted) is kept while others look for more
    kept: tuple[Enabled, World, dict[int, list[Any]], dict[str, dict[str, Any]], list[Any]] | None = None
    for tool, world, args, content in made[:_FIRST]:
        if box.probes - spent > _BUDGET:
            break
        found = attempt([(tool, args, content)], world)
        if found is not None and not all(weak(c) for c in box.results.get(found.step.index, [])):
            return found
        if found is not None and kept is None:
            kept = (found, box.world, dict(box.results), dict(box.last_args), list(box.shown))
        box.world, box.results, box.last_args, box.shown = start, dict(results), dict(last_args), list(shown)
        firsts.append((tool, world, args, content))
    if kept is not None:
        box.world, box.results, box.last_args, box.shown = kept[1:]
        return kept[0]
    for tool, world, args, content in firsts[:_SECOND]:
        for second in pool[:_FIRST]:
            if second.name == tool.name or box.probes - spent > _BUDGET:
                continue
            got = call(second, world, [(tool, args, content)])
            if got is None:
                continue
            found = attempt([(tool, args, content), (second, got[1], got[2])], got[0])
            if found is not None:
                return found
    return None
