"""One page of a long list, for the pages (the API pages in coop/api/inputs.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Page:
    """Page `number` (from 1) of `items`, `size` at a time; a number outside
    the list gives the nearest page (the view may refuse it)."""

    items: Sequence[Any]
    requested: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-len(self.items) // self.size))

    @property
    def number(self) -> int:
        return min(max(1, self.requested), self.pages)

    @property
    def rows(self) -> Sequence[Any]:
        start = (self.number - 1) * self.size
        return self.items[start:start + self.size]

    @property
    def first(self) -> int:
        """The position (from 1) of the page's first row in the list."""
        return (self.number - 1) * self.size + 1 if self.items else 0

    @property
    def last(self) -> int:
        return min(len(self.items), self.number * self.size)
