"""Errors a user can act on: each names the file, the field and what is allowed (a leaf)."""

from __future__ import annotations


class ScenarioError(ValueError):
    """A scenario (or other input) that cannot be used, with where and why."""

    def __init__(self, field: str, message: str, file: str | None = None):
        self.field, self.message, self.file = field, message, file
        super().__init__(self.describe())

    def in_file(self, file: str) -> ScenarioError:
        return type(self)(self.field, self.message, file)

    def describe(self) -> str:
        where = f"{self.file}: " if self.file else ""
        field = f"field '{self.field}': " if self.field else ""
        return f"{where}{field}{self.message}"


class ResultError(ScenarioError):
    """A result folder that cannot be written where asked, or read back as it was written."""

    def __init__(self, path, message: str, field: str = ""):
        super().__init__(field, message, str(path))

    def in_file(self, file: str) -> ResultError:
        return ResultError(file, self.message, self.field)


class Interrupted(KeyboardInterrupt):
    """SIGTERM, raised where the program is, so that cleanup runs as for Ctrl-C."""
