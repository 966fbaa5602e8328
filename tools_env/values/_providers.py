"""Realistic values by field name and by ``format``: the providers behind :mod:`.values`.

A :class:`Provider` knows how to make a value of one or more JSON types (its first
is its natural type) from a seeded Faker and a seeded ``random.Random``. Names are
matched case-insensitively by token (``departureCity`` and ``departure_city`` both
end in ``city``); strong tokens (``email``, ``phone``, ``url``...) win wherever they
stand, so ``email_address`` is an email and ``phone_number`` a phone number.

Dates and times are drawn from the seeded ``random.Random`` over a fixed window
(never relative to today), so output does not change with the calendar.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
import re
import string
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Provider", "id_prefix", "provider_for_format", "provider_for_name", "singular", "sized_format", "tokens",
]

Maker = Callable[[Any, random.Random, str], Any]

_EPOCH = dt.datetime(2023, 1, 1, tzinfo=dt.timezone.utc)
_WINDOW_S = 4 * 365 * 86400
_STATUSES = ("active", "pending", "confirmed", "completed", "cancelled")
_LANGUAGES = ("en", "fr", "de", "es", "it", "pt", "nl", "ja", "zh", "ko", "ar", "hi", "ru", "sv", "pl")
_CURRENCIES = ("USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "CNY", "INR", "SEK", "NZD", "SGD")
_AIRPORTS = ("JFK", "LAX", "SFO", "ORD", "ATL", "LHR", "CDG", "FRA", "AMS", "MAD", "NRT", "HND", "SIN",
             "DXB", "SYD", "YYZ", "BOS", "SEA", "MIA", "DEN", "MUC", "ZRH", "FCO", "IST", "ICN")
_AIRLINES = ("UA", "AA", "DL", "BA", "LH", "AF", "KL", "EK", "SQ", "QF", "AC", "NH")
_ORG_SUFFIX = {"hotel": ("Hotel", "Inn", "Suites", "Resort"), "restaurant": ("Bistro", "Grill", "Kitchen"),
               "airline": ("Airways", "Airlines", "Air"), "store": ("Market", "Store", "Outfitters"),
               "shop": ("Shop", "Boutique", "Store")}
_COMPANY_WORDS = frozenset({"company", "business", "organization", "organisation", "vendor", "merchant",
                            "brand", "employer", "org", "supplier", "provider", "carrier", "agency"})
_THING_WORDS = frozenset({"product", "item", "event", "project", "team", "app", "course", "playlist", "album",
                          "book", "movie", "film", "song", "track", "show", "recipe", "task", "campaign",
                          "article", "post", "channel", "package", "plan", "service"})
_BOOL_PREFIXES = frozenset({"is", "has", "can", "should", "allow", "allows", "enable", "enabled", "include",
                            "requires", "needs", "was", "did"})


@dataclass(frozen=True, slots=True)
class Provider:
    """Makes values for one kind of field; ``makes`` maps a JSON type to a maker."""

    key: str
    makes: dict[str, Maker]
    fmt: str | None = None

    @property
    def natural(self) -> str:
        return next(iter(self.makes))


@functools.lru_cache(maxsize=4096)
def tokens(name: str) -> tuple[str, ...]:
    """``departureCityName`` / ``departure-city_name`` -> ``("departure", "city", "name")``."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", spaced)
    return tuple(t for t in re.split(r"[^a-zA-Z0-9]+", spaced.lower()) if t)


def singular(name: str) -> str:
    """A naive singular of a (plural) field name, for the items of an array."""
    for plural, single in (("ies", "y"), ("sses", "ss"), ("xes", "x"), ("ches", "ch"), ("shes", "sh")):
        if name.endswith(plural):
            return name[: -len(plural)] + single
    if name.endswith("s") and not name.endswith(("ss", "us", "is")) and len(name) > 3:
        return name[:-1]
    return name


@functools.lru_cache(maxsize=4096)
def id_prefix(name: str) -> str:
    """``booking_id`` -> ``BK``, ``flight_booking_id`` -> ``FB``, ``id`` -> ``ID``."""
    words = [t for t in tokens(name) if t not in ("id", "ids")] or ["id"]
    if len(words) > 1:
        return "".join(w[0] for w in words[-3:]).upper()
    word = words[0]
    consonant = next((ch for ch in word[1:] if ch.isalpha() and ch not in "aeiou" and ch != word[0]), None)
    return (word[0] + (consonant or word[1:2] or "X")).upper()


