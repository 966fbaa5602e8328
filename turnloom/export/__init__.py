"""Dataset exports that real consumers accept.

========== ====================================================== ==========================
format     consumer                                               output
========== ====================================================== ==========================
openai     OpenAI chat fine-tuning (``messages`` + ``tools``)      JSONL file
sharegpt   LLaMA-Factory ``formatting: sharegpt`` with tools       JSONL file
trl-sft    TRL ``SFTTrainer`` conversational rows with tools       JSONL file
trl-dpo    TRL ``DPOTrainer`` conversational preference rows       JSONL file (from pairs)
bfcl       BFCL's AST checker: test entries + possible answers     folder
========== ====================================================== ==========================

:func:`export_file` reads a dialogue JSONL file (a preference-pair file for
``trl-dpo``), converts it and writes the result atomically; the ``to_*`` functions
convert one record. Output is deterministic: the same input gives the same bytes.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from turnloom.export._bfcl import BFCL_CATEGORIES, BfclExport, bfcl_function, bfcl_ground_truth, to_bfcl
from turnloom.export._io import (
    ExportInputError,
    PreferencePair,
    atomic_write_files,
    atomic_write_text,
    iter_dialogues,
    iter_pairs,
    jsonl_text,
    read_dialogues,
    read_pairs,
)
from turnloom.export._openai import openai_message, openai_tool, to_openai
from turnloom.export._sharegpt import to_sharegpt
from turnloom.export._trl import to_trl_dpo, to_trl_sft, trl_message
from turnloom.schema import Dialogue

__all__ = [
    "BFCL_CATEGORIES",
    "FORMATS",
    "BfclExport",
    "ExportInputError",
    "ExportSummary",
    "PreferencePair",
    "atomic_write_files",
    "atomic_write_text",
    "bfcl_function",
    "bfcl_ground_truth",
    "export_file",
    "openai_message",
    "openai_tool",
    "read_dialogues",
    "read_pairs",
    "to_bfcl",
    "to_openai",
    "to_sharegpt",
    "to_trl_dpo",
    "to_trl_sft",
    "trl_message",
]

FORMATS: tuple[str, ...] = ("openai", "sharegpt", "trl-sft", "trl-dpo", "bfcl")

_DIALOGUE_WRITERS: dict[str, Callable[..., dict[str, Any] | None]] = {
    "openai": to_openai,
    "sharegpt": to_sharegpt,
    "trl-sft": to_trl_sft,
}


@dataclass
class ExportSummary:
    """What an export read, wrote and left out."""

    format: str
    source: Path
    read: int = 0
    #: output path -> number of records written to it
    files: dict[Path, int] = field(default_factory=dict)
    #: reason -> number of records (dialogues, pairs or BFCL turns) left out
    skipped: Counter[str] = field(default_factory=Counter)

    @property
    def written(self) -> int:
        return sum(self.files.values())


def _dialogues(source: Path, only_accepted: bool, summary: ExportSummary) -> list[Dialogue]:
    kept = []
    for _, dialogue in iter_dialogues(source):
        summary.read += 1
        if only_accepted and not dialogue.accepted:
            summary.skipped["not_accepted"] += 1
            continue
        kept.append(dialogue)
    return kept


def _check_not_input(source: Path, targets: list[Path]) -> None:
    """Refuse to write over the input file (by any spelling: relative, symlink, hard link)."""
    for target in targets:
        try:
            same = target.exists() and os.path.samefile(source, target)
        except OSError:
            same = False
        if same:
            raise ExportInputError(source, None, "", f"the output {target} is the input file itself; "
                                   "write the export to another path")


def export_file(
    source: Path | str,
    fmt: str,
    out: Path | str,
    *,
    only_accepted: bool = True,
    system_prompt: str | None = None,
) -> ExportSummary:
    """Convert ``source`` to ``fmt`` and write ``out`` (a file; a folder for ``bfcl``).

    Everything is read and converted before anything is written, so a bad input line
    (:class:`ExportInputError`) leaves no output behind. ``only_accepted`` keeps the
    dialogues whose verdict accepted them (it does not apply to preference pairs).
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}")
    src, dest = Path(source), Path(out)
    summary = ExportSummary(format=fmt, source=src)
    if fmt != "bfcl":
        _check_not_input(src, [dest])
    if fmt == "trl-dpo":
        rows = []
        for _, pair in iter_pairs(src):
            summary.read += 1
            rows.append(to_trl_dpo(pair, system_prompt=system_prompt))
        atomic_write_text(dest, jsonl_text(rows))
        summary.files[dest] = len(rows)
    elif fmt == "bfcl":
        bfcl = to_bfcl(_dialogues(src, only_accepted, summary), system_prompt=system_prompt)
        files = bfcl.files()
        _check_not_input(src, [dest, *(dest / rel for rel in files)])
        atomic_write_files(dest, {rel: jsonl_text(records) for rel, records in files.items()})
        summary.files.update({dest / rel: len(records) for rel, records in files.items()})
        summary.skipped.update(bfcl.skipped)
    else:
        convert = _DIALOGUE_WRITERS[fmt]
        rows = []
        for dialogue in _dialogues(src, only_accepted, summary):
            row = convert(dialogue, system_prompt=system_prompt)
            if row is None:
                summary.skipped["no_assistant_turn"] += 1
            else:
                rows.append(row)
        atomic_write_text(dest, jsonl_text(rows))
        summary.files[dest] = len(rows)
    return summary
