"""Terminal rendering of dialogues (rich renderables) and the interactive viewers."""

from toolweave.viewer._browser import Browser, print_list, run_browser
from toolweave.viewer._filter import DialogueFilter, FilterError, summary_line
from toolweave.viewer._keys import KeyReader, LineKeys, TerminalKeys, open_keys
from toolweave.viewer._render import (
    TranscriptTail,
    render_dialogue,
    render_message,
    render_plan,
    render_transcript,
    render_update,
    render_verdict,
    render_verdicts,
    render_world,
    render_world_diff,
)
from toolweave.viewer._step_ui import StepView, print_run, run_step_ui
from toolweave.viewer._stepper import NodeRun, Stepper, StepperError

__all__ = [
    "Browser",
    "DialogueFilter",
    "FilterError",
    "KeyReader",
    "LineKeys",
    "NodeRun",
    "StepView",
    "Stepper",
    "StepperError",
    "TerminalKeys",
    "TranscriptTail",
    "open_keys",
    "print_list",
    "print_run",
    "render_dialogue",
    "render_message",
    "render_plan",
    "render_transcript",
    "render_update",
    "render_verdict",
    "render_verdicts",
    "render_world",
    "render_world_diff",
    "run_browser",
    "run_step_ui",
    "summary_line",
]
