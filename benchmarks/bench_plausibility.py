"""Value plausibility: do generated values mean what their field says?

A probe tool returns fields that carry only a name and a description (no enum, pattern,
format or bounds), the way most real tools declare them. Over many seeds, each value the
mock environment generates is scored by a check of what the field means (an IATA code is
one of the world's airports' shape, a loan rate lies between 0.5 and 25 %, a term in years
between 1 and 40, a market capitalisation above a million...).

    python benchmarks/bench_plausibility.py            # 200 seeds
    python benchmarks/bench_plausibility.py --seeds 50 --show 3
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from typing import Any

from turnloom.schema import ToolCall, ToolSpec
from turnloom.tools_env.env import ToolEnvironment

Check = Callable[[Any], bool]


def _re(pattern: str) -> Check:
    rx = re.compile(pattern)
    return lambda v: isinstance(v, str) and rx.fullmatch(v) is not None


def _between(lo: float, hi: float) -> Check:
    return lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and lo <= v <= hi


def _words(lo: int, hi: int, capital: bool = True) -> Check:
    """A short phrase, not a sentence (``capital``: a name, so not all lower case)."""
    return lambda v: isinstance(v, str) and lo <= len(v.split()) <= hi and not v.endswith(".") and (
        not capital or v != v.lower())


_TITLE_WORDS = _words(1, 6)
#: field name -> (JSON type, description, check)
PROBE: dict[str, tuple[str, str, Check]] = {
    "origin_airport": ("string", "Airport the flight leaves from", _re(r"[A-Z]{3}")),
    "currency": ("string", "Currency of the price", _re(r"[A-Z]{3}")),
    "country_code": ("string", "Country of the address", _re(r"[A-Z]{2}")),
    "language": ("string", "Language of the page", _re(r"[a-z]{2}(-[A-Z]{2})?")),
    "airline": ("string", "Airline operating the flight", _TITLE_WORDS),
    "gate": ("string", "Departure gate", _re(r"[A-Z]\d{1,2}")),
    "company_name": ("string", "Name of the company", _TITLE_WORDS),
    "product_name": ("string", "Name of the product", _words(2, 5)),
    "hotel_name": ("string", "Name of the hotel", _re(r".+ (Hotel|Inn|Suites|Resort)")),
    "restaurant_name": ("string", "Name of the restaurant", _words(1, 5)),
    "customer_name": ("string", "Full name of the customer", _re(r"[A-Z][a-zA-Z'.-]+( [A-Z][a-zA-Z'.-]+)+")),
    "email": ("string", "Contact email", _re(r"[^@\s]+@[^@\s]+\.[a-z]{2,}")),
    "phone": ("string", "Contact phone", _re(r"[+()0-9 .x-]{7,25}")),
    "street_address": ("string", "Street address", _re(r"\d+ .+")),
    "zip_code": ("string", "Postal code", _re(r"[0-9A-Z -]{3,10}")),
    "website": ("string", "Web site of the venue", _re(r"https?://\S+")),
    "file_path": ("string", "Where the file is stored", _re(r"/\S+/\S+\.\w+")),
    "sku": ("string", "Stock keeping unit", _re(r"[A-Z0-9-]{4,20}")),
    "flight_number": ("string", "Flight number", _re(r"[A-Z0-9]{2}\d{1,4}")),
    "year": ("integer", "Year the company was founded", _between(1900, 2030)),
    "term_years": ("integer", "Length of the loan in years", _between(1, 40)),
    "interest_rate": ("number", "Annual interest rate of the loan", _between(0.5, 25)),
    "discount_percent": ("number", "Discount given", _between(0, 100)),
    "latitude": ("number", "Latitude of the place", _between(-90, 90)),
    "longitude": ("number", "Longitude of the place", _between(-180, 180)),
    "temperature": ("number", "Current temperature in Celsius", _between(-40, 50)),
    "price": ("number", "Price of one item", _between(0.5, 5000)),
    "quantity": ("integer", "Number of items", _between(1, 100)),
    "market_cap": ("number", "Market capitalisation in USD", _between(1e6, 5e12)),
    "exchange_rate": ("number", "Exchange rate applied", _between(0.001, 500)),
    "query": ("string", "What was searched for", _words(1, 4, capital=False)),
    "age": ("integer", "Age of the passenger", _between(0, 110)),
    "rating": ("number", "Average rating", _between(0, 5)),
}


def probe_tool() -> ToolSpec:
    props = {name: {"type": kind, "description": desc} for name, (kind, desc, _) in PROBE.items()}
    return ToolSpec(name="get_profile_sample", description="Return one sample record.",
                    parameters={"type": "object", "properties": {"sample": {"type": "integer"}},
                                "required": ["sample"]},
                    returns={"type": "object", "properties": props, "required": sorted(props)})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=200)
    ap.add_argument("--show", type=int, default=2, help="implausible examples shown per field")
    args = ap.parse_args(argv)
    env = ToolEnvironment([probe_tool()])
    good: dict[str, int] = dict.fromkeys(PROBE, 0)
    bad: dict[str, list[Any]] = {name: [] for name in PROBE}
    for seed in range(args.seeds):
        _, result = env.call(env.new_world(seed=seed), ToolCall(id="c", name="get_profile_sample",
                                                                 arguments={"sample": seed}))
        assert result.ok, result.error
        for name, (_, _, check) in PROBE.items():
            value = result.content[name]
            if check(value):
                good[name] += 1
            else:
                bad[name].append(value)
    total = args.seeds * len(PROBE)
    print(f"{'field':<18}{'plausible':>10}")
    for name in PROBE:
        print(f"{name:<18}{good[name] / args.seeds:>10.0%}  {bad[name][: args.show] if bad[name] else ''}")
    print(f"{'all':<18}{sum(good.values()) / total:>10.1%}  ({sum(good.values())} of {total} values)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
