"""Values said by what they mean rather than by their parameter's name: "flights from Berlin to
Rome", "a table for four people", "hotels under $200". The forms are data (``by_meaning`` in
``data/user.yaml``), keyed by parameter name; the user renders one after the request's verb
phrase, and the assistant reads it back with a pattern built from the same form.

Placeholders: ``{v}`` the value as written, ``{V}`` a value that starts with a capital (a place,
a name), ``{n}`` a count from one to twelve in words, ``{s}`` a plural "s" unless the count is
one, ``{people}`` "person" or "people". A boolean parameter's forms are a mapping of ``true`` and
``false`` to what each value is said as ("open right now"); such a form holds no placeholder.
"""

from __future__ import annotations

import random
import re
from functools import lru_cache
from typing import Any

from turnloom.agents.offline._phrasing import format_value
from turnloom.agents.offline._templates import expand, user_data
from turnloom.schema import ToolSpec

__all__ = ["NUMBER_WORDS", "MeaningSpan", "find_meanings", "has_forms", "say_by_meaning"]

NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                "eleven", "twelve")
_WORD_VALUE = {w: i for i, w in enumerate(NUMBER_WORDS)}
_TOKEN = re.compile(r"\{(v|V|n|s|people)\}|\[([^\[\]]*)\]")
#: where a string value said by meaning ends: punctuation, a sentence end, or a joining word
_END = (r"(?=[,;!?]|\.(?:\s|$)|$|\s(?:and|with|in|from|to|for|on|at|under|below|over|using|please|by|"
        r"into|out|up|down|bound|going|headed|flying|leaving|departing|costing|priced|rated|serving|doing|showing|"
        r"limited|capped|just|only|against|versus|asap|thanks|thx|plz|pls)\b|\s-\s)")
#: a place or a person: capitalized words, with the small words names keep inside ("Rio de Janeiro")
_CAPITALIZED = r"[A-Z][\w'.-]*(?: (?:(?:de|da|del|la|le|of|upon|on|am|sur|van|von) )?[A-Z][\w'.-]*)*"
_VALUE = {
    "V": r"(?P<v>\x00\d+\x00|" + _CAPITALIZED + ")(?![\\w'-])",
    "n": r"(?P<v>\d+|" + "|".join(NUMBER_WORDS[1:]) + r")\b",
    "num": r"(?P<v>-?\d+(?:\.\d+)?)(?![\d.]\d)",
    "str": r"(?P<v>\x00\d+\x00|[^\s\x00,;!?][^\x00,;!?]*?)",
}

MeaningSpan = tuple[int, int, str, str]
#: a form that says a group, wrong for a count of one
_GROUP_OF = re.compile(r"\b(?:group|party) of \{|\{[vn]\} of us\b")


#: the mark a boolean form starts with in :func:`_forms` (the value it says)
_FLAG = {True: "\x01yes\x01", False: "\x01no\x01"}


@lru_cache(maxsize=1)
def _forms() -> dict[str, tuple[str, ...]]:
    data = user_data().get("by_meaning", {})
    if not isinstance(data, dict):
        raise ValueError("agents/offline/data/user.yaml: by_meaning: expected a mapping of parameter -> forms")
    out: dict[str, tuple[str, ...]] = {}
    for key, forms in data.items():
        if isinstance(forms, dict):
            if set(forms) - {True, False}:
                raise ValueError(f"agents/offline/data/user.yaml: by_meaning.{key}: expected the keys true and false")
            out[str(key)] = tuple(_FLAG[bool(flag)] + str(f) for flag, said in forms.items() for f in said)
        else:
            out[str(key)] = tuple(str(f) for f in forms)
    return out


def _flag(form: str) -> tuple[bool | None, str]:
    """(the boolean a form says, the form without its mark); None for a form with a placeholder."""
    for value, mark in _FLAG.items():
        if form.startswith(mark):
            return value, form[len(mark):]
    return None, form


