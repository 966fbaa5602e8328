"""Reference cycles that make a schema unusable, found before any value is checked or generated.

Two kinds, each reported with the JSON path of the schema part at fault:

- a **reference loop**: ``$ref`` (or ``allOf``/``anyOf``/``oneOf``/``not``/``if``) chains that come back
  to where they started without descending into a property or an item (``A: {$ref: B}``,
  ``B: {$ref: A}``); validating any value against it never ends;
- a **required cycle**: a referenced schema whose every value must contain another value of itself,
  through required properties or non-empty arrays (a node with a required ``child`` node); no finite
  value fits it.

An optional self-reference (a tree node whose ``children`` may be absent or empty) is neither.
"""

from __future__ import annotations

from typing import Any

from turnloom.tools_env.values._schema import ValueGenerationError, resolve_ref

__all__ = ["SchemaCycle", "schema_cycles"]

Path = tuple[str, ...]

#: keywords whose value is one sub-schema / a mapping of sub-schemas / a list of sub-schemas
_ONE = ("items", "additionalProperties", "unevaluatedProperties", "unevaluatedItems", "contains",
        "propertyNames", "not", "if", "then", "else")
_MAP = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_LIST = ("allOf", "anyOf", "oneOf", "prefixItems")
#: keywords that apply their sub-schemas to the same value (no descent into the value)
_SAME_ONE = ("not", "if", "then", "else")
_SAME_LIST = ("allOf", "anyOf", "oneOf")
_SCALARS = frozenset({"string", "number", "integer", "boolean", "null"})


class SchemaCycle(ValueError):
    """One cycle: ``path`` is where in the schema it is, ``message`` what is wrong."""

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(f"at '{'/'.join(path) or '(root)'}': {message}")
        self.path = path
        self.message = message


def _children(schema: dict[str, Any], path: Path) -> list[tuple[Path, Any]]:
    out: list[tuple[Path, Any]] = []
    for key in _ONE:
        if isinstance(schema.get(key), (dict, bool)):
            out.append(((*path, key), schema[key]))
    for key in _MAP:
        if isinstance(schema.get(key), dict):
            out.extend(((*path, key, str(k)), v) for k, v in schema[key].items() if isinstance(v, (dict, bool)))
    for key in _LIST:
        if isinstance(schema.get(key), list):
            out.extend(((*path, key, str(i)), v) for i, v in enumerate(schema[key]) if isinstance(v, (dict, bool)))
    return out


