"""Date ranges among a call's arguments: which arguments form a range, and keeping it in order.

Two arguments form a range when their names are alike but for a start word and an end
word (``check_in``/``check_out``, ``start_date``/``end_date``, ``departure_date``/
``return_date``, ``dateFrom``/``dateTo``...) and both values are ISO dates or date-times.
The offline planner keeps the ranges it asks for in order (:func:`repair_ranges`), and the
verifier's ``date_order`` rule rejects calls whose range ends before it starts
(:func:`inverted_ranges`).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Collection, Mapping
from typing import Any

from turnloom.tools_env.flow import normalize_name

__all__ = ["RANGE_WORDS", "as_date", "inverted_ranges", "range_pairs", "repair_ranges"]

#: (start word, end word): arguments named alike but for these words form a range
RANGE_WORDS: tuple[tuple[str, str], ...] = (
    ("check_in", "check_out"), ("checkin", "checkout"), ("start", "end"), ("begin", "end"), ("from", "to"),
    ("since", "until"), ("earliest", "latest"), ("pickup", "dropoff"), ("pickup", "return"),
    ("departure", "return"), ("arrival", "departure"), ("after", "before"),
)

Day = dt.date | dt.datetime


def as_date(value: Any) -> Day | None:
    """An ISO date (``YYYY-MM-DD``) or date-time string as a date or datetime; else None."""
    if not isinstance(value, str) or not 10 <= len(value) <= 40 or value[4:5] != "-":
        return None
    try:
        return dt.date.fromisoformat(value) if len(value) == 10 else dt.datetime.fromisoformat(value)
    except ValueError:
        return None


def range_pairs(names: Collection[str]) -> list[tuple[str, str]]:
    """``(start, end)`` argument names among ``names`` that form a range, in name order."""
    return list(_range_pairs(tuple(names)))


@functools.lru_cache(maxsize=4096)
def _range_pairs(names: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    by_snake = {normalize_name(n): n for n in names}
    out = []
    for snake, name in sorted(by_snake.items()):
        padded = f"_{snake}_"
        for first, last in RANGE_WORDS:
            if f"_{first}_" in padded:
                other = padded.replace(f"_{first}_", f"_{last}_", 1)[1:-1]
                if other in by_snake and (name, by_snake[other]) not in out:
                    out.append((name, by_snake[other]))
    return tuple(out)


def _before(end: Day, start: Day) -> bool:
    if isinstance(end, dt.datetime) and isinstance(start, dt.datetime) and \
            (end.tzinfo is None) == (start.tzinfo is None):
        return end < start
    days = [v.date() if isinstance(v, dt.datetime) else v for v in (end, start)]
    return days[0] < days[1]


def inverted_ranges(args: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The ``(start, end)`` ranges of ``args`` whose end is before their start."""
    out = []
    if len(args) < 2:
        return out
    for start, end in _range_pairs(tuple(args)):
        a, b = as_date(args[start]), as_date(args[end])
        if a is not None and b is not None and _before(b, a):
            out.append((start, end))
    return out


def _day(value: Day) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _moved(text: str, own: Day, anchor: Day, days: int) -> str:
    """``text`` (parsed as ``own``) moved to ``days`` after ``anchor``'s day, in its own format."""
    day = _day(anchor) + dt.timedelta(days=days)
    if not isinstance(own, dt.datetime):
        return day.isoformat()
    out = own.replace(year=day.year, month=day.month, day=day.day).isoformat(sep=text[10])
    return out[:-6] + "Z" if text.endswith("Z") and out.endswith("+00:00") else out


def repair_ranges(args: Mapping[str, Any], fixed: Collection[str] = ()) -> dict[str, Any]:
    """``args`` with every inverted range put in order: the end moves to 1-14 days after the
    start (the start moves before the end instead when only the end is in ``fixed``). The
    length follows from the old gap, so the result is deterministic."""
    out = dict(args)
    for start, end in inverted_ranges(out):
        a, b = as_date(out[start]), as_date(out[end])
        assert a is not None and b is not None
        gap = 1 + (_day(a) - _day(b)).days % 14
        if end in fixed and start not in fixed:
            out[start] = _moved(out[start], a, b, -gap)
        else:
            out[end] = _moved(out[end], b, a, gap)
    return out