# --- makers --------------------------------------------------------------------------------------------


def _moment(rng: random.Random) -> dt.datetime:
    return _EPOCH + dt.timedelta(seconds=rng.randrange(_WINDOW_S))


def _iso_date(fake: Any, rng: random.Random, name: str) -> str:
    if any(t in ("birth", "birthday", "dob", "born") for t in tokens(name)):
        return dt.date(rng.randint(1950, 2005), rng.randint(1, 12), rng.randint(1, 28)).isoformat()
    return _moment(rng).date().isoformat()


def _iso_datetime(fake: Any, rng: random.Random, name: str) -> str:
    return _moment(rng).strftime("%Y-%m-%dT%H:%M:%SZ")


def _epoch(fake: Any, rng: random.Random, name: str) -> int:
    return int(_moment(rng).timestamp())


def _clock(fake: Any, rng: random.Random, name: str) -> str:
    return f"{rng.randint(6, 22):02d}:{rng.choice((0, 15, 30, 45)):02d}"


def _time_fmt(fake: Any, rng: random.Random, name: str) -> str:
    return f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"


def _duration_fmt(fake: Any, rng: random.Random, name: str) -> str:
    return rng.choice((f"PT{rng.randint(1, 12)}H", f"P{rng.randint(1, 14)}D", f"PT{rng.randint(5, 90)}M"))


def _full_name(fake: Any, rng: random.Random, name: str) -> str:
    parts = set(tokens(name))
    suffix = next((s for word, s in _ORG_SUFFIX.items() if word in parts), None)
    if suffix:
        return f"{fake.last_name()} {rng.choice(suffix)}"
    if parts & _COMPANY_WORDS:
        return str(fake.company())
    if parts & _THING_WORDS:
        return " ".join(fake.words(rng.randint(2, 3))).title()
    return f"{fake.first_name()} {fake.last_name()}"


def _title(fake: Any, rng: random.Random, name: str) -> str:
    if set(tokens(name)) & _THING_WORDS:
        return " ".join(fake.words(rng.randint(2, 4))).title()
    return str(fake.job())


def _record_id(fake: Any, rng: random.Random, name: str) -> str:
    return f"{id_prefix(name)}-{rng.randint(10000, 99999)}"


def _uuid(fake: Any, rng: random.Random, name: str) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _ipv4(fake: Any, rng: random.Random, name: str) -> str:
    return f"{rng.randint(11, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def _ipv6(fake: Any, rng: random.Random, name: str) -> str:
    return ":".join(f"{rng.getrandbits(16):x}" for _ in range(8))


def _money(lo: float, hi: float) -> dict[str, Maker]:
    def number(fake: Any, rng: random.Random, name: str) -> float:
        return round(rng.uniform(lo, hi), 2)

    def integer(fake: Any, rng: random.Random, name: str) -> int:
        return rng.randint(int(lo), int(hi))

    def text(fake: Any, rng: random.Random, name: str) -> str:
        return f"{number(fake, rng, name):.2f}"

    return {"number": number, "integer": integer, "string": text}


def _ints(lo: int, hi: int) -> dict[str, Maker]:
    def integer(fake: Any, rng: random.Random, name: str) -> int:
        return rng.randint(lo, hi)

    return {"integer": integer, "string": lambda fake, rng, name: str(integer(fake, rng, name))}


def _floats(lo: float, hi: float, digits: int) -> dict[str, Maker]:
    def number(fake: Any, rng: random.Random, name: str) -> float:
        return round(rng.uniform(lo, hi), digits)

    return {"number": number, "string": lambda fake, rng, name: str(number(fake, rng, name))}


def _text(fn: Callable[[Any, random.Random], Any]) -> dict[str, Maker]:
    return {"string": lambda fake, rng, name: str(fn(fake, rng))}


def _pick(options: tuple[str, ...]) -> dict[str, Maker]:
    return {"string": lambda fake, rng, name: rng.choice(options)}


def _p(key: str, makes: dict[str, Maker], fmt: str | None = None) -> Provider:
    return Provider(key, makes, fmt)


