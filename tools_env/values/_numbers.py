"""Numbers and string lengths for the value generator: bounds, ``multipleOf``, length fitting.

``multipleOf`` is checked the way jsonschema checks it (a float divisor is tested
by float division), so a value built here passes that exact test, not merely the
arithmetic one.
"""

from __future__ import annotations

import functools
import math
import random
import re
from decimal import Decimal
from fractions import Fraction
from typing import Any

from turnloom.tools_env.values._schema import ValueGenerationError

__all__ = ["fit_length", "integer", "is_multiple", "number", "search"]

_SPAN = 100
_TRIES = 64


@functools.lru_cache(maxsize=4096)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def search(pattern: str, text: str) -> bool:
    """``re.search`` with the compiled pattern cached (JSON Schema ``pattern`` semantics)."""
    return _compiled(pattern).search(text) is not None


def _is_num(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def is_multiple(value: float, divisor: float) -> bool:
    """jsonschema's own ``multipleOf`` test."""
    if isinstance(divisor, float):
        try:
            quotient = value / divisor
            return int(quotient) == quotient
        except OverflowError:
            return (Fraction(value) / Fraction(divisor)).denominator == 1
    return value % divisor == 0


def _bounds(flat: dict[str, Any]) -> tuple[float | None, bool, float | None, bool]:
    """(lower, lower exclusive?, upper, upper exclusive?), drafts 4 and 6+ alike."""
    lo, hi = flat.get("minimum"), flat.get("maximum")
    lo = lo if _is_num(lo) else None
    hi = hi if _is_num(hi) else None
    lo_ex = hi_ex = False
    ex_lo, ex_hi = flat.get("exclusiveMinimum"), flat.get("exclusiveMaximum")
    if ex_lo is True:
        lo_ex = lo is not None
    elif _is_num(ex_lo) and (lo is None or ex_lo >= lo):
        lo, lo_ex = ex_lo, True
    if ex_hi is True:
        hi_ex = hi is not None
    elif _is_num(ex_hi) and (hi is None or ex_hi <= hi):
        hi, hi_ex = ex_hi, True
    return lo, lo_ex, hi, hi_ex


def _window(lo: Any, hi: Any, span: Any) -> tuple[Any, Any]:
    """A realistic sub-range of [lo, hi] (either may be None): near zero, at most ``span`` wide."""
    straddles_zero = (lo is None or lo <= 0) and (hi is None or hi >= 0)
    anchor = 0 if straddles_zero else (lo if lo is not None and lo > 0 else hi)
    upper = anchor + span if hi is None else min(hi, anchor + span)
    lower = upper - span if lo is None else max(lo, upper - span)
    if lo is None and lower < 0 < upper:
        lower = 0
    return lower, upper


def _int_step(divisor: Any) -> int:
    if divisor is None:
        return 1
    if isinstance(divisor, int):
        return abs(divisor)
    return abs(Fraction(str(divisor)).numerator)


def integer(flat: dict[str, Any], rng: random.Random, hint: Any = None) -> int:
    """An integer within the bounds and a multiple of ``multipleOf``; ``hint`` is preferred."""
    lo, lo_ex, hi, hi_ex = _bounds(flat)
    try:
        low = None if lo is None else (math.floor(lo) + 1 if lo_ex else math.ceil(lo))
        high = None if hi is None else (math.ceil(hi) - 1 if hi_ex else math.floor(hi))
    except OverflowError:
        raise ValueGenerationError("integer bounds out of range") from None
    if low is not None and high is not None and low > high:
        raise ValueGenerationError(f"no integer between {lo} and {hi}")
    divisor = flat.get("multipleOf")
    step = _int_step(divisor)

    def fits(v: int) -> bool:
        return (low is None or v >= low) and (high is None or v <= high) and (
            divisor is None or is_multiple(v, divisor))

    if _is_num(hint):
        v = int(round(hint))
        v -= v % step
        if fits(v):
            return v
    a, b = _window(low, high, _SPAN * step)
    k_lo, k_hi = -(-a // step), b // step
    if k_lo > k_hi:
        raise ValueGenerationError(f"no multiple of {divisor} between {lo} and {hi}")
    for _ in range(_TRIES):
        v = rng.randint(k_lo, k_hi) * step
        if fits(v):
            return v
    raise ValueGenerationError(f"no integer multiple of {divisor} found between {lo} and {hi}")


def number(flat: dict[str, Any], rng: random.Random, hint: Any = None) -> float | int:
    """A number within the bounds (two decimals where they fit) honouring ``multipleOf``."""
    divisor = flat.get("multipleOf")
    if isinstance(divisor, int) and not isinstance(divisor, bool):
        return integer(flat, rng, hint)
    lo, lo_ex, hi, hi_ex = _bounds(flat)
    if lo is not None and hi is not None and (lo > hi or (lo == hi and (lo_ex or hi_ex))):
        raise ValueGenerationError(f"no number between {lo} and {hi}")

    def inside(v: float) -> bool:
        above = lo is None or v > lo or (v == lo and not lo_ex)
        below = hi is None or v < hi or (v == hi and not hi_ex)
        return above and below and math.isfinite(v)

    if divisor is not None:
        return _float_multiple(float(divisor), lo, hi, inside, rng)
    if _is_num(hint) and inside(hint):
        return hint
    a, b = _window(lo, hi, float(_SPAN))
    for _ in range(8):
        v = rng.uniform(a, b)
        for candidate in (round(v, 2), v):
            if inside(candidate):
                return candidate
    fallbacks = [(lo + hi) / 2] if lo is not None and hi is not None else []
    fallbacks += [hi - 1] if hi is not None else []
    fallbacks += [lo + 1] if lo is not None else []
    for candidate in fallbacks:
        if inside(candidate):
            return candidate
    raise ValueGenerationError(f"no number found between {lo} and {hi}")


def _float_multiple(divisor: float, lo: Any, hi: Any, inside: Any, rng: random.Random) -> float | int:
    exponent = Decimal(str(divisor)).as_tuple().exponent
    digits = max(0, -exponent) if isinstance(exponent, int) else 12
    try:
        k_lo = None if lo is None else math.ceil(lo / divisor)
        k_hi = None if hi is None else math.floor(hi / divisor)
    except (OverflowError, ValueError):
        raise ValueGenerationError(f"no multiple of {divisor} representable between {lo} and {hi}") from None
    a, b = _window(k_lo, k_hi, _SPAN)
    if a > b:
        raise ValueGenerationError(f"no multiple of {divisor} between {lo} and {hi}")
    for _ in range(_TRIES):
        k = rng.randint(a, b)
        raw = k * divisor
        for candidate in (raw, round(raw, digits), float(k) * divisor):
            if inside(candidate) and is_multiple(candidate, divisor):
                return candidate
        if inside(float(k)) and is_multiple(k, divisor):
            return k
    raise ValueGenerationError(f"no float multiple of {divisor} found between {lo} and {hi}")


def fit_length(text: str, low: int, high: int | None, strict: bool, faker: Any) -> str | None:
    """``text`` cut or padded into [low, high]; None when ``strict`` (a format) forbids editing it."""
    if len(text) >= low and (high is None or len(text) <= high):
        return text
    if strict:
        return None
    if high is not None and len(text) > high:
        cut = text[:high]
        stripped = cut.rstrip()
        return stripped if len(stripped) >= low else cut
    if len(text) < low:
        words = faker.words((low - len(text)) // 5 + 1)
        text = " ".join([text, *words]) if text else " ".join(words)
        while len(text) < low:
            text += " " + faker.word()
    if high is not None:
        text = text[:high]
    return text
