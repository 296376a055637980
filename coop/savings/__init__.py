"""Savings groups (ГВП / VSLA): the cycle engine (spec/savings-preview.md)."""

from coop.savings.domain import ScenarioError, preview

__all__ = ["ScenarioError", "preview"]
