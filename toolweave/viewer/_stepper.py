"""Step through one simulation node by node, driven by LangGraph itself.

The dialogue graph is compiled with ``interrupt_before`` every node and an in-memory
checkpointer, so each resume runs exactly one node and leaves one checkpoint. Going
back is reading the checkpoint history (``parent_config``): the world and the
transcript are whatever LangGraph stored for that checkpoint, and stepping forward
from an earlier checkpoint forks a new branch from it (time travel).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from toolweave.graphs.dialogue import NODES, make_checkpointer
from toolweave.schema import Dialogue
from toolweave.simulate import Simulator, dialogue_from_state
from toolweave.tools_env.world import World, world_diff

__all__ = ["NodeRun", "Stepper", "StepperError"]


class StepperError(RuntimeError):
    """A node failed, or the stepper was used before :meth:`Stepper.start`."""


@dataclass(frozen=True)
class NodeRun:
    """The node that produced a checkpoint and the partial update it returned."""

    node: str
    update: dict[str, Any]


class Stepper:
    """One dialogue of ``simulator``, advanced one graph node at a time.

    >>> stepper = Stepper(Simulator(load_scenario("travel")), index=0, seed=7)
    >>> await stepper.start()          # stops before the planner
    >>> await stepper.next()           # runs the planner
    >>> await stepper.back()           # back to the checkpoint before it
    """

    def __init__(self, simulator: Simulator, *, index: int = 0, seed: int = 0) -> None:
        self.simulator = simulator
        self.index = index
        self.seed = seed
        self._graph: Any = None
        self._thread: dict[str, Any] = {}
        self._snapshot: Any = None
        self._start_id: str | None = None
        self._start_step = 0
        #: checkpoint id -> the node run that produced it
        self._runs: dict[str, NodeRun] = {}
        #: checkpoint id -> (before, after) checkpoints of the last tool node behind it
        self._tool_cache: dict[str, tuple[Any, Any] | None] = {}

    # -- driving ------------------------------------------------------------------------
    async def start(self) -> None:
        """Build the graph and run it up to the first interrupt (before ``planner``)."""
        graph, state, config = self.simulator.start(self.index, self.seed, checkpointer=make_checkpointer(),
                                                    interrupt_before=list(NODES))
        self._graph, self._thread = graph, config
        try:
            await graph.ainvoke(state, config)
        except Exception as exc:
            raise StepperError(f"the dialogue could not start: {type(exc).__name__}: {exc}") from exc
        self._snapshot = graph.get_state(config)
        self._start_id = self._checkpoint_id(self._snapshot)
        self._start_step = int(self._snapshot.metadata.get("step", 0))
        self._runs.clear()
        self._tool_cache.clear()

    async def next(self) -> NodeRun | None:
        """Run the next node; ``None`` when the dialogue is already finished."""
        snap = self._require()
        if not snap.next:
            return None
        node, update = snap.next[0], {}
        try:
            async for chunk in self._graph.astream(None, snap.config, stream_mode="updates"):
                for name, value in chunk.items():
                    if not name.startswith("__"):
                        node, update = name, dict(value or {})
        except Exception as exc:
            raise StepperError(f"node {node!r} failed: {type(exc).__name__}: {exc}") from exc
        latest = self._graph.get_state(self._thread)
        parent = latest.parent_config or {}
        if parent.get("configurable", {}).get("checkpoint_id") != self._checkpoint_id(snap):
            raise StepperError(f"node {node!r} did not leave a checkpoint after the current one")
        run = NodeRun(node, update)
        self._runs[self._checkpoint_id(latest)] = run
        self._snapshot = latest
        return run

    async def back(self) -> bool:
        """Return to the checkpoint before the current one; False at the start."""
        snap = self._require()
        if self._checkpoint_id(snap) == self._start_id or snap.parent_config is None:
            return False
        self._snapshot = self._graph.get_state(snap.parent_config)
        return True

    async def run_to_end(self) -> list[NodeRun]:
        """Run every remaining node; the node runs in order."""
        runs: list[NodeRun] = []
        while (run := await self.next()) is not None:
            runs.append(run)
        return runs

    async def next_turn(self) -> list[NodeRun]:
        """Run at least one node, then stop before the next ``user`` node (or at the end)."""
        runs: list[NodeRun] = []
        while (run := await self.next()) is not None:
            runs.append(run)
            if self.next_nodes[:1] == ("user",):
                break
        return runs

    # -- what there is to see -----------------------------------------------------------
    @property
    def started(self) -> bool:
        return self._snapshot is not None

    @property
    def values(self) -> dict[str, Any]:
        """The graph state at the current checkpoint."""
        return dict(self._require().values)

    @property
    def next_nodes(self) -> tuple[str, ...]:
        return tuple(self._require().next)

    @property
    def done(self) -> bool:
        return not self._require().next

    @property
    def step(self) -> int:
        """Nodes run on the current branch of the history."""
        return int(self._require().metadata.get("step", 0)) - self._start_step

    @property
    def history_len(self) -> int:
        """Checkpoints on the current branch, the start included (``back`` can go ``history_len - 1`` times)."""
        return self.step + 1

    @property
    def last_run(self) -> NodeRun | None:
        """The node run that produced the current checkpoint (None at the start)."""
        return self._runs.get(self._checkpoint_id(self._require()))

    @property
    def last_world_diff(self) -> dict[str, Any]:
        """``world_diff`` made by the last tool node on the current branch (empty when none ran)."""
        found = self._last_tool_checkpoints()
        if found is None:
            return {}
        before, after = found
        return world_diff(before.values["world"], after.values["world"])

    @property
    def last_tool_node_step(self) -> int | None:
        """The step number of the last tool node on the current branch."""
        found = self._last_tool_checkpoints()
        if found is None:
            return None
        return int(found[1].metadata.get("step", 0)) - self._start_step

    @property
    def world(self) -> World | None:
        world = self._require().values.get("world")
        return world if isinstance(world, World) else None

    def dialogue(self) -> Dialogue:
        """The dialogue record as it stands at the current checkpoint."""
        return dialogue_from_state(self.values)

    # -- internals ----------------------------------------------------------------------
    def _require(self) -> Any:
        if self._snapshot is None:
            raise StepperError("call start() first")
        return self._snapshot

    @staticmethod
    def _checkpoint_id(snap: Any) -> str:
        return str(snap.config["configurable"]["checkpoint_id"])

    def _last_tool_checkpoints(self) -> tuple[Any, Any] | None:
        """(checkpoint before, checkpoint after) the last tool node on the current branch."""
        snap = self._require()
        key = self._checkpoint_id(snap)
        if key not in self._tool_cache:
            found = None
            while self._checkpoint_id(snap) != self._start_id and snap.parent_config is not None:
                parent = self._graph.get_state(snap.parent_config)
                if tuple(parent.next)[:1] == ("tool",):
                    found = (parent, snap)
                    break
                snap = parent
            self._tool_cache[key] = found
        return self._tool_cache[key]
