"""The scenario schema: typed, validated, with provenance for every number.

One pydantic model is the single source of truth for validation, the JSON Schema (`sim schema`)
and docs/scenarios.md. Unknown keys are errors everywhere. Cross-references (actor codes,
crossing ids, lever paths) are checked after parsing by `check_references`, so an error names the
exact field that holds the bad reference.
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import date
from typing import Annotated, ClassVar, Literal

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from sim.errors import ScenarioError
from sim.scenario.paths import get_path, set_path
from sim.scenario.vocab import (
    CODE_PATTERN,
    COMMODITIES,
    DISTRIBUTIONS,
    EVENT_TYPES,
    FOLDER_NAME_PATTERN,
    ID_PATTERN,
    INSTRUMENTS,
    MAX_SEED,
    MONTH_PATTERN,
    NAME_PATTERN,
    NETWORKS,
    OUTCOME_REDUCTIONS,
    ROLES,
    SEED_RANGE_TEXT,
    SHOCK_KINDS,
    SOURCE_KINDS,
    UNCERTAINTY_GROUPS,
)

MAX_WORLDS = 10_000_000  # a scenario's limit on worlds
MAX_POINTS = 100_000  # a sweep's limit on points (a grid's combinations, a sample's points)


class Strict(BaseModel):
    """Unknown keys are errors; .nan and .inf are refused in every number."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Quantity(Strict):
    """A number with its unit and where it comes from.

    `source` starts with one of article:, statistic:, assumption: or calibrated:, then says which
    fact, which publication and year, or why the assumption is reasonable.
    """

    value: float
    unit: str = Field(min_length=1)
    source: str

    @field_validator("source")
    @classmethod
    def _source_has_kind(cls, source: str) -> str:
        kind, _, text = source.partition(":")
        if kind.strip() not in SOURCE_KINDS or not text.strip():
            raise ValueError(
                f"source must read '<kind>: <reference>' with kind one of {', '.join(SOURCE_KINDS)}"
            )
        return source


def _real_month(cls, month: str) -> str:
    """A YYYY-MM string (the pattern is checked first) whose month is 01 to 12."""
    if not 1 <= int(month[-2:]) <= 12:
        raise ValueError(f"{month!r} is not a month; write YYYY-MM with MM from 01 to 12")
    return month


Month = Annotated[
    str,
    StringConstraints(pattern=MONTH_PATTERN),
    AfterValidator(lambda month: _real_month(None, month)),
]


def _bounded(low: float | None = None, high: float | None = None):
    """A Quantity whose value must lie in [low, high]."""

    def check(q: Quantity) -> Quantity:
        if (low is not None and q.value < low) or (high is not None and q.value > high):
            if high is None:
                raise ValueError(f"value {q.value} is below {low}, the least allowed")
            raise ValueError(f"value {q.value} is outside the allowed range [{low}, {high}]")
        return q

    from pydantic import AfterValidator

    return Annotated[Quantity, AfterValidator(check)]


NonNegative = _bounded(0.0)
Share = _bounded(0.0, 1.0)
Rate = _bounded(0.0, 1.0)
Weight = _bounded(0.0, 10.0)


class PowerPriorities(Strict):
    """Weights of one decision rule shared by all powers: their contrast is in these numbers."""

    security: Weight = Field(description="response of security engagement to a state's threat")
    economic: Weight = Field(description="response of economic engagement to trade opportunity")
    stability: Weight = Field(description="retreat of economic engagement under instability")
    rivalry: Weight = Field(description="response of all engagement to rivals' influence gains")
    reciprocity: Weight = Field(description="response of diplomacy to the host's openness")
    legitimacy: Weight = Field(
        description="sanctions response to others' recognition of and influence over the host"
    )


class StatePriorities(Strict):
    """Weights of the host's and neighbours' decision rules."""

    security: Weight = Field(description="response of posture / counter-terrorism to threat")
    opportunity: Weight = Field(description="response of trade openness to transit and trade gains")
    recognition: Weight = Field(description="host only: openness response to recognition")
    support: Weight = Field(description="host only: openness response to economic support share")
    sovereignty: Weight = Field(description="host only: openness retreat under sanctions")
    balancing: Weight = Field(
        default=Quantity(value=0.0, unit="weight", source="assumption: no balancing"),
        description="host only: openness retreat from a power whose influence has risen (hedging)",
    )


class HostTies(Strict):
    """A neighbour's hold over the host, which makes it an influence holder beside the powers:
    what it gives and controls there, and the host's openness to it."""

    support: NonNegative = Field(description="aid, investment and remittances to the host")
    diplomatic: NonNegative = Field(description="its diplomatic engagement with the host")
    openness: Share = Field(description="the host's openness to it")
    access_control: Share = Field(
        description="share of what the host seeks from outside (ports, transit) it controls"
    )


