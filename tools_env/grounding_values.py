"""Candidate values for grounded plans: what the world holds, what earlier calls showed, and what tool
descriptions enumerate.

- :func:`harvest` collects candidate values from the states of the world's class backends (and its
  seeded records): string and number leaves and mapping keys, each with the words of its key path
  and of its owning object's class (a ``File``'s name carries ``file`` and ``name``; a key of
  ``stocks`` carries ``stock`` and, through the synonyms in ``data/grounding.yaml``, ``symbol``).
- :func:`shown` turns a call the plan makes into candidates for later steps: the values of its result,
  with the words of their key path and of the tool's entity or name (``list_all_airports`` -> airports),
  and its arguments, with the words of their parameters. They count as shown in the dialogue.
- :func:`described` reads the values a parameter's description enumerates ("Options are: economy,
  business, first.", "[Enum]: Paris, Rome"), so a sibling parameter of the same name can take them.
- :func:`weak` tells a result that says nothing ("Unknown", an empty list, 0 matches) from a real one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from turnloom.schema import ToolSpec
from turnloom.tools_env.analysis import profile_tool, singular, split_words
from turnloom.tools_env.world import World

__all__ = ["Candidate", "containers", "described", "described_keys", "harvest", "naming_words", "shown", "weak",
           "words_of"]

#: longest string worth stating in a request
_MAX_TEXT = 80


@dataclass(frozen=True)
class Candidate:
    """A value the world holds, with the words that say what it is."""

    value: Any
    words: frozenset[str]
    #: an earlier step of the plan showed it (its result or its request)
    shown: bool = False
    #: it only fits a parameter whose name has all its words (an option another tool's parameter enumerates)
    exact: bool = False


@lru_cache(maxsize=1)
def _vocabulary() -> tuple[dict[str, frozenset[str]], frozenset[str]]:
    text = (resources.files("turnloom.tools_env") / "data" / "grounding.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    synonyms = {str(k): frozenset(str(w) for w in v) for k, v in (data.get("synonyms") or {}).items()}
    return synonyms, frozenset(str(w) for w in data.get("stop") or [])


@lru_cache(maxsize=4096)
def _words(text: str) -> frozenset[str]:
    """The meaningful words of an identifier or a sentence, singular."""
    stop = _vocabulary()[1]
    return frozenset(singular(w) for w in split_words(text) if w not in stop and not w.isdigit())


def naming_words() -> frozenset[str]:
    """Words of a parameter that names the thing a create makes (``file_name``, ``title``)."""
    return _naming()


@lru_cache(maxsize=1)
def _naming() -> frozenset[str]:
    text = (resources.files("turnloom.tools_env") / "data" / "grounding.yaml").read_text(encoding="utf-8")
    return frozenset(str(w) for w in yaml.safe_load(text).get("naming") or [])


def words_of(text: str) -> frozenset[str]:
    """The meaningful words of an identifier or a sentence, singular (stop words dropped)."""
    return _words(text)


def _expand(words: Iterable[str]) -> frozenset[str]:
    synonyms = _vocabulary()[0]
    out = set(words)
    for w in list(out):
        out |= synonyms.get(w, frozenset())
    return frozenset(out)


def _class_words(ref: str) -> frozenset[str]:
    return _words(ref.rpartition(":")[2].rpartition(".")[2])


# -- harvesting ------------------------------------------------------------------------------------
def harvest(world: World) -> list[Candidate]:
    """Candidate values of ``world``: its class-backend states and its records, in a stable order."""
    out: list[Candidate] = []
    for key in sorted(world.memo):
        if key.startswith("python-backend:"):
            state = world.memo[key]
            # the instance's own attributes name what they hold; the service's class name (TravelAPI) says
            # nothing about what a value is, unlike a nested object's (a File's name)
            _walk({"$obj": "", "$attrs": state} if isinstance(state, dict) else state, frozenset(), frozenset(), out)
    for entity in sorted(world.tables):
        for rid, record in sorted(world.tables[entity].items()):
            ent = _words(entity)
            out.append(Candidate(rid, _expand(ent | {"id"})))
            _walk(record, ent, frozenset(), out)
    seen: set[tuple[str, Any, frozenset[str]]] = set()
    unique = []
    for c in out:
        k = (type(c.value).__name__, c.value, c.words)
        if k not in seen:
            seen.add(k)
            unique.append(c)
    return unique


def _walk(node: Any, owner: frozenset[str], path: frozenset[str], out: list[Candidate]) -> None:
    if isinstance(node, list):
        for item in node:
            _walk(item, owner, path, out)
        return
    if not isinstance(node, dict):
        _leaf(node, owner | path, out)
        return
    if "$obj" in node:
        cls = _class_words(str(node["$obj"]))
        for attr, value in sorted((node.get("$attrs") or {}).items()):
            if not attr.startswith("_") or isinstance(value, (dict, list)):
                _walk(value, cls, _words(attr), out)
        return
    if "$tuple" in node or "$set" in node:
        _walk(node.get("$tuple", node.get("$set")), owner, path, out)
        return
    if "$dict" in node:
        pairs = [(k, v) for k, v in node["$dict"] if isinstance(k, (str, int)) and not isinstance(k, bool)]
    elif any(str(k).startswith("$") for k in node):
        return  # $ref, $random, $datetime, ...: nothing to name
    else:
        pairs = sorted(node.items())
    if _is_collection(pairs):
        for k, value in pairs:
            # a collection is keyed by what names its items: contents["notes.txt"] -> File
            if isinstance(value, dict) and "$obj" in value:
                _leaf(k, _class_words(str(value["$obj"])) | path | {"name", "id"}, out)
            else:
                _leaf(k, owner | path | ({"name", "id"} if isinstance(value, (dict, list)) else {"key"}), out)
            _walk(value, owner, path, out)
        return
    for k, value in pairs:  # a record: its keys name fields
        if isinstance(k, str) and k.startswith("_") and not isinstance(value, (dict, list)):
            continue
        kw = _words(str(k))
        _walk(value, owner, (path | kw) if isinstance(value, (dict, list)) else (kw or path), out)


_FIELD = re.compile(r"^_*[a-z][a-zA-Z0-9_]*$")


def _is_collection(pairs: Sequence[tuple[Any, Any]]) -> bool:
    """Keys that are data (names, ids), not field names: their items are all containers, or some key
    is a field name (a lower-case identifier)."""
    if not pairs:
        return False
    if all(isinstance(v, dict) and "$obj" in v for _, v in pairs):
        return True
    if all(isinstance(v, (dict, list)) for _, v in pairs) and len(pairs) > 1:
        return True
    return not any(isinstance(k, str) and _FIELD.match(k) for k, _ in pairs)


def _leaf(value: Any, words: frozenset[str], out: list[Candidate]) -> None:
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, str) and not (0 < len(value) <= _MAX_TEXT and value.strip() == value):
        return
    if isinstance(value, (str, int, float)):
        out.append(Candidate(value, _expand(words)))



def containers(world: World, text: str) -> set[str]:
    """Keys of the collections that hold a value ``text`` names, in the states of ``world``'s class backends
    ("No such file: notes.txt" -> the folder whose contents hold ``notes.txt``): the nearest one per place."""
    named = {str(c.value) for c in harvest(world) if isinstance(c.value, str) and len(c.value) >= 3
             and c.value in text}
    out: set[str] = set()
    if named:
        for key in sorted(world.memo):
            if key.startswith("python-backend:"):
                _holders(world.memo[key], named, None, out)
    return out - named


def _holders(node: Any, named: set[str], holder: str | None, out: set[str]) -> None:
    if isinstance(node, list):
        for item in node:
            _holders(item, named, holder, out)
    elif isinstance(node, dict):
        raw = node["$dict"] if "$dict" in node else list(node.items())
        pairs = [(p[0], p[1]) for p in raw if isinstance(p, (list, tuple)) and len(p) == 2]
        data = _is_collection([(k, v) for k, v in pairs if not str(k).startswith("$")])
        for k, v in pairs:
            if isinstance(k, str) and k in named and holder is not None:
                out.add(holder)
            # a collection's key (a folder's name) holding a container is the holder of what lies inside
            inner = k if data and isinstance(k, str) and isinstance(v, (dict, list)) else holder
            _holders(v, named, inner, out)
    elif isinstance(node, str) and node in named and holder is not None:
        out.add(holder)


# -- values earlier steps showed -------------------------------------------------------------------
def shown(tool: ToolSpec, args: Mapping[str, Any], content: Any) -> list[Candidate]:
    """Candidates from a call a plan makes: its result's values with the words of their key path and of
    ``tool``'s entity, and its arguments with the words of their parameters; all marked as shown."""
    entity = profile_tool(tool).entity
    out: list[Candidate] = []
    if not weak(content):  # what the tool works on, else its name (list_all_airports)
        _walk(content, _words(entity) if entity else _words(tool.name), frozenset(), out)
    for param, value in sorted(args.items()):
        _walk(value, frozenset(), _words(param), out)
    return [Candidate(c.value, c.words, shown=True) for c in out]


