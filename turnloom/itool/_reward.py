"""The verifiable reward of one candidate assistant step (never self-judged).

``reward = 0.6·gold + 0.2·rules + 0.2·execution``, each part in [-1, 1]:

* ``gold`` -- +1 when the step matches the gold step under the BFCL-style AST check
  (:func:`~turnloom.itool._ast.match_step`), else -1;
* ``rules`` -- ``1 - 2·failed/6`` over the rule verifier's six turn rules
  (tool exists, required parameters, valid arguments, every call answered, arguments
  grounded in the dialogue, reply quality), run on the prefix plus the step and the
  tool messages its execution produced;
* ``execution`` -- the step's calls are executed in the mock environment on the
  node's world; ``1 - 2·min(1, new_errors/calls)`` where ``new_errors`` counts the tool
  errors beyond those the gold step itself meets there (a planned transient failure
  hits the gold call too, so it costs nothing); a text step scores 1.

The gold step thus scores 1.0; a step that breaks only the gold match scores -0.2.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from turnloom.agents._protocol import AgentView
from turnloom.agents.verify._rules import TURN_RULES
from turnloom.agents.verify.verifier import RuleVerifier
from turnloom.itool._ast import match_step
from turnloom.itool._steps import ReplayEnv
from turnloom.schema import Message, ToolSpec
from turnloom.tools_env.world import World

__all__ = ["Outcome", "REWARD_WEIGHTS", "execute", "score_action"]

REWARD_WEIGHTS = {"gold": 0.6, "rules": 0.2, "execution": 0.2}


@dataclass
class Outcome:
    reward: float
    matches_gold: bool
    gold_reason: str
    failed_rules: list[str]
    errors: int
    #: tool messages produced by executing the step
    tool_messages: list[Message] = field(default_factory=list)
    world: World | None = None

    @property
    def passes_rules(self) -> bool:
        return not self.failed_rules


def execute(replay: ReplayEnv, world: World, action: Message) -> tuple[World, list[Message]]:
    out = []
    for call in action.tool_calls:
        world, result = replay.env.call(world, call)
        out.append(Message(role="tool", content=result.to_text(), tool_call_id=call.id, name=call.name,
                           result=result, step=action.step))
    return world, out


def _errors(messages: list[Message]) -> int:
    return sum(1 for m in messages if m.result is not None and not m.result.ok)


def score_action(replay: ReplayEnv, verifier: RuleVerifier, prefix: list[Message], world: World, action: Message,
                 gold: Message, tools: list[ToolSpec]) -> Outcome:
    """Execute ``action`` after ``prefix`` on ``world`` and score it (see the module docstring)."""
    new_world, tool_msgs = execute(replay, world, action)
    _, gold_msgs = execute(replay, world, gold)
    match = match_step(action, gold, tools)
    view = AgentView(role="verifier", seed=0, tools=list(tools), messages=[*prefix, action, *tool_msgs],
                     context={**replay.context, "scope": "turn", "start": len(prefix)})
    verdict = verifier.verify(view)
    failed = sorted({c.rule for c in verdict.checks if not c.passed})
    rules = 1.0 - 2.0 * min(1.0, len(failed) / len(TURN_RULES))
    if action.tool_calls:
        new_errors = max(0, _errors(tool_msgs) - _errors(gold_msgs))
        execution = 1.0 - 2.0 * min(1.0, new_errors / len(action.tool_calls))
    else:
        execution = 1.0
    w = REWARD_WEIGHTS
    reward = w["gold"] * (1.0 if match.ok else -1.0) + w["rules"] * rules + w["execution"] * execution
    return Outcome(round(reward, 6), match.ok, match.reason, failed, _errors(tool_msgs), tool_msgs, new_world)
