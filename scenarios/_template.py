"""The commented scenario template written by ``turnloom scenario new``.

:func:`render_template` gives a complete scenario that validates and runs as it is,
with every field of the format explained in comments. With ``extends`` the fields
are left commented out, so the parent's values apply until a block is uncommented.
"""

from __future__ import annotations

import json

import yaml

__all__ = ["render_template"]

_HEADER = """\
# Scenario __NAME__: what turnloom simulates, written as data.
# Every field is explained below; all but `name` are optional. Check the file with
#   turnloom scenario validate __FILE__
# and simulate a few dialogues with
#   turnloom run __FILE__ -n 5 -o out/ && turnloom show out/accepted.jsonl
# The full guide: scenarios/README.md in the turnloom sources.

# name: letters, digits, '_', '.', '-'; dialogue ids start with it.
name: __NAME__
# description: one or two sentences for `turnloom scenario list`.
description: __DESCRIPTION__
"""

_EXTENDS = """\
# extends: a built-in scenario name or a path (relative to this file) whose fields this
# file overrides. Mappings merge key by key; lists and plain values are replaced.
extends: __EXTENDS__
"""

_BODY = """\
# system_prompt: the assistant's system message in every dialogue.
system_prompt: >
  You are the __NAME__ assistant. Use the tools to find what the user asks for and to
  place, check, change and cancel reservations. Ask for any required detail you were not given.

# tools: where the tools come from; the sources combine.
tools:
  # pool: `builtin` (306 tools over 28 domains) or a path to a JSONL pool file; with
  # neither `domains` nor `names` every tool of the pool is offered.
  # pool: builtin
  # domains: keep the pool's tools of these domains, e.g. [restaurants, weather].
  # domains: [weather]
  # names: keep the pool's tools with these names, e.g. [get_current_weather].
  # names: [get_current_weather]
  # sample: offer each dialogue a subset of `size` tools drawn through the tool graph;
  # mode is walk, chain, parallel, domain or random. Without it every tool is offered.
  # sample: {mode: walk, size: 4}
  # inline: tools written here. `parameters` and `returns` are JSON Schemas; the mock
  # backend validates arguments with `parameters` and builds results from `returns`.
  # Name tools verb_noun (search_, get_, create_/reserve_, update_, cancel_...): the
  # verb tells the mock what the call does, and `*_id` fields link calls together.
  # The example tools below are a library's catalogue and reservations: replace them
  # with the tools of __NAME__.
  inline:
    - name: search_books
      domain: library
      description: Search the catalogue for books by title words or author.
      parameters:
        type: object
        properties:
          query: {type: string, description: Words from the title}
          author: {type: string, description: Author name}
        required: [query]
      returns:
        type: object
        properties:
          books:
            type: array
            maxItems: 5
            items:
              type: object
              properties:
                book_id: {type: string, description: Catalogue identifier of the book}
                title: {type: string, description: Title of the book}
                author: {type: string, description: Author of the book}
                available: {type: boolean, description: Whether a copy is on the shelf}
              required: [book_id, title, author, available]
        required: [books]
    - name: reserve_book
      domain: library
      description: Reserve a book for a library member to pick up.
      parameters:
        type: object
        properties:
          book_id: {type: string, description: Catalogue identifier of the book}
          member_name: {type: string, description: Full name of the member}
          pickup_date: {type: string, format: date, description: Day the member picks the book up}
        required: [book_id, member_name]
      returns:
        type: object
        properties:
          reservation_id: {type: string, description: Reservation number}
          book_id: {type: string, description: Reserved book}
          member_name: {type: string, description: Member on the reservation}
          pickup_date: {type: string, format: date, description: Pick-up day}
          status: {type: string, enum: [reserved, ready, cancelled], description: Reservation status}
        required: [reservation_id, book_id, member_name, status]
    - name: get_reservation
      domain: library
      description: Get a book reservation by its reservation number.
      parameters:
        type: object
        properties:
          reservation_id: {type: string, description: Reservation number}
        required: [reservation_id]
      returns:
        type: object
        properties:
          reservation_id: {type: string, description: Reservation number}
          book_id: {type: string, description: Reserved book}
          member_name: {type: string, description: Member on the reservation}
          pickup_date: {type: string, format: date, description: Pick-up day}
          status: {type: string, enum: [reserved, ready, cancelled], description: Reservation status}
        required: [reservation_id, book_id, status]
    - name: update_reservation
      domain: library
      description: Change the pick-up day of a book reservation.
      parameters:
        type: object
        properties:
          reservation_id: {type: string, description: Reservation number}
          pickup_date: {type: string, format: date, description: New pick-up day}
        required: [reservation_id]
      returns:
        type: object
        properties:
          reservation_id: {type: string, description: Reservation number}
          pickup_date: {type: string, format: date, description: Pick-up day now on file}
          status: {type: string, enum: [reserved, ready, cancelled], description: Reservation status}
        required: [reservation_id, status]
    - name: cancel_reservation
      domain: library
      description: Cancel a book reservation.
      parameters:
        type: object
        properties:
          reservation_id: {type: string, description: Reservation number}
        required: [reservation_id]
      returns:
        type: object
        properties:
          reservation_id: {type: string, description: Reservation number}
          status: {type: string, enum: [cancelled], description: Reservation status}
        required: [reservation_id, status]

# world: the mock backend's starting state and behaviour.
world:
  # seed_data: records present before the first call, per entity type (the noun of
  # the tool names, e.g. `book`); each record carries its `<entity>_id`.
  seed_data:
    book:
      - {book_id: BK-1001, title: The Left Hand of Darkness, author: Ursula K. Le Guin, available: true}
      - {book_id: BK-1002, title: Invisible Cities, author: Italo Calvino, available: false}
  env:
    # lazy_world: reading an id the world does not hold invents a record (true) or
    # answers "not found" (false); true also fills empty lists of your own records.
    lazy_world: false
    # error_rate: share of calls (0 to 1) that fail with a transient error.
    error_rate: 0.0
    # error_kinds: which transient errors may occur.
    error_kinds: [timeout, rate_limit, server_error]
    # search_results: records a search or list returns when it invents them.
    search_results: 3
  # bindings: tool name -> `package.module:function` run instead of the mock; the
  # function receives the call's arguments as keywords and returns the result.
  bindings: {}

# user: who the simulated user is.
user:
  # persona: how the user writes (LLM-backed users follow it closely).
  persona: a __NAME__ member who writes short, polite messages
  # goals: what the user wants overall; recorded in each dialogue's plan.
  goals:
    - find what they need at __NAME__ and reserve it
    - check, move or cancel the reservation

# plan: the per-turn requirements of each dialogue.
plan:
  # min_steps / max_steps: user turns per dialogue (before the closing turn).
  min_steps: 3
  max_steps: 5
  # mix: relative weights of the step kinds (normalized; need not sum to 1):
  #   single          one call with values the user states
  #   dependent       a call that uses an id an earlier call returned
  #   parallel        two independent calls asked for in one message
  #   clarification   the user leaves a required value out; the assistant asks
  #   follow_up       "change it to ..." on an earlier result or request
  #   chitchat        small talk, no tool
  #   irrelevant      a request no tool can serve; the assistant says so
  #   error_recovery  the first call fails with a transient error; the assistant retries
  mix: {single: 0.2, dependent: 0.3, parallel: 0.1, clarification: 0.1, follow_up: 0.1,
        chitchat: 0.1, irrelevant: 0.05, error_recovery: 0.05}
  # closing: end every dialogue with a thank-you turn.
  closing: true
  # require_dependent: every plan gets a dependent step when the tools allow one.
  require_dependent: true

# verify: the rule verifier.
verify:
  # disable: rule names to skip, e.g. [grounded_args].
  disable: []
  # max_regenerations: retries of an assistant turn that fails the turn rules.
  max_regenerations: 1
  # max_reply_chars: longest assistant reply accepted.
  max_reply_chars: 2000

# agents: role (planner, user, assistant, verifier) -> a registered agent name
# (offline-planner, offline-user, offline-assistant, rule-verifier) or
# `package.module:Name`. Unset roles use the offline agents.
agents: {}

# models: role -> model for LLM-backed agents, written PROVIDER:MODEL@BASE_URL,
# e.g. `assistant: openai:qwen2.5-7b@http://127.0.0.1:8000/v1`.
models: {}

# max_turns: hard limit on messages per dialogue (2 to 400).
max_turns: 40
"""


