"""Terminal rendering of dialogues (rich renderables) and the interactive viewers."""

from toolweave.viewer._render import (
    render_dialogue,
    render_message,
    render_plan,
    render_transcript,
    render_verdict,
    render_world_diff,
)

__all__ = [
    "render_dialogue",
    "render_message",
    "render_plan",
    "render_transcript",
    "render_verdict",
    "render_world_diff",
]