class Actor(Strict):
    """A power, the host or a neighbour; everything about it is data."""

    code: str = Field(pattern=CODE_PATTERN, description="ISO 3166 alpha-3 code")
    name: str
    role: Literal[ROLES]  # type: ignore[valid-type]
    gdp: NonNegative = Field(description="GDP, weights the regional aggregate")
    population: NonNegative
    exposure: Share = Field(description="exposure to threats originating in the host")
    security_capacity: NonNegative = Field(
        description="power: security it can provide at full engagement; state: its own capacity"
    )
    economic_capacity: NonNegative = Field(
        default=Quantity(value=0.0, unit="USD M/month", source="assumption: states invest none"),
        description="power: investment per unit of economic engagement beyond the start",
    )
    budget: Quantity = Field(
        default=Quantity(value=99.0, unit="engagement units", source="assumption: no limit"),
        description="power: ceiling on the sum of its engagement over states and instruments",
    )
    recognition_threshold: _bounded(0.0, 1.0) = Field(
        default=Quantity(value=1.0, unit="engagement", source="assumption: full engagement"),
        description="power: diplomatic engagement with the host at which it formally recognises",
    )
    recognition_after: _bounded(0.0, 20.0) = Field(
        default=Quantity(value=0.0, unit="powers", source="assumption: no precondition"),
        description="power: how many other powers must have recognised the host first",
    )
    recognition_max_sanctions: Share = Field(
        default=Quantity(value=1.0, unit="share", source="assumption: no precondition"),
        description="power: it recognises only while its own sanctions are at most this",
    )
    rest_of_world_trade: NonNegative = Field(
        default=Quantity(value=0.0, unit="USD M/year", source="assumption: not used for powers"),
        description="state (required): trade with partners not modelled, USD M/year at the start",
    )
    rest_of_world_growth: Quantity = Field(
        default=Quantity(value=0.0, unit="1/year", source="assumption: flat residual"),
    )
    other_support: NonNegative = Field(
        default=Quantity(value=0.0, unit="USD M/month", source="assumption: none"),
        description="state: aid, investment and remittances from actors not modelled",
    )
    other_diplomatic: NonNegative = Field(
        default=Quantity(value=0.0, unit="engagement", source="assumption: none"),
        description="state: diplomatic engagement by actors not modelled",
    )
    sanctions: Share = Field(
        default=Quantity(value=0.0, unit="share", source="assumption: no sanctions"),
        description="power: starting sanctions and conditionality pressure on the host",
    )
    border_posture: Share = Field(
        default=Quantity(value=0.0, unit="share", source="assumption: open border"),
        description="state: starting border posture toward the host (0 open, 1 sealed)",
    )
    trade_openness: Share = Field(
        default=Quantity(value=0.5, unit="share", source="assumption: mid-range start"),
        description="state: starting openness to trade with the host",
    )
    income_growth: _bounded(-0.5, 1.0) = Field(
        default=Quantity(value=0.03, unit="1/year", source="assumption: nominal growth of 3%"),
        description="annual growth of income (GDP in USD), which drives import demand",
    )
    closure_threshold: Share = Field(
        default=Quantity(value=1.0, unit="share", source="assumption: never closes by itself"),
        description="neighbour: border posture above which it closes its crossings into the host",
    )
    host_ties: HostTies | None = Field(
        default=None,
        description="neighbour: what it gives and controls at the host beyond trade and transit",
    )
    priorities: PowerPriorities | StatePriorities

    @model_validator(mode="after")
    def _priorities_match_role(self) -> Actor:
        if self.host_ties is not None and self.role != "neighbor":
            raise ValueError("host_ties are for neighbours (powers hold influence anyway)")
        want = PowerPriorities if self.role == "power" else StatePriorities
        if not isinstance(self.priorities, want):
            raise ValueError(
                f"role {self.role} needs priorities with fields {list(want.model_fields)}"
            )
        return self


class Relation(Strict):
    """A power's starting engagement with one state, and the state's stance toward it."""

    power: str
    state: str
    security: Share
    economic: Share
    diplomatic: Share
    aid: NonNegative = Field(description="aid, USD M/month")
    openness: Share = Field(description="state's openness to this power; weights its influence")
    alignment: Share = Field(
        description="how readily the state takes this power as security partner"
    )
    recognition: Share = Field(
        default=Quantity(value=1.0, unit="0/1", source="assumption: states recognise each other"),
        description="formal recognition of the state by the power (the host's is contested)",
    )
    security_tie: Share = Field(
        default=Quantity(value=0.0, unit="share", source="assumption: no security tie"),
        description="treaty, base or defence-cooperation tie (1: a base and a treaty); directs "
        "the power's response to threats in the state",
    )
    investment: NonNegative = Field(
        default=Quantity(value=0.0, unit="USD M/month", source="assumption: none disbursed"),
        description="investment disbursed at the start; economic engagement beyond its start "
        "adds the power's economic_capacity per unit",
    )
    access_control: Share = Field(
        default=Quantity(value=0.0, unit="share", source="assumption: controls nothing"),
        description="share of what the state seeks from outside (frozen reserves, banking, the "
        "UN seat) that the power controls; conditioning it (sanctions) is leverage",
    )
    aid_via_un: Share = Field(
        default=Quantity(value=0.0, unit="share", source="assumption: aid given bilaterally"),
        description="share of the aid channelled through UN agencies and NGOs, not the state",
    )


