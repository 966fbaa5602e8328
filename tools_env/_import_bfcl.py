"""BFCL (gorilla ``bfcl_eval``) data files -> ToolSpec.

A file is a JSON list of function docs, JSONL of test entries with a ``function`` list, or
JSONL of bare docs. A multi-turn, memory or web-search entry lists ``involved_classes``
instead: their docs are read from ``multi_turn_func_doc/`` next to the file (where
bfcl-eval ships them, ``data/multi_turn_func_doc/``), each class file once.

Every distinct doc becomes a tool; none is dropped:

- the same doc seen again (anywhere in the file) is kept once (reported as deduplicated);
- a *different* doc under a name already taken becomes ``<name>__2``, ``<name>__3``...
  numbered by order of first appearance in the file (reported as renamed);
- a doc that cannot be read is skipped and reported with its line and JSON path.

``response`` becomes ``returns``. Java and JavaScript entries (``simple_java_*``,
``simple_javascript_*`` ids, or a file named so) take every argument as a source-text
string, as BFCL's checker does (see ``_bfcl_types``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from turnloom.schema import ToolSpec
from turnloom.tools_env._bfcl_types import bfcl_schema
from turnloom.tools_env._openapi_base import (
    ImportReport,
    JsonPath,
    ToolImportError,
    check_schema_fast,
    domain_slug,
    read_text,
    tool_name,
)

__all__ = ["CLASS_DOC_FILES", "import_bfcl"]

#: bfcl-eval's ``MULTI_TURN_FUNC_DOC_FILE_MAPPING`` (other classes: ``snake_case(name).json``)
CLASS_DOC_FILES = {
    "GorillaFileSystem": "gorilla_file_system.json",
    "MathAPI": "math_api.json",
    "MessageAPI": "message_api.json",
    "TwitterAPI": "posting_api.json",
    "TicketAPI": "ticket_api.json",
    "TradingBot": "trading_bot.json",
    "TravelAPI": "travel_booking.json",
    "VehicleControlAPI": "vehicle_control.json",
    "WebSearchAPI": "web_search.json",
    "MemoryAPI_kv": "memory_kv.json",
    "MemoryAPI_vector": "memory_vector.json",
    "MemoryAPI_rec_sum": "memory_rec_sum.json",
}
#: memory entries name the class; the backend (and so the docs) is chosen at run time
CLASS_FAMILIES = {"MemoryAPI": ("MemoryAPI_kv", "MemoryAPI_vector", "MemoryAPI_rec_sum")}
_Doc = tuple[str, JsonPath, Any, list[str], str]  # (where, path, doc, tags, language)


def _values(text: str, file: str) -> list[tuple[str, JsonPath, Any]]:
    """(where, path, value) for each function doc or test entry in a BFCL file."""
    if text.lstrip().startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ToolImportError(file, "", f"valid JSON (line {exc.lineno}: {exc.msg})") from None
        return [(file, (i,), v) for i, v in enumerate(data)]
    out: list[tuple[str, JsonPath, Any]] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append((f"{file}:{lineno}", (), json.loads(line)))
        except json.JSONDecodeError as exc:
            if lineno == 1:
                try:
                    return [(file, (), json.loads(text))]
                except json.JSONDecodeError:
                    pass
            raise ToolImportError(f"{file}:{lineno}", "", f"one JSON object per line ({exc.msg})") from None
    return out


def _language(entry_id: str, file: str) -> str:
    for text in (entry_id, Path(file).name):
        if "javascript" in text.lower():
            return "javascript"
        if "java" in text.lower():
            return "java"
    return "python"


class _BfclImport:
    def __init__(self, file: str, domain: str | None, report: ImportReport) -> None:
        self.file, self.domain, self.report = file, domain, report
        self.tools: dict[str, ToolSpec] = {}
        self.by_doc: dict[str, str] = {}  # canonical doc -> tool name
        self.count: dict[str, int] = {}  # base name -> docs seen under it
        self.classes: dict[str, list[_Doc]] = {}

    def docs(self) -> list[_Doc]:
        out: list[_Doc] = []
        for where, path, value in _values(read_text(Path(self.file)), self.file):
            if isinstance(value, dict) and ("function" in value or "involved_classes" in value):
                entry_id = str(value.get("id", ""))
                tags = ["bfcl"] + ([re.sub(r"_\d+(-\d+)*$", "", entry_id)] if entry_id else [])
                lang = _language(entry_id, self.file)
                funcs = value.get("function")
                if "function" in value:
                    funcs = funcs if isinstance(funcs, list) else [funcs]
                    if not funcs:
                        self.report.add("skipped", where, (*path, "function"), "expected at least one function doc "
                                        "(the entry's 'function' list is empty)", entry_id)
                    out += [(where, (*path, "function", i), f, tags, lang) for i, f in enumerate(funcs)]
                if "involved_classes" in value:
                    out += self._class_docs(where, path, value.get("involved_classes"), tags)
            elif isinstance(value, list):
                out += [(where, (*path, i), f, ["bfcl"], _language("", self.file)) for i, f in enumerate(value)]
            elif isinstance(value, dict) and "name" in value:
                out.append((where, path, value, ["bfcl"], _language("", self.file)))
            else:
                self.report.seen += 1
                self.report.add("skipped", where, path, "expected a BFCL function doc or a test entry with "
                                "'function' or 'involved_classes'")
        return out

    def _class_docs(self, where: str, path: JsonPath, classes: Any, tags: list[str]) -> list[_Doc]:
        if not isinstance(classes, list) or not all(isinstance(c, str) for c in classes):
            self.report.add("skipped", where, (*path, "involved_classes"), "expected a list of class names")
            return []
        out: list[_Doc] = []
        for name in [c for listed in classes for c in CLASS_FAMILIES.get(listed, (listed,))]:
            if name in self.classes:
                continue  # each class's docs are read once
            folder = Path(self.file).parent / "multi_turn_func_doc"
            doc_file = folder / CLASS_DOC_FILES.get(name, re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower() + ".json")
            self.classes[name] = []
            if not doc_file.is_file():
                self.report.add("skipped", where, (*path, "involved_classes"), f"expected the docs of class "
                                f"{name!r} in {doc_file} (bfcl-eval ships them in data/multi_turn_func_doc/)", name)
                continue
            try:
                values = _values(read_text(doc_file), str(doc_file))
            except ToolImportError as exc:
                self.report.skip(exc, name)
                continue
            self.classes[name] = [(w, p, v, [*tags[:1], name], "python") for w, p, v in values]
            out += self.classes[name]
        return out

    def add(self, where: str, path: JsonPath, doc: Any, tags: list[str], language: str) -> None:
        self.report.seen += 1
        label = str(doc.get("name")) if isinstance(doc, dict) else ""
        key = json.dumps(doc, sort_keys=True, ensure_ascii=False)
        if key in self.by_doc:
            self.report.add("deduplicated", where, path, f"same doc as tool {self.by_doc[key]!r}", label)
            return
        try:
            tool = self._tool(where, path, doc, tags, language)
        except ToolImportError as exc:
            self.report.skip(exc, label)
            return
        base = tool.name
        n = self.count.get(base, 0) + 1
        self.count[base] = n
        if n > 1:
            name = f"{base[:58]}__{n}"
            while name in self.tools:
                n += 1
                name = f"{base[:58]}__{n}"
            tool = tool.model_copy(update={"name": name})
            self.report.add("renamed", where, path, f"a different doc named {base!r} came first: "
                            f"imported as {name!r}", label)
        self.by_doc[key] = tool.name
        self.tools[tool.name] = tool
        self.report.imported += 1

    def _tool(self, where: str, path: JsonPath, doc: Any, tags: list[str], language: str) -> ToolSpec:
        if not isinstance(doc, dict) or not isinstance(doc.get("name"), str) or not doc["name"].strip():
            raise ToolImportError(where, path, "a BFCL function doc with 'name' and 'parameters'")
        desc = doc.get("description", "")
        if not isinstance(desc, str):
            raise ToolImportError(where, (*path, "description"), "a string")
        notes: list[tuple[JsonPath, str]] = []
        params = bfcl_schema(doc.get("parameters", {"type": "dict", "properties": {}}), where,
                             (*path, "parameters"), language=language, notes=notes)
        for at, note in notes:
            self.report.add("warning", where, at, note, doc["name"])
        params = {"type": "object", **params} if "type" not in params else params
        if params.get("type") != "object":
            raise ToolImportError(where, (*path, "parameters", "type"), f"'dict' (got {params.get('type')!r})")
        check_schema_fast(where, (*path, "parameters"), params, "the parameters")
        returns = None
        if doc.get("response") is not None or doc.get("returns") is not None:
            key = "response" if doc.get("response") is not None else "returns"
            try:
                returns = bfcl_schema(doc[key], where, (*path, key))
                check_schema_fast(where, (*path, key), returns, "the response")
            except ToolImportError as exc:
                self.report.add("warning", where, exc.path, f"response left out: expected {exc.expected}",
                                doc["name"])
                returns = None
        name = doc["name"]
        dom = self.domain or (name.split(".", 1)[0] if "." in name else (
            domain_slug(tags[1]) if len(tags) > 1 and tags[1][:1].isupper() else "general"))
        return ToolSpec(name=tool_name(name, keep_dots=True), description=desc, parameters=params,
                        returns=returns, domain=dom, tags=list(tags))


def import_bfcl(file: str, domain: str | None, report: ImportReport) -> list[ToolSpec]:
    """Every distinct function doc of a BFCL file (see the module docstring)."""
    job = _BfclImport(file, domain, report)
    for where, path, doc, tags, language in job.docs():
        job.add(where, path, doc, tags, language)
    return list(job.tools.values())
