"""Verification, dual-layer (ToolACE): the rule layer (dialogue and turn rules, plus checks
against the mock environment: grounding, answered calls, state replay) and the model
layer's offline heuristic judges. The LLM judges live in :mod:`turnloom.agents.llm`.
"""

from turnloom.agents.verify.judges import DualLayerVerifier, HeuristicJudges, verify_dialogue
from turnloom.agents.verify.verifier import ALL_RULES, RuleVerifier

__all__ = ["ALL_RULES", "DualLayerVerifier", "HeuristicJudges", "RuleVerifier", "verify_dialogue"]
