"""What every importer shares: errors, the import report, names, and reading JSON or YAML.

An importer never aborts on one bad definition: it records an :class:`ImportIssue` (the
file, the JSON path, what was expected) in an :class:`ImportReport` and imports the rest.
:class:`ToolImportError` is raised only when the file as a whole cannot be read.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from jsonschema import Draft7Validator, Draft202012Validator
from jsonschema.exceptions import SchemaError

from turnloom.schema import format_path

JsonPath = tuple[str | int, ...]
IssueKind = Literal["skipped", "renamed", "deduplicated", "pruned", "warning"]
ISSUE_KINDS: tuple[str, ...] = ("skipped", "renamed", "deduplicated", "pruned", "warning")
DEFAULT_MAX_SCHEMA_BYTES = 64 * 1024


class ToolImportError(ValueError):
    """An input that cannot be imported: names the file, the JSON path and what was expected."""

    def __init__(self, file: str, path: JsonPath | str, expected: str) -> None:
        self.file = file
        self.path = path if isinstance(path, str) else format_path(path)
        self.expected = expected
        super().__init__(f"{file}: {self.path or '(root)'}: expected {expected}")


@dataclass
class ImportIssue:
    """One definition skipped, renamed, deduplicated or pruned, or a warning about one."""

    kind: IssueKind
    file: str
    path: str
    reason: str
    #: the definition concerned, as a reader knows it (``GET /pets/{id}``, a function name)
    item: str = ""

    def line(self) -> str:
        what = f" ({self.item})" if self.item else ""
        return f"{self.kind}: {self.file}: {self.path or '(root)'}{what}: {self.reason}"

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "file": self.file, "path": self.path, "item": self.item, "reason": self.reason}


@dataclass
class ImportReport:
    """What one import saw, took and left out, with a reason for everything left out."""

    source: str
    kind: str
    seen: int = 0
    imported: int = 0
    issues: list[ImportIssue] = field(default_factory=list)

    def add(self, kind: IssueKind, file: str, path: JsonPath | str, reason: str, item: str = "") -> None:
        where = path if isinstance(path, str) else format_path(path)
        self.issues.append(ImportIssue(kind, file, where, reason, item))

    def skip(self, error: ToolImportError, item: str = "") -> None:
        self.add("skipped", error.file, error.path, f"expected {error.expected}", item)

    def count(self, kind: IssueKind) -> int:
        return sum(1 for issue in self.issues if issue.kind == kind)

    @property
    def skipped(self) -> int:
        return self.count("skipped")

    def summary(self) -> dict[str, int]:
        counts = {"seen": self.seen, "imported": self.imported}
        counts.update({kind: self.count(kind) for kind in ISSUE_KINDS})  # type: ignore[arg-type]
        return counts

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "kind": self.kind, **self.summary(),
                "issues": [issue.to_json() for issue in self.issues]}


def snake_case(text: str) -> str:
    s = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", text)
    return re.sub(r"[^A-Za-z0-9]+", "_", s).strip("_").lower()


def tool_name(raw: str, *, keep_dots: bool = False) -> str:
    """A valid ToolSpec name from any text (dots kept when asked: ``math.factorial``)."""
    allowed = r"[^A-Za-z0-9_.\-]+" if keep_dots else r"[^A-Za-z0-9_\-]+"
    name = re.sub(allowed, "_", raw.strip()).strip("_") or "tool"
    if not re.match(r"[A-Za-z_]", name):
        name = f"fn_{name}"
    return name[:64]


def domain_slug(text: str) -> str:
    words = [w for w in snake_case(text).split("_") if w and w != "api"]
    return "_".join(words) or "general"


def check_json_schema(file: str, path: JsonPath, schema: Any, what: str) -> None:
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise ToolImportError(file, path, f"{what} to be a valid JSON Schema ({exc.message})") from None


def schema_error(schema: Any) -> str | None:
    """Why ``schema`` is not a valid JSON Schema (None when it is), checked quickly: against
    the draft-07 meta-schema, whose keywords' shapes 2020-12 keeps (checking a large schema
    against the 2020-12 meta-schema is about a hundred times slower). Each ``$defs`` entry is
    checked on its own, so keep them small or check them separately."""
    try:
        Draft7Validator.check_schema(schema)
    except SchemaError as exc:
        return f"{exc.message} at {format_path(tuple(exc.path)) or '(root)'}"
    return None


def check_schema_fast(file: str, path: JsonPath, schema: Any, what: str) -> None:
    """:func:`check_json_schema` for large schemas (see :func:`schema_error`); ``$defs`` not checked."""
    body = {k: v for k, v in schema.items() if k != "$defs"} if isinstance(schema, dict) else schema
    problem = schema_error(body)
    if problem is not None:
        raise ToolImportError(file, path, f"{what} to be a valid JSON Schema ({problem})")


def _jsonify(value: Any) -> Any:
    """YAML values as JSON: keys (e.g. status codes) as strings, dates as ISO text."""
    if isinstance(value, dict):
        return {str(k): _jsonify(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonify(v) for v in value]
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    return value


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ToolImportError(str(path), "", "an existing file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ToolImportError(str(path), "", f"a readable UTF-8 file ({exc})") from None


def load_document(path: Path) -> Any:
    """A JSON or YAML document (by extension; anything else is tried as JSON, then YAML)."""
    text = read_text(path)
    suffix = path.suffix.lower()
    if suffix != ".json":
        try:
            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            return _jsonify(yaml.load(text, Loader=loader))  # noqa: S506 - a safe loader
        except yaml.YAMLError as exc:
            if suffix in (".yaml", ".yml"):
                mark = getattr(exc, "problem_mark", None)
                line = f" at line {mark.line + 1}" if mark is not None else ""
                raise ToolImportError(str(path), "", f"valid YAML{line}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ToolImportError(str(path), "", f"valid JSON (line {exc.lineno}: {exc.msg})") from None
