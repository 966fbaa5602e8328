"""iTool on toolweave dialogues: easy-to-hard curriculum, step-level evaluation,
deficiency mining, MCTS preference pairs with verifiable rewards, and one full
iteration of the loop. Training lives in ``scripts/train_sft.py`` and
``scripts/train_dpo.py`` (with :mod:`toolweave.itool.training`, which needs the
``[train]`` extra)."""

from toolweave.itool._ast import StepMatch, match_call, match_step, normalize_string, values_match
from toolweave.itool._curriculum import (
    CurriculumEntry,
    CurriculumResult,
    build_curriculum,
    difficulty_levels,
    write_curriculum,
)
from toolweave.itool._difficulty import FEATURE_WEIGHTS, LEVELS, features, spearman, structural_score, terciles
from toolweave.itool._eval import DialogueResult, EvalResult, StepResult, evaluate, summarize, write_eval
from toolweave.itool._io import InputError, load_dialogues
from toolweave.itool._loop import IterationConfig, TrainError, run_iteration, train_command
from toolweave.itool._mcts import (
    DialogueSearch,
    MCTSConfig,
    MCTSResult,
    Node,
    StepTree,
    merge_searches,
    pick_pair,
    run_mcts,
    search_dialogue,
    tree_roots,
)
from toolweave.itool._mine import MineResult, mine
from toolweave.itool._nll import HFNLL, EndpointNLL, NLLError, NLLScorer, StepNLL, dialogue_nll, make_nll_scorer
from toolweave.itool._perturb import PERTURBATIONS, perturb_step
from toolweave.itool._policy import ModelPolicy, OfflinePolicy, Policy, PolicyAnswer, make_policy
from toolweave.itool._reward import REWARD_WEIGHTS, Outcome, score_action
from toolweave.itool._steps import AssistantStep, ReplayEnv, assistant_steps, replay_env, word_overlap

__all__ = [
    "AssistantStep",
    "CurriculumEntry",
    "CurriculumResult",
    "DialogueResult",
    "DialogueSearch",
    "EndpointNLL",
    "EvalResult",
    "FEATURE_WEIGHTS",
    "HFNLL",
    "InputError",
    "IterationConfig",
    "LEVELS",
    "MCTSConfig",
    "MCTSResult",
    "MineResult",
    "ModelPolicy",
    "NLLError",
    "NLLScorer",
    "Node",
    "OfflinePolicy",
    "Outcome",
    "PERTURBATIONS",
    "Policy",
    "PolicyAnswer",
    "REWARD_WEIGHTS",
    "ReplayEnv",
    "StepMatch",
    "StepNLL",
    "StepResult",
    "StepTree",
    "TrainError",
    "assistant_steps",
    "build_curriculum",
    "dialogue_nll",
    "difficulty_levels",
    "evaluate",
    "features",
    "load_dialogues",
    "make_nll_scorer",
    "make_policy",
    "match_call",
    "match_step",
    "merge_searches",
    "mine",
    "normalize_string",
    "perturb_step",
    "pick_pair",
    "replay_env",
    "run_iteration",
    "run_mcts",
    "score_action",
    "search_dialogue",
    "spearman",
    "structural_score",
    "summarize",
    "terciles",
    "train_command",
    "tree_roots",
    "values_match",
    "word_overlap",
    "write_curriculum",
    "write_eval",
]
