"""iTool on turnloom dialogues: easy-to-hard curriculum, step-level evaluation,
deficiency mining, MCTS preference pairs with verifiable rewards, and one full
iteration of the loop. Training lives in ``scripts/train_sft.py`` and
``scripts/train_dpo.py`` (with :mod:`turnloom.itool.training`, which needs the
``[train]`` extra)."""

from turnloom.itool._ast import StepMatch, match_call, match_step, normalize_string, values_match
from turnloom.itool._curriculum import (
    CurriculumEntry,
    CurriculumResult,
    build_curriculum,
    difficulty_levels,
    write_curriculum,
)
from turnloom.itool._difficulty import FEATURE_WEIGHTS, LEVELS, features, spearman, structural_score, terciles
from turnloom.itool._eval import DialogueResult, EvalResult, StepResult, evaluate, summarize, write_eval
from turnloom.itool._io import InputError, load_dialogues
from turnloom.itool._loop import IterationConfig, TrainError, run_iteration, train_command
from turnloom.itool._mcts import (
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
from turnloom.itool._mine import MineResult, mine
from turnloom.itool._nll import HFNLL, EndpointNLL, NLLError, NLLScorer, StepNLL, dialogue_nll, make_nll_scorer
from turnloom.itool._perturb import PERTURBATIONS, perturb_step
from turnloom.itool._policy import ModelPolicy, OfflinePolicy, Policy, PolicyAnswer, make_policy
from turnloom.itool._reward import REWARD_WEIGHTS, Outcome, score_action
from turnloom.itool._steps import AssistantStep, ReplayEnv, assistant_steps, replay_env, word_overlap

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