# -- values descriptions enumerate -----------------------------------------------------------------
_OPTIONS = re.compile(r"(?:\boptions(?:\s+are)?|\[enum\]|\bchoices(?:\s+are)?)\s*:\s*(?P<items>[^.;\n]+)", re.I)
#: longest enumerated option worth offering
_MAX_OPTION = 40


def described(tools: Iterable[ToolSpec]) -> list[Candidate]:
    """Values the descriptions of ``tools``' parameters enumerate, each with the words of its parameter, so
    a parameter of the same meaning elsewhere (``travel_class`` of a booking) can take them."""
    out: list[Candidate] = []
    seen: set[tuple[str, frozenset[str]]] = set()
    for tool in sorted(tools, key=lambda t: t.name):
        for param, schema in sorted(tool.properties.items()):
            if not isinstance(schema, dict):
                continue
            found = _OPTIONS.search(str(schema.get("description", "")))
            if found is None:
                continue
            words = _words(param)
            for item in found.group("items").split(","):
                value = item.strip().strip("'\"` ")
                if value and len(value) <= _MAX_OPTION and (value, words) not in seen:
                    seen.add((value, words))
                    out.append(Candidate(value, words, exact=True))
    return out


_KEY = re.compile(r"(?:^|\s)-\s*(?P<key>[A-Za-z_][A-Za-z0-9_]*)\s*\((?P<type>str|string|int|integer|float|number)\)"
                  r"\s*:?\s*(?P<desc>[^\n]*?)(?=\s+-\s*[A-Za-z_][A-Za-z0-9_]*\s*\(|$)")