class Alliance(Strict):
    """A collective-defence treaty: its members respond together to a threat at any of them."""

    name: str
    members: list[str] = Field(min_length=2, description="actor codes")
    solidarity: Share = Field(description="share of a member's threat the others respond to")
    source: str

    _source_kind = field_validator("source")(Quantity._source_has_kind.__func__)


class Commodity(Strict):
    name: Literal[COMMODITIES]  # type: ignore[valid-type]
    price: _bounded(0.01) = Field(description="USD per tonne (positive), converts values to tonnes")
    volatility: _bounded(0.0, 1.0) = Field(description="monthly log-sd of multiplicative noise")
    growth_rate: Rate = Field(
        description="switching inertia: monthly share of the gap to the demanded flow closed"
    )
    engagement_lift: NonNegative = Field(
        description="gain of a supplier's weight in demand per unit of engagement change"
    )
    substitution: _bounded(1.05, 20.0) = Field(
        description="Armington elasticity of substitution between suppliers of the group"
    )
    demand_elasticity: _bounded(0.0, 3.0) = Field(
        description="elasticity of an importer's demand for the group to its composite cost"
    )
    essentiality: Share = Field(
        description="how essential the group is to the importer (1: fuel, food, power)"
    )


class Flow(Strict):
    """Baseline trade from exporter to importer in one commodity group."""

    exporter: str
    importer: str
    commodity: str
    value: float = Field(ge=0.0, description="USD M/year in the start year")
    unit: Literal["USD M/year"] = "USD M/year"
    trend: float = Field(default=0.0, ge=-0.5, le=1.0, description="annual capacity growth, 1/year")
    previous_year: float | None = Field(
        default=None, ge=0.0, description="USD M/year in the year before the start, where known"
    )
    source: str
    route: str | None = Field(default=None, description="crossing the flow passes, if any")

    _check_source = field_validator("source")(Quantity._source_has_kind.__func__)


class Crossing(Strict):
    """A border crossing into the host, owned by a transit state."""

    id: str = Field(pattern=ID_PATTERN)
    name: str
    transit_state: str
    fee: NonNegative = Field(description="transit fee, USD per tonne")
    alternate: str | None = Field(default=None, description="crossing that takes rerouted flow")
    reroute_share: Share = Field(description="share of blocked flow that reroutes")
    reroute_cost: Share = Field(description="share of rerouted value lost to extra cost")
    recovery_half_life: NonNegative = Field(description="months for disruption to halve")
    capacity: _bounded(1.0, 100.0) = Field(
        default=Quantity(value=100.0, unit="x start", source="assumption: no ceiling"),
        description="most it can carry, as a multiple of what it carries at the start",
    )


class Network(Strict):
    """A threat network (extremist or trafficking): logistic growth against pressure."""

    initial: Share
    host_effort: Share = Field(
        description="host's starting counter-terrorism or enforcement effort"
    )
    growth: Rate = Field(description="monthly logistic growth rate")
    foreign_cooperation: Weight = Field(description="weight of powers' security provision to host")
    border_posture: Weight = Field(description="weight of neighbours' border posture")
    event_boost: Share = Field(description="strength gained per unit of event magnitude")


class Networks(Strict):
    extremist: Network
    trafficking: Network


class ShockType(Strict):
    """A stochastic event process: Poisson with Hawkes self-excitation."""

    name: Literal[SHOCK_KINDS]  # type: ignore[valid-type]
    base_rate: _bounded(0.0, 5.0) = Field(
        description="mean events/month at the starting network level, self-excitation included"
    )
    driver: Literal[NETWORKS] = Field(  # type: ignore[valid-type]
        description="the network whose strength drives the rate"
    )
    excitation: Share = Field(description="rate added per event (Hawkes alpha)")
    excitation_half_life: NonNegative = Field(description="months for the excitation to halve")
    magnitude: Share = Field(description="mean magnitude of one event")
    magnitude_sd: _bounded(0.0, 2.0) = Field(description="log-sd of the magnitude")

    @model_validator(mode="after")
    def _stationary(self) -> ShockType:
        import math

        hl = max(self.excitation_half_life.value, 1e-9)
        branching = self.excitation.value / (1.0 - math.exp(-math.log(2.0) / hl))
        if branching >= 1.0:
            raise ValueError(
                f"excitation {self.excitation.value} with half-life {hl} gives branching ratio "
                f"{branching:.2f}; it must be below 1 for the process to stay finite"
            )
        return self


