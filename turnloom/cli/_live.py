"""Stop a run whose live tool server failed, before the dialogues it spoiled are written."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING

from turnloom.tools_env.mcp_backend import LiveBackend, LiveToolError

if TYPE_CHECKING:
    from turnloom.executors import Executor, Outcome

__all__ = ["LiveGuard"]


class LiveGuard:
    """An executor that passes on the outcomes of ``inner`` until ``backend`` has failed, then
    raises :class:`LiveToolError`: no dialogue finished after the failure is written, so
    ``--resume`` simulates them again (reusing the answers the cassette already holds)."""

    def __init__(self, inner: Executor, backend: LiveBackend) -> None:
        self.inner = inner
        self.backend = backend
        self.name = inner.name

    async def outcomes(self, indices: Sequence[int], seed: int) -> AsyncIterator[Outcome]:
        async for outcome in self.inner.outcomes(indices, seed):
            if self.backend.failure is not None:
                raise LiveToolError(self.backend.failure)
            yield outcome
