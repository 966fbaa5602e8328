"""The offline diversity operators of tool self-evolution (ToolACE), as schema mutations.

Each operator takes a :class:`Job` (the base API, its sampled subtree, an example from
the buffer, a seeded ``random.Random``) and returns the raw data of a new API, or None
when it does not apply. Names are built from the base name's verb and entity so that
they read like real endpoints (``search_hotels_by_rating``,
``book_flight_with_seat_selection``); every new API keeps a ``returns`` schema. The
subtree-level ``combine`` step, validation and de-duplication live in :mod:`evolve`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from turnloom.tools_env.evolve._mutation_base import (
    _S,
    Job,
    Raw,
    _describe,
    _enum,
    _kw,
    _listed,
    _named,
    _results,
    _typed,
    first_sentence,
    lower_first,
    new_api,
    params_of,
    record_fields,
    returns_of,
)
from turnloom.tools_env.pool import (
    READ_VERBS,
    VERBS,
    group_key,
    phrase,
    plural,
    singular,
    verb_entity,
    words,
)

_MAKING = _kw("book create reserve place order buy schedule rent add send submit register subscribe pay")
_ORDERS = "order shipment delivery package parcel product cart item"
#: (entity words it fits, feature name, new parameters, new return fields)
_FEATURES: list[tuple[frozenset[str], str, Raw, Raw]] = [
    (_kw("flight train bus concert ticket movie show seat"), "seat_selection",
     {"seat_preference": _enum("Preferred seat position.", "window", "aisle", "middle", "no_preference")},
     {"seat_number": _typed(_S, "The seat assigned.")}),
    (_kw("hotel room stay apartment"), "room_preferences",
     {"bed_type": _enum("Bed wanted.", "single", "double", "queen", "king", "twin"),
      "high_floor": _typed("boolean", "Prefer a room on a high floor.")},
     {"room_number": _typed(_S, "The room assigned.")}),
    (_kw(_ORDERS), "gift_wrapping",
     {"gift_wrap": _typed("boolean", "Wrap the items as a gift."),
      "gift_message": _typed(_S, "Message printed on the gift card.", maxLength=300)},
     {"gift_wrap_fee": _typed("number", "Fee charged for wrapping.", minimum=0)}),
    (_kw(_ORDERS), "express_delivery",
     {"delivery_speed": _enum("How fast to deliver.", "standard", "express", "same_day")},
     {"estimated_delivery": _typed(_S, "Expected delivery day.", format="date")}),
    (_kw("appointment meeting event reservation table booking task reminder"), "reminder",
     {"remind_before_minutes": _typed("integer", "Minutes before to remind.", minimum=5, maximum=10080)},
     {"reminder_set": _typed("boolean", "Whether a reminder was scheduled.")}),
    (_kw(""), "notifications", {"notify_by": _enum("How to notify.", "email", "sms", "push", "none")},
     {"notification_sent": _typed("boolean", "Whether a notification went out.")}),
    (_kw(""), "priority", {"priority": _enum("Handling priority.", "low", "normal", "high", "urgent")}, {}),
    (_kw(""), "notes", {"notes": _typed(_S, "Free-text notes.", maxLength=500)}, {}),
]
_PAGINATION: Raw = {"page": _typed("integer", "Page number.", minimum=1, default=1),
                    "page_size": _typed("integer", "Results per page.", minimum=1, maximum=100, default=20)}


def _filter_variant(job: Job, fields: dict[str, Raw]) -> Raw | None:
    props, required = params_of(job.base)
    options = [(k, v) for k, v in fields.items()
               if isinstance(v, dict) and v.get("type") in ("string", "number", "integer", "boolean")
               and k not in props and f"min_{k}" not in props and not k.endswith("id")]
    if not options:
        return None
    field, schema = options[job.rng.randrange(len(options))]
    label, link, rest = phrase(field), "by", field
    if schema["type"] in ("number", "integer"):
        param = f"min_{field}"
        props[param] = _typed(schema["type"], f"Only results with a {label} of at least this.")
        props[param].update({k: schema[k] for k in ("minimum", "maximum") if k in schema})
    else:
        param = field
        props[param] = {k: v for k, v in schema.items() if k in ("type", "enum", "format", "pattern")}
        props[param]["description"] = f"Only results with this {label}."
        if schema["type"] == "boolean" and field.startswith(("has_", "with_", "in_", "is_")):
            link, rest = field.split("_", 1)
            link = "that_are" if link == "is" else "with" if link == "has" else link
    desc = _describe(job.base.description, f", filtered by {label}")
    name = _named(job.base.name, link, rest)
    return new_api(job, name, desc, props, [*required, param], returns_of(job.base))


def add_functionality(job: Job) -> Raw | None:
    """A filter on a returned field (searches), field selection (lookups), or a domain feature."""
    verb, entity = verb_entity(job.base.name)
    props, required = params_of(job.base)
    returns = returns_of(job.base)
    fields, listed = record_fields(returns)
    if verb in READ_VERBS and listed and job.rng.random() < 0.75:
        out = _filter_variant(job, fields)
        if out is not None:
            return out
    keys = {singular(w) for w in (*entity, *words(job.base.domain))}
    options: list[tuple[str, Raw, Raw]]
    if verb in READ_VERBS and listed:
        options = [("pagination", _PAGINATION, {})]
    elif verb in READ_VERBS:
        names = sorted(k for k in fields if k not in props)
        select = {"type": "array", "items": {"type": _S, "enum": names}, "uniqueItems": True,
                  "description": "Only return these fields (all when omitted)."}
        options = [("field_selection", {"fields": select}, {})] if len(names) > 1 else []
    else:
        makes, changes = verb in _MAKING, verb in VERBS
        options = [(n, p, r) for kw, n, p, r in _FEATURES
                   if ((makes and kw & keys) if kw else (changes if n == "notifications" else makes))]
    options = [o for o in options if not set(o[1]) & set(props)]
    if not options:
        return None
    feature, extra, extra_returns = options[job.rng.randrange(len(options))]
    props.update(copy.deepcopy(extra))
    if extra_returns and returns.get("type") == "object":
        returns.setdefault("properties", {}).update(copy.deepcopy(extra_returns))
    desc = _describe(job.base.description, f", with {phrase(feature)}")
    return new_api(job, _named(job.base.name, "with", feature), desc, props, required, returns)


# -- add parameters ---------------------------------------------------------------------------

_ENDING = _kw("delete remove cancel stop")
#: common parameters and the words (in the API's parameter and result names) they fit
_GENERIC_PARAMS: list[tuple[frozenset[str], str, Raw]] = [
    (_kw("name title description body message text query"), "language",
     _typed(_S, "Language of the answer, e.g. en.", pattern="^[a-z]{2}(-[A-Z]{2})?$")),
    (_kw("price amount cost total fee fare budget balance"), "currency",
     _typed(_S, "ISO 4217 currency for amounts.", pattern="^[A-Z]{3}$")),
    (_kw("temperature distance speed weight height wind length"), "units",
     _enum("Unit system for measurements.", "metric", "imperial")),
    (_kw("time date at datetime start end"), "timezone", _typed(_S, "IANA time zone, e.g. Europe/Paris.")),
]


def add_parameters(job: Job) -> Raw | None:
    """One or two optional parameters borrowed from APIs of the same group, or common ones."""
    props, required = params_of(job.base)
    group = group_key(job.base.name)
    taken = {singular(k) for k in props}
    pool: dict[str, Raw] = {}
    reads = verb_entity(job.base.name)[0] in READ_VERBS
    for other in [] if verb_entity(job.base.name)[0] in _ENDING else [*job.context, job.example]:
        same = group_key(other.name) == group and (verb_entity(other.name)[0] in READ_VERBS) == reads
        if other.name == job.base.name or "evolved" in other.tags or not same:
            continue
        for key, sub in other.properties.items():
            typed = isinstance(sub, dict) and sub.get("type") not in (None, "boolean")
            if typed and not key.endswith("id") and singular(key) not in taken:
                pool.setdefault(key, sub)
    verb = verb_entity(job.base.name)[0]
    if verb in _ENDING:
        pool = {} if "reason" in props else {"reason": _typed(_S, "Why this is done.", maxLength=300)}
    if not pool and verb not in _ENDING:
        ws = {w for k in [*props, *record_fields(returns_of(job.base))[0]] for w in words(k)}
        named = set(words(job.base.name))
        pool = {k: v for fits, k, v in _GENERIC_PARAMS if k not in props and k not in named and fits & ws}
    if not pool:
        return None
    names = sorted(pool)
    picked = job.rng.sample(names, k=min(len(names), job.rng.choice((1, 1, 2))))
    for key in picked:
        props[key] = copy.deepcopy(pool[key])
    extra = f"Also accepts {' and '.join(phrase(p) for p in picked)}."
    desc = _describe(job.base.description, extra=extra)
    return new_api(job, _named(job.base.name, "with", "_and_".join(picked)), desc, props, required,
                returns_of(job.base))


# -- add constraints --------------------------------------------------------------------------


#: (type, any of these words in the name, kind, keywords added, phrase); first match wins
_RULES: list[tuple[str, frozenset[str], str, Raw, str]] = [
    ("string", _kw("email"), "format", {"format": "email"}, "an email address"),
    ("string", _kw("currency"), "pattern", {"pattern": "^[A-Z]{3}$"}, "a three-letter currency code"),
    ("string", _kw("country"), "pattern", {"pattern": "^[A-Z]{2}$"}, "a two-letter country code"),
    ("string", _kw("origin destination airport"), "pattern", {"pattern": "^[A-Z]{3}$"}, "an IATA code"),
    ("string", _kw("date day birthday checkin checkout"), "format", {"format": "date"}, "a YYYY-MM-DD date"),
    ("string", _kw("zone timezone tz"), "pattern", {"pattern": "^[A-Za-z_]+(/[A-Za-z_+-]+)*$"},
     "an IANA time zone name"),
    ("string", _kw("time datetime at"), "format", {"format": "date-time"}, "an ISO 8601 date-time"),
    ("string", _kw("url website link"), "format", {"format": "uri"}, "a URL"),
    ("string", _kw("unit units"), "enum", {"enum": ["metric", "imperial"]}, "metric or imperial"),
    ("string", _kw("cabin"), "enum", {"enum": ["economy", "premium", "business", "first"]}, "a cabin class"),
    ("string", _kw("symbol ticker"), "pattern", {"pattern": "^[A-Z]{1,5}$"}, "an upper-case ticker"),
    ("string", _kw(""), "length", {"maxLength": 200}, "at most 200 characters"),
    ("integer", _kw("rating stars"), "range", {"minimum": 1, "maximum": 5}, "between 1 and 5"),
    ("integer", _kw("age"), "range", {"minimum": 0, "maximum": 120}, "between 0 and 120"),
    ("integer", _kw("month"), "range", {"minimum": 1, "maximum": 12}, "between 1 and 12"),
    ("integer", _kw("days nights"), "range", {"minimum": 1, "maximum": 30}, "between 1 and 30"),
    ("integer", _kw("minutes duration"), "range", {"minimum": 1, "maximum": 1440}, "between 1 and 1440"),
    ("integer", _kw(""), "range", {"minimum": 1, "maximum": 100}, "between 1 and 100"),
    ("number", _kw("latitude lat"), "range", {"minimum": -90, "maximum": 90}, "between -90 and 90"),
    ("number", _kw("longitude lon lng"), "range", {"minimum": -180, "maximum": 180}, "between -180 and 180"),
    ("number", _kw("price amount cost budget fare total fee"), "range", {"minimum": 0, "maximum": 1000000},
     "between 0 and 1,000,000"),
    ("array", _kw(""), "items", {"minItems": 1, "maxItems": 20}, "a list of 1 to 20 items"),
]
_CONSTRAINED = ("enum", "format", "pattern", "minimum", "maximum", "minItems", "maxLength", "const")


def _constraint(name: str, schema: Raw) -> tuple[str, Raw, str] | None:
    """(kind, keywords to add, phrase) for one unconstrained parameter, or None."""
    if any(k in schema for k in _CONSTRAINED):
        return None
    ws = {*words(name), name.replace("_", "")}
    for kind_of, keys, kind, kw, text in _RULES:
        if schema.get("type") == kind_of and (not keys or keys & ws):
            return kind, kw, text
    return None


def add_constraints(job: Job) -> Raw | None:
    """Enum / range / pattern / format / length constraints on unconstrained parameters."""
    props, required = params_of(job.base)
    found = [(k, c) for k, v in props.items() if isinstance(v, dict)
             for c in [_constraint(k, v)] if c is not None]
    if not found:
        return None
    picked = job.rng.sample(found, k=min(len(found), job.rng.randint(1, 3)))
    picked.sort(key=lambda kc: list(props).index(kc[0]))
    for key, (_, kw, _) in picked:
        props[key].update(kw)
    strong = [kc for kc in picked if kc[1][0] not in ("items", "length")]
    lead, (kind, _, _) = (strong or picked)[0]
    link, rest = {"range": ("within", f"{lead}_range"), "enum": ("with", f"{lead}_options"),
                  "items": ("with", "input_limits"), "length": ("with", "input_limits")}.get(
        kind, ("with", f"validated_{lead}"))
    rules = "; ".join(f"{phrase(k)} must be {p}" for k, (_, _, p) in picked)
    desc = _describe(job.base.description, extra=f"Checks its input: {rules}.")
    return new_api(job, _named(job.base.name, link, rest), desc, props, required, returns_of(job.base))


# -- mutate parameter types ---------------------------------------------------------------------

_DATE_PARTS: Raw = {"type": "object", "required": ["year", "month", "day"], "properties": {
    "year": _typed("integer", "Year.", minimum=1900, maximum=2100),
    "month": _typed("integer", "Month, 1 to 12.", minimum=1, maximum=12),
    "day": _typed("integer", "Day of the month.", minimum=1, maximum=31)}}
_COORDS: Raw = {"type": "object", "required": ["latitude", "longitude"], "properties": {
    "latitude": _typed("number", "Latitude in degrees.", minimum=-90, maximum=90),
    "longitude": _typed("number", "Longitude in degrees.", minimum=-180, maximum=180)}}

_LISTABLE = _kw("city location symbol ticker destination category genre keyword tag language currency country"
               " airport recipient cuisine brand topic query")


def mutate_types(job: Job) -> Raw | None:
    """string date -> {year, month, day}; place name -> coordinates; a string -> a list of them."""
    props, required = params_of(job.base)
    returns = returns_of(job.base)
    options: list[tuple[str, str]] = []
    for key, sub in props.items():
        if not isinstance(sub, dict) or sub.get("type") != "string":
            continue
        ws = set(words(key))
        if sub.get("format") == "date" or ws & {"date", "day"}:
            options.append(("date", key))
        if ws & {"location", "city", "place", "near"}:
            options.append(("coords", key))
        if key in required and ws & _LISTABLE and plural(key) not in props and not key.endswith("s"):
            options.append(("array", key))
    if not options:
        return None
    kind, key = options[job.rng.randrange(len(options))]
    desc0 = props[key].get("description", phrase(key))
    base, verb = job.base, verb_entity(job.base.name)[0]
    if kind == "date":
        props[key] = {**copy.deepcopy(_DATE_PARTS), "description": f"{first_sentence(desc0)}, as a date."}
        name = _named(base.name, "with", f"{key}_parts")
        desc = _describe(base.description, f", with the {phrase(key)} given as year, month and day")
    elif kind == "coords":
        props[key] = {**copy.deepcopy(_COORDS), "description": f"{first_sentence(desc0)}, as coordinates."}
        name = _named(base.name, "by" if verb in READ_VERBS else "at", "coordinates")
        desc = _describe(base.description, ", located by latitude and longitude")
    else:
        listed_desc = f"One or more: {lower_first(first_sentence(desc0))}."
        props, required, many = _listed(props, required, key, listed_desc)
        returns = _results(returns, f"One result per {phrase(key)}.")
        name = _named(base.name, "for", f"multiple_{many}")
        desc = _describe(base.description, f", for several {phrase(many)} at once")
    return new_api(job, name, desc, props, required, returns)


# -- change returns -----------------------------------------------------------------------------

_CONFIRMATION: Raw = {
    "confirmation_code": _typed(_S, "Code quoted in support requests.", pattern="^[A-Z0-9]{6}$"),
    "processed_at": _typed(_S, "When the request was processed.", format="date-time"),
}
_METADATA: Raw = {
    "last_updated": _typed(_S, "When the data was last refreshed.", format="date-time"),
    "source": _typed(_S, "Where the data comes from."),
    "request_id": _typed(_S, "Identifier of this request, for support."),
}


_NO_BATCH = _kw("list search find query browse")
_BATCH_KEYS = frozenset({"id", "symbol", "ticker", "code", "number", "isbn", "email", "sku"})


def change_returns(job: Job) -> Raw | None:
    """Add fields to the returned record, or make a batch API whose results come as a list."""
    props, required = params_of(job.base)
    returns = returns_of(job.base)
    verb, entity = verb_entity(job.base.name)
    scalars = [k for k in required if props.get(k, {}).get("type") in ("string", "integer")
               and plural(k) not in props and (words(k) or [""])[-1] in _BATCH_KEYS]
    batchable = scalars and verb not in _NO_BATCH and entity and "_and_" not in job.base.name
    if batchable and job.rng.random() < 0.5:
        key = scalars[0]
        what = f"The {phrase(plural(key))} to process."
        props, required, many = _listed(props, required, key, what, maxItems=50)
        failed = {"type": "array", "items": props[many]["items"], "description": "Those not processed."}
        batch = _results(returns, f"One entry per {phrase(key)}.", failed=failed)
        name = "_".join(["batch", verb, *entity[:-1], plural(entity[-1])])
        rest = words(job.base.name)[1 + len(entity):]
        name = "_".join([name, *rest]) if rest else name
        desc = _describe(job.base.description, f", for many {phrase(many)} in one call")
        return new_api(job, name, desc, props, required, batch)
    target = returns
    if returns.get("type") == "array" and isinstance(returns.get("items"), dict):
        target = returns["items"]
    if target.get("type") != "object":
        returns = {"type": "object", "properties": {"result": returns}, "required": ["result"]}
        target = returns
    changes = verb in VERBS and verb not in READ_VERBS
    extra, suffix = (_CONFIRMATION, "confirmation") if changes else (_METADATA, "metadata")
    fields = [k for k in extra if k not in (target.get("properties") or {})]
    if not fields:
        return None
    for key in job.rng.sample(fields, k=min(len(fields), 2)):
        target.setdefault("properties", {})[key] = copy.deepcopy(extra[key])
    what = "Also returns a confirmation code and when it was processed." if changes else \
        "Also returns when and where the data comes from."
    desc = _describe(job.base.description, extra=what)
    return new_api(job, _named(job.base.name, "with", suffix), desc, props, required, returns)


#: the single-API diversity operators, in their canonical order
MUTATIONS: dict[str, Callable[[Job], Raw | None]] = {
    "add_functionality": add_functionality,
    "add_parameters": add_parameters,
    "add_constraints": add_constraints,
    "mutate_types": mutate_types,
    "change_returns": change_returns,
}
