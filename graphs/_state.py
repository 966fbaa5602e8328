"""The dialogue state: what every node reads, and how node updates are merged
(annotated keys by their reducer, the others replaced)."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

from turnloom.schema import Message, Plan, ToolSpec, Verdict
from turnloom.tools_env.world import World

__all__ = ["END", "DialogueState", "merge_messages"]

#: where a route goes to finish the dialogue: LangGraph's ``END`` (the same string, kept
#: here so that a batch run on the direct engine does not import LangGraph at all)
END = "__end__"


def merge_messages(left: list[Message], right: list[Message] | dict[str, Any]) -> list[Message]:
    """Append messages; ``{"truncate": n, "append": [...]}`` first cuts the list to n
    (used to regenerate a failed assistant turn)."""
    if isinstance(right, dict):
        return list(left[: int(right.get("truncate", len(left)))]) + list(right.get("append", []))
    return list(left) + list(right)


class DialogueState(TypedDict, total=False):
    dialogue_id: str
    scenario: str
    index: int
    seed: int
    tools: list[ToolSpec]
    context: dict[str, Any]
    plan: Plan | None
    messages: Annotated[list[Message], merge_messages]
    world: World
    world_initial: World | None
    #: world digest after each tool message, as (message index, digest)
    snapshots: Annotated[list[tuple[int, str]], operator.add]
    step_index: int
    turns_in_step: int
    #: index of the first message of the current assistant turn
    turn_start: int
    #: world at the start of the current assistant turn (for regeneration)
    turn_world: World | None
    attempt: int
    tool_rounds: int
    turn_verdicts: Annotated[list[Verdict], operator.add]
    ended: str | None
    #: why a model behind an agent failed for good (role: error), when that ended the dialogue
    model_failure: str | None
    verdict: Verdict | None
    usage: Annotated[list[dict[str, Any]], operator.add]
