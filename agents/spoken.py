"""Dates said the way people say them, relative to the day a dialogue happens.

The dialogue date ("today") is stated in the system message as ``Today is Friday, 2026-03-13.``;
the offline user says a planned date as "tomorrow", "this Saturday", "Friday next week", "on the
14th" or "in two weeks" when that phrase names exactly one day; the offline assistant and the
grounding rule resolve such phrases back against the same date. Every phrase :func:`say_date`
produces is resolved by :func:`resolve_dates` to the day it was made for.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

__all__ = ["dialogue_date", "days_said", "find_today", "resolve_date", "resolve_dates", "say_date", "say_moment",
           "today_line"]

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_NUMBERS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TODAY = re.compile(r"\btoday is (?:[a-z]+, )?(\d{4}-\d{2}-\d{2})\b", re.I)
_DAY = "|".join(WEEKDAYS)
_NUM = "|".join(_NUMBERS[1:]) + r"|\d{1,2}"
_PHRASE = re.compile(
    rf"\b(?:(?P<tomorrow>the day after tomorrow|tomorrow)"
    rf"|(?:this|on|coming) (?P<this>{_DAY})"
    rf"|(?P<nextweek>{_DAY}) next week"
    rf"|on the (?P<dom>\d{{1,2}})(?:st|nd|rd|th)"
    rf"|in (?P<days>{_NUM}) days?"
    rf"|in (?P<weeks>a|one|two|three|\d) weeks?(?! from)"
    rf"|a week from (?P<weekfrom>today|tomorrow))\b", re.I)


def today_line(today: dt.date) -> str:
    """The sentence of the system message that carries the dialogue date."""
    return f"Today is {today.strftime('%A')}, {today.isoformat()}."


def find_today(texts: Iterable[str | None]) -> dt.date | None:
    """The dialogue date stated in any of ``texts`` (``Today is …, YYYY-MM-DD.``), if any."""
    for text in texts:
        found = _today_in(text or "")
        if found is not None:
            return found or None
    return None


@lru_cache(maxsize=4096)
def _today_in(text: str) -> dt.date | bool | None:
    """The date ``text`` states; False when it states a malformed one; None when it states none."""
    m = _TODAY.search(text)
    if not m:
        return None
    try:
        return dt.date.fromisoformat(m.group(1))
    except ValueError:
        return False


def _iso_dates(value: Any) -> list[dt.date]:
    if isinstance(value, dict):
        return [d for v in value.values() for d in _iso_dates(v)]
    if isinstance(value, list):
        return [d for v in value for d in _iso_dates(v)]
    if isinstance(value, str) and _ISO.match(value):
        try:
            return [dt.date.fromisoformat(value)]
        except ValueError:
            return []
    return []


def dialogue_date(slots: Iterable[Any], seed: int) -> dt.date | None:
    """The day the user speaks from: one to twelve days (seeded) before the earliest planned date,
    so that the planned dates lie ahead; None when the plan has no dates."""
    days = [d for s in slots for d in _iso_dates(s) if d.year > 1990]
    if not days:
        return None
    return min(days) - dt.timedelta(days=random.Random(f"today:{seed}").randint(1, 12))


def _number(word: str) -> int:
    word = word.lower()
    if word in ("a", "one"):
        return 1
    return _NUMBERS.index(word) if word in _NUMBERS else int(word)


def _resolve(m: re.Match[str], today: dt.date) -> dt.date | None:
    g = {k: v for k, v in m.groupdict().items() if v}
    if "tomorrow" in g:
        return today + dt.timedelta(days=2 if g["tomorrow"].lower().startswith("the day") else 1)
    if "this" in g:
        ahead = (WEEKDAYS.index(g["this"].lower()) - today.weekday()) % 7
        return today + dt.timedelta(days=ahead or 7)
    if "nextweek" in g:
        monday = today + dt.timedelta(days=7 - today.weekday())
        return monday + dt.timedelta(days=WEEKDAYS.index(g["nextweek"].lower()))
    if "dom" in g:
        day = int(g["dom"])
        for ahead in range(1, 63):
            d = today + dt.timedelta(days=ahead)
            if d.day == day:
                return d
        return None
    if "days" in g:
        return today + dt.timedelta(days=_number(g["days"]))
    if "weeks" in g:
        return today + dt.timedelta(weeks=_number(g["weeks"]))
    if "weekfrom" in g:
        return today + dt.timedelta(days=7 + (g["weekfrom"].lower() == "tomorrow"))
    return None


def resolve_dates(text: str, today: dt.date) -> list[dt.date]:
    """Every day a relative phrase in ``text`` names, in order."""
    out = []
    for m in _PHRASE.finditer(text):
        d = _resolve(m, today)
        if d is not None:
            out.append(d)
    return out


def resolve_date(text: str, today: dt.date) -> dt.date | None:
    """The day ``text`` names when it is one relative phrase (a value the user said), else None."""
    m = _PHRASE.fullmatch(text.strip().rstrip(".!?,").strip())
    return _resolve(m, today) if m else None


def say_date(target: dt.date, today: dt.date, rng: random.Random) -> str | None:
    """One relative phrase for ``target`` said on ``today`` (None when none fits well)."""
    delta = (target - today).days
    if delta < 1:
        return None
    day = WEEKDAYS[target.weekday()].capitalize()
    options: list[str] = []
    if delta == 1:
        options += ["tomorrow"]
    if delta == 2:
        options += ["the day after tomorrow"]
    if delta <= 6:
        options += [f"this {day}", f"on {day}", f"coming {day}"]
    if 7 - today.weekday() <= delta <= 13 - today.weekday():
        options += [f"{day} next week"]
    if delta <= 27:
        suffix = "th" if 10 <= target.day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(target.day % 10, "th")
        options += [f"on the {target.day}{suffix}"]
    if 3 <= delta <= 10:
        options += [f"in {_NUMBERS[delta]} days"]
    if delta % 7 == 0 and delta <= 21:
        options += [f"in {('a', 'two', 'three')[delta // 7 - 1]} week{'s' if delta > 7 else ''}"]
    if delta == 7:
        options += ["a week from today"]
    if delta == 8:
        options += ["a week from tomorrow"]
    options = [o for o in options if resolve_date(o, today) == target]
    return rng.choice(options) if options else None


_MOMENT = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2})(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")
_MONTH = "|".join(_MONTHS)
#: a day said with its month's name, as :func:`say_moment` says it: "November 27", "27 November"
_NAMED_DAY = re.compile(rf"\b(?:(?P<m1>{_MONTH}) (?P<d1>\d{{1,2}})|(?P<d2>\d{{1,2}}) (?P<m2>{_MONTH}))\b", re.I)


def days_said(text: str, today: dt.date | None) -> set[tuple[int, int]]:
    """(month, day) of every day ``text`` says with its month's name or, given ``today``, as a relative
    phrase ("tomorrow"); a reply that says a result's date says one of these."""
    said = {(_MONTHS.index((m["m1"] or m["m2"]).capitalize()) + 1, int(m["d1"] or m["d2"]))
            for m in _NAMED_DAY.finditer(text)}
    if today is not None:
        said |= {(d.month, d.day) for d in resolve_dates(text, today)}
    return said