class Event(Strict):
    """A scheduled event. Which of actor/target/crossing/instrument it needs depends on type."""

    month: str = Field(pattern=MONTH_PATTERN, description="YYYY-MM")
    type: Literal[EVENT_TYPES]  # type: ignore[valid-type]
    actor: str | None = None
    target: str | None = None
    crossing: str | None = None
    instrument: Literal[INSTRUMENTS] | None = None  # type: ignore[valid-type]
    duration_months: int = Field(default=0, ge=0, le=120)
    value: float
    unit: str
    source: str
    label: str = ""

    _check_source = field_validator("source")(Quantity._source_has_kind.__func__)
    _check_month = field_validator("month")(_real_month)

    @property
    def display_name(self) -> str:
        """How results and the app name the event: its label, else its type and whom or what
        it concerns (e.g. 'closure Torkham')."""
        subject = self.target or self.actor or self.crossing or ""
        return self.label or f"{self.type} {subject}".strip()


class Migration(Strict):
    """Labour migration from origin to a power, and the remittances it sends home."""

    origin: str
    destination: str
    workers: NonNegative = Field(description="thousand workers at the start")
    capacity: NonNegative = Field(description="thousand workers the programme can place")
    growth: Rate = Field(description="monthly logistic growth rate toward capacity")
    remittance: NonNegative = Field(description="USD per worker per month")


class InfluenceWeights(Strict):
    trade: Share
    security: Share
    economic: Share
    diplomatic: Share
    leverage: Share = Field(
        default=Quantity(value=0.0, unit="weight", source="assumption: no leverage component"),
        description="weight of control over what the state seeks (reserves, banking, UN seat)",
    )
    inertia: Share = Field(description="monthly share of the gap to raw influence closed")
    export_dependence: Share = Field(
        default=Quantity(value=0.5, unit="weight", source="assumption: half an import's weight"),
        description="weight of a state's exports to a power in its trade dependence, against 1 "
        "for an essential, hard-to-replace import",
    )
    rest_dependence: Share = Field(
        default=Quantity(value=0.5, unit="weight", source="assumption: mixed goods"),
        description="the same for its trade with partners not modelled",
    )
    transit_dependence: Share = Field(
        default=Quantity(value=0.0, unit="share", source="assumption: carriers hold none"),
        description="share of the dependence on an import that falls on the neighbour carrying "
        "it (its crossing), the rest on the exporter",
    )

    @model_validator(mode="after")
    def _sum_to_one(self) -> InfluenceWeights:
        total = sum(
            getattr(self, k).value
            for k in ("trade", "security", "economic", "diplomatic", "leverage")
        )
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"the component weights sum to {total:g}; they must sum to 1")
        return self


class Dynamics(Strict):
    """Rates of the partial-adjustment and perception rules, shared by all actors of a role."""

    power_adjustment: Share
    state_adjustment: Share
    threat_memory: Share = Field(description="monthly share of threat perception kept")
    threat_from_networks: Weight = Field(description="threat per unit of network strength")
    spillover: Share = Field(description="share of an attack's threat felt by other exposed actors")
    turbulence_memory: Share = Field(description="monthly share of recent-shock memory kept")
    trend_memory: Share = Field(description="monthly share of the influence trend memory kept")
    sanctions_drag: Share = Field(description="share of the host's trade lost at full sanctions")
    host_revenue_elasticity: _bounded(0.0, 2.0) = Field(
        description="elasticity of the host's own security capacity to its revenue"
    )
    host_tariff: Share = Field(description="host customs revenue as share of import value")
    income_elasticity: _bounded(0.0, 3.0) = Field(
        description="elasticity of import demand to the importer's income (GDP, aid, remittances)"
    )
    expectation_memory: Share = Field(
        description="monthly share kept of the moving expectation that signals are measured against"
    )
    loss_memory: Share = Field(
        default=Quantity(value=0.92, unit="1/month", source="assumption: as for gains"),
        description="the same when the signal falls below the expectation (losses are judged "
        "against what was had for longer)",
    )
    legitimacy_memory: Share = Field(
        description="the same for the legitimacy others grant the host, which sanctions follow"
    )
    migration_push: Weight = Field(
        description="growth of a corridor's migrant capacity per unit rise of threat at home"
    )
    trend_half_life: _bounded(0.1, 1000.0) = Field(
        default=Quantity(value=1000.0, unit="years", source="assumption: trends do not fade"),
        description="years for a flow's fitted trend to halve (it fades, not runs for ever)",
    )
    lasting_response: Share = Field(
        default=Quantity(value=0.0, unit="share", source="assumption: no lasting response"),
        description="share of the security response to a large threat jump a power keeps",
    )
    large_shock: Share = Field(
        default=Quantity(value=0.2, unit="threat", source="assumption: a jump of 0.2"),
        description="threat jump in one month beyond which a power's response lasts",
    )
    anchor_half_life: _bounded(1.0, 1200.0) = Field(
        default=Quantity(value=36.0, unit="months", source="assumption: three years"),
        description="months for a lasting response (a base reinforced) to halve",
    )
    route_aversion: Weight = Field(
        default=Quantity(value=0.0, unit="weight", source="assumption: the host never reroutes"),
        description="how far the host turns from a closed or hostile route, per unit closure",
    )
    redirect_rate: Rate = Field(
        default=Quantity(value=0.05, unit="1/month", source="assumption: about a year"),
        description="monthly share of the gap to its route preference the host closes",
    )
    migrant_backlash: Weight = Field(
        default=Quantity(value=0.0, unit="weight", source="assumption: no backlash"),
        description="how far a neighbour's welcome of Afghan migrants falls per unit of tension",
    )