def _fk(key: str, method: str, fmt: str | None = None) -> Provider:
    """A provider that asks Faker's ``method`` for a string."""
    return Provider(key, {"string": lambda fake, rng, name: str(getattr(fake, method)())}, fmt)


def _address(fake: Any, rng: random.Random, name: str) -> str:
    return f"{fake.street_address()}, {fake.city()}, {fake.state_abbr()} {fake.postcode()}"


def _image_url(fake: Any, rng: random.Random, name: str) -> str:
    return f"https://images.{fake.domain_word()}.com/{fake.word()}-{rng.randint(1, 999)}.jpg"


def _code(fake: Any, rng: random.Random, name: str) -> str:
    return "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(6))


def _rating() -> dict[str, Maker]:
    return {"number": lambda fake, rng, name: round(rng.uniform(1, 5), 1), **_ints(1, 5)}


EMAIL = _p("email", _text(lambda f, r: f"{f.user_name()}@{f.free_email_domain()}"), "email")
URL = _p("url", _text(lambda f, r: f"https://www.{f.domain_name()}/"), "uri")
IMAGE = _p("image_url", {"string": _image_url}, "uri")
UUID = _p("uuid", {"string": _uuid}, "uuid")
IPV4 = _p("ipv4", {"string": _ipv4}, "ipv4")
IPV6 = _p("ipv6", {"string": _ipv6}, "ipv6")
HOSTNAME = _fk("hostname", "domain_name", "hostname")
DATE = _p("date", {"string": _iso_date}, "date")
DATETIME = _p("date-time", {"string": _iso_datetime, "integer": _epoch}, "date-time")
TIME = _p("time", {"string": _clock})
RECORD_ID = _p("id", {"string": _record_id, "integer": lambda f, r, n: r.randint(1000, 99999)})
BOOLEAN = _p("flag", {"boolean": lambda f, r, n: r.random() < 0.6})
FIRST, LAST = _fk("first_name", "first_name"), _fk("last_name", "last_name")
NAME, USERNAME = _p("name", {"string": _full_name}), _fk("username", "user_name")
CITY, COUNTRY, STATE = _fk("city", "city"), _fk("country", "country"), _fk("state", "state")
COUNTRY_CODE, POSTCODE = _fk("country_code", "country_code"), _fk("postal_code", "postcode")
PHONE, STREET = _fk("phone", "phone_number"), _fk("street", "street_address")
COMPANY, JOB = _fk("company", "company"), _fk("job", "job")
CURRENCY, LANGUAGE = _p("currency", _pick(_CURRENCIES)), _p("language", _pick(_LANGUAGES))
IATA = _p("iata", _pick(_AIRPORTS))
SENTENCE = _p("sentence", _text(lambda f, r: f.sentence(nb_words=r.randint(6, 12))))
WORD, TIMEZONE, COLOR = _fk("word", "word"), _fk("timezone", "timezone"), _fk("color", "color_name")
FLIGHT = _p("flight", _text(lambda f, r: f"{r.choice(_AIRLINES)}{r.randint(100, 9999)}"))
MONEY = {"price": (5, 500), "amount": (5, 2000), "cost": (5, 1000), "total": (10, 3000),
         "subtotal": (10, 2500), "balance": (0, 10000), "fee": (1, 100), "fare": (40, 1500), "tax": (1, 200),
         "salary": (30000, 180000), "budget": (100, 10000), "refund": (5, 500), "deposit": (50, 2000),
         "discount": (1, 100)}
COUNT = _p("count", _ints(1, 5))

_BY_FORMAT: dict[str, Provider] = {
    "email": EMAIL, "idn-email": EMAIL, "uri": URL, "iri": URL, "url": URL, "uuid": UUID, "ipv4": IPV4,
    "ipv6": IPV6, "date": DATE, "date-time": DATETIME, "hostname": HOSTNAME,
    "time": _p("time", {"string": _time_fmt}, "time"), "duration": _p("duration", {"string": _duration_fmt}),
    "idn-hostname": _fk("hostname", "domain_name", "idn-hostname"),
    "uri-reference": _p("path", _text(lambda f, r: f"/{f.word()}/{r.randint(1, 999)}")),
    "iri-reference": _p("path", _text(lambda f, r: f"/{f.word()}/{r.randint(1, 999)}")),
    "uri-template": _p("template", _text(lambda f, r: f"https://api.{f.domain_word()}.com/{{id}}")),
    "json-pointer": _p("pointer", _text(lambda f, r: f"/{f.word()}/{r.randint(0, 9)}")),
    "relative-json-pointer": _p("rel-pointer", _text(lambda f, r: f"{r.randint(0, 3)}/{f.word()}")),
    "regex": _p("regex", _pick((r"^[a-z]+$", r"^\d{3}-\d{4}$", r"[A-Z]{2,4}", r"^\w+$"))),
}

