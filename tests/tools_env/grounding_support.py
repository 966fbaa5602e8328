"""What the grounding tests share: a class from ``tests/fixtures/backends`` behind a sandboxed world,
and a step that fails there handed to :func:`enable` to find its prerequisites."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from turnloom.schema import PlanStep, ToolSpec
from turnloom.tools_env.env import ToolEnvironment
from turnloom.tools_env.grounding import Grounding, Sandbox
from turnloom.tools_env.grounding_prereq import Enabled, enable
from turnloom.tools_env.python_backend import PythonBackend, class_tools, load_class, method_ref
from turnloom.tools_env.world import World

#: put on ``sys.path`` (``monkeypatch.syspath_prepend``) so ``REF`` strings load
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "backends"


def ground(ref: str, state: dict[str, Any]) -> tuple[Grounding, dict[str, ToolSpec]]:
    """The grounding of the class at ``ref`` (``module:Class``) started from ``state``, and its tools."""
    tools = class_tools(load_class(ref))
    env = ToolEnvironment(tools, bindings={t.name: method_ref(ref, t.name) for t in tools})
    world = PythonBackend(ref).initial_world(World(seed=1), state)
    return Grounding(env, world), {t.name: t for t in env.tools.values()}


def planned(tool: ToolSpec) -> dict[str, Any]:
    """The values a planner proposes for a prerequisite step: a placeholder for each required one."""
    return {p: "planned" for p in tool.required}


def enabled_after_failing(box: Sandbox, tools: dict[str, ToolSpec], step: PlanStep) -> Enabled | None:
    """``step`` checked to fail in the sandbox as it is, then handed to :func:`enable`."""
    assert box.fit(step, tools, random.Random(0)) is None
    return enable(box, step, tools, random.Random(0), planned)
