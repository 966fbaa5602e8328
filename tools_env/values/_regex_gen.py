"""Strings that match a regular expression, built from its parse tree.

The pattern is parsed with the standard library's own regex parser (``re._parser``,
``sre_parse`` before Python 3.11) and turned into a small tree of nodes that know
the shortest and longest text they can produce. Generation walks that tree with a
seeded ``random.Random``, optionally aiming at an exact length so that
``minLength``/``maxLength`` can be met by construction. Nothing is evaluated.

JSON Schema's ``pattern`` is an unanchored search (``re.search``), so every result is
checked with the compiled pattern; lookarounds, word boundaries and back-references
are produced on a best-effort basis and settled by that check, then by padding an
unanchored match, then by a bounded random search. Only when all of that fails is
:class:`RegexGenerationError` raised.
"""

from __future__ import annotations

import functools
import random
import re
import string
from dataclasses import dataclass
from typing import Any

try:  # Python 3.11+
    import re._constants as _c
    import re._parser as _sre
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as _c  # type: ignore[no-redef]
    import sre_parse as _sre  # type: ignore[no-redef]

from turnloom.tools_env.values._schema import ValueGenerationError

__all__ = ["RegexGenerationError", "generate_matching", "pattern_length_bounds"]

_INF = 1 << 40
#: characters a generated string prefers (printable ASCII without control whitespace)
_NICE = string.ascii_letters + string.digits + " -_.,:;!?@#$%&*+=/()[]{}<>'\"~^|`\\"
_ALNUM = string.ascii_letters + string.digits
_CATEGORIES = {
    _c.CATEGORY_DIGIT: r"\d",
    _c.CATEGORY_NOT_DIGIT: r"\D",
    _c.CATEGORY_SPACE: r"\s",
    _c.CATEGORY_NOT_SPACE: r"\S",
    _c.CATEGORY_WORD: r"\w",
    _c.CATEGORY_NOT_WORD: r"\W",
}
_REPEATS = {_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", _c.MAX_REPEAT)}


class RegexGenerationError(ValueGenerationError):
    """No string matching the pattern (within the length bounds) could be produced."""


@dataclass(slots=True)
class _Node:
    kind: str  # "lit" | "chars" | "seq" | "alt" | "rep" | "group" | "ref" | "empty"
    lo: int
    hi: int
    text: str = ""  # lit: the text; chars: the options
    items: tuple[_Node, ...] = ()
    rmin: int = 0
    rmax: int = 0
    group: int | None = None


def _lit(text: str) -> _Node:
    return _Node("lit", len(text), len(text), text=text)


def _seq(items: list[_Node]) -> _Node:
    merged: list[_Node] = []
    for node in items:
        if node.kind == "lit" and merged and merged[-1].kind == "lit":
            merged[-1] = _lit(merged[-1].text + node.text)
        elif node.kind != "empty" or node.group is not None:
            merged.append(node)
    if len(merged) == 1:
        return merged[0]
    return _Node("seq", sum(n.lo for n in merged), min(_INF, sum(n.hi for n in merged)), items=tuple(merged))


def _alt(branches: list[_Node]) -> _Node:
    return _Node("alt", min(b.lo for b in branches), max(b.hi for b in branches), items=tuple(branches))


def _class_options(items: list[tuple[Any, Any]]) -> str:
    """The characters a ``[...]`` class allows, preferring printable ASCII."""
    parts: list[str] = []
    negate = False
    for op, av in items:
        if op is _c.NEGATE:
            negate = True
        elif op is _c.LITERAL:
            parts.append(re.escape(chr(av)))
        elif op is _c.RANGE:
            parts.append(f"{re.escape(chr(av[0]))}-{re.escape(chr(av[1]))}")
        elif op is _c.CATEGORY and av in _CATEGORIES:
            parts.append(_CATEGORIES[av])
        else:
            raise RegexGenerationError(f"unsupported character class item {op}")
    matcher = re.compile("[" + ("^" if negate else "") + "".join(parts) + "]")
    nice = "".join(ch for ch in _NICE if matcher.match(ch))
    if nice:
        return nice
    found: list[str] = []
    for lo, hi in ((0xA1, 0x2FFF), (0x3000, 0xD7FF), (0xE000, 0x10FFFF)):
        for cp in range(lo, hi + 1):
            if matcher.match(chr(cp)):
                found.append(chr(cp))
                if len(found) >= 64:
                    return "".join(found)
    if not found:
        raise RegexGenerationError("character class matches nothing")
    return "".join(found)


def _convert(parsed: Any) -> _Node:
    nodes: list[_Node] = []
    for op, av in parsed:
        if op is _c.LITERAL:
            nodes.append(_lit(chr(av)))
        elif op is _c.NOT_LITERAL:
            nodes.append(_Node("chars", 1, 1, text=_ALNUM.replace(chr(av), "") or "_"))
        elif op is _c.ANY:
            nodes.append(_Node("chars", 1, 1, text=_ALNUM))
        elif op is _c.IN:
            nodes.append(_Node("chars", 1, 1, text=_class_options(av)))
        elif op is _c.BRANCH:
            nodes.append(_alt([_convert(b) for b in av[1]]))
        elif op is _c.SUBPATTERN:
            inner = _convert(av[-1])
            nodes.append(_Node("group", inner.lo, inner.hi, items=(inner,), group=av[0]))
        elif op is getattr(_c, "ATOMIC_GROUP", None):
            nodes.append(_convert(av))
        elif op in _REPEATS:
            lo, hi, sub = av
            inner = _convert(sub)
            rmax = _INF if hi is _c.MAXREPEAT or hi >= _INF else int(hi)
            top = _INF if inner.hi >= _INF and (rmax > 0) else min(_INF, inner.hi * rmax)
            nodes.append(_Node("rep", inner.lo * lo, top, items=(inner,), rmin=int(lo), rmax=rmax))
        elif op is _c.GROUPREF:
            nodes.append(_Node("ref", 0, _INF, group=av))
        elif op is _c.GROUPREF_EXISTS:
            yes = _convert(av[1])
            no = _convert(av[2]) if av[2] is not None else _seq([])
            nodes.append(_alt([yes, no]))
        elif op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
            continue  # zero-width: settled by the final check
        else:
            raise RegexGenerationError(f"unsupported regex construct {op}")
    return _seq(nodes) if nodes else _Node("empty", 0, 0)


@dataclass(frozen=True, slots=True)
class _Compiled:
    regex: re.Pattern[str]
    tree: _Node
    literals: str


@functools.lru_cache(maxsize=2048)
def _compile(pattern: str) -> _Compiled:
    try:
        regex = re.compile(pattern)
        parsed = _sre.parse(pattern)
    except (re.error, OverflowError, RecursionError) as exc:
        raise RegexGenerationError(f"invalid pattern {pattern!r}: {exc}") from exc
    tree = _convert(parsed)
    literals = "".join(sorted({ch for ch in pattern if ch.isprintable() and ch not in "\\^$()[]{}|*+?"}))
    return _Compiled(regex, tree, literals)


def pattern_length_bounds(pattern: str) -> tuple[int, int | None]:
    """Shortest and longest (None: unbounded) text the pattern's own nodes produce."""
    tree = _compile(pattern).tree
    return tree.lo, (None if tree.hi >= _INF else tree.hi)


def _split(total: int, bounds: list[tuple[int, int]], rng: random.Random) -> list[int]:
    """Share ``total`` among items with (lo, hi) bounds; the caller guarantees it fits."""
    suffix_lo = [0] * (len(bounds) + 1)
    suffix_hi = [0] * (len(bounds) + 1)
    for i in range(len(bounds) - 1, -1, -1):
        suffix_lo[i] = suffix_lo[i + 1] + bounds[i][0]
        suffix_hi[i] = min(_INF, suffix_hi[i + 1] + bounds[i][1])
    out = []
    for i, (lo, hi) in enumerate(bounds):
        a = max(lo, total - suffix_hi[i + 1])
        b = min(hi, total - suffix_lo[i + 1])
        share = rng.randint(a, max(a, min(b, a + 6)))
        out.append(share)
        total -= share
    return out


def _repeat_count(node: _Node, rng: random.Random, target: int | None) -> int:
    inner = node.items[0]
    if target is None:
        top = node.rmax if node.rmax < _INF else node.rmin + 3
        return rng.randint(node.rmin, max(node.rmin, min(top, node.rmin + 6)))
    n_lo, n_hi = node.rmin, node.rmax
    if inner.hi == 0:
        return n_lo
    if target > 0:
        n_lo = max(n_lo, -(-target // inner.hi))
    if inner.lo > 0:
        n_hi = min(n_hi, target // inner.lo)
    elif n_hi >= _INF:
        n_hi = max(n_lo, target)
    return rng.randint(n_lo, max(n_lo, min(n_hi, n_lo + 6)))


def _gen(node: _Node, rng: random.Random, target: int | None, groups: dict[int, str]) -> str:
    kind = node.kind
    if kind == "lit":
        return node.text
    if kind == "chars":
        return rng.choice(node.text)
    if kind == "seq":
        if target is None:
            return "".join(_gen(n, rng, None, groups) for n in node.items)
        shares = _split(target, [(n.lo, n.hi) for n in node.items], rng)
        return "".join(_gen(n, rng, t, groups) for n, t in zip(node.items, shares, strict=True))
    if kind == "alt":
        options = node.items if target is None else [b for b in node.items if b.lo <= target <= b.hi]
        return _gen(rng.choice(options or node.items), rng, target, groups)
    if kind == "rep":
        count = _repeat_count(node, rng, target)
        inner = node.items[0]
        if target is None:
            return "".join(_gen(inner, rng, None, groups) for _ in range(count))
        shares = _split(target, [(inner.lo, inner.hi)] * count, rng) if count else []
        return "".join(_gen(inner, rng, t, groups) for t in shares)
    if kind == "group":
        text = _gen(node.items[0], rng, target, groups)
        if node.group is not None:
            groups[node.group] = text
        return text
    if kind == "ref":
        return groups.get(node.group or 0, "")
    return ""


def _fits(text: str, min_length: int, max_length: int) -> bool:
    return min_length <= len(text) <= max_length


def generate_matching(
    pattern: str, rng: random.Random, *, min_length: int = 0, max_length: int | None = None
) -> str:
    """A string ``s`` with ``re.search(pattern, s)`` and ``min_length <= len(s) <= max_length``."""
    comp = _compile(pattern)
    top = _INF if max_length is None else max_length
    if min_length > top:
        raise RegexGenerationError(f"minLength {min_length} exceeds maxLength {max_length}")
    tree, search = comp.tree, comp.regex.search
    lo, hi = max(min_length, tree.lo), min(top, tree.hi)
    constrained = min_length > 0 or max_length is not None
    for attempt in range(12):
        if not constrained and attempt < 6:
            text = _gen(tree, rng, None, {})
        elif lo <= hi:
            text = _gen(tree, rng, rng.randint(lo, min(hi, lo + 8)), {})
        else:
            break
        if _fits(text, min_length, top) and search(text):
            return text
    # an unanchored match can be padded on either side
    for _ in range(12):
        core = _gen(tree, rng, max(tree.lo, min(tree.hi, min_length)) if constrained else None, {})
        if len(core) > top:
            continue
        filler = "".join(rng.choice(string.ascii_lowercase) for _ in range(max(0, min_length - len(core))))
        for text in (core + filler, filler + core):
            if _fits(text, min_length, top) and search(text):
                return text
    # bounded random search over the pattern's own characters
    alphabet = comp.literals + _ALNUM
    for _ in range(600):
        size = rng.randint(min_length, min(top, min_length + 12))
        text = "".join(rng.choice(alphabet) for _ in range(size))
        if search(text):
            return text
    bounds = f" with length in [{min_length}, {'inf' if max_length is None else max_length}]"
    raise RegexGenerationError(f"cannot generate a string matching {pattern!r}{bounds}")
