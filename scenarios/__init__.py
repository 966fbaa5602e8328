"""Scenario model, loader and built-in scenarios."""
