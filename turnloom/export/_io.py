"""Reading dialogue and preference-pair files, and writing export files atomically.

Input files are JSON Lines: one :class:`~turnloom.schema.Dialogue` (or one preference
pair) per line; blank lines are skipped. A bad line raises :class:`ExportInputError`,
whose text reads ``FILE:LINE: field.path: what was expected``.

Every output file is first written in full to a temporary file in the same folder and
then moved over the target with :func:`os.replace`, so a reader never sees a
half-written file and a failure leaves no output behind.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from turnloom.export._trl import pair_fields
from turnloom.files import atomic_write_many, atomic_write_text
from turnloom.schema import Dialogue, Message, ToolSpec, format_path

__all__ = [
    "ExportInputError",
    "PreferencePair",
    "atomic_write_files",
    "atomic_write_text",
    "dumps_line",
    "iter_dialogues",
    "iter_pairs",
    "jsonl_text",
    "read_dialogues",
    "read_pairs",
]

_M = TypeVar("_M", bound=BaseModel)


class ExportInputError(ValueError):
    """A line of an input file that is not what the exporter expects."""

    def __init__(self, path: Path | str, line: int | None, field: str, message: str) -> None:
        self.path = str(path)
        self.line = line
        self.field = field
        self.message = message
        where = self.path if line is None else f"{self.path}:{line}"
        super().__init__(f"{where}: {field}: {message}" if field else f"{where}: {message}")


class PreferencePair(BaseModel):
    """One preference pair: a shared prompt, a chosen and a rejected continuation.

    Messages use the turnloom :class:`~turnloom.schema.Message` shape. Keys other than
    the four below (an ``id``, scores, provenance) are allowed and ignored.
    """

    model_config = ConfigDict(extra="ignore")

    prompt: list[Message] = Field(min_length=1)
    chosen: list[Message] = Field(min_length=1)
    rejected: list[Message] = Field(min_length=1)
    tools: list[ToolSpec] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _from_chat_template_shape(cls, data: Any) -> Any:
        return pair_fields(data)  # a trl-dpo row, as `turnloom mcts` writes them

    @field_validator("chosen", "rejected")
    @classmethod
    def _starts_with_assistant(cls, messages: list[Message]) -> list[Message]:
        if messages and messages[0].role != "assistant":
            raise ValueError(f"must start with an assistant message, not a {messages[0].role!r} message")
        return messages


def _iter_models(path: Path, model: type[_M]) -> Iterator[tuple[int, _M]]:
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise ExportInputError(path, None, "", f"cannot read file: {exc.strerror or exc}") from exc
    with handle:
        for lineno, raw in enumerate(handle, start=1):
            text = raw.strip()
            if not text:
                continue
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ExportInputError(
                    path, lineno, "(line)", f"invalid JSON: {exc.msg} (column {exc.colno})"
                ) from None
            if not isinstance(data, dict):
                raise ExportInputError(path, lineno, "(line)", f"expected a JSON object, got {type(data).__name__}")
            try:
                yield lineno, model.model_validate(data)
            except ValidationError as exc:
                err = exc.errors()[0]
                raise ExportInputError(path, lineno, format_path(tuple(err["loc"])) or "(line)", err["msg"]) from None


def iter_dialogues(path: Path | str) -> Iterator[tuple[int, Dialogue]]:
    """Yield ``(line number, dialogue)`` for each non-blank line of a dialogue JSONL file."""
    return _iter_models(Path(path), Dialogue)


def read_dialogues(path: Path | str) -> list[Dialogue]:
    """All dialogues of a JSONL file, in file order."""
    return [d for _, d in iter_dialogues(path)]


def iter_pairs(path: Path | str) -> Iterator[tuple[int, PreferencePair]]:
    """Yield ``(line number, pair)`` for each non-blank line of a preference-pair JSONL file."""
    return _iter_models(Path(path), PreferencePair)


def read_pairs(path: Path | str) -> list[PreferencePair]:
    """All preference pairs of a JSONL file, in file order."""
    return [p for _, p in iter_pairs(path)]


def dumps_line(record: Mapping[str, Any]) -> str:
    """One JSONL line (without the newline): key order kept, UTF-8 text kept."""
    return json.dumps(record, ensure_ascii=False)


def jsonl_text(records: Iterable[Mapping[str, Any]]) -> str:
    """JSON Lines text: one :func:`dumps_line` per record, each ending in a newline."""
    return "".join(dumps_line(r) + "\n" for r in records)


def atomic_write_files(root: Path | str, files: Mapping[str, str]) -> list[Path]:
    """Write several files under ``root``: every file is fully written to a temporary file
    first, and only when all of them are written are they moved into place."""
    base = Path(root)
    return atomic_write_many({base / rel: text for rel, text in files.items()})
