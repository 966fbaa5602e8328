"""Assistant steps of a dialogue, and the mock environment that replays it.

An *assistant step* is one assistant message of a recorded dialogue: what a policy
must produce given every message before it (the *prefix*) and the tools. Its
*kind* is the kind of the plan step it belongs to (``single``, ``clarification``,
``closing``...); a step *calls* when the gold message has tool calls.

:func:`replay_env` rebuilds a dialogue's environment: the settings and bindings the
dialogue records (a class backend's tools are bound to its methods), else the built-in
scenario's settings when the dialogue names one, else the defaults, else a lazy world --
the first whose replay of the gold calls reproduces the recorded final ``world.digest()``.

Live MCP tools are answered by the run's cassette, given with :func:`replaying_cassette`
(the CLI's ``--replay CASSETTE``, or ``cassette.jsonl`` beside the input file); a call the
cassette lacks (a candidate step the run never made) is a tool error. A dialogue with live
tools and no cassette is a :class:`LiveReplayError`.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from turnloom.schema import Dialogue, Message, ToolSpec, canonical_json
from turnloom.tools_env.env import EnvSettings, ToolEnvironment
from turnloom.tools_env.mcp_backend import LiveBackend
from turnloom.tools_env.world import World

__all__ = [
    "AssistantStep",
    "LiveReplayError",
    "ReplayEnv",
    "assistant_steps",
    "live_cassette",
    "live_tool_names",
    "open_cassette",
    "message_text",
    "replay_env",
    "replay_messages",
    "replaying_cassette",
    "step_kind",
    "word_overlap",
]

_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class AssistantStep:
    dialogue_id: str
    #: index of the gold assistant message in ``dialogue.messages``
    index: int
    prefix: list[Message]
    gold: Message
    #: kind of the plan step the message belongs to ("unplanned" when it has none)
    kind: str
    tools: list[ToolSpec] = field(default_factory=list)

    @property
    def calls(self) -> bool:
        return bool(self.gold.tool_calls)


def step_kind(dialogue: Dialogue, message: Message) -> str:
    steps = dialogue.plan.steps
    if message.step is not None and 0 <= message.step < len(steps):
        return steps[message.step].kind
    return "unplanned"


def assistant_steps(dialogue: Dialogue) -> Iterator[AssistantStep]:
    for i, m in enumerate(dialogue.messages):
        if m.role == "assistant":
            yield AssistantStep(dialogue.id, i, list(dialogue.messages[:i]), m, step_kind(dialogue, m),
                                list(dialogue.tools))


def message_text(message: Message) -> str:
    """A readable, canonical text of an assistant message (its words and its calls)."""
    parts = [message.content.strip()] if message.content and message.content.strip() else []
    parts += [f"{c.name}({canonical_json(c.arguments)})" for c in message.tool_calls]
    return " ".join(parts)


def word_overlap(a: str, b: str) -> float:
    """Order-aware word overlap of two texts in [0, 1]: difflib's ratio over their word
    sequences (1.0 = the same words in the same order). Swapped values lower it even
    though the set of words is the same."""
    from difflib import SequenceMatcher

    wa, wb = _WORD.findall(a.lower()), _WORD.findall(b.lower())
    if not wa and not wb:
        return 1.0
    return SequenceMatcher(None, wa, wb, autojunk=False).ratio()


@dataclass
class ReplayEnv:
    """A mock environment for a dialogue plus what the rule verifier needs to rebuild it."""

    env: ToolEnvironment
    #: ``context`` entries for :class:`~turnloom.agents.verify.verifier.RuleVerifier` (env settings, bindings)
    context: dict[str, Any]
    #: whether replaying the gold calls reproduces the recorded final world
    reproduces: bool


def replay_messages(env: ToolEnvironment, world: World, messages: list[Message]) -> World:
    """Execute every call of ``messages`` in order on ``world``."""
    for m in messages:
        if m.role == "assistant":
            for c in m.tool_calls:
                world, _ = env.call(world, c)
    return world


def _candidates(scenario: str) -> list[tuple[EnvSettings, dict[str, str]]]:
    from turnloom.scenarios import ScenarioError, builtin_names, load_scenario

    out: list[tuple[EnvSettings, dict[str, str]]] = []
    if scenario in builtin_names():
        try:
            sc = load_scenario(scenario)
        except ScenarioError:
            sc = None
        if sc is not None:
            out.append((sc.world.env, dict(sc.world.bindings)))
    out += [(EnvSettings(), {}), (EnvSettings(lazy_world=True), {})]
    return out


class LiveReplayError(ValueError):
    """A dialogue calls live MCP tools that no cassette answers (one line)."""


#: the cassette answering live tools while :func:`replaying_cassette` is active
_CASSETTE: ContextVar[LiveBackend | None] = ContextVar("turnloom_itool_cassette", default=None)


@contextmanager
def replaying_cassette(cassette: LiveBackend | None) -> Iterator[None]:
    """Within this block, :func:`replay_env` answers live MCP tools from ``cassette``."""
    token = _CASSETTE.set(cassette)
    try:
        yield
    finally:
        _CASSETTE.reset(token)


def open_cassette(path: Path) -> LiveBackend:
    """The cassette of a live run at ``path``, answering offline (an unrecorded call is a tool error);
    :class:`LiveReplayError` with one line when it cannot be read."""
    from turnloom.tools_env.mcp_backend import LiveToolError

    try:
        return LiveBackend.replaying(path, strict=False)
    except LiveToolError as exc:
        raise LiveReplayError(str(exc)) from None


def live_tool_names(dialogue: Dialogue) -> list[str]:
    """The live MCP tools of ``dialogue``: recorded in its settings, or seen in its world (``live:`` memo)."""
    names = {str(n) for n in dialogue.settings.get("live_tools") or []}
    for world in (dialogue.world_initial, dialogue.world_final):
        memo = world.get("memo") if isinstance(world, dict) else None
        for key, seen in (memo or {}).items():
            if str(key).startswith("live:") and isinstance(seen, dict) and isinstance(seen.get("tool"), str):
                names.add(seen["tool"])
    return sorted(names)


def live_cassette(dialogue: Dialogue) -> LiveBackend | None:
    """The cassette that answers ``dialogue``'s live tools (None when it has none);
    :class:`LiveReplayError` when no cassette given to :func:`replaying_cassette` answers them."""
    names = live_tool_names(dialogue)
    if not names:
        return None
    cassette = _CASSETTE.get()
    missing = sorted(set(names) - set(cassette.names)) if cassette is not None else names
    if cassette is None or missing:
        where = "no cassette was given" if cassette is None else f"cassette {cassette.replay} lacks them"
        raise LiveReplayError(f"dialogue {dialogue.id} calls live MCP tools ({', '.join(missing)}) and {where}: "
                              "give the run's cassette with --replay OUT/cassette.jsonl")
    return cassette


_CACHE: OrderedDict[str, list[tuple[ToolEnvironment, dict[str, Any]]]] = OrderedDict()


def _envs(dialogue: Dialogue) -> list[tuple[ToolEnvironment, dict[str, Any]]]:
    live = live_cassette(dialogue)
    key = canonical_json([dialogue.scenario, [t.model_dump(mode="json") for t in dialogue.tools],
                          dialogue.settings.get("env"), dialogue.settings.get("bindings") or {},
                          live.key if live is not None else None])
    hit = _CACHE.get(key)
    if hit is not None:
        _CACHE.move_to_end(key)
        return hit
    built = []
    candidates = list(_candidates(dialogue.scenario))
    recorded = dialogue.settings
    if recorded.get("env") is not None:
        # the dialogue says what it ran under: try that first
        candidates.insert(0, (EnvSettings.model_validate(recorded["env"]), dict(recorded.get("bindings") or {})))
    for settings, bindings in candidates:
        env = ToolEnvironment(dialogue.tools, settings, bindings=bindings or None, live=live)
        built.append((env, {"env": settings.model_dump(mode="json"), "bindings": bindings}))
    _CACHE[key] = built
    if len(_CACHE) > 64:
        _CACHE.popitem(last=False)
    return built


def replay_env(dialogue: Dialogue) -> ReplayEnv:
    """The environment that replays ``dialogue`` (see the module docstring)."""
    envs = _envs(dialogue)
    if not dialogue.world_initial or not dialogue.world_final:
        env, ctx = envs[0]
        return ReplayEnv(env, ctx, reproduces=False)
    start = World.model_validate(dialogue.world_initial)
    target = World.model_validate(dialogue.world_final).digest()
    for env, ctx in envs:
        if replay_messages(env, start, dialogue.messages).digest() == target:
            return ReplayEnv(env, ctx, reproduces=True)
    env, ctx = envs[0]
    return ReplayEnv(env, ctx, reproduces=False)
