"""The files of one OpenAPI description and the ``$ref`` pointers between them.

A ``$ref`` is ``#/json/pointer`` (same file), ``other.yaml`` (a whole file) or
``other.yaml#/json/pointer``; file references are relative to the file that holds the
``$ref`` and must stay local (``http(s)://`` references are not fetched). Each file is read
once; a Swagger 2.0 file is converted to OpenAPI 3 form as it is read. A chain of
``$ref`` objects that comes back to itself is reported, never followed forever.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from turnloom.tools_env._openapi_base import JsonPath, ToolImportError, load_document
from turnloom.tools_env._openapi_swagger import is_swagger2, swagger2_to_openapi3

RefKey = tuple[str, str]  # (file, JSON pointer without '#')
_NAME_CHARS = re.compile(r"[^A-Za-z0-9_.\-]+")


def pointer_path(pointer: str) -> JsonPath:
    return tuple(unquote(p).replace("~1", "/").replace("~0", "~") for p in pointer.lstrip("/").split("/") if p)


class Documents:
    """The root document and every local file it references, each read once."""

    def __init__(self, root: dict[str, Any], file: str) -> None:
        self.root_file = file
        self._docs: dict[str, Any] = {file: root, os.path.normpath(file): root}
        self._names: dict[RefKey, str] = {}
        self._taken: set[str] = set()

    def doc(self, file: str, at: JsonPath, ref: str) -> Any:
        if file not in self._docs:
            path = Path(file)
            if not path.is_file():
                raise ToolImportError(file, "", f"an existing file (referenced by '$ref' {ref!r} at {at})")
            doc = load_document(path)
            self._docs[file] = swagger2_to_openapi3(doc) if is_swagger2(doc) else doc
        return self._docs[file]

    def key(self, ref: str, base: str, at: JsonPath) -> RefKey:
        """The (file, pointer) a ``$ref`` written in file ``base`` points to."""
        target, _, pointer = ref.partition("#")
        if re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*://", target):
            raise ToolImportError(base, at, f"a local '$ref' (remote references are not fetched: {ref!r})")
        if not target:
            return base, pointer
        path = Path(unquote(target))
        if not path.is_absolute():
            path = Path(base).parent / path
        return os.path.normpath(path), pointer

    def target(self, key: RefKey, ref: str, base: str, at: JsonPath) -> Any:
        node = self.doc(key[0], at, ref)
        for part in pointer_path(key[1]):
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and isinstance(part, str) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                raise ToolImportError(base, at, f"'$ref' {ref!r} to point to an existing definition")
        return node

    def deref(self, node: Any, file: str, at: JsonPath) -> tuple[Any, str, JsonPath]:
        """Follow ``$ref`` objects (parameters, responses, bodies, path items) to the object itself."""
        seen: set[RefKey] = set()
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            here = (*at, "$ref")
            key = self.key(ref, file, here)
            if key in seen:
                raise ToolImportError(file, here, f"a '$ref' chain that ends (it loops back at {ref!r})")
            seen.add(key)
            node = self.target(key, ref, file, here)
            file, at = key[0], pointer_path(key[1])
        return node, file, at

    def name(self, key: RefKey) -> str:
        """A stable ``$defs`` name for the schema at ``key`` (its last pointer part, else the file)."""
        if key in self._names:
            return self._names[key]
        parts = pointer_path(key[1])
        raw = str(parts[-1]) if parts else Path(key[0]).stem
        if parts and len(parts) > 3 and parts[:2] != ("components", "schemas"):
            raw = "_".join(str(p) for p in parts[-2:])
        base = _NAME_CHARS.sub("_", raw).strip("_") or "Schema"
        name, i = base, 2
        while name in self._taken:
            name = f"{base}_{i}"
            i += 1
        self._taken.add(name)
        self._names[key] = name
        return name