class _Graph:
    def __init__(self, root: Any) -> None:
        self.root = root
        self.paths: dict[int, Path] = {}
        self.nodes: dict[Path, dict[str, Any]] = {}
        self.unresolved: list[SchemaCycle] = []
        self.targets: dict[Path, Path] = {}  # path of a $ref -> path of its target
        self.looped: set[Path] = set()  # schemas on a reference loop
        stack: list[tuple[Path, Any]] = [((), root)]
        while stack:
            path, node = stack.pop()
            if not isinstance(node, dict) or id(node) in self.paths:
                continue
            self.paths[id(node)] = path
            self.nodes[path] = node
            stack.extend(reversed(_children(node, path)))
        for path, node in list(self.nodes.items()):
            ref = node.get("$ref")
            if not isinstance(ref, str):
                continue
            try:
                target = resolve_ref(root, ref)
            except ValueGenerationError as exc:
                self.unresolved.append(SchemaCycle((*path, "$ref"), str(exc)))
                continue
            if isinstance(target, dict) and id(target) in self.paths:
                self.targets[path] = self.paths[id(target)]

    def same_value(self, path: Path) -> list[Path]:
        """Schemas applied to the same value as the one at ``path``."""
        node = self.nodes[path]
        out = [self.targets[path]] if path in self.targets else []
        out.extend((*path, k) for k in _SAME_ONE if isinstance(node.get(k), dict))
        for key in _SAME_LIST:
            if isinstance(node.get(key), list):
                out.extend((*path, key, str(i)) for i, v in enumerate(node[key]) if isinstance(v, dict))
        return out

    def loops(self) -> list[SchemaCycle]:
        found: list[SchemaCycle] = []
        state: dict[Path, int] = {}  # 1 on the stack, 2 done
        for start in self.nodes:
            if state.get(start):
                continue
            stack: list[tuple[Path, list[Path]]] = [(start, self.same_value(start))]
            trail = [start]
            state[start] = 1
            while stack:
                path, todo = stack[-1]
                if not todo:
                    state[path] = 2
                    stack.pop()
                    trail.pop()
                    continue
                nxt = todo.pop()
                if state.get(nxt) == 1:
                    loop = trail[trail.index(nxt):] + [nxt]
                    self.looped.update(loop)
                    shown = " -> ".join("/".join(p) or "(root)" for p in loop if p in self.targets.values() or
                                        p == loop[0])
                    found.append(SchemaCycle(nxt, f"$ref loop {shown}: the references only lead to each other, "
                                                  "so no value can ever be checked against them"))
                elif not state.get(nxt) and nxt in self.nodes:
                    state[nxt] = 1
                    trail.append(nxt)
                    stack.append((nxt, self.same_value(nxt)))
        return found

    def endless(self) -> tuple[list[SchemaCycle], bool]:
        """Referenced schemas no finite value fits (least fixpoint of 'some value of it ends'), and
        whether the whole schema still admits a finite value (the cycles are in optional parts)."""
        targets = sorted(set(self.targets.values()))
        ok: set[Path] = set()
        changed = True
        while changed:
            changed = False
            for target in targets:
                if target not in ok and self._ends(self.nodes[target], target, ok):
                    ok.add(target)
                    changed = True
        return [SchemaCycle(t, "required self-reference: every value must contain another value of this schema "
                               "(through required properties or non-empty arrays), so none can be finite; "
                               "make one link optional")
                for t in targets if t not in ok and t not in self.looped], self._ends(self.root, (), ok)

    def _ends(self, schema: Any, path: Path, ok: set[Path]) -> bool:
        if not isinstance(schema, dict) or "enum" in schema or "const" in schema:
            return True
        if path in self.targets and self.targets[path] not in ok:
            return False
        sub = {p: v for p, v in _children(schema, path)}
        for key in ("allOf",):
            if not all(self._ends(sub[(*path, key, str(i))], (*path, key, str(i)), ok)
                       for i in range(len(schema.get(key) or [])) if (*path, key, str(i)) in sub):
                return False
        for key in ("anyOf", "oneOf"):
            branches = [(*path, key, str(i)) for i in range(len(schema.get(key) or [])) if (*path, key, str(i)) in sub]
            if branches and not any(self._ends(sub[b], b, ok) for b in branches):
                return False
        kind = schema.get("type")
        kinds = set(kind) if isinstance(kind, list) else {kind} if isinstance(kind, str) else None
        if kinds is not None and kinds & _SCALARS:
            return True
        obj = kinds is None or "object" in kinds
        arr = kinds is None or "array" in kinds
        results = []
        if obj:
            results.append(self._object_ends(schema, path, sub, ok))
        if arr:
            results.append(self._array_ends(schema, path, sub, ok))
        return all(results) if kinds is None else any(results)

    def _object_ends(self, schema: dict[str, Any], path: Path, sub: dict[Path, Any], ok: set[Path]) -> bool:
        found, required = schema.get("properties"), schema.get("required")
        props: dict[str, Any] = found if isinstance(found, dict) else {}
        for name in required if isinstance(required, list) else []:
            where = (*path, "properties", str(name)) if name in props else (*path, "additionalProperties")
            if where in sub and not self._ends(sub[where], where, ok):
                return False
        return True

    def _array_ends(self, schema: dict[str, Any], path: Path, sub: dict[Path, Any], ok: set[Path]) -> bool:
        low = schema.get("minItems", 0)
        low = low if isinstance(low, int) else 0
        items = schema.get("prefixItems")
        prefix: list[Any] = items if isinstance(items, list) else []
        for i in range(min(low, len(prefix) + 1)):
            where = (*path, "prefixItems", str(i)) if i < len(prefix) else (*path, "items")
            if where in sub and not self._ends(sub[where], where, ok):
                return False
        if "contains" in schema and schema.get("minContains", 1) and (*path, "contains") in sub:
            return self._ends(sub[(*path, "contains")], (*path, "contains"), ok)
        return True


def schema_cycles(schema: Any, *, fatal_only: bool = False) -> list[SchemaCycle]:
    """The reference loops, required cycles and unresolvable ``$ref`` of a schema (empty when none);
    ``fatal_only``: leave out required cycles in optional parts (the schema still has finite values)."""
    if not isinstance(schema, dict) or "$ref" not in _text_keys(schema):
        return []
    graph = _Graph(schema)
    loops = graph.loops()
    endless, finite = graph.endless()
    return graph.unresolved + loops + ([] if fatal_only and finite else endless)


def _text_keys(schema: Any) -> set[str]:
    """Every key in the schema document (a quick test for '$ref' before building the graph)."""
    keys: set[str] = set()
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            keys.update(k for k in node if isinstance(k, str))
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return keys
