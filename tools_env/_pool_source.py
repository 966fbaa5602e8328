"""The source of the built-in API pool: YAML files under ``tools_env/data/pool/``, compiled to tools.

One file per domain (``flights.yaml``: the domain's field vocabulary and its tools) and ``_common.yaml``,
the vocabulary every domain falls back to. Tools name their parameters and returned fields by vocabulary
key in field specs (``"origin* destination* date?"``), so a field means the same thing wherever it appears;
records (``{records: SPEC, description: ...}``) build objects out of vocabulary fields. The format is
documented at the top of ``_common.yaml``.

:func:`compile_pool` reads the files as package data, checks them (YAML and JSON data only, known keys
in files and tool entries, known fields, unique tool names, :class:`~turnloom.schema.ToolSpec`
validation, the JSON Schema meta-schema, and every required ``*_id`` parameter returned by another tool
of its domain) and returns the tools sorted by domain then name. A problem raises
:class:`PoolSourceError` with one line naming the file, the path inside it and what was expected.

The package ships the compiled ``data/pool.jsonl`` and :func:`~turnloom.tools_env.pool.builtin_pool`
reads that file, not the YAML: once the modules are imported, reading the 306 tools from the JSONL takes
about 0.02 s, while compiling them from the YAML takes 2.4 to 3 s (0.13 s of libyaml parsing, 0.2 s with
compiling, the rest checking 612 schemas against the meta-schema) - a cost every command using the built-in
pool would pay for checks that only need to run when the YAML changes. ``scripts/build_pool.py`` writes the
JSONL with :func:`render_jsonl`, and a test fails when the file and the YAML disagree.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Iterator
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from pydantic import ValidationError

from turnloom.schema import ToolSpec
from turnloom.tools_env.pool import PoolError

__all__ = ["COMMON_FILE", "PoolSourceError", "compile_pool", "render_jsonl", "source_dir"]

Schema = dict[str, Any]

#: the shared vocabulary, next to the domain files
COMMON_FILE = "_common.yaml"
_FILE_KEYS = {"vocabulary": "mapping", "tools": "list"}
_TOOL_KEYS = ("name", "description", "tags", "parameters", "returns", "overrides", "$defs")
_TOKEN = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:=(?P<key>[A-Za-z_][A-Za-z0-9_]*))?(?P<mark>[*?]?)")
_DOMAIN = re.compile(r"[a-z]+(_[a-z]+)*")


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The safe loader (libyaml's when present), refusing a key that appears twice in one mapping."""

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, str):
                continue
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)  # type: ignore[no-any-return]


class PoolSourceError(PoolError):
    """A pool source file that cannot be compiled; the message names the file, the path and what was expected."""


def source_dir() -> Traversable:
    """The folder of the pool's YAML files in the installed package."""
    return resources.files("turnloom.tools_env").joinpath("data", "pool")


def _fail(file: str, path: str, what: str) -> PoolSourceError:
    return PoolSourceError(f"{file}: {path}: {what}" if path else f"{file}: {what}")


def _json_problem(value: Any, path: str) -> tuple[str, str] | None:
    """The first value that JSON cannot hold (a YAML date, a non-string key), as (path, what)."""
    if isinstance(value, dict):
        for key, sub in value.items():
            if not isinstance(key, str):
                return path, f"key {key!r} is not a string (quote it)"
            found = _json_problem(sub, f"{path}.{key}" if path else key)
            if found:
                return found
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            found = _json_problem(sub, f"{path}[{i}]")
            if found:
                return found
    elif value is not None and not isinstance(value, str | int | float | bool):
        return path, f"{type(value).__name__} value {value!r} is not JSON data (quote it)"
    return None


