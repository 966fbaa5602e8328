"""Pool evolution (ToolACE's self-evolution): speciation tree, adaptation, and the
mutation operators that grow new APIs from existing ones, offline or with a model.
"""

from turnloom.tools_env.evolve._pipeline import (
    OPERATORS,
    EvolveResult,
    LlmHook,
    SpeciationTree,
    Subtree,
    aevolve_pool,
    build_evolution_prompt,
    evolve_pool,
    parse_llm_tool,
    validate_candidate,
)

__all__ = [
    "OPERATORS",
    "EvolveResult",
    "LlmHook",
    "SpeciationTree",
    "Subtree",
    "aevolve_pool",
    "build_evolution_prompt",
    "evolve_pool",
    "parse_llm_tool",
    "validate_candidate",
]
