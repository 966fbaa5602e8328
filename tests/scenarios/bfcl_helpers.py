"""Which built-in scenarios need bfcl-eval's class files, and whether they are importable here."""

from __future__ import annotations

import importlib.util

import pytest

from turnloom.scenarios import builtin_names

#: the built-ins over BFCL's multi-turn classes
BFCL_SCENARIOS = ("bfcl_files", "bfcl_trading", "bfcl_travel")
INSTALL = "pip install --no-deps bfcl-eval==2026.3.23"
HAVE_BFCL = importlib.util.find_spec("bfcl_eval") is not None
needs_bfcl = pytest.mark.skipif(not HAVE_BFCL, reason=f"bfcl-eval is not installed ({INSTALL})")


def runnable_builtins() -> list[str]:
    """The built-in scenarios whose classes import here."""
    return [n for n in builtin_names() if HAVE_BFCL or n not in BFCL_SCENARIOS]