class Factor(Strict):
    """A parameter a run may set (a lever or an uncertainty): a path to one Quantity's value and
    the bounds [low, high] it may take. It owns its check, its levels and its distribution, for
    the schema, the cross-checks, sweeps, the app and the EMA connector alike."""

    kind: ClassVar[str] = "factor"
    name: str = Field(pattern=NAME_PATTERN)
    path: str = Field(description="dotted path to a Quantity, e.g. relations.USA-AFG.aid")
    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self):
        if self.low > self.high:
            raise ValueError(f"low {self.low} is above high {self.high}")
        return self

    def check(self, value: float, field: str) -> None:
        """Refuse a value outside the bounds, naming `field`, the value and the bounds."""
        if not self.low <= float(value) <= self.high:
            raise ScenarioError(
                field,
                f"value {value} is outside the {self.kind}'s bounds [{self.low}, {self.high}]",
            )

    def levels(self, count: int) -> list[float]:
        """`count` evenly spaced values from low to high."""
        return [float(v) for v in np.linspace(self.low, self.high, count)]

    def distribution_parameters(self, written: float) -> tuple:
        """The scipy.stats distribution over [low, high] and its parameters: uniform, unless
        the factor says otherwise; `written` is the value the scenario writes."""
        from scipy import stats

        return stats.uniform, {"loc": self.low, "scale": self.high - self.low}

    def sampling_distribution(self, written: float):
        """The distribution over [low, high], frozen (scipy.stats)."""
        distribution, parameters = self.distribution_parameters(written)
        return distribution(**parameters)

    def from_unit(self, u: np.ndarray, written: float) -> np.ndarray:
        """Quantiles u of the distribution (its low for a factor of no width), from the
        distribution itself: freezing one costs half a millisecond, a world's draw of every
        uncertainty of a block paid it each time."""
        if self.high == self.low:
            return np.full_like(u, self.low)
        distribution, parameters = self.distribution_parameters(written)
        return distribution.ppf(u, **parameters)


class Lever(Factor):
    """A policy choice exposed to sweeps and the UI."""

    kind: ClassVar[str] = "lever"
    step: float = Field(gt=0)
    label: str


