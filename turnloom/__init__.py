"""turnloom: synthesize verified multi-turn tool-calling dialogues."""

from turnloom.schema import (
    CheckResult,
    Dialogue,
    Message,
    Plan,
    PlanStep,
    ToolCall,
    ToolResult,
    ToolSpec,
    Verdict,
)

__version__ = "0.1.0"

__all__ = [
    "CheckResult",
    "Dialogue",
    "Message",
    "Plan",
    "PlanStep",
    "ToolCall",
    "ToolResult",
    "ToolSpec",
    "Verdict",
    "__version__",
]