def _clock(hour: int, minute: int, value: str, rng: random.Random) -> str:
    """A time of day as people say it (2:53 pm), or as written (14:53) when the spoken hour is no
    number of ``value``'s own (11 pm from 23:00)."""
    twelve = hour % 12 or 12
    half = "am" if hour < 12 else "pm"
    spoken = f"{twelve}:{minute:02d} {half}" if minute else f"{twelve} {half}"
    if (twelve <= 10 or str(twelve) in value) and rng.random() < 0.7:
        return spoken
    return f"{hour:02d}:{minute:02d}"


def say_moment(value: str, today: dt.date | None, rng: random.Random) -> tuple[str, bool] | None:
    """A date or timestamp (``2026-04-28``, ``2026-04-28T15:40:00Z``) as people say it, relative to
    ``today`` when near ("yesterday at 3:40 pm", "this Friday") and else by day and month ("29 April",
    "Monday 29 April 2025"), with whether it wants an "on" before it; None for other text. Every
    number above ten it says is part of ``value``."""
    m = _MOMENT.match(value.strip())
    if not m:
        return None
    try:
        day = dt.date.fromisoformat(m.group(1))
    except ValueError:
        return None
    clock = f" at {_clock(int(m.group(2)), int(m.group(3)), value, rng)}" if m.group(2) else ""
    delta = (day - today).days if today is not None else None
    relative = {0: "today", -1: "yesterday", 1: "tomorrow"}.get(delta) if delta is not None else None
    if relative is None and delta is not None and 2 <= abs(delta) <= 6 and rng.random() < 0.6:
        weekday = WEEKDAYS[day.weekday()].capitalize()
        relative = f"this {weekday}" if delta > 0 else rng.choice((f"last {weekday}", f"{_NUMBERS[-delta]} days ago"))
    if relative is not None:
        return relative + clock, False
    month = _MONTHS[day.month - 1]
    year = "" if today is not None and today.year == day.year else f" {day.year}"
    forms = [f"{day.day} {month}{year}", f"{month} {day.day}{', ' + year.strip() if year else ''}",
             f"{WEEKDAYS[day.weekday()].capitalize()} {day.day} {month}{year}"]
    return rng.choice(forms) + clock, True