def _read(file: Traversable, label: str) -> dict[str, Any]:
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(label, "", f"cannot read ({exc})") from None
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise _fail(label, where, f"invalid YAML ({problem})") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise _fail(label, "", f"expected a mapping with keys {', '.join(_FILE_KEYS)}")
    found = _json_problem(data, "")
    if found:
        raise _fail(label, *found)
    for key, kind in _FILE_KEYS.items():
        if key in data and not isinstance(data[key], dict if kind == "mapping" else list):
            raise _fail(label, key, f"expected a {kind}")
    unknown = [k for k in data if k not in _FILE_KEYS]
    if unknown:
        raise _fail(label, unknown[0], f"unknown key (expected one of: {', '.join(_FILE_KEYS)})")
    return data


class _Vocabulary:
    """A domain's field vocabulary, compiled on demand, falling back to the shared one."""

    def __init__(self, label: str, domain: str, raw: dict[str, Any], common: _Vocabulary | None) -> None:
        self.label = label
        self.domain = domain
        self.raw = raw
        self.common = common
        self._done: dict[str, Schema] = {}
        self._doing: list[str] = []

    def _describe(self) -> str:
        if self.common is None:
            return f"a key of the vocabulary of {self.label}"
        return f"a key of the {self.domain} vocabulary or of {COMMON_FILE}"

    def entry(self, key: str, path: str) -> Schema:
        """A fresh copy of the compiled schema of vocabulary key ``key``."""
        if key not in self.raw:
            if self.common is not None and key in self.common.raw:
                return self.common.entry(key, path)
            raise _fail(self.label, path, f"unknown field {key!r} (expected {self._describe()})")
        if key not in self._done:
            if key in self._doing:
                loop = " -> ".join([*self._doing[self._doing.index(key):], key])
                raise _fail(self.label, f"vocabulary.{key}", f"records refer to themselves ({loop})")
            self._doing.append(key)
            self._done[key] = self.schema(self.raw[key], f"vocabulary.{key}")
            self._doing.pop()
        return copy.deepcopy(self._done[key])

    def fields(
        self, spec: Any, path: str, allowed: str, overrides: dict[str, Schema] | None = None
    ) -> tuple[dict[str, Schema], list[str]]:
        """Properties and the names marked by a field spec; ``allowed`` is the mark it may use (``*`` or ``?``)."""
        if not isinstance(spec, str):
            raise _fail(self.label, path, "expected a field spec string such as 'city* date?'")
        props: dict[str, Schema] = {}
        marked: list[str] = []
        for token in spec.split():
            match = _TOKEN.fullmatch(token)
            if not match:
                raise _fail(self.label, path, f"bad field token {token!r} (expected name, name{allowed} or name=key)")
            name, key, mark = match["name"], match["key"] or match["name"], match["mark"]
            if mark and mark != allowed:
                raise _fail(self.label, path, f"{token!r}: mark {mark!r} is not allowed here (only {allowed!r})")
            if name in props:
                raise _fail(self.label, path, f"field {name!r} appears twice")
            props[name] = copy.deepcopy(overrides[key]) if overrides and key in overrides else self.entry(key, path)
            if mark:
                marked.append(name)
        return props, marked

    def record(self, spec: Any, path: str) -> Schema:
        props, optional = self.fields(spec, path, "?")
        return {"type": "object", "properties": props, "required": [n for n in props if n not in optional]}

    def schema(self, raw: Any, path: str) -> Schema:
        """A JSON Schema with every ``record``/``records`` form expanded."""
        if not isinstance(raw, dict):
            raise _fail(self.label, path, "expected a JSON Schema mapping")
        if "records" in raw or "record" in raw:
            form = "records" if "records" in raw else "record"
            if form == "records" and "record" in raw:
                raise _fail(self.label, path, "use either 'record' or 'records', not both")
            rest = {k: v for k, v in raw.items() if k != form}
            if "type" in rest or "properties" in rest or "items" in rest:
                raise _fail(self.label, path, f"a {form!r} form sets its own type, properties and items; remove them")
            described = {"description": rest.pop("description")} if "description" in rest else {}
            item = self.record(raw[form], f"{path}.{form}")
            if form == "record":
                return {"type": "object", **described, "properties": item["properties"],
                        "required": item["required"], **rest}
            if not described:
                raise _fail(self.label, path, "a 'records' form needs a 'description'")
            return {"type": "array", **described, "items": item, **rest}
        out = dict(raw)
        for key in ("properties", "$defs", "patternProperties"):
            if isinstance(raw.get(key), dict):
                out[key] = {n: self.schema(s, f"{path}.{key}.{n}") for n, s in raw[key].items()}
        for key in ("items", "additionalProperties", "not", "contains"):
            if isinstance(raw.get(key), dict):
                out[key] = self.schema(raw[key], f"{path}.{key}")
        for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
            if isinstance(raw.get(key), list):
                out[key] = [self.schema(s, f"{path}.{key}[{i}]") for i, s in enumerate(raw[key])]
        return out


