"""The record a hindcast is scored against (scenarios/calibration/record_2024.yaml), validated
like scenarios and targets.

An *entry* is one recorded figure: trade summed over flows and months (USD M), the powers that
recognised the host during the months, or the stochastic events of one shock kind drawn in them;
its value (`at_least`: a lower bound), the same figure a year earlier where one exists
(`before`), its source, and why the hindcast has seen it (`in_sample`) or why its sources
disagree (`conflict`), if either is so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from sim.calibration.targets import Flows, Window
from sim.scenario.loading import SCENARIO_DIR, read_validated
from sim.scenario.schema import Strict
from sim.scenario.vocab import MAX_SEED, NAME_PATTERN, SHOCK_KINDS

RECORD_FILE = SCENARIO_DIR / "calibration" / "record_2024.yaml"


class Level(Strict):
    """The same figure a year earlier, with its source."""

    value: float
    source: str


class Entry(Strict):
    """One recorded figure and how the model's ensemble is read to match it."""

    name: str = Field(pattern=NAME_PATTERN)
    label: str
    measure: Literal["trade", "recognition", "events"]
    flows: list[Flows] = Field(default=[], description="trade: the flows summed (any matching)")
    rest_of_world: bool = Field(
        default=False, description="trade: add the host's trade with partners not modelled"
    )
    shock: Literal[SHOCK_KINDS] | None = Field(  # type: ignore[valid-type]
        default=None, description="events: the shock kind counted"
    )
    months: Window
    value: float
    kind: Literal["exact", "at_least"] = "exact"
    unit: str
    before: Level | None = Field(default=None, description="the same months a year earlier")
    source: str
    in_sample: str | None = Field(default=None, description="how the hindcast has seen it")
    conflict: str | None = Field(default=None, description="how its sources disagree")

    @model_validator(mode="after")
    def _measure_fields(self):
        if (self.measure == "trade") != bool(self.flows):
            raise ValueError("`flows` is required for, and only for, the trade measure")
        if self.rest_of_world and self.measure != "trade":
            raise ValueError("`rest_of_world` adds to the trade measure only")
        if (self.measure == "events") != (self.shock is not None):
            raise ValueError("`shock` is required for, and only for, the events measure")
        if self.kind == "at_least" and self.before is not None:
            raise ValueError("a lower bound (`at_least`) has no direction: drop `before`")
        return self

    def matches(self, flow) -> bool:
        return any(selection.matches(flow) for selection in self.flows)


class Record(Strict):
    scenario: str = Field(description="the hindcast scenario, beside this file or shipped")
    worlds: int = Field(default=500, ge=1, le=100_000)
    seed: int = Field(default=20230101, ge=0, lt=MAX_SEED)
    entries: list[Entry] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_names(self):
        names = [e.name for e in self.entries]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"entry names must be unique; given twice: {', '.join(twice)}")
        return self


def load_record(path: str | Path | None = None) -> Record:
    """Read and validate a record file (default: scenarios/calibration/record_2024.yaml)."""
    return read_validated(Record, Path(path) if path else RECORD_FILE, kind="record")


def scenario_path(record: Record, path: str | Path | None = None) -> Path:
    """The hindcast scenario file a record names, beside the record file."""
    return (Path(path) if path else RECORD_FILE).parent / record.scenario