@lru_cache(maxsize=8192)
def _key(param: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", param).lower()


def has_forms(param: str) -> bool:
    return _key(param) in _forms()


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        return None
    return int(value)


def _render(form: str, value: Any, phrases: tuple[str, ...], written: str | None = None) -> str | None:
    flag, form = _flag(form)
    if flag is not None or isinstance(value, bool):
        return form if isinstance(value, bool) and value is flag else None
    written = written or format_value(value, phrases)
    if written.startswith('"'):
        return None
    count = _count(value)
    if "{V}" in form and not (isinstance(value, str) and value[:1].isupper()):
        return None
    if "{n}" in form and (count is None or not 1 <= count < len(NUMBER_WORDS)):
        return None
    if count == 1 and _GROUP_OF.search(form):  # "a party of one", "for one of us"
        return None
    if ("{s}" in form or "{people}" in form) and count is None:
        return None
    if "$" in form and (isinstance(value, bool) or not isinstance(value, (int, float))):
        return None
    plural = count != 1
    return (form.replace("{V}", written).replace("{v}", written)
            .replace("{n}", NUMBER_WORDS[count] if count is not None and 0 <= count < len(NUMBER_WORDS) else "")
            .replace("{s}", "s" if plural else "").replace("{people}", "people" if plural else "person"))


def say_by_meaning(param: str, value: Any, phrases: tuple[str, ...], rng: random.Random,
                   written: str | None = None) -> str | None:
    """One form of ``param``'s value said by meaning ("for four people"), or None when no form fits;
    ``written``: how the value is said, when not as written ("next Friday" for a date)."""
    forms = list(_forms().get(_key(param), ()))
    rng.shuffle(forms)
    for form in forms:
        said = _render(expand(form, rng), value, phrases, written)
        if said is not None:
            return said
    return None


@lru_cache(maxsize=1024)
def _pattern(form: str, numeric: bool) -> re.Pattern[str]:
    flag, form = _flag(form)
    out, at = [], 0
    for m in _TOKEN.finditer(form):
        out.append(re.escape(form[at:m.start()]))
        name, group = m.group(1), m.group(2)
        if group is not None:
            out.append("(?:" + "|".join(re.escape(g) for g in group.split("|")) + ")")
        elif name in ("s",):
            out.append("s?")
        elif name == "people":
            out.append("(?:people|person)")
        else:
            kind = name if name in ("V", "n") else ("num" if numeric else "str")
            # a text value ends where the form's own words resume, or else at a joining word
            out.append(_VALUE[kind] + (_END if kind == "str" and m.end() == len(form) else ""))
        at = m.end()
    out.append(re.escape(form[at:]))
    return re.compile(r"(?<![\w$])" + "".join(out) + (r"(?![\w-])" if flag is not None else ""))


def _kind(schema: Any) -> Any:
    kind = schema.get("type") if isinstance(schema, dict) else None
    return tuple(kind) if isinstance(kind, list) else kind


@lru_cache(maxsize=4096)
def _tried(params: tuple[tuple[str, Any], ...]) -> tuple[tuple[str, str, bool], ...]:
    """The forms a tool's parameters may be said in, longest first: (form, parameter, numeric)."""
    forms = _forms()
    tried = []
    for param, kind in params:
        numeric = kind in ("integer", "number") or (isinstance(kind, tuple) and "string" not in kind)
        tried += [(form, param, numeric) for form in forms.get(_key(param), ())]
    tried.sort(key=lambda t: -len(t[0]))
    return tuple(tried)


def find_meanings(text: str, tool: ToolSpec, taken: list[tuple[int, int]]) -> list[MeaningSpan]:
    """(start, end, param, raw value) of each value said by meaning in ``text`` (quoted values
    masked), outside the ``taken`` spans; the longest forms are tried first, and a number said in
    words comes back as digits."""
    found: list[MeaningSpan] = []
    busy = list(taken)
    for form, param, numeric in _tried(tuple((param, _kind(schema)) for param, schema in tool.properties.items())):
        if any(f[2] == param for f in found):
            continue
        for m in _pattern(form, numeric).finditer(text):
            if any(s < m.end() and m.start() < e for s, e in busy):
                continue
            flag = _flag(form)[0]
            raw = ("yes" if flag else "no") if flag is not None else m.group("v")
            raw = str(_WORD_VALUE.get(raw.lower(), raw))
            found.append((m.start(), m.end(), param, raw))
            busy.append((m.start(), m.end()))
            break
    return sorted(found)