#: whole names (and last-two-token compounds)
_EXACT: dict[str, Provider] = {
    "first_name": FIRST, "given_name": FIRST, "last_name": LAST, "family_name": LAST, "full_name": NAME,
    "user_name": USERNAME, "country_code": COUNTRY_CODE, "currency_code": CURRENCY, "language_code": LANGUAGE,
    "airport_code": IATA, "zip_code": POSTCODE, "postal_code": POSTCODE, "phone_number": PHONE,
    "street_address": STREET, "job_title": JOB, "flight_number": FLIGHT, "flight_no": FLIGHT,
    "card_number": _fk("card", "credit_card_number"), "ip_address": IPV4, "image_url": IMAGE,
    "date_time": DATETIME, "hex_color": _fk("hex_color", "hex_color"), "time_zone": TIMEZONE,
    "mime_type": _fk("mime", "mime_type"), "content_type": _fk("mime", "mime_type"),
    "file_name": _fk("file", "file_name"),
}


def _table(*groups: tuple[tuple[str, ...], Provider]) -> dict[str, Provider]:
    return {token: provider for names, provider in groups for token in names}


_IMAGE_TOKENS = ("image", "avatar", "photo", "picture", "thumbnail", "logo", "icon")
#: tokens that win wherever they stand in the name
_STRONG = _table(
    (("email", "mail"), EMAIL), (("url", "uri", "link", "website", "homepage", "href"), URL),
    (_IMAGE_TOKENS, IMAGE), (("uuid", "guid"), UUID),
    (("ip", "ipv4"), IPV4), (("ipv6",), IPV6), (("phone", "telephone", "mobile", "fax"), PHONE),
    (("iata", "airport"), IATA), (("currency",), CURRENCY), (("timestamp",), DATETIME),
    (("latitude", "lat"), _p("latitude", _floats(-90, 90, 6))),
    (("longitude", "lng", "lon"), _p("longitude", _floats(-180, 180, 6))),
    (("password",), _p("password", _text(lambda f, r: f.password(length=12)))),
    (("token",), _p("token", _text(lambda f, r: f"{r.getrandbits(128):032x}"))),
    (("hostname", "domain"), HOSTNAME),
)
#: tokens matched from the end of the name
_TOKENS = _table(
    (("username", "login", "handle"), USERNAME), (("firstname",), FIRST), (("lastname", "surname"), LAST),
    (("fullname",), NAME), (("city", "town", "origin", "destination"), CITY), (("country",), COUNTRY),
    (("nationality",), COUNTRY_CODE), (("state", "province", "region"), STATE), (("street",), STREET),
    (("address",), _p("address", {"string": _address})), (("zip", "zipcode", "postcode"), POSTCODE),
    (("company", "employer", "organization"), COMPANY), (("job", "occupation", "profession"), JOB),
    (("date", "birthday", "dob", "deadline", "checkin", "checkout"), DATE), (("datetime",), DATETIME),
    (("time",), TIME), *(((token,), _p("money", _money(lo, hi))) for token, (lo, hi) in MONEY.items()),
    (("rating", "score"), _p("rating", _rating())), (("stars",), _p("rating", _ints(1, 5))),
    (("percentage", "percent"), _p("percent", _floats(0, 100, 1))),
    (("description", "notes", "note", "comment", "comments", "message", "summary", "text", "body", "content",
      "reason", "review", "bio", "details", "instructions", "feedback", "remarks", "query"), SENTENCE),
    (("status",), _p("status", _pick(_STATUSES))), (("count",), _p("count", _ints(0, 20))),
    (("quantity", "qty", "guests", "passengers", "adults", "nights", "seats", "rooms", "people", "travelers",
      "tickets"), COUNT), (("children", "infants"), _p("count", _ints(0, 3))),
    (("age",), _p("age", _ints(18, 80))), (("year",), _p("year", _ints(1990, 2026))),
    (("month",), _p("month", _ints(1, 12))), (("duration", "minutes"), _p("duration", _ints(15, 240))),
    (("hours",), _p("hours", _ints(1, 12))), (("days",), _p("days", _ints(1, 14))),
    (("language", "lang", "locale"), LANGUAGE), (("color", "colour"), COLOR), (("timezone", "tz"), TIMEZONE),
    (("gender",), _p("gender", _pick(("female", "male", "non-binary")))),
    (("sku",), _p("sku", _text(lambda f, r: f"SKU-{r.randint(10000, 99999)}"))),
    (("isbn",), _fk("isbn", "isbn13")), (("iban",), _fk("iban", "iban")),
    (("version",),
     _p("version", _text(lambda f, r: f"{r.randint(0, 4)}.{r.randint(0, 20)}.{r.randint(1, 9)}"))),
    (("slug",), _p("slug", _text(lambda f, r: "-".join(f.words(3))))),
    (("tag", "keyword", "category", "genre", "label"), WORD),
    (("seat",), _p("seat", _text(lambda f, r: f"{r.randint(1, 40)}{r.choice('ABCDEF')}"))),
    (("weight",), _p("weight", _floats(0.5, 120, 1))), (("height",), _p("height", _floats(50, 210, 1))),
    (("distance",), _p("distance", _floats(0.5, 900, 1))),
    (("temperature",), _p("temperature", _floats(-10, 38, 1))),
)
#: generic tokens, used only when nothing more specific matched
_WEAK = _table(
    (("name",), NAME), (("title",), _p("title", {"string": _title})),
    (("code",), _p("code", {"string": _code})),
    (("number",), _p("number", _ints(100, 99999))), (("type", "kind"), WORD),
)