def _tool(vocab: _Vocabulary, raw: Any, path: str) -> dict[str, Any]:
    """One tool entry compiled to the fields of a ToolSpec."""
    label = vocab.label
    if not isinstance(raw, dict):
        raise _fail(label, path, "expected a tool mapping (name, description, tags, parameters, returns)")
    unknown = [k for k in raw if k not in _TOOL_KEYS]
    if unknown:
        raise _fail(label, f"{path}.{unknown[0]}", f"unknown key (expected one of: {', '.join(_TOOL_KEYS)})")
    for key in ("name", "description"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise _fail(label, f"{path}.{key}", "expected a non-empty string")
    tags = raw.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags):
        raise _fail(label, f"{path}.tags", "expected a list of tag strings")
    for key in ("overrides", "$defs"):
        if not isinstance(raw.get(key, {}), dict):
            raise _fail(label, f"{path}.{key}", "expected a mapping of name -> JSON Schema")
    overrides = {k: vocab.schema(s, f"{path}.overrides.{k}") for k, s in raw.get("overrides", {}).items()}
    params = raw.get("parameters", "")
    returns = raw.get("returns", "")
    p_props, p_required = vocab.fields(params, f"{path}.parameters", "*", overrides)
    r_props, r_optional = vocab.fields(returns, f"{path}.returns", "?", overrides)
    used = {m["key"] or m["name"] for spec in (params, returns) for m in _TOKEN.finditer(spec)}
    for key in overrides:
        if key not in used:
            raise _fail(label, f"{path}.overrides.{key}", "overrides no field of this tool's parameters or returns")
    out: Schema = {"type": "object", "properties": r_props, "required": [n for n in r_props if n not in r_optional]}
    if raw.get("$defs"):
        out["$defs"] = {k: vocab.schema(s, f"{path}.$defs.{k}") for k, s in raw["$defs"].items()}
    return {
        "name": raw["name"],
        "description": raw["description"],
        "parameters": {"type": "object", "properties": p_props, "required": p_required},
        "returns": out,
        "domain": vocab.domain,
        "tags": list(tags),
    }


_META: list[Draft202012Validator] = []


def _schema_problem(schema: Any, where: str) -> str | None:
    """Why ``schema`` fails the JSON Schema meta-schema (naming the spot under ``where``), or None."""
    if not _META:
        _META.append(Draft202012Validator(Draft202012Validator.META_SCHEMA,
                                          format_checker=Draft202012Validator.FORMAT_CHECKER))
    errors = list(_META[0].iter_errors(schema))
    if not errors:
        return None
    # the validator's error order can vary between runs; report the first by path, the same every time
    error = min(errors, key=lambda e: ([str(p) for p in e.absolute_path], e.message))
    inner = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    return f"not a valid JSON Schema ({error.message} at {where}{inner})"


def _validated(vocab: _Vocabulary, path: str, tool: dict[str, Any]) -> ToolSpec:
    label = vocab.label
    try:
        spec = ToolSpec.model_validate(tool)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise _fail(label, f"{path}.{where}", f"invalid tool ({err['msg']})") from None
    for key in ("parameters", "returns"):
        what = _schema_problem(tool[key], key)
        if what:
            # name the vocabulary entry at fault when there is one, rather than the tool that uses it
            for owner in [vocab] if vocab.common is None else [vocab, vocab.common]:
                for name in owner.raw:
                    blame = _schema_problem(owner.entry(name, f"vocabulary.{name}"), name)
                    if blame:
                        raise _fail(owner.label, f"vocabulary.{name}", blame)
            raise _fail(label, f"{path}.{key}", what)
    return spec


