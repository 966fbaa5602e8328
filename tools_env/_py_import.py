"""``pool import python MODULE:CLASS``: a class's public methods as a pool of tools."""

from __future__ import annotations

from pathlib import Path

from turnloom.tools_env._openapi_base import ImportReport, ToolImportError
from turnloom.tools_env.importers import ImportResult, import_tools_report
from turnloom.tools_env.python_backend import BackendError, class_tools, load_class

__all__ = ["import_class"]


def import_class(ref: str, *, bfcl_docs: str | Path | None = None, domain: str | None = None) -> ImportResult:
    """One tool per public method of the class ``ref`` (``package.module:Class``), its schema
    read from the signature and docstring; with ``bfcl_docs`` (a BFCL function-doc file) a
    method documented there takes BFCL's definition instead. Raises :class:`ToolImportError`."""
    try:
        cls = load_class(ref)
    except BackendError as exc:
        raise ToolImportError(ref, "", f"an importable class ({exc})") from exc
    report = ImportReport(ref, "python")
    tools = class_tools(cls, domain)
    report.seen = len(tools)
    if bfcl_docs is not None:
        docs = {t.name: t for t in import_tools_report("bfcl", bfcl_docs, domain=domain).tools}
        methods = {t.name for t in tools}
        for name in sorted(set(docs) - methods):
            report.add("warning", str(bfcl_docs), name, f"documents {name!r}, which {ref} has no public method of")
        for name in sorted(methods - set(docs)):
            report.add("warning", str(bfcl_docs), name, f"no BFCL doc for method {name!r}: read from its docstring")
        tags = {t.name: t.tags for t in tools}
        tools = [docs[t.name].model_copy(update={"tags": tags[t.name], "domain": t.domain if domain is None
                                                 else domain}) if t.name in docs else t for t in tools]
    if not tools:
        raise ToolImportError(ref, "", "a class with at least one public method")
    report.imported = len(tools)
    return ImportResult(tools, report)