class Uncertainty(Factor):
    """A parameter we do not know: a range around its sourced value, with a source for the
    range (the EMA Workbench's uncertainties). In drawn mode each world draws it once from its
    distribution; sweeps sample it; in fixed mode a run takes the value written."""

    kind: ClassVar[str] = "uncertainty"
    path: str = Field(description="dotted path to a Quantity, e.g. networks.extremist.growth")
    distribution: Literal[DISTRIBUTIONS] = Field(
        default="uniform",
        description="uniform over [low, high]; triangular peaking at the value written; normal "
        "around the value written with standard deviation `sd`, truncated to [low, high]; "
        "loguniform over [low, high] (low above 0: rates spanning orders of magnitude); choice "
        "of `values`, equally likely",
    )
    sd: float | None = Field(default=None, gt=0, description="the normal's standard deviation")
    values: list[StrictFloat | StrictInt] | None = Field(
        default=None, min_length=2, description="the values a choice draws from"
    )
    group: Literal[tuple(UNCERTAINTY_GROUPS)] | None = Field(
        default=None, description=f"what it is about: {', '.join(UNCERTAINTY_GROUPS)}"
    )
    source: str = Field(description="why the range is this wide")
    label: str = ""

    _check_source = field_validator("source")(Quantity._source_has_kind.__func__)

    @model_validator(mode="before")
    @classmethod
    def _choice_bounds(cls, data):
        """A choice's bounds are its least and greatest values unless written."""
        if isinstance(data, dict) and isinstance(data.get("values"), list) and data["values"]:
            numbers = [v for v in data["values"] if isinstance(v, int | float)]
            if numbers:
                data = {"low": min(numbers), "high": max(numbers), **data}
        return data

    @model_validator(mode="after")
    def _fits_distribution(self):
        needs = {"normal": "sd", "choice": "values"}
        for distribution, name in needs.items():
            given = getattr(self, name) is not None
            if given and self.distribution != distribution:
                raise ValueError(f"`{name}` is only for distribution: {distribution}")
            if not given and self.distribution == distribution:
                raise ValueError(f"distribution {distribution} needs `{name}`")
        if self.distribution == "loguniform" and self.low <= 0:
            raise ValueError(f"a loguniform range must lie above 0; low is {self.low}")
        if self.values is not None and not all(self.low <= v <= self.high for v in self.values):
            raise ValueError(f"values {self.values} must lie within [{self.low}, {self.high}]")
        return self

    def distribution_parameters(self, written: float) -> tuple:
        """The scipy.stats distribution over [low, high] and its parameters (a choice is
        discrete: from_unit takes it apart)."""
        from scipy import stats

        width = self.high - self.low
        if width == 0:
            return super().distribution_parameters(written)
        if self.distribution == "triangular":
            return stats.triang, {"c": (written - self.low) / width, "loc": self.low,
                                  "scale": width}  # fmt: skip
        if self.distribution == "normal":
            lower, upper = (self.low - written) / self.sd, (self.high - written) / self.sd
            return stats.truncnorm, {"a": lower, "b": upper, "loc": written, "scale": self.sd}
        if self.distribution == "loguniform":
            return stats.loguniform, {"a": self.low, "b": self.high}
        return super().distribution_parameters(written)

    def from_unit(self, u: np.ndarray, written: float) -> np.ndarray:
        """Quantiles u of the distribution; a choice takes values[floor(u * len(values))]."""
        if self.values is not None:
            index = np.minimum(
                (np.asarray(u) * len(self.values)).astype(np.int64), len(self.values) - 1
            )
            return np.asarray(self.values, dtype=np.float64)[index]
        return super().from_unit(u, written)


class Shares(Strict):
    """Weights that must sum to what they sum to as written (the influence index's components),
    drawn together in drawn mode: a Dirichlet around the written shares, whose `concentration`
    (the sum of its parameters) sets how far a draw strays (the larger, the closer)."""

    name: str = Field(pattern=NAME_PATTERN)
    paths: list[str] = Field(min_length=2, description="dotted paths to the weights")
    concentration: float = Field(gt=0)
    group: Literal[tuple(UNCERTAINTY_GROUPS)] | None = None
    source: str = Field(description="why the draws stray this far")
    label: str = ""

    _check_source = field_validator("source")(Quantity._source_has_kind.__func__)

    @property
    def parts(self) -> list[str]:
        """The column of each weight: NAME.LAST_SEGMENT, e.g. influence_weights.trade."""
        return [f"{self.name}.{path.rsplit('.', 1)[-1]}" for path in self.paths]


class Outcome(Strict):
    """A named measure of a run (the EMA Workbench's outcomes): one recorded series, one label
    on each of its other dims, reduced over months to one number per world."""

    name: str = Field(pattern=NAME_PATTERN)
    series: str = Field(description="a recorded series, e.g. influence (docs/results.md)")
    select: dict[str, str] = Field(
        default={},
        description="one label for each dim of the series, e.g. {power: RUS, state: AFG}",
    )
    over: Literal[OUTCOME_REDUCTIONS] = Field(
        default="last",
        description="how the months reduce: the last month, mean/min/max, or the months "
        "until the series first reaches `threshold` (first_above) or falls to it (first_below)",
    )
    window: tuple[Month, Month] | None = Field(
        default=None, description="the months [from, to] it reduces (default: the whole run)"
    )
    threshold: float | None = Field(
        default=None, description="the level of first_above and first_below"
    )
    label: str = ""

    @model_validator(mode="after")
    def _threshold_for_timing(self) -> Outcome:
        timing = self.over in ("first_above", "first_below")
        if timing != (self.threshold is not None):
            raise ValueError("first_above and first_below need a threshold; only they take one")
        if self.window and self.window[0] > self.window[1]:
            raise ValueError(f"window {list(self.window)} ends before it starts")
        return self