@functools.lru_cache(maxsize=4096)
def provider_for_name(name: str) -> Provider | None:
    """The provider a field or parameter name calls for, or None."""
    parts = tokens(name)
    if not parts:
        return None
    if parts[0] in _BOOL_PREFIXES and len(parts) > 1:
        return BOOLEAN
    joined = "_".join(parts)
    if joined in _EXACT:
        return _EXACT[joined]
    if len(parts) >= 2 and "_".join(parts[-2:]) in _EXACT:
        return _EXACT["_".join(parts[-2:])]
    if len(parts) > 1 and parts[-1] in ("at", "on"):  # created_at, renewed_on
        return DATETIME if parts[-1] == "at" else DATE
    if parts[-1] in ("id", "ids"):
        return UUID if len(parts) > 1 and parts[-2] in ("uuid", "guid") else RECORD_ID
    if any(part in _IMAGE_TOKENS for part in parts):
        return IMAGE
    for table in (_STRONG, _TOKENS, _WEAK):
        for part in reversed(parts):
            if part in table:
                return table[part]
    last = singular(parts[-1])
    if last != parts[-1]:
        return provider_for_name("_".join([*parts[:-1], last]))
    return None


def provider_for_format(fmt: str) -> Provider | None:
    """The provider for a JSON Schema ``format`` (None when unknown)."""
    return _BY_FORMAT.get(fmt)


#: format -> (text before the free part, text after it, longest free part)
_SIZED = {"email": ("", "@x.io", 64), "idn-email": ("", "@x.io", 64), "hostname": ("", ".io", 60),
          "idn-hostname": ("", ".io", 60), "uri": ("https://a.io/", "", 2000),
          "iri": ("https://a.io/", "", 2000), "url": ("https://a.io/", "", 2000)}


def sized_format(fmt: str, low: int, high: int | None, rng: random.Random) -> str | None:
    """A plain value of ``fmt`` whose length lies in [low, high], or None when there is none."""
    if fmt not in _SIZED:
        return None
    before, after, longest = _SIZED[fmt]
    fixed = len(before) + len(after)
    least = fixed + (0 if before else 1)
    most = fixed + longest if high is None else min(high, fixed + longest)
    if max(low, least) > most:
        return None
    size = rng.randint(max(low, least), min(most, max(low, least) + 8)) - fixed
    return before + "".join(rng.choice(string.ascii_lowercase) for _ in range(size)) + after