_KEY_TYPES = {"str": "string", "int": "integer", "float": "number"}


def described_keys(schema: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The keys a free-form object parameter's description names, each with its own schema
    ("- status (str): [Optional] New status for the ticket." -> ``status``: a string); {} for other
    parameters."""
    if schema.get("type") != "object" or schema.get("properties"):
        return {}
    out: dict[str, dict[str, Any]] = {}
    for m in _KEY.finditer(str(schema.get("description", ""))):
        kind = _KEY_TYPES.get(m.group("type"), m.group("type"))
        desc = re.sub(r"\[(?:optional|required)\]\s*", "", m.group("desc"), flags=re.I).strip()
        out.setdefault(m.group("key"), {"type": kind, "description": desc})
    return out


# -- results that say nothing ----------------------------------------------------------------------
_NOTHING = frozenset({"", "unknown", "none", "null", "n/a", "not found", "nan"})


def weak(content: Any) -> bool:
    """True when a successful result says nothing real: "Unknown", an empty list or mapping, 0 matches,
    or a record whose every field is such a value. A yes/no answer and a bare ``None`` (done) are real."""
    if content is None or isinstance(content, bool):
        return False
    return _empty(content)


def _empty(node: Any) -> bool:
    if isinstance(node, bool):
        return False
    if node is None:
        return True
    if isinstance(node, (list, tuple)):
        return all(_empty(v) for v in node)
    if isinstance(node, dict):
        return all(_empty(v) for v in node.values())
    if isinstance(node, (int, float)):
        return node == 0
    return isinstance(node, str) and node.strip().lower() in _NOTHING
