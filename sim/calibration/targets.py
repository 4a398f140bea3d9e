"""Calibration targets and stylised facts (scenarios/calibration/targets.yaml), validated like
scenarios.

A *target* is a figure the baseline must reproduce: a measure of simulated trade over a window
of months (USD M, kilotonnes, growth over the previous year, or a share of one set of flows in
another), or the remittances a state's migrants send home as a share of its GDP; its expected
value, a tolerance and a source.

A *fact* is a behaviour: a change to the scenario (added or removed events, levers), a measure
of a recorded series over a window, and the expected direction of the paired difference
(changed minus unchanged, same worlds and seeds); or, with no change, the difference between
two selections of one run (e.g. Tajik minus Uzbek threat).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from sim.scenario.schema import Event, Strict, _real_month
from sim.scenario.vocab import MAX_SEED, MONTH_PATTERN, NAME_PATTERN


class Flows(Strict):
    """Which trade flows a measure sums: each list limits one field (empty: any); `not_exporter`
    leaves out flows from those exporters."""

    exporter: list[str] = []
    importer: list[str] = []
    commodity: list[str] = []
    not_exporter: list[str] = []

    def matches(self, flow) -> bool:
        return flow.exporter not in self.not_exporter and all(
            not allowed or getattr(flow, name) in allowed
            for name, allowed in (
                ("exporter", self.exporter),
                ("importer", self.importer),
                ("commodity", self.commodity),
            )
        )


class Window(Strict):
    """Months from `first` to `last`, both included."""

    first: str = Field(pattern=MONTH_PATTERN)
    last: str = Field(pattern=MONTH_PATTERN)

    _check_months = field_validator("first", "last")(_real_month)

    @model_validator(mode="after")
    def _ordered(self):
        if self.last < self.first:
            raise ValueError(f"last month {self.last} is before first month {self.first}")
        return self


class Target(Strict):
    """A figure the baseline must reproduce, with its tolerance and source."""

    name: str = Field(pattern=NAME_PATTERN)
    label: str
    measure: Literal["trade", "tonnes", "growth", "share", "remittance_share"]
    flows: Flows = Flows()
    of: Flows | None = Field(default=None, description="the denominator flows of a share")
    origin: str | None = Field(
        default=None, description="remittance_share: the state whose migrants send them"
    )
    months: Window
    value: float
    unit: str
    tolerance: float = Field(ge=0, description="allowed distance from value, in `unit`")
    kind: Literal["within", "at_least"] = "within"
    free: bool = Field(
        default=True, description="used by `sim calibrate` (false: checked only, not fitted)"
    )
    source: str

    @model_validator(mode="after")
    def _denominator(self):
        if (self.measure == "share") != (self.of is not None):
            raise ValueError("`of` (the denominator flows) is required for, and only for, share")
        if (self.measure == "remittance_share") != (self.origin is not None):
            raise ValueError("`origin` is required for, and only for, remittance_share")
        return self

    def passes(self, simulated: float) -> bool:
        if self.kind == "at_least":
            return simulated >= self.value - self.tolerance
        return abs(simulated - self.value) <= self.tolerance


class Selection(Strict):
    """One recorded series, one label per axis, averaged over a window of months; for the
    `trade` series, `flows` sums the matching flows instead of selecting one."""

    series: str
    select: dict[str, str] = {}
    flows: Flows | None = None
    months: Window

    @model_validator(mode="after")
    def _flows_of_trade(self):
        if self.flows is not None and (self.series != "trade" or self.select):
            raise ValueError("`flows` sums flows of the `trade` series, without `select`")
        return self


class Change(Strict):
    """What the changed scenario of a fact adds, removes or sets."""

    add_events: list[Event] = []
    remove_events: list[dict[str, str]] = Field(
        default=[], description="remove every event whose fields equal all of these"
    )
    levers: dict[str, float] = {}


class Pinned(Strict):
    """A variable the scenario holds at a bound on purpose, and why."""

    series: str
    select: dict[str, str]
    reason: str


class Fact(Strict):
    """A stylised fact: the sign or size of a paired difference, with common random numbers.

    With `change`, the difference is changed minus unchanged; with `versus` too, of the measure
    minus the other selection (a difference in differences); with `per`, divided by minus the
    paired change of `per` (a share of what `per` lost, e.g. lost imports diverted)."""

    name: str = Field(pattern=NAME_PATTERN)
    label: str
    change: Change | None = None
    measure: Selection
    versus: dict[str, str] | None = Field(
        default=None, description="the other selection (of the same run, or of both runs)"
    )
    per: Selection | None = Field(default=None, description="with change: divide by its loss")
    relative: bool = Field(default=False, description="difference relative to the unchanged")
    expect: Literal["increase", "decrease", "none", "within", "at_least", "at_most"]
    tolerance: float = Field(default=0.0, ge=0, description="for `within`: allowed |difference|")
    value: float = Field(
        default=0.0, description="for `at_least` (`at_most`): the least (most) effect that passes"
    )
    source: str

    @model_validator(mode="after")
    def _comparison(self):
        if self.change is None and self.versus is None:
            raise ValueError("give `change` (a paired run), `versus` (another selection) or both")
        if self.per is not None and (self.change is None or self.relative):
            raise ValueError("`per` needs a `change` and excludes `relative`")
        return self


class Saturation(Strict):
    """No variable may sit near a bound in too many worlds (averaged over one year), unless
    `pinned` lists it with the reason."""

    year: int = Field(ge=1900, le=2200)
    margin: float = Field(
        default=0.02, gt=0, lt=0.5, description="distance that counts as at a bound"
    )
    share: float = Field(default=0.25, gt=0, le=1, description="most worlds allowed near a bound")
    series: dict[str, Literal["both", "upper"]] = Field(
        description="series to check and which bounds: both, or the upper only"
    )
    pinned: list[Pinned] = []
    source: str


class Calibrated(Strict):
    """A free parameter `sim calibrate` fits, by its scenario path, within bounds."""

    path: str
    low: float
    high: float


class Targets(Strict):
    scenario: str = "baseline"
    worlds: int = Field(default=300, ge=200, le=100_000)
    seed: int = Field(default=20240101, ge=0, lt=MAX_SEED)
    targets: list[Target]
    facts: list[Fact]
    saturation: Saturation | None = None
    calibrate: list[Calibrated] = []
