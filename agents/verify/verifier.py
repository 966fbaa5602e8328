"""The rule verifier: ToolACE's rule checker plus environment checks, as an agent.

Turn scope (after each assistant reply) runs the call and reply rules on that turn;
dialogue scope (at the end) runs every rule, including state replay and plan
coverage. Rules named in ``context["verify"]["disable"]`` are skipped.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from turnloom.agents._protocol import AgentOutput, AgentView
from turnloom.agents.verify._env_rules import ENV_RULES
from turnloom.agents.verify._meaning_rules import DIALOGUE_MEANING_RULES, REPLY_RULES
from turnloom.agents.verify._rules import DIALOGUE_RULES, TURN_RULES, RuleContext
from turnloom.schema import CheckResult, Verdict, canonical_json
from turnloom.tools_env.env import EnvSettings, ToolEnvironment
from turnloom.tools_env.mcp_backend import live_backend
from turnloom.tools_env.world import World

__all__ = ["ALL_RULES", "RuleVerifier", "verify_messages"]

ALL_RULES = {**DIALOGUE_RULES, **ENV_RULES, **DIALOGUE_MEANING_RULES}
TURN_SCOPE_RULES = {**TURN_RULES, **REPLY_RULES}


class RuleVerifier:
    name = "rule-verifier"

    def __init__(self) -> None:
        self._envs: OrderedDict[str, ToolEnvironment] = OrderedDict()
        #: (tool names, id(settings), id(bindings)) -> (settings, bindings, env); holds both
        #: objects so their ids stay theirs
        self._quick: OrderedDict[tuple[Any, ...], tuple[Any, Any, ToolEnvironment]] = OrderedDict()

    def _env(self, view: AgentView) -> ToolEnvironment:
        settings = view.context.get("env", {})
        bindings = view.context.get("bindings", {})
        live = view.context.get("live")
        # a dialogue's turns share their context objects: their ids spare re-serializing them
        quick = (tuple(t.name for t in view.tools), id(settings), id(bindings), live)
        hit = self._quick.get(quick)
        if hit is not None and hit[0] is settings and hit[1] is bindings:
            return hit[2]
        key = canonical_json([[t.name for t in view.tools], settings, bindings, live])
        env = self._envs.get(key)
        if env is None:
            env = ToolEnvironment(view.tools, EnvSettings.model_validate(settings),
                                  bindings=view.context.get("bindings") or None, live=live_backend(live))
            self._envs[key] = env
            if len(self._envs) > 64:
                self._envs.popitem(last=False)
        self._quick[quick] = (settings, bindings, env)
        if len(self._quick) > 256:
            self._quick.popitem(last=False)
        return env

    async def act(self, view: AgentView) -> AgentOutput:
        return AgentOutput(verdict=self.verify(view))

    def verify(self, view: AgentView) -> Verdict:
        ctx_data: dict[str, Any] = view.context
        scope = ctx_data.get("scope", "dialogue")
        verify = ctx_data.get("verify", {})
        disabled = set(verify.get("disable", []))
        world_initial = ctx_data.get("world_initial")
        world_final = ctx_data.get("world_final")
        ctx = RuleContext(
            messages=view.messages,
            tools={t.name: t for t in view.tools},
            env=self._env(view),
            plan=view.plan,
            start=int(ctx_data.get("start", 0)) if scope == "turn" else 0,
            world_initial=World.model_validate(world_initial) if world_initial is not None else None,
            world_final=World.model_validate(world_final) if world_final is not None else None,
            ended=str(ctx_data.get("ended", "plan_complete")),
            max_reply_chars=int(verify.get("max_reply_chars", 2000)),
            extra={"llm_tools": list(ctx_data.get("llm_tools", []))},
        )
        rules = TURN_SCOPE_RULES if scope == "turn" else ALL_RULES
        checks: list[CheckResult] = []
        for name, rule in rules.items():
            if name in disabled:
                continue
            checks.extend(c for c in rule(ctx) if c.rule not in disabled)
        step = ctx_data.get("step")
        return Verdict.from_checks(checks, scope=scope, step=step if isinstance(step, int) else None)


def verify_messages(view: AgentView) -> Verdict:
    """Convenience: verify one view with a fresh verifier."""
    return RuleVerifier().verify(view)