def _returned_names(schema: Any) -> Iterator[str]:
    """Every property name in a returns schema, at any depth (objects, arrays, anyOf, $defs)."""
    if isinstance(schema, dict):
        for name, sub in schema.get("properties", {}).items():
            yield name
            yield from _returned_names(sub)
        if "items" in schema:
            yield from _returned_names(schema["items"])
        for sub in schema.get("$defs", {}).values():
            yield from _returned_names(sub)
        for sub in schema.get("anyOf", []):
            yield from _returned_names(sub)


def _check_id_flow(label: str, entries: list[tuple[str, ToolSpec]]) -> None:
    returned = [(spec, set(_returned_names(spec.returns))) for _, spec in entries]
    for path, spec in entries:
        for param in spec.required:
            if param.endswith("_id") and not any(o is not spec and param in names for o, names in returned):
                raise _fail(label, f"{path}.parameters", f"required id {param!r} is returned by no other tool "
                            f"of the {spec.domain} domain (expected a tool that creates, lists or returns it)")


def _label(file: Traversable) -> str:
    return str(file) if isinstance(file, Path) else f"tools_env/data/pool/{file.name}"


def compile_pool(folder: Traversable | Path | None = None) -> list[ToolSpec]:
    """The tools of the pool source in ``folder`` (default: the package's), sorted by domain then name."""
    root = source_dir() if folder is None else folder
    if not root.is_dir():
        raise PoolSourceError(f"{root}: no such folder (expected the pool's YAML files)")
    files = sorted((f for f in root.iterdir() if f.name.endswith(".yaml")), key=lambda f: f.name)
    common_file = next((f for f in files if f.name == COMMON_FILE), None)
    if common_file is None:
        raise PoolSourceError(f"{root}: no {COMMON_FILE} (expected the shared vocabulary)")
    common_label = _label(common_file)
    common_data = _read(common_file, common_label)
    if "tools" in common_data:
        raise _fail(common_label, "tools", "the shared file holds only a vocabulary")
    common = _Vocabulary(common_label, "", common_data.get("vocabulary", {}), None)
    for key in common.raw:
        common.entry(key, f"vocabulary.{key}")
    seen: dict[str, str] = {}
    tools: list[ToolSpec] = []
    for file in files:
        if file is common_file:
            continue
        label, domain = _label(file), file.name.removesuffix(".yaml")
        if not _DOMAIN.fullmatch(domain):
            raise _fail(label, "", "the file name must be a domain name: lowercase words joined by '_'")
        data = _read(file, label)
        vocab = _Vocabulary(label, domain, data.get("vocabulary", {}), common)
        for key in vocab.raw:
            vocab.entry(key, f"vocabulary.{key}")
        entries: list[tuple[str, ToolSpec]] = []
        for i, raw in enumerate(data.get("tools", [])):
            path = f"tools[{i}]"
            spec = _validated(vocab, path, _tool(vocab, raw, path))
            if spec.name in seen:
                raise _fail(label, f"{path}.name", f"duplicate tool name {spec.name!r} (also in {seen[spec.name]})")
            seen[spec.name] = f"{label} {path}"
            entries.append((path, spec))
        _check_id_flow(label, entries)
        tools += [spec for _, spec in entries]
    return sorted(tools, key=lambda t: (t.domain, t.name))


def render_jsonl(tools: Iterable[ToolSpec]) -> str:
    """The text of ``data/pool.jsonl``: one tool per line, in the given order."""
    return "".join(json.dumps(t.model_dump(mode="json"), ensure_ascii=False) + "\n" for t in tools)
