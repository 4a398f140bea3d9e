"""Errors a user can act on: each names the file, the field and what is allowed."""

from __future__ import annotations


class ScenarioError(ValueError):
    """A scenario (or result folder) that cannot be used, with where and why."""

    def __init__(self, field: str, message: str, file: str | None = None):
        self.field, self.message, self.file = field, message, file
        super().__init__(self.describe())

    def in_file(self, file: str) -> ScenarioError:
        return ScenarioError(self.field, self.message, file)

    def describe(self) -> str:
        where = f"{self.file}: " if self.file else ""
        field = f"field '{self.field}': " if self.field else ""
        return f"{where}{field}{self.message}"
