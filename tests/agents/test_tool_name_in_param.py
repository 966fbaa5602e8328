"""A tool's name that starts one of its parameters' phrases ("comment content" of ``comment``) names the
parameter, not the request: the value after it is extracted, and the tool is the one called."""

from __future__ import annotations

import asyncio

import pytest

from turnloom.agents import AgentView
from turnloom.agents.offline import OfflineAssistant
from turnloom.agents.offline._extract import extract_args
from turnloom.schema import Message, ToolSpec

COMMENT = ToolSpec(name="comment", description="Comment on a tweet for the authenticated user.", parameters={
    "type": "object", "required": ["tweet_id", "comment_content"], "properties": {
        "tweet_id": {"type": "integer", "description": "ID of the tweet to comment on."},
        "comment_content": {"type": "string", "description": "Content of the comment."}}})
GET_TWEET = ToolSpec(name="get_tweet", description="Retrieve a specific tweet.", parameters={
    "type": "object", "required": ["tweet_id"], "properties": {
        "tweet_id": {"type": "integer", "description": "ID of the tweet to retrieve."}}})


@pytest.mark.parametrize("text,want", [
    ('Ah, of course! Go with comment content "Senior message price floor while.".',
     {"comment_content": "Senior message price floor while."}),
    ('hello. comment: tweet id is 0 and comment content is "It works now.".',
     {"tweet_id": 0, "comment_content": "It works now."}),
])
def test_a_parameter_phrase_that_starts_with_the_tool_name_is_kept(text: str, want: dict[str, object]) -> None:
    assert extract_args(text, COMMENT) == want


def test_the_tool_whose_parameters_were_said_is_called() -> None:
    text = 'hello. comment: tweet id is 0 and comment content is "It works now.".'
    view = AgentView(role="assistant", seed=1, tools=[COMMENT, GET_TWEET],
                     messages=[Message(role="user", content=text)])
    calls = asyncio.run(OfflineAssistant().act(view)).messages[0].tool_calls
    assert [(c.name, c.arguments) for c in calls] == [("comment", {"tweet_id": 0, "comment_content": "It works now."})]
