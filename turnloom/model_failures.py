"""Stop a run whose model keeps failing, instead of writing a dataset of failures.

A dialogue whose model failed for good (unreachable, timing out, server errors after the
retries) is rejected with the rule ``model_failure`` (see :mod:`turnloom.graphs._nodes`).
:class:`ModelFailureGuard` counts those as the runner writes them and raises
:class:`ModelFailureError` once more than ``max_share`` of the run's dialogues have failed
that way: as soon as that is certain, or earlier when the share of the dialogues written
so far exceeds it after at least :data:`MIN_SEEN` of them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

__all__ = ["DEFAULT_MAX_SHARE", "MIN_SEEN", "MODEL_FAILURE", "ModelFailureError", "ModelFailureGuard"]

#: the rule a dialogue fails when its model failed for good
MODEL_FAILURE = "model_failure"
#: the share of a run's dialogues that may end in a model failure before the run stops
DEFAULT_MAX_SHARE = 0.5
#: dialogues written before the share so far may stop a run (a larger run stops only once certain)
MIN_SEEN = 10


class ModelFailureError(RuntimeError):
    """Too many dialogues of a run ended because a model failed; the message says which and why."""


def _first_reason(line: str) -> str:
    try:
        checks = json.loads(line)["verdict"]["checks"]
    except (ValueError, KeyError, TypeError):
        return "(reason not recorded)"
    return next((str(c.get("reason", "")) for c in checks if c.get("rule") == MODEL_FAILURE), "(no reason)")


class ModelFailureGuard:
    """Counts model failures among the outcomes of a run of ``total`` dialogues (call it on each,
    in the order they are written); ``then`` is called first with each outcome (a runner's
    ``on_result`` callback)."""

    def __init__(self, total: int, max_share: float = DEFAULT_MAX_SHARE, *,
                 then: Callable[[Any], None] | None = None) -> None:
        if not 0.0 <= max_share <= 1.0:
            raise ValueError(f"max_share must lie in [0, 1], got {max_share}")
        self.total = max(0, total)
        self.max_share = max_share
        self.seen = 0
        self.failures = 0
        self.first_reason: str | None = None
        self.then = then

    def __call__(self, outcome: Any) -> None:
        """Count one written outcome (anything with ``failed_rules`` and ``line``); raise when too many failed."""
        if self.then is not None:
            self.then(outcome)
        self.seen += 1
        if MODEL_FAILURE not in outcome.failed_rules:
            return
        self.failures += 1
        if self.first_reason is None:
            self.first_reason = _first_reason(outcome.line)
        certain = self.failures > self.max_share * self.total
        so_far = self.seen >= min(MIN_SEEN, self.total) and self.failures > self.max_share * self.seen
        if certain or so_far:
            raise ModelFailureError(
                f"stopped: a model failed in {self.failures} of {self.seen} dialogues written "
                f"(more than {self.max_share:.0%} allowed); first failure: {self.first_reason}")
