"""Schema-building helpers and the field-vocabulary DSL of the built-in API pool.

A :class:`Domain` owns a vocabulary: field name -> JSON Schema, falling back to
:data:`COMMON` for fields every domain shares (``city``, ``email``, ``currency``,
``amount``...). Tools then name their parameters and returned fields by
vocabulary key, so a field means the same thing (same type, format and
description) wherever it appears. That consistency is what the tool graph's
similarity edges and the mock environment's id flow rely on.

Field specs are whitespace-separated tokens:

* ``name``       the vocabulary field ``name``;
* ``name*``      in parameters: a required parameter;
* ``name?``      in returns: a field that may be absent (not in ``required``);
* ``name=key``   a field called ``name`` with the schema of vocabulary key ``key``.

Every helper returns a fresh dict, so tools never share schema objects.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

Schema = dict[str, Any]

__all__ = [
    "COMMON",
    "Domain",
    "Schema",
    "array",
    "boolean",
    "date",
    "datetime",
    "email",
    "enum",
    "ident",
    "integer",
    "nullable",
    "number",
    "obj",
    "record",
    "ref",
    "string",
    "uri",
]


# ---------------------------------------------------------------- schema helpers


def string(description: str, **kw: Any) -> Schema:
    return {"type": "string", "description": description, **kw}


def integer(description: str, **kw: Any) -> Schema:
    return {"type": "integer", "description": description, **kw}


def number(description: str, **kw: Any) -> Schema:
    return {"type": "number", "description": description, **kw}


def boolean(description: str, **kw: Any) -> Schema:
    return {"type": "boolean", "description": description, **kw}


def enum(description: str, values: Sequence[str] | str, **kw: Any) -> Schema:
    """A string enum; ``values`` may be a list or a whitespace-separated string."""
    items = values.split() if isinstance(values, str) else list(values)
    return {"type": "string", "description": description, "enum": items, **kw}


def array(description: str, items: Schema, **kw: Any) -> Schema:
    return {"type": "array", "description": description, "items": items, **kw}


def record(properties: dict[str, Schema], required: Sequence[str] | None = None) -> Schema:
    """An object schema without a description (array items); every key required unless told."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else list(required),
    }


def obj(description: str, properties: dict[str, Schema], required: Sequence[str] | None = None) -> Schema:
    """A described nested object; every key required unless told."""
    return {"type": "object", "description": description, **record(properties, required)}


def nullable(schema: Schema) -> Schema:
    """The same field, allowing null (``anyOf`` with a null branch)."""
    inner = {k: v for k, v in schema.items() if k != "description"}
    return {"description": schema["description"], "anyOf": [inner, {"type": "null"}]}


def ref(name: str, description: str) -> Schema:
    """A reference to ``$defs/<name>`` of the same returns schema."""
    return {"$ref": f"#/$defs/{name}", "description": description}


def date(description: str = "Date in YYYY-MM-DD format.") -> Schema:
    return string(description, format="date")


def datetime(description: str) -> Schema:
    return string(description, format="date-time")


def email(description: str = "Email address of the customer.") -> Schema:
    return string(description, format="email")


def uri(description: str) -> Schema:
    return string(description, format="uri")


def ident(description: str) -> Schema:
    return string(description, minLength=1, maxLength=64)


def money(description: str) -> Schema:
    return number(description, minimum=0)


HHMM = "^([01][0-9]|2[0-3]):[0-5][0-9]$"

