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

from turnloom.graphs.dialogue import NODES, make_checkpointer
from turnloom.schema import Dialogue, Message
from turnloom.simulate import Simulator, dialogue_from_state
from turnloom.tools_env.world import World, world_diff

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
        #: checkpoints of the current branch, the start first and the current one last
        self._trail: list[Any] = []
        #: checkpoint id -> the node run that produced it
        self._runs: dict[str, NodeRun] = {}

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
        self._trail = [graph.get_state(config)]
        self._runs.clear()

    async def next(self) -> NodeRun | None:
        """Run the next node; ``None`` when the dialogue is already finished.

        From the newest checkpoint the thread simply resumes; from an earlier one
        (after :meth:`back`) LangGraph forks a new branch from that checkpoint."""
        snap = self._require()
        if not snap.next:
            return None
        head = self._checkpoint_id(self._graph.get_state(self._thread))
        config = self._thread if head == self._checkpoint_id(snap) else snap.config
        node, update = snap.next[0], {}
        try:
            async for chunk in self._graph.astream(None, config, stream_mode="updates"):
                for name, value in chunk.items():
                    if not name.startswith("__"):
                        node, update = name, dict(value or {})
        except Exception as exc:
            raise StepperError(f"node {node!r} failed: {type(exc).__name__}: {exc}") from exc
        latest = self._graph.get_state(self._thread)
        if self._branch_parent(latest) != self._checkpoint_id(snap):
            raise StepperError(f"node {node!r} did not leave a checkpoint after the current one")
        run = NodeRun(node, update)
        self._runs[self._checkpoint_id(latest)] = run
        self._trail.append(latest)
        return run

    async def back(self) -> bool:
        """Return to the checkpoint before the current one (world and transcript as
        stored there); False at the start."""
        self._require()
        if len(self._trail) <= 1:
            return False
        self._trail.pop()
        self._trail[-1] = self._graph.get_state(self._trail[-1].config)
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
        return bool(self._trail)

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
        self._require()
        return len(self._trail) - 1

    @property
    def history_len(self) -> int:
        """Checkpoints on the current branch, the start included (``back`` can go ``history_len - 1`` times)."""
        self._require()
        return len(self._trail)

    @property
    def last_run(self) -> NodeRun | None:
        """The node run that produced the current checkpoint (None at the start)."""
        return self._runs.get(self._checkpoint_id(self._require()))

    @property
    def last_tool_step(self) -> int | None:
        """The step at which the last tool node on the current branch ran (None when none did)."""
        self._require()
        for i in range(len(self._trail) - 1, 0, -1):
            if tuple(self._trail[i - 1].next)[:1] == ("tool",):
                return i
        return None

    @property
    def last_world_diff(self) -> dict[str, Any]:
        """``world_diff`` made by the last tool node on the current branch (empty when none ran)."""
        i = self.last_tool_step
        if i is None:
            return {}
        return world_diff(self._trail[i - 1].values["world"], self._trail[i].values["world"])

    @property
    def last_tool_messages(self) -> list[Message]:
        """The tool messages (calls answered) of the last tool node on the current branch."""
        i = self.last_tool_step
        if i is None:
            return []
        before = len(self._trail[i - 1].values.get("messages", []))
        return [m for m in self._trail[i].values.get("messages", [])[before:] if m.role == "tool"]

    @property
    def world(self) -> World | None:
        world = self._require().values.get("world")
        return world if isinstance(world, World) else None

    def dialogue(self) -> Dialogue:
        """The dialogue record as it stands at the current checkpoint."""
        return dialogue_from_state(self.values)

    # -- internals ----------------------------------------------------------------------
    def _require(self) -> Any:
        if not self._trail:
            raise StepperError("call start() first")
        return self._trail[-1]

    @staticmethod
    def _checkpoint_id(snap: Any) -> str:
        return str(snap.config["configurable"]["checkpoint_id"])

    def _branch_parent(self, snap: Any) -> str | None:
        """The checkpoint a node ran from to give ``snap``, skipping the copy a fork writes."""
        parent = snap.parent_config
        while parent is not None:
            before = self._graph.get_state(parent)
            if before.metadata.get("source") != "fork":
                return self._checkpoint_id(before)
            parent = before.parent_config
        return None
