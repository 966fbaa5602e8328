"""MCTS over assistant steps for fine-grained preference pairs (iTool, with verifiable rewards).

A node is a dialogue prefix plus the world state at that point (``World`` is data, so
branching is exact). Its children are candidate assistant steps for the gold step that
comes next: the gold step itself, the structured perturbations of
:mod:`turnloom.itool._perturb` and, when a policy is given, its samples at
temperature (duplicates merged). The prior of a child is its share of the candidates
(a sample the policy gave twice counts twice); iTool's prior, exp(mean token
log-prob), is not exposed by the project's model clients.

Each child is scored when it is created by :func:`~turnloom.itool._reward.score_action`
(execute it, run the rule verifier's turn rules, compare with the gold step) and starts
with ``n = 1, value = reward``. A child that matches the gold step continues the gold
dialogue (its executed tool messages, then the gold user messages up to the next gold
assistant step); any other child is a leaf. One iteration:

1. *select* from the root by UCT, ``value/(n+1) + w·prior·sqrt(ln N_parent/(n+1))``
   with ``w = 1`` (``value`` is the node's summed return), first best on ties;
2. *expand* the selected node when it is not a leaf and lies above ``depth``;
3. *backpropagate*: every node on the path adds the mean reward of the path from it
   down to the leaf (the leaf's best child included when it was just expanded).

Pairs come from every node with two or more children: chosen = the child with the best
mean value, rejected = the worst; a pair is kept when the value gap is at least
``min_gap`` (0.1), the order-aware word overlap of the two steps is at most
``max_overlap`` (0.95) and the chosen value is at least ``min_chosen`` (-0.3). Trees are
rooted at the dialogue's deficient steps (``stats["itool"]["deficient_steps"]``, from
``turnloom mine``), else at every ``depth``-th assistant step. Everything random is
derived from the seed, so a run is deterministic.

A dialogue's search (:func:`search_dialogue`) depends on that dialogue alone; its
seeds come from ``(seed, dialogue id, ...)``. :func:`merge_searches` joins searches in
input order, keeping the first of equal pairs across dialogues and summing the counts,
so dialogues can be searched apart (on Ray: :func:`turnloom.itool._distributed.mcts_on_ray`)
with the result of :func:`run_mcts`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from turnloom.agents.verify.verifier import RuleVerifier
from turnloom.itool._perturb import perturb_step
from turnloom.itool._policy import Policy
from turnloom.itool._reward import Outcome, score_action
from turnloom.itool._steps import ReplayEnv, message_text, replay_env, replay_messages, step_kind, word_overlap
from turnloom.schema import Dialogue, Message, canonical_json, derive_seed
from turnloom.tools_env.world import World

__all__ = ["DialogueSearch", "MCTSConfig", "MCTSResult", "Node", "StepTree", "merge_searches", "pick_pair", "run_mcts",
           "search_dialogue", "tree_roots"]


@dataclass(frozen=True)
class MCTSConfig:
    iterations: int = 5
    depth: int = 3
    w: float = 1.0
    min_gap: float = 0.1
    max_overlap: float = 0.95
    min_chosen: float = -0.3
    seed: int = 0


@dataclass(eq=False)
class Node:
    prefix: list[Message]
    world: World
    #: index of the gold assistant message this node's children answer (None: a leaf)
    target: int | None
    depth: int
    action: Message | None = None
    source: str = "root"
    outcome: Outcome | None = None
    prior: float = 1.0
    parent: Node | None = None
    children: list[Node] = field(default_factory=list)
    n: int = 0
    value: float = 0.0
    expanded: bool = False

    @property
    def mean(self) -> float:
        if self.n:
            return self.value / self.n
        return self.outcome.reward if self.outcome is not None else 0.0

    def walk(self) -> list[Node]:
        out, queue = [], [self]
        while queue:
            node = queue.pop(0)
            out.append(node)
            queue.extend(node.children)
        return out


def _key(message: Message) -> str:
    calls = [[c.name, c.arguments] for c in message.tool_calls]
    return canonical_json(["" if calls else (message.content or "").strip(), calls])


class StepTree:
    """One search tree rooted before the gold assistant message ``root_index`` of a dialogue."""

    def __init__(self, dialogue: Dialogue, root_index: int, cfg: MCTSConfig, *, policy: Policy | None = None,
                 replay: ReplayEnv | None = None, verifier: RuleVerifier | None = None) -> None:
        self.dialogue = dialogue
        self.cfg = cfg
        self.policy = policy
        self.replay = replay or replay_env(dialogue)
        self.verifier = verifier or RuleVerifier()
        prefix = list(dialogue.messages[:root_index])
        world = replay_messages(self.replay.env, World.model_validate(dialogue.world_initial), prefix)
        self.root = Node(prefix, world, root_index, 0)

    def _next_target(self, t: int) -> int | None:
        msgs = self.dialogue.messages
        return next((j for j in range(t + 1, len(msgs)) if msgs[j].role == "assistant"), None)

    async def _candidates(self, node: Node) -> list[tuple[str, Message, float]]:
        assert node.target is not None
        gold = self.dialogue.messages[node.target]
        seed = derive_seed(self.cfg.seed, self.dialogue.id, node.target)
        found: list[tuple[str, Message]] = [("gold", gold)]
        found += [(f"perturbation:{name}", m) for name, m in
                  perturb_step(gold, self.dialogue.tools, node.prefix, derive_seed(seed, "perturb"))]
        if self.policy is not None:
            samples = await self.policy.sample(node.prefix, self.dialogue.tools, derive_seed(seed, "policy"))
            found += [("policy", m) for m in samples]
        merged: dict[str, list[Any]] = {}
        for source, message in found:
            slot = merged.setdefault(_key(message), [source, message, 0.0])
            slot[2] += 1.0
        total = sum(s[2] for s in merged.values())
        return [(s[0], s[1].model_copy(update={"step": gold.step}), s[2] / total) for s in merged.values()]

    def _child(self, node: Node, source: str, action: Message, prior: float) -> Node:
        assert node.target is not None
        gold = self.dialogue.messages[node.target]
        out = score_action(self.replay, self.verifier, node.prefix, node.world, action, gold, self.dialogue.tools)
        prefix = [*node.prefix, action, *out.tool_messages]
        target = None
        if out.matches_gold:
            target = self._next_target(node.target)
            if target is not None:
                prefix += [m for m in self.dialogue.messages[node.target + 1:target] if m.role != "tool"]
        return Node(prefix, out.world or node.world, target, node.depth + 1, action, source, out, prior, node,
                    n=1, value=out.reward)

    async def _expand(self, node: Node) -> None:
        node.expanded = True
        for source, action, prior in await self._candidates(node):
            node.children.append(self._child(node, source, action, prior))

    def _select(self, node: Node) -> Node:
        log_n = math.log(max(1, node.n))
        best, best_score = node.children[0], -math.inf
        for child in node.children:
            score = child.value / (child.n + 1) + self.cfg.w * child.prior * math.sqrt(log_n / (child.n + 1))
            if score > best_score:
                best, best_score = child, score
        return best

    @staticmethod
    def _backprop(path: list[Node], leaf_value: float | None) -> None:
        rewards = [n.outcome.reward for n in path[1:] if n.outcome is not None]
        if leaf_value is not None:
            rewards.append(leaf_value)
        path[0].n += 1
        path[0].value += sum(rewards) / len(rewards) if rewards else 0.0
        for i, node in enumerate(path[1:]):
            tail = rewards[i:]
            node.n += 1
            node.value += sum(tail) / len(tail)

    async def run(self) -> Node:
        for _ in range(self.cfg.iterations):
            node, path = self.root, [self.root]
            while node.expanded and node.children:
                node = self._select(node)
                path.append(node)
            leaf_value = None
            if not node.expanded and node.target is not None and node.depth < self.cfg.depth:
                await self._expand(node)
                if node.children:
                    leaf_value = max(c.outcome.reward for c in node.children if c.outcome is not None)
            self._backprop(path, leaf_value)
        return self.root


def pick_pair(children: list[Node], cfg: MCTSConfig) -> tuple[Node, Node, str | None]:
    """(chosen, rejected, why dropped or None) among siblings (at least two)."""
    chosen = max(children, key=lambda c: c.mean)
    rejected = min(reversed(children), key=lambda c: c.mean)
    assert chosen.action is not None and rejected.action is not None
    if chosen.mean - rejected.mean < cfg.min_gap:
        return chosen, rejected, "gap"
    if word_overlap(message_text(chosen.action), message_text(rejected.action)) > cfg.max_overlap:
        return chosen, rejected, "overlap"
    if chosen.mean < cfg.min_chosen:
        return chosen, rejected, "chosen_value"
    return chosen, rejected, None


def _side(node: Node) -> dict[str, Any]:
    out = node.outcome
    return {"source": node.source, "value": round(node.mean, 6), "visits": node.n,
            "reward": out.reward if out else None, "matches_gold": out.matches_gold if out else None,
            "failed_rules": out.failed_rules if out else [], "tool_errors": out.errors if out else 0}


@dataclass
class MCTSResult:
    pairs: list[dict[str, Any]]
    stats: dict[str, Any]


def tree_roots(dialogue: Dialogue, depth: int) -> list[int]:
    assistant = [i for i, m in enumerate(dialogue.messages) if m.role == "assistant"]
    marked = (dialogue.stats.get("itool") or {}).get("deficient_steps")
    if isinstance(marked, list) and marked:
        return [i for i in assistant if i in set(marked)]
    return assistant[:: max(1, depth)]


@dataclass
class DialogueSearch:
    """The search of one dialogue, before the duplicate filter across dialogues.

    ``rows`` are its candidate pairs in order, each with its duplicate key (the
    canonical JSON of the TRL row without ``meta``); the counts are those of
    :class:`MCTSResult` ``stats`` for this dialogue alone (no ``kept``, no ``duplicate``).
    """

    dialogue_id: str
    rows: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    not_replayable: bool = False
    trees: int = 0
    nodes: int = 0
    sibling_sets: int = 0
    dropped: dict[str, int] = field(default_factory=lambda: {"gap": 0, "overlap": 0, "chosen_value": 0})


async def search_dialogue(d: Dialogue, cfg: MCTSConfig, *, policy: Policy | None = None,
                          verifier: RuleVerifier | None = None) -> DialogueSearch:
    """Search the trees of one dialogue; its seeds come from ``(cfg.seed, d.id, ...)`` only."""
    from turnloom.export._io import PreferencePair
    from turnloom.export._trl import to_trl_dpo

    verifier = verifier or RuleVerifier()
    replay = replay_env(d)
    out = DialogueSearch(d.id, not_replayable=not replay.reproduces)  # its recorded results may differ
    for root_index in tree_roots(d, cfg.depth):
        tree = StepTree(d, root_index, cfg, policy=policy, replay=replay, verifier=verifier)
        root = await tree.run()
        out.trees += 1
        for node in root.walk():
            out.nodes += 1
            if len(node.children) < 2 or node.target is None:
                continue
            out.sibling_sets += 1
            chosen, rejected, why = pick_pair(node.children, cfg)
            if why is not None:
                out.dropped[why] += 1
                continue
            assert chosen.action is not None and rejected.action is not None
            row = to_trl_dpo(PreferencePair(prompt=node.prefix, chosen=[chosen.action],
                                            rejected=[rejected.action], tools=d.tools))
            key = canonical_json(row)
            gold = d.messages[node.target]
            row["meta"] = {
                "dialogue_id": d.id, "message_index": node.target, "kind": step_kind(d, gold),
                "depth": node.depth, "root_index": root_index, "seed": cfg.seed,
                "gap": round(chosen.mean - rejected.mean, 6),
                "overlap": round(word_overlap(message_text(chosen.action), message_text(rejected.action)), 6),
                "chosen": _side(chosen), "rejected": _side(rejected),
            }
            out.rows.append((key, row))
    return out


def merge_searches(parts: Iterable[DialogueSearch]) -> MCTSResult:
    """The result of the dialogues searched in ``parts``, in order: the first of equal rows kept, counts summed."""
    pairs: list[dict[str, Any]] = []
    seen: set[str] = set()
    stats: dict[str, Any] = {"dialogues": 0, "not_replayable": 0, "trees": 0, "nodes": 0, "sibling_sets": 0,
                             "kept": 0, "dropped": {"gap": 0, "overlap": 0, "chosen_value": 0, "duplicate": 0}}
    for part in parts:
        stats["dialogues"] += 1
        stats["not_replayable"] += int(part.not_replayable)
        stats["trees"] += part.trees
        stats["nodes"] += part.nodes
        stats["sibling_sets"] += part.sibling_sets
        for why, count in part.dropped.items():
            stats["dropped"][why] += count
        for key, row in part.rows:
            if key in seen:
                stats["dropped"]["duplicate"] += 1
                continue
            seen.add(key)
            pairs.append(row)
            stats["kept"] += 1
    return MCTSResult(pairs, stats)


async def run_mcts(dialogues: list[Dialogue], cfg: MCTSConfig, *, policy: Policy | None = None,
                   searches: list[DialogueSearch] | None = None) -> MCTSResult:
    """Search every dialogue in turn; :func:`merge_searches` of the :func:`search_dialogue` results.

    ``searches`` (a list of the caller's) receives each dialogue's search as soon as it is
    done, so that an interrupted run can still write the pairs found so far."""
    verifier = RuleVerifier()
    done = searches if searches is not None else []
    for d in dialogues:
        done.append(await search_dialogue(d, cfg, policy=policy, verifier=verifier))
    return merge_searches(done)
