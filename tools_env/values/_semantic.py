"""Semantic value types beyond a field's last word: what compound names and descriptions
say a field holds (an airline's name, a gate, a market capitalisation, a loan's rate and
term, a product, a search phrase, a file path), with ranges a reader would believe.

:func:`semantic_provider` is asked first; it answers only for the names and descriptions
it recognizes, so :func:`provider_for_name` keeps everything else. Vocabulary is data:
``tools_env/data/values.yaml``; text values by meaning (a ticket's subject, a comment, a reason)
are composed from the parts in ``tools_env/values/data/phrases.yaml``.
"""

from __future__ import annotations

import functools
import random
import re
from importlib import resources
from typing import Any

import yaml

from turnloom.tools_env.values._providers import (
    IATA,
    Maker,
    Provider,
    _pick,
    provider_for_name,
    tokens,
)

__all__ = ["compose", "described_options", "field_provider", "provider_for_field", "semantic_provider"]


@functools.lru_cache(maxsize=1)
def _words() -> dict[str, list[str]]:
    text = (resources.files("turnloom.tools_env") / "data" / "values.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)  # type: ignore[no-any-return]


@functools.lru_cache(maxsize=1)
def _phrases() -> dict[str, dict[str, Any]]:
    text = (resources.files("turnloom.tools_env.values") / "data" / "phrases.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError("tools_env/values/data/phrases.yaml: expected a mapping of phrase kinds")
    return data


_PART = re.compile(r"\{(\w+)\}")


def compose(kind: str, rng: random.Random) -> str:
    """A text value of one kind (``subject``, ``comment``, ``reason``...) composed from the parts of
    ``phrases.yaml``: a pattern, each ``{part}`` filled from its list (``{Part}`` capitalized)."""
    spec = _phrases()[kind]

    def _fill(m: re.Match[str]) -> str:
        key = m.group(1)
        said = str(rng.choice(spec[key.lower()]))
        return said[:1].upper() + said[1:] if key[:1].isupper() else said

    return _PART.sub(_fill, str(rng.choice(spec["patterns"])))


@functools.cache
def _phrase_provider(kind: str) -> Provider:
    """The provider of one phrase kind of phrases.yaml (one object per kind)."""
    return Provider(f"phrase:{kind}", {"string": lambda fake, rng, name: compose(kind, rng)})


@functools.lru_cache(maxsize=1)
def _phrase_fields() -> dict[str, Provider]:
    """Last name token -> the provider of the phrase kind that token calls for."""
    out: dict[str, Provider] = {}
    for kind, spec in _phrases().items():
        provider = _phrase_provider(kind)
        for token in spec.get("fields", ()):
            out.setdefault(str(token), provider)
    return out


def _choice(key: str) -> Maker:
    return lambda fake, rng, name: rng.choice(_words()[key])


def _floats(lo: float, hi: float, digits: int = 2) -> dict[str, Maker]:
    def number(fake: Any, rng: random.Random, name: str) -> float:
        return round(rng.uniform(lo, hi), digits)

    return {"number": number, "integer": lambda f, r, n: r.randint(int(lo), int(hi)),
            "string": lambda f, r, n: str(number(f, r, n))}


def _ints(lo: int, hi: int) -> dict[str, Maker]:
    return {"integer": lambda f, r, n: r.randint(lo, hi), "number": lambda f, r, n: r.randint(lo, hi),
            "string": lambda f, r, n: str(r.randint(lo, hi))}


def _product(fake: Any, rng: random.Random, name: str) -> str:
    return f"{rng.choice(_words()['product_adjectives'])} {rng.choice(_words()['product_nouns'])}"


def _hotel(fake: Any, rng: random.Random, name: str) -> str:
    return f"{rng.choice(_words()['hotel_words'])} {fake.city()} Hotel"


def _restaurant(fake: Any, rng: random.Random, name: str) -> str:
    return f"{rng.choice(_words()['restaurant_words'])} & {rng.choice(_words()['restaurant_words'])}"


def _path(fake: Any, rng: random.Random, name: str) -> str:
    return f"{rng.choice(_words()['file_folders'])}/{rng.choice(_words()['file_names'])}"


def _reference(prefix: str) -> Maker:
    def make(fake: Any, rng: random.Random, name: str) -> str:
        letters = "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(2))
        return f"{prefix}-{letters}{rng.randint(10000, 99999)}"
    return make


def _gate(fake: Any, rng: random.Random, name: str) -> str:
    return f"{rng.choice('ABCDEF')}{rng.randint(1, 40)}"


P = Provider
AIRLINE = P("airline", {"string": _choice("airlines")})
AIRPORT_NAME = P("airport_name", {"string": _choice("airports")})
GATE = P("gate", {"string": _gate})
TERMINAL = P("terminal", {"string": lambda f, r, n: str(r.randint(1, 5)), "integer": lambda f, r, n: r.randint(1, 5)})
PRODUCT = P("product", {"string": _product})
HOTEL = P("hotel", {"string": _hotel})
RESTAURANT = P("restaurant", {"string": _restaurant})
SEARCH = P("search", {"string": _choice("search_words")})
PATH = P("path", {"string": _path})
MARKET_CAP = P("market_cap", _floats(2e8, 2.5e12, 0))
LOAN_RATE = P("interest_rate", _floats(1.5, 12.0))
FX_RATE = P("exchange_rate", _floats(0.2, 1.8, 4))
TERM_YEARS = P("years", _ints(1, 30))
EXPERIENCE = P("years", _ints(0, 40))
PERCENT = P("percent", _floats(0, 100, 1))
TEMPERATURE = P("temperature", _floats(-15, 38, 1))
POPULATION = P("population", _ints(2_000, 9_000_000))
CAPACITY = P("capacity", _ints(2, 400))
SHARES = P("shares", _ints(1, 500))
VOLUME = P("volume", _ints(10_000, 50_000_000))
STOCK_PRICE = P("stock_price", _floats(5, 900))
ORDER_REF = P("order_reference", {"string": _reference("ORD")})
SPECIALTY = P("specialty", {"string": _choice("specialties")})
INSURER = P("insurer", {"string": _choice("insurers")})
PHARMACY = P("pharmacy", {"string": _choice("pharmacies")})
BOOKING_REF = P("booking_reference", {"string": _reference("BK")})
TRACKING = P("tracking_number", {"string": _reference("TRK")})

#: (all of these tokens, provider); the first entry whose tokens a name has wins
_COMPOUND: tuple[tuple[frozenset[str], Provider], ...] = tuple((frozenset(k.split()), p) for k, p in (
    ("airline code", IATA), ("carrier code", IATA), ("airport name", AIRPORT_NAME),
    ("airline", AIRLINE), ("carrier", AIRLINE), ("gate", GATE), ("terminal", TERMINAL),
    ("market cap", MARKET_CAP), ("market capitalization", MARKET_CAP), ("market capitalisation", MARKET_CAP),
    ("marketcap", MARKET_CAP), ("interest rate", LOAN_RATE), ("apr", LOAN_RATE), ("annual rate", LOAN_RATE),
    ("loan rate", LOAN_RATE), ("mortgage rate", LOAN_RATE), ("exchange rate", FX_RATE), ("fx rate", FX_RATE),
    ("conversion rate", FX_RATE), ("term years", TERM_YEARS), ("loan term", TERM_YEARS),
    ("years", TERM_YEARS), ("experience", EXPERIENCE), ("product name", PRODUCT), ("product title", PRODUCT),
    ("item name", PRODUCT), ("product", PRODUCT), ("hotel name", HOTEL), ("restaurant name", RESTAURANT),
    ("query", SEARCH), ("search", SEARCH), ("keyword", SEARCH), ("keywords", SEARCH), ("q", SEARCH),
    ("file path", PATH), ("filepath", PATH), ("path", PATH), ("percentage", PERCENT), ("percent", PERCENT),
    ("temp", TEMPERATURE), ("celsius", TEMPERATURE), ("fahrenheit", TEMPERATURE), ("high c", TEMPERATURE),
    ("low c", TEMPERATURE), ("population", POPULATION), ("capacity", CAPACITY), ("shares", SHARES),
    ("trading volume", VOLUME), ("stock price", STOCK_PRICE), ("share price", STOCK_PRICE),
    ("order reference", ORDER_REF), ("order number", ORDER_REF), ("order ref", ORDER_REF),
    ("booking reference", BOOKING_REF), ("booking ref", BOOKING_REF), ("reservation reference", BOOKING_REF),
    ("tracking number", TRACKING), ("tracking code", TRACKING),
    ("specialty", SPECIALTY), ("speciality", SPECIALTY), ("insurance provider", INSURER), ("insurer", INSURER),
    ("insurance company", INSURER), ("pharmacy name", PHARMACY), ("pharmacy", PHARMACY),
))
#: tokens of a name so generic that its description says more ("value", "name", "code")
_GENERIC = frozenset({"value", "name", "code", "amount", "number", "text", "data", "field", "result", "info", "rate"})
_STOP = frozenset({"the", "a", "an", "of", "in", "for", "to", "and", "or", "e", "g", "eg", "is", "this", "that"})


@functools.lru_cache(maxsize=8192)
def semantic_provider(name: str) -> Provider | None:
    """The provider that a compound name calls for (``airline`` as a name, not a code;
    ``term_years`` as a count of years), or None."""
    parts = set(tokens(name))
    if not parts:
        return None
    if "id" in parts or "ids" in parts or "url" in parts or "uri" in parts:
        return None
    for need, provider in _COMPOUND:
        if need <= parts:
            return provider
    return _phrase_fields().get(tokens(name)[-1])


@functools.lru_cache(maxsize=1)
def _described() -> tuple[tuple[tuple[str, ...], frozenset[str], Provider], ...]:
    """(description phrases, name tokens, provider) of the phrase kinds a description calls for
    (``described`` in phrases.yaml): "Why the ticket needs escalation." asks for an escalation reason,
    not a cancellation's."""
    out = []
    for kind, spec in _phrases().items():
        said = tuple(str(d).lower() for d in spec.get("described", ()))
        if said:
            out.append((said, frozenset(str(f) for f in spec.get("names", ())),
                        _phrase_provider(kind)))
    return tuple(out)


def _described_kind(name: str, description: str) -> Provider | None:
    lowered, parts = f" {description.lower()} ", set(tokens(name))
    for said, names, provider in _described():
        if (not names or names & parts) and any(f" {d}" in lowered for d in said):
            return provider
    return None


@functools.lru_cache(maxsize=8192)
def field_provider(name: str, description: str = "") -> Provider | None:
    """The provider for a field: a text kind its description asks for ("Why the ticket needs
    escalation."), its compound name, then its last words, then, for a name that says little
    (``value``, ``code``), what its description says it holds."""
    if description:
        described = _described_kind(name, description)
        if described is not None:
            return described
    found = semantic_provider(name) or provider_for_name(name)
    parts = set(tokens(name))
    if description and (found is None or parts <= _GENERIC):
        words = [w for w in tokens(description)[:12] if w not in _STOP]
        for size in (2, 1):
            for i in range(len(words) - size + 1):
                phrase = "_".join(words[i:i + size])
                hit = semantic_provider(phrase) or (provider_for_name(phrase) if size == 1 else None)
                if hit is not None and hit.key not in ("sentence", "word", "name", "code", "number"):
                    return hit
    return found


#: a quoted value: a word or a short phrase without commas or quotes
_QUOTED = r"""(?<![\w'"])['"]([A-Za-z0-9][\w .:/+-]{0,30}?)['"]"""
#: two or more quoted values, the last joined by "or": "'miles' or 'kilometers'", "'High', 'Medium', or 'Low'"
_OPTIONS = re.compile(rf"{_QUOTED}(?:\s*,\s*{_QUOTED})*\s*,?\s+or\s+{_QUOTED}")
#: words before quoted examples or formats (in the same sentence) rather than the values allowed
_EXAMPLES = re.compile(r"such as|\be\.g\b|for instance|\bformat|\blike\b|\bexample", re.I)


@functools.lru_cache(maxsize=8192)
def described_options(description: str) -> tuple[str, ...]:
    """The values a description says a free-text field takes ("Can be 'delete' or 'add'.", "'miles' or
    'kilometers'"); empty when it lists none, or only examples and formats ("such as 'Berkeley, CA'",
    "in the format of 'City, State' or 'City'")."""
    for m in _OPTIONS.finditer(description):
        before = description[:m.start()]
        if _EXAMPLES.search(before[-40:]) or _EXAMPLES.search(before.rsplit(". ", 1)[-1]):
            continue
        options = tuple(dict.fromkeys(re.findall(_QUOTED, m.group(0))))
        if len(options) >= 2:
            return options
    return ()


@functools.lru_cache(maxsize=1024)
def _options_provider(options: tuple[str, ...]) -> Provider:
    return Provider(key="options", makes=_pick(options))


def provider_for_field(name: str, schema: Any) -> Provider | None:
    """:func:`field_provider` for a field named ``name`` with this schema (its description); a plain
    string field whose description lists its values takes one of them."""
    described = schema.get("description") if isinstance(schema, dict) else None
    if isinstance(described, str) and schema.get("type", "string") == "string" \
            and not {"enum", "const", "pattern", "format"} & set(schema):
        options = described_options(described)
        if options:
            return _options_provider(options)
    return field_provider(name, described if isinstance(described, str) else "")