#: fields shared by every domain (a domain's own vocabulary takes precedence)
COMMON: dict[str, Schema] = {
    "city": string("City name, e.g. 'Lisbon'.", minLength=2, maxLength=85),
    "country_code": string("ISO 3166-1 alpha-2 country code, e.g. 'US'.", pattern="^[A-Z]{2}$"),
    "currency": string("ISO 4217 currency code, e.g. 'USD'.", pattern="^[A-Z]{3}$"),
    "amount": money("Amount of money in the given currency."),
    "price": money("Price in the given currency."),
    "total_price": money("Total price in the given currency."),
    "refund_amount": money("Amount refunded to the original payment method."),
    "cancellation_fee": money("Fee charged for cancelling."),
    "max_price": money("Maximum price in the given currency."),
    "email": email(),
    "phone": string("Phone number in international format, e.g. '+14155550123'.",
                    pattern=r"^\+?[0-9 ()-]{7,20}$"),
    "address": string("Street address, e.g. '221B Baker Street, London'.", minLength=3, maxLength=200),
    "latitude": number("Latitude in decimal degrees.", minimum=-90, maximum=90),
    "longitude": number("Longitude in decimal degrees.", minimum=-180, maximum=180),
    "language": string("Language code (ISO 639-1, optionally with region), e.g. 'en' or 'pt-BR'.",
                       pattern="^[a-z]{2}(-[A-Z]{2})?$"),
    "date": date(),
    "start_date": date("Start of the date range, in YYYY-MM-DD format."),
    "end_date": date("End of the date range, in YYYY-MM-DD format."),
    "time": string("Local time in HH:MM (24-hour) format, e.g. '19:30'.", pattern=HHMM),
    "created_at": datetime("When the record was created."),
    "updated_at": datetime("When the record was last updated."),
    "query": string("Free-text search terms.", minLength=1, maxLength=200),
    "limit": integer("Maximum number of results to return.", minimum=1, maximum=50, default=10),
    "total_results": integer("Total number of matching results.", minimum=0),
    "rating": number("Average rating from 0 to 5.", minimum=0, maximum=5),
    "review_count": integer("Number of reviews.", minimum=0),
    "min_rating": number("Only results rated at least this, from 0 to 5.", minimum=0, maximum=5),
    "reason": string("Short reason given by the user.", maxLength=300),
    "comment": string("Optional free-text comment.", maxLength=1000),
    "deleted": boolean("Whether the record was deleted."),
    "removed": boolean("Whether the item was removed."),
    "confirmation_code": string("Confirmation code to quote to the provider.", pattern="^[A-Z0-9]{6,8}$"),
    "full_name": string("Full name of the person.", minLength=2, maxLength=100),
    "title": string("Title.", minLength=1, maxLength=200),
    "name": string("Display name.", minLength=1, maxLength=100),
    "description": string("Short description.", maxLength=2000),
    "url": uri("Web address."),
}


# ---------------------------------------------------------------- the DSL


class Domain:
    """The tools of one domain and the field vocabulary they are written in."""

    def __init__(self, domain: str, /, **vocab: Schema) -> None:
        self.name = domain
        self.vocab: dict[str, Schema] = dict(vocab)
        self.tools: list[dict[str, Any]] = []

    def define(self, **vocab: Schema) -> None:
        """Add vocabulary entries (typically records built from earlier ones)."""
        self.vocab.update(vocab)

    def field(self, key: str, overrides: dict[str, Schema] | None = None) -> Schema:
        if overrides and key in overrides:
            return copy.deepcopy(overrides[key])
        if key in self.vocab:
            return copy.deepcopy(self.vocab[key])
        if key in COMMON:
            return copy.deepcopy(COMMON[key])
        raise KeyError(f"{self.name}: unknown field {key!r}")

    def fields(
        self, spec: str, overrides: dict[str, Schema] | None = None
    ) -> tuple[dict[str, Schema], list[str]]:
        """Properties and required names of a field spec (see the module docstring)."""
        props: dict[str, Schema] = {}
        required: list[str] = []
        for token in spec.split():
            bare = token.rstrip("*?")
            name, _, key = bare.partition("=")
            props[name] = self.field(key or name, overrides)
            if token.endswith("*"):
                required.append(name)
        return props, required

    def rec(self, spec: str) -> Schema:
        """An object record (array item) of vocabulary fields; ``?`` marks optional ones."""
        props, _ = self.fields(spec)
        return record(props, [t.rstrip("*?").partition("=")[0] for t in spec.split() if not t.endswith("?")])

    def records(self, description: str, spec: str, **kw: Any) -> Schema:
        """An array of :meth:`rec` records."""
        return array(description, self.rec(spec), **kw)

    def add(
        self,
        name: str,
        description: str,
        tags: str,
        params: str,
        returns: str,
        /,
        *,
        defs: dict[str, Schema] | None = None,
        **overrides: Schema,
    ) -> None:
        """Add one tool; ``tags`` is comma-separated, ``overrides`` replace vocabulary fields for it."""
        p_props, p_required = self.fields(params, overrides)
        r_props, _ = self.fields(returns, overrides)
        r_required = [t.rstrip("*?").partition("=")[0] for t in returns.split() if not t.endswith("?")]
        out: Schema = {"type": "object", "properties": r_props, "required": r_required}
        if defs:
            out["$defs"] = copy.deepcopy(defs)
        self.tools.append(
            {
                "name": name,
                "description": description,
                "parameters": {"type": "object", "properties": p_props, "required": p_required},
                "returns": out,
                "domain": self.name,
                "tags": [t.strip() for t in tags.split(",") if t.strip()],
            }
        )