def _comment_out(text: str) -> str:
    out = []
    for line in text.splitlines():
        out.append(line if not line.strip() or line.lstrip().startswith("#") else f"# {line}")
    return "\n".join(out) + "\n"


def render_template(name: str, *, extends: str | None = None, file: str | None = None) -> str:
    """The commented template for a scenario called ``name`` (written to ``file``)."""
    description = (f"{name}: a variant of {extends}." if extends
                   else f"{name}: find what the user asks for, reserve it, then check, move or cancel the "
                        "reservation.")
    text = _HEADER.replace("__DESCRIPTION__", json.dumps(description))
    if extends:
        text += "\n" + _EXTENDS.replace("__EXTENDS__", extends)
        text += ("\n# Everything below is commented out, so the values of " + extends + " apply.\n"
                 "# Uncomment a block to override it.\n\n" + _comment_out(_BODY))
    else:
        text += "\n" + _comment_out(_EXTENDS.replace("__EXTENDS__", "travel")) + "\n" + _BODY
    text = text.replace("__FILE__", file or f"{name}.yaml")
    return text.replace("name: __NAME__", f"name: {_scalar(name)}").replace("__NAME__", name)


def _scalar(value: str) -> str:
    """``value`` as a YAML scalar that reads back as this string."""
    return value if yaml.safe_load(value) == value else json.dumps(value)
