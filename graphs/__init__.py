"""The tool graph and sampling (networkx) and the dialogue state machine (LangGraph)."""