class Sweep(Strict):
    """Points of a batch: a grid over levers, or a Latin-hypercube or Sobol sample over levers
    and uncertainties (scipy.stats.qmc), each point run with `worlds` worlds."""

    grid: dict[str, list[StrictFloat | StrictInt] | StrictInt] | None = Field(
        default=None,
        description="lever or uncertainty name -> its values, or a number of evenly spaced "
        "levels from low to high; every combination is a point",
    )
    sample: Literal["latin_hypercube", "sobol"] | None = None
    points: int | None = Field(default=None, ge=1, le=MAX_POINTS, description="points of a sample")
    over: list[str] = Field(
        default=[], description="names the sample varies (default: every lever and uncertainty)"
    )
    seed: int = Field(default=0, ge=0, lt=2**32, description="seed of the sample")
    worlds: int | None = Field(default=None, ge=1, le=MAX_WORLDS, description="worlds per point")

    @model_validator(mode="after")
    def _one_design(self) -> Sweep:
        if (self.grid is None) == (self.sample is None):
            raise ValueError("give either grid (values per lever) or sample (with points)")
        if self.sample is not None and self.points is None:
            raise ValueError(f"a {self.sample} sample needs points (how many)")
        if self.grid is not None and (self.points is not None or self.over):
            raise ValueError("points and over belong to a sample; a grid lists its values")
        for name, values in (self.grid or {}).items():
            if isinstance(values, int) and values < 1 or isinstance(values, list) and not values:
                raise ValueError(f"grid.{name} needs at least one value (or a level count >= 1)")
        return self

    def size(self) -> int:
        """The number of points, counted without expanding the grid (its level counts
        multiplied, exactly however large)."""
        if self.grid is None:
            return self.points or 0
        return math.prod(v if isinstance(v, int) else len(v) for v in self.grid.values())


