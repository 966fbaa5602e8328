"""File helpers of the iTool commands: JSON texts, JSONL rows, dialogue lines."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from turnloom.schema import Dialogue

__all__ = ["InputError", "dialogue_lines", "json_text", "load_dialogues", "read_json", "read_jsonl"]


class InputError(ValueError):
    """An input file is missing or unreadable; the message names the file and line."""


def json_text(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def dialogue_lines(dialogues: Iterable[Dialogue]) -> str:
    return "".join(d.model_dump_json() + "\n" for d in dialogues)


def load_dialogues(path: Path) -> list[Dialogue]:
    from turnloom.dataset import DatasetError, read_dialogues

    try:
        return list(read_dialogues(path))
    except DatasetError as exc:
        raise InputError(str(exc)) from exc


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}:{lineno}: invalid JSON: {exc.msg}") from exc
            if not isinstance(row, dict):
                raise InputError(f"{path}:{lineno}: expected a JSON object")
            yield row


def read_json(path: Path) -> Any:
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: invalid JSON: {exc.msg}") from exc
