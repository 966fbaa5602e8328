"""Relations between the fields of one answer, applied after its values are generated.

Where the field names make a relation explicit, the answer keeps it:

* ``converted_amount = amount × rate`` (currency conversion);
* ``total = unit_price × quantity`` (``total_price``, ``subtotal``…);
* ``total_repaid >= principal`` (loans: principal plus simple interest over the term);
* date ranges end no earlier than they start (``check_out`` after ``check_in``; see
  :mod:`turnloom.tools_env.ranges`).

What the call sent is never changed: a relation moves only a generated field. The caller
validates every proposed value against the field's schema before using it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from turnloom.tools_env.ranges import repair_ranges

__all__ = ["related_values"]

_CONVERTED = ("converted_amount", "converted", "converted_value", "result_amount", "amount_converted")
_AMOUNT = ("amount", "source_amount", "from_amount")
_RATE = ("rate", "exchange_rate", "conversion_rate", "fx_rate")
_TOTAL = ("total", "total_price", "total_cost", "total_amount", "subtotal", "line_total")
_UNIT = ("unit_price", "price", "price_per_unit", "item_price")
_QUANTITY = ("quantity", "qty", "count", "units")
_REPAID = ("total_repaid", "total_repayment", "total_payment", "total_to_repay", "total_paid")
_PRINCIPAL = ("principal", "loan_amount", "amount")
_INTEREST = ("interest_rate", "annual_rate", "apr", "rate")
_YEARS = ("term_years", "years", "loan_term_years", "duration_years")


def _number(values: Mapping[str, Any], names: tuple[str, ...]) -> tuple[str, float] | None:
    for name in names:
        v = values.get(name)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return name, float(v)
    return None


def _field(values: Mapping[str, Any], names: tuple[str, ...], fixed: Collection[str]) -> str | None:
    return next((n for n in names if n in values and n not in fixed), None)


def _money(x: float) -> float:
    return round(x, 2)


def related_values(values: Mapping[str, Any], fixed: Collection[str] = ()) -> dict[str, Any]:
    """The fields of ``values`` to change so that its relations hold (``fixed``: the names
    the call sent, never changed)."""
    out: dict[str, Any] = {}
    amount, rate = _number(values, _AMOUNT), _number(values, _RATE)
    converted = _field(values, _CONVERTED, fixed)
    if converted and amount and rate and rate[1] > 0:
        out[converted] = _money(amount[1] * rate[1])
    unit, quantity = _number(values, _UNIT), _number(values, _QUANTITY)
    total = _field(values, _TOTAL, fixed)
    if total and unit and quantity and unit[0] != total and quantity[1] >= 0:
        out[total] = _money(unit[1] * quantity[1])
    repaid = _field(values, _REPAID, fixed)
    principal = _number(values, _PRINCIPAL)
    if repaid and principal:
        have = values.get(repaid)
        if not isinstance(have, (int, float)) or have < principal[1]:
            interest = _number(values, _INTEREST)
            years = _number(values, _YEARS)
            r = (interest[1] / 100 if interest[1] > 1 else interest[1]) if interest else 0.05
            out[repaid] = _money(principal[1] * (1 + r * (years[1] if years else 1)))
    ranged = repair_ranges(values, fixed=fixed)
    out.update({k: v for k, v in ranged.items() if values.get(k) != v})
    return out