class Scenario(Strict):
    """A complete, self-contained scenario: actors, trade, routes, threats, events, levers."""

    name: str = Field(
        pattern=FOLDER_NAME_PATTERN,
        description="names the scenario and its output folders (out/NAME, runs/NAME)",
    )
    question: str = Field(default="", description="the policy question the scenario answers")
    description: str = ""
    start: str = Field(pattern=MONTH_PATTERN, description="first simulated month, YYYY-MM")
    horizon_months: int = Field(ge=1, le=600)
    worlds: int = Field(ge=1, le=MAX_WORLDS)
    seed: int = Field(ge=0, lt=MAX_SEED, description=f"root seed, in {SEED_RANGE_TEXT}")
    actors: list[Actor] = Field(min_length=2)
    relations: list[Relation]
    commodities: list[Commodity]
    trade: list[Flow]
    crossings: list[Crossing]
    networks: Networks
    shocks: list[ShockType]
    events: list[Event] = []
    migration: list[Migration] = []
    alliances: list[Alliance] = Field(default=[], description="collective-defence treaties")
    influence: InfluenceWeights
    dynamics: Dynamics
    levers: list[Lever] = []
    uncertainties: list[Uncertainty] = []
    shares: list[Shares] = Field(
        default=[], description="weights drawn together so that they keep their sum"
    )
    pinned: list[str] = Field(
        default=[],
        description="uncertainties a sweep point set (with_values): drawn mode leaves them be",
    )
    outcomes: list[Outcome] = Field(default=[], description="named measures of every run")
    sweep: Sweep | None = Field(default=None, description="the points `sim batch` runs")
    lever_reference: dict[str, float] = Field(
        default={},
        description="values the moved levers had in the scenario as written (set by "
        "with_levers): the start-month balance is computed there, so a lever is a policy "
        "change from the calibrated start, not a new start",
    )

    _check_start = field_validator("start")(_real_month)

    # ---- derived views -------------------------------------------------------------------
    def codes(self, *roles: str) -> list[str]:
        return [a.code for a in self.actors if not roles or a.role in roles]

    @property
    def start_date(self) -> date:
        year, month = map(int, self.start.split("-"))
        return date(year, month, 1)

    def month_index(self, month: str) -> int:
        """Months from the scenario start to a YYYY-MM string."""
        year, mon = map(int, month.split("-"))
        return (year - self.start_date.year) * 12 + mon - self.start_date.month

    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON of the scenario as run."""
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()

    def replace(self, **fields) -> Scenario:
        """A copy with top-level fields replaced, validated again; cut to fewer months, it
        keeps the outcomes whose window its months hold (`outcomes_within`)."""
        data = self.model_dump(mode="json")
        data.update(fields)
        if "horizon_months" in fields:
            data["outcomes"] = self.outcomes_within(data["outcomes"], fields["horizon_months"])
        return Scenario.model_validate(data)

    def outcomes_within(self, outcomes: list[dict], months: int) -> list[dict]:
        """The outcomes (dumped) whose window ends within the first `months` months: a run cut
        short cannot compute the others, which the whole run still does."""
        return [o for o in outcomes if not o["window"] or self.month_index(o["window"][1]) < months]

    def lever(self, name: str) -> Lever:
        for lever in self.levers:
            if lever.name == name:
                return lever
        raise KeyError(
            f"unknown lever {name!r}; declared levers: {[lv.name for lv in self.levers]}"
        )

    def first_months(self, months: int) -> Scenario:
        """The scenario cut to its first `months` months: later events are dropped, and with
        them the levers and uncertainties that set one of them (and sweep factors naming those),
        and the outcomes over later months."""
        data = self.model_dump(mode="json")
        data["events"] = [e for e in data["events"] if self.month_index(e["month"]) < months]
        data["outcomes"] = self.outcomes_within(data["outcomes"], months)
        drop_dangling_factors(data)
        return Scenario.model_validate({**data, "horizon_months": months})

    def with_levers(self, **values: float) -> Scenario:
        """A copy with declared levers set; each value must lie within the lever's bounds."""
        data = self.model_dump(mode="json")
        for name, value in values.items():
            try:
                lever = self.lever(name)
            except KeyError as err:
                raise ScenarioError(f"levers.{name}", err.args[0]) from None
            lever.check(value, f"levers.{name}")
            reference = data["lever_reference"]
            reference.setdefault(name, float(get_path(data, lever.path)))
            set_path(data, lever.path, float(value))
        return Scenario.model_validate(data)

    def uncertainty(self, name: str) -> Uncertainty:
        for item in self.uncertainties:
            if item.name == name:
                return item
        raise KeyError(
            f"unknown uncertainty {name!r}; declared: {[u.name for u in self.uncertainties]}"
        )

    def factors(self) -> dict[str, Lever | Uncertainty]:
        """Every lever and uncertainty by name: what a sweep may vary."""
        return {item.name: item for item in [*self.levers, *self.uncertainties]}

    def with_values(self, **values: float) -> Scenario:
        """A copy with levers and uncertainties set. A lever is a policy change from the start
        as written (see with_levers); an uncertainty changes the world itself, start included."""
        factors = self.factors()
        levers = {k: v for k, v in values.items() if isinstance(factors.get(k), Lever)}
        unknown = [k for k in values if k not in factors]
        if unknown:
            raise ScenarioError(
                f"sweep.{unknown[0]}",
                f"not a declared lever or uncertainty; declared: {', '.join(factors) or 'none'}",
            )
        data = (
            self.with_levers(**levers).model_dump(mode="json")
            if levers
            else self.model_dump(mode="json")
        )
        for name, value in values.items():
            item = factors[name]
            if isinstance(item, Uncertainty):
                item.check(value, f"uncertainties.{name}")
                set_path(data, item.path, float(value))
                data["pinned"] = sorted({*data["pinned"], name})
        try:
            return Scenario.model_validate(data)
        except ValidationError as err:
            first = err.errors()[0]
            where = ".".join(map(str, first["loc"]))
            raise ScenarioError(
                "sweep",
                f"the point {', '.join(f'{k}={v:g}' for k, v in values.items())} gives an "
                f"invalid scenario: {where}: {first['msg'].removeprefix('Value error, ')}",
            ) from None

    def at_reference(self) -> Scenario:
        """The scenario as written: moved levers back at their reference values."""
        if not self.lever_reference:
            return self
        data = self.model_dump(mode="json")
        for name, value in self.lever_reference.items():
            set_path(data, self.lever(name).path, value)
        data["lever_reference"] = {}
        return Scenario.model_validate(data)

    def lever_values(self) -> dict[str, float]:
        """Current value of every declared lever."""
        data = self.model_dump(mode="json")
        return {lv.name: float(get_path(data, lv.path)) for lv in self.levers}

    def factor_values(self) -> dict[str, float]:
        """Current value of every declared lever and uncertainty."""
        data = self.model_dump(mode="json")
        return {name: float(get_path(data, x.path)) for name, x in self.factors().items()}


def drop_dangling_factors(data: dict) -> None:
    """In scenario data (a model dump), drop the levers and uncertainties whose path names
    nothing any more (an event or an actor removed), their lever references, and the sweep
    factors naming them; a sweep left with nothing to vary goes too."""

    def resolves(path: str) -> bool:
        try:
            get_path(data, path)
        except KeyError:
            return False
        return True

    for kind in ("levers", "uncertainties"):
        data[kind] = [item for item in data[kind] if resolves(item["path"])]
    data["shares"] = [item for item in data["shares"] if all(map(resolves, item["paths"]))]
    kept = {item["name"] for item in data["levers"] + data["uncertainties"]}
    data["pinned"] = [name for name in data["pinned"] if name in kept]
    data["lever_reference"] = {k: v for k, v in data["lever_reference"].items() if k in kept}
    sweep = data.get("sweep")
    if sweep is not None:
        named = list(sweep["grid"] or sweep["over"])
        if named and not any(name in kept for name in named):
            data["sweep"] = None  # nothing left to sweep (an empty `over` means all)
        elif sweep["grid"] is not None:
            sweep["grid"] = {k: v for k, v in sweep["grid"].items() if k in kept}
        else:
            sweep["over"] = [name for name in sweep["over"] if name in kept]
