"""Terminal rendering of dialogues (rich renderables) and the interactive viewers.

The stepping viewer (``Stepper``, ``StepView``, ``print_run``, ``run_step_ui``) pulls in
the dialogue graph, so it is imported on first use: printing a dialogue stays quick.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from turnloom.viewer._browser import Browser, print_list, run_browser
from turnloom.viewer._filter import DialogueFilter, FilterError, summary_line
from turnloom.viewer._keys import KeyReader, LineKeys, TerminalKeys, open_keys
from turnloom.viewer._render import (
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

if TYPE_CHECKING:
    from turnloom.viewer._step_ui import StepView, print_run, run_step_ui
    from turnloom.viewer._stepper import NodeRun, Stepper, StepperError

_LAZY = {"NodeRun": "_stepper", "Stepper": "_stepper", "StepperError": "_stepper",
         "StepView": "_step_ui", "print_run": "_step_ui", "run_step_ui": "_step_ui"}

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


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"turnloom.viewer.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'turnloom.viewer' has no attribute {name!r}")
