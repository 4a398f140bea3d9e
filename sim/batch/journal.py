"""The journal of a batch (journal.jsonl): a line per store laid out and per block of worlds
written, appended and flushed to disk one at a time, so that `--resume` recomputes nothing.

Read defensively: a line that is not a well-formed record (cut short by a kill, edited, of
another type, a key missing or mistyped) is reported with its line number and left out, so
the block it stood for runs again."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictInt, StrictStr, TypeAdapter, ValidationError

JOURNAL = "journal.jsonl"
log = logging.getLogger("sim")


class LayoutRecord(BaseModel):
    """A run's store laid out (its chunks still empty)."""

    kind: Literal["layout"]
    run: StrictStr


class BlockRecord(BaseModel):
    """A block of a run's worlds written: its chunk files with their sizes, and their checksum."""

    kind: Literal["block"]
    run: StrictStr
    first_world: StrictInt = Field(ge=0)
    worlds: StrictInt = Field(ge=1)
    files: dict[StrictStr, StrictInt]
    sha256: StrictStr


RECORD = TypeAdapter(Annotated[LayoutRecord | BlockRecord, Field(discriminator="kind")])


class Journal:
    """Lines appended and flushed to disk one at a time. Read once when opened; kept in memory
    as it grows."""

    def __init__(self, path: Path):
        self.path = path
        self._entries = self._read()

    def _read(self) -> list[dict]:
        try:
            lines = self.path.read_text(encoding="utf-8", errors="replace").splitlines()
        except FileNotFoundError:
            return []
        entries = []
        for number, line in enumerate(lines, start=1):
            try:
                entry = json.loads(line)
                RECORD.validate_python(entry)
            except (ValueError, ValidationError) as err:  # torn by a kill, or not ours
                reason = "cut short" if isinstance(err, json.JSONDecodeError) else "not a record"
                log.warning(
                    "%s: line %d is %s of this batch's journal; what it recorded runs again",
                    self.path,
                    number,
                    reason,
                )
                continue
            entries.append(entry)
        return entries

    def append(self, entry: dict) -> None:
        """Write one record and flush it to disk before going on."""
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")
            f.flush()
            os.fsync(f.fileno())
        self._entries.append(entry)

    def blocks(self) -> dict[tuple[str, int], dict]:
        """The block records by (run, first world)."""
        return {(e["run"], e["first_world"]): e for e in self._entries if e["kind"] == "block"}

    def laid_out(self) -> set[str]:
        """The runs whose store is laid out."""
        return {e["run"] for e in self._entries if e["kind"] == "layout"}
