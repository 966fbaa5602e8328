"""Every verification rule name a verdict may carry, for checking names people type
(``verify.disable`` in a scenario, ``rule:NAME`` in a viewer filter)."""

from __future__ import annotations

from functools import cache

__all__ = ["MODEL_JUDGES", "known_rule_names"]

#: checks reported under their own names by a rule of another name (``reply_quality`` reports
#: ``reply_length``, ``invalid_chars`` and ``mixed_language``; ``plan_coverage`` reports
#: ``no_call_when_irrelevant`` for an irrelevant step; the dialogue graph reports ``model_failure``
#: when a model stays unreachable)
_SUB_CHECKS = ("reply_length", "invalid_chars", "mixed_language", "no_call_when_irrelevant", "model_failure")
#: the model layer's experts (the offline heuristic judges and the LLM judges share these names)
MODEL_JUDGES = ("hallucination", "consistency", "tool_response")


@cache
def known_rule_names() -> frozenset[str]:
    """The rule layer's rules, the checks they report, and the model layer's judges."""
    from turnloom.agents.verify import ALL_RULES
    from turnloom.agents.verify._rules import TURN_RULES

    return frozenset({*ALL_RULES, *TURN_RULES, *MODEL_JUDGES, *_SUB_CHECKS})
