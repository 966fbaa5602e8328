"""Reading dialogue files: JSONL of :class:`~toolweave.schema.Dialogue`, with errors
that name the file, the line and the field."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pydantic import ValidationError

from toolweave.schema import Dialogue

__all__ = ["DatasetError", "read_dialogues"]


class DatasetError(ValueError):
    """A dialogue file is missing or has a bad line."""


def read_dialogues(path: Path) -> Iterator[Dialogue]:
    if not path.is_file():
        raise DatasetError(f"{path}: no such file")
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                yield Dialogue.model_validate_json(line)
            except ValidationError as exc:
                err = exc.errors()[0]
                loc = ".".join(str(p) for p in err["loc"]) or "(line)"
                raise DatasetError(f"{path}:{lineno}: {loc}: {err['msg']}") from exc
