"""Phrasing templates kept as data (``data/*.yaml``): loading, ``[a|b]`` expansion,
persona styles and typos. Every choice draws from the caller's seeded ``random.Random``."""

from __future__ import annotations

import random
import re
import zlib
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from turnloom.schema import ToolSpec
from turnloom.tools_env.analysis import profile_tool, split_words

__all__ = ["STYLES", "action_words", "assistant_data", "chitchat_replies", "expand", "irrelevant", "pick", "pick_style",
           "small_talk", "typo", "user_data"]

STYLES = ("brief", "chatty", "formal", "nonnative", "typos")
_GROUP = re.compile(r"\[([^\[\]]*)\]")
_WORD = re.compile(r"(?<![{\w])[a-z]{5,}(?![\w}])")
#: words a typo must not touch: what the assistant reads as markers
_KEEP = frozenset({"instead", "about", "thanks", "thank", "cheers", "additionally", "please", "while", "those",
                   "results", "found", "before", "again", "appreciate", "everything"})


@lru_cache(maxsize=4)
def _load(name: str) -> dict[str, Any]:
    text = (resources.files("turnloom.agents.offline") / "data" / name).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError(f"agents/offline/data/{name}: expected a mapping of template lists")
    return data


def user_data() -> dict[str, Any]:
    return _load("user.yaml")


def assistant_data() -> dict[str, Any]:
    return _load("assistant.yaml")


@lru_cache(maxsize=1)
def small_talk() -> tuple[str, ...]:
    """Small-talk templates (``small_talk`` in data/user.yaml)."""
    return tuple(str(t) for t in user_data()["small_talk"])


@lru_cache(maxsize=1)
def irrelevant() -> tuple[tuple[str, str, str], ...]:
    """Requests for what no offered tool does: ``(text, what it asks for, domain)`` (``irrelevant`` in
    data/user.yaml); ``domain`` names the built-in pool domain whose tools would serve the request, "" when
    no tool would."""
    return tuple((str(e[0]), str(e[1]), str(e[2]) if len(e) > 2 else "") for e in user_data()["irrelevant"])


@lru_cache(maxsize=1)
def chitchat_replies() -> dict[str, str]:
    """Small-talk key -> reply (``chitchat_replies`` in data/assistant.yaml)."""
    return {str(k): str(v) for k, v in assistant_data()["chitchat_replies"].items()}


def expand(template: str, rng: random.Random) -> str:
    """Pick one alternative of every ``[a|b|c]`` group, innermost first."""
    while True:
        new = _GROUP.sub(lambda m: rng.choice(m.group(1).split("|")), template)
        if new == template:
            return new
        template = new


def pick(options: Any, style: str, rng: random.Random) -> str:
    """One expanded template from a list, or from a per-style mapping of lists."""
    if isinstance(options, dict):
        options = options.get(style) or options.get("brief") or next(iter(options.values()))
    return expand(str(rng.choice(list(options))), rng)


@lru_cache(maxsize=4096)
def pick_style(persona: str, key: str) -> str:
    """The dialogue's style: persona words make one likelier; drawn once per dialogue
    (``key`` is stable across its turns)."""
    styles = user_data().get("styles", {})
    lowered = persona.lower()
    weights = [5.0 if any(w in lowered for w in styles.get(s, [])) else 1.0 for s in STYLES]
    rng = random.Random(zlib.crc32(f"{persona}\x00{key}".encode()))
    return rng.choices(STYLES, weights=weights)[0]


def typo(text: str, rng: random.Random, rate: float = 0.25) -> str:
    """Swap two inner letters or drop one in some longer frame words (never placeholders)."""

    def _one(m: re.Match[str]) -> str:
        word = m.group(0)
        if word in _KEEP or rng.random() >= rate:
            return word
        i = rng.randrange(1, len(word) - 2)
        if rng.random() < 0.5:
            return word[:i] + word[i + 1] + word[i] + word[i + 2:]
        return word[:i] + word[i + 1:]

    return _WORD.sub(_one, text)


def _article(kind: str, verb: str, rest: str) -> list[str]:
    if kind == "list":
        return [""]
    if kind == "create":
        plain = "an " if rest[:1] in "aeiou" else "a "
        # "create a new ticket", but "book a table" (a booking is new by itself)
        return [plain] if verb in ("book", "reserve") else [plain, "a new " if rest[:1] not in "aeiou" else "an "]
    if kind in ("update", "status", "delete"):
        return ["my ", "the "]
    if verb in ("get", "check") or kind == "read":
        return ["the ", "the ", "my "] if kind == "read" else ["the "]
    return ["", "the "]


def action_words(tool: ToolSpec, rng: random.Random) -> str:
    """A verb phrase from the tool's name words (its verb may be said with a synonym):
    ``search_flights`` -> "find flights", ``cancel_booking`` -> "cancel my booking"."""
    words = split_words(tool.name)
    if not words:
        return tool.name
    profile = profile_tool(tool)
    verbs = user_data().get("verbs", {})
    verb, rest = words[0], " ".join(words[1:])
    synonyms = verbs.get(verb) or verbs.get({"modify": "update"}.get(verb, ""), [])
    said = rng.choice(synonyms) if synonyms else verb
    if not rest:
        return said
    aliases = user_data().get("aliases", {}).get(rest)
    if aliases and rng.random() < 0.8:
        rest = str(rng.choice(aliases))
    if rest.startswith(("what ", "how ", "which ")):  # "show me what diners say", not "the what..."
        return f"{said} {rest}"
    return f"{said} {rng.choice(_article(profile.kind, verb, rest))}{rest}"
