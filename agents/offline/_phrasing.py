"""The offline agents' shared vocabulary: how tools, parameters and values are put
into words, and how the offline assistant reads them back.

The user renders each argument as ``<parameter phrase> <value>`` inside a sentence
(values that could be misread are quoted); the assistant locates parameter phrases
and takes the text up to the next phrase as the value, then checks it against the
parameter's schema. Several templates per step kind keep the data from being one
sentence repeated.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

from turnloom.schema import ToolSpec
from turnloom.tools_env.analysis import split_words

__all__ = [
    "ORDINALS",
    "a_or_an",
    "action_phrase",
    "fill_form",
    "format_value",
    "join_phrases",
    "param_phrase",
    "render_args",
]

ORDINALS = ("first", "second", "third", "fourth", "fifth")
_SPLIT = re.compile(r"[^a-z0-9]+")
_RISKY_CHARS = re.compile("[,;:\"\n\u2014]")
_ARTICLE = re.compile(r"\b([Aa])n? (?=(\{v\}|[\w$.'-]+))")
#: words spelled with a vowel but said with a consonant sound, and the reverse
_CONSONANT_SOUND = ("uni", "use", "usu", "uti", "ure", "uro", "eu", "one", "once")
_VOWEL_SOUND = ("hour", "honest", "honou", "honor", "heir")
_LEADING_DIGITS = re.compile(r"\d[\d,]*")


@lru_cache(maxsize=65536)
def param_phrase(name: str) -> str:
    """``departure_date`` -> ``departure date``; ``userId`` -> ``user id``."""
    return " ".join(split_words(name))


def action_phrase(tool: ToolSpec, variant: int = 0) -> str:
    """A verb phrase for what the tool does: its description (lower-cased, no final
    period) or, for variant 1, its name in words."""
    desc = tool.description.strip().rstrip(".").strip()
    if variant % 2 == 0 and desc and len(desc.split()) <= 22:
        first = desc.split()[0]
        if not first.isupper():
            desc = desc[0].lower() + desc[1:]
        return desc
    return " ".join(split_words(tool.name))


def a_or_an(word: str) -> str:
    """The indefinite article said before ``word``: "an escalation", "a user", "an 8.5", "an hour"."""
    lowered = word.lower().lstrip("$\"'(")
    digits = _LEADING_DIGITS.match(lowered)
    if digits:
        number = digits.group(0).replace(",", "")
        groups = len(number) % 3
        vowel = number.startswith("8") or (groups == 2 and number[:2] in ("11", "18"))
    elif lowered.startswith(_VOWEL_SOUND):
        vowel = True
    elif lowered.startswith(_CONSONANT_SOUND):
        vowel = False
    else:
        vowel = lowered[:1] in ("a", "e", "i", "o", "u")
    return "an" if vowel else "a"


def fill_form(form: str, phrase: str, value: str) -> str:
    """A template's ``{p}`` and ``{v}`` filled, every "a"/"an" of the template agreeing with the
    word after it (the value's own words are never touched)."""
    text = form.replace("{p}", phrase)

    def _agree(m: re.Match[str]) -> str:
        nxt = value if m.group(2) == "{v}" else m.group(2)
        article = a_or_an(nxt)
        return (article.capitalize() if m.group(1) == "A" else article) + " "

    return _ARTICLE.sub(_agree, text).replace("{v}", value)


def format_value(value: Any, phrases: tuple[str, ...] = ()) -> str:
    """How a user writes a value; quoted when it could run into the next parameter."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, float):
        text = f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
        return text if float(text) == value else repr(value)
    text = str(value)
    lowered = f" {text.lower()} "
    risky = _RISKY_CHARS.search(text) is not None or " and " in lowered or text.endswith(".") or any(
        f" {p} " in lowered for p in phrases
    ) or text.strip() != text or not text
    if risky:
        return json.dumps(text, ensure_ascii=False)
    return text


def join_phrases(parts: list[str]) -> str:
    if not parts:
        return ""
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def render_args(tool: ToolSpec, slots: dict[str, Any]) -> str:
    phrases = tuple(param_phrase(p) for p in tool.properties)
    parts = [f"{param_phrase(k)} {format_value(v, phrases)}" for k, v in slots.items()]
    return join_phrases(parts)


@lru_cache(maxsize=16384)
def _words(text: str) -> tuple[str, ...]:
    return tuple(w for w in _SPLIT.split(text.lower()) if w)


def words(text: str) -> list[str]:
    return list(_words(text))
