"""The EMA Workbench connector: a scenario as an EMA Workbench `Model` (docs/ema.md).

`model(scenario, worlds=, seed=)` declares the scenario's uncertainties (with their bounds and
distributions), levers and outcomes to the EMA Workbench, and `worlds` and `seed` as its
constants. EMA samples the uncertainties and levers itself; each experiment it runs is the
scenario with those values written in, run with `worlds` worlds in fixed mode (every
uncertainty at the value written in, the dice alone) and the same `seed` in every experiment
(common random numbers: two experiments differ only by their values). Its outcomes are the mean
over the worlds (`shape="mean"`: EMA's ScalarOutcome, for PRIM, CART and optimisation) or every
world's value (`shape="per_world"`: an ArrayOutcome of length `worlds`).

The influence weights (a Dirichlet over shares that keep their sum, drawn in our own drawn
mode) have no EMA parameter: they stay at their written values.

ema_workbench is imported when a model is built, not when this module is: 2.5.x (Python 3.11)
and 3.0 (Python 3.12 and newer) both work.
"""

from __future__ import annotations

import numbers
import re
from pathlib import Path

import numpy as np
from pydantic import ValidationError

from sim.batch.runner import check_run, run
from sim.batch.sweeps import written_values
from sim.core.assumptions import FIXED
from sim.errors import ScenarioError
from sim.optional import ema_workbench
from sim.results.outcomes import outcome_values
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Factor, Scenario, Uncertainty

SHAPES = ("mean", "per_world")  # an experiment's outcome: the mean over worlds, or every world
DIRECTIONS = ("maximize", "minimize")  # what optimisation does with a scalar outcome
DEFAULT_WORLDS = 50  # worlds per experiment: a mean whose noise is small beside its spread
CONSTANTS = ("worlds", "seed")  # the model's constants, passed to every experiment
EMA_COLUMNS = ("scenario", "policy", "model")  # columns EMA adds to its experiments table
SECTIONS = {"lever": "levers", "uncertainty": "uncertainties"}  # where a scenario declares them


def workbench():
    """The ema_workbench module, or a MissingDependencyError naming the extra that installs
    it."""
    return ema_workbench("sim.connectors.ema")


def major_version(ema) -> int:
    """The EMA Workbench's major version: 2 (Scenario and Policy) or 3 (Sample)."""
    return int(ema.__version__.split(".")[0])


class Experiment:
    """The function EMA calls for one experiment: the scenario with the experiment's levers and
    uncertainties written in, run with `worlds` worlds in fixed mode with `seed`; returns each
    declared outcome, the mean over worlds (shape "mean") or every world's value (shape
    "per_world", an array of length `worlds`). A module-level class holding the scenario, so
    that EMA's MultiprocessingEvaluator can pickle it."""

    def __init__(self, scenario: Scenario, shape: str = "mean"):
        check_shape(shape)
        self.scenario, self.shape = scenario, shape

    def __repr__(self) -> str:
        return f"Experiment({self.scenario.name}, shape={self.shape!r})"

    def __call__(self, worlds: int, seed: int, **values) -> dict[str, float | np.ndarray]:
        factors = self.scenario.factors()
        unknown = [name for name in values if name not in factors]
        if unknown:
            raise ScenarioError(
                unknown[0],
                f"not a lever, uncertainty or constant of {self.scenario.name}; levers and "
                f"uncertainties: {', '.join(factors) or 'none'}; constants: {', '.join(CONSTANTS)}",
            )
        point = self.scenario.with_values(**{name: float(v) for name, v in values.items()})
        res = run(point, worlds=int(worlds), seed=int(seed), assumptions=FIXED)
        table = outcome_values(res.dataset, self.scenario.outcomes)
        if self.shape == "mean":
            return {name: float(column.mean()) for name, column in table.items()}
        return {name: column.to_numpy(dtype=np.float64) for name, column in table.items()}


def model(
    scenario: Scenario | str | Path,
    worlds: int = DEFAULT_WORLDS,
    seed: int | None = None,
    shape: str = "mean",
    months: int | None = None,
    directions: dict[str, str] | None = None,
    name: str | None = None,
):
    """An EMA Workbench `Model` of a scenario (a Scenario, a library name such as "baseline" or
    a path).

    Uncertainties become EMA uncertainties with the same names, bounds and distributions
    (RealParameter, from the scipy distribution where it is not uniform; a choice, a
    CategoricalParameter of its values); levers, EMA levers with their names and bounds; each
    with its written value as default. A lever or uncertainty of no width is a constant.
    `worlds` (per experiment) and `seed` (default: the scenario's, the same in every
    experiment) are constants. `shape`: "mean", each declared outcome a ScalarOutcome (the mean
    over worlds), or "per_world", an ArrayOutcome of length `worlds`. `months` shortens the
    horizon; `directions` maps outcome names to "maximize" or "minimize" for optimisation
    (shape "mean" only); `name` is the EMA model's name (default: the scenario's name, letters
    and digits only).

    Example::

        from ema_workbench import perform_experiments
        from sim.connectors.ema import model

        experiments, outcomes = perform_experiments(model("baseline", worlds=20), 64)
    """
    ema = workbench()
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if months is not None:
        scenario = _shortened(scenario, months)
    seed = scenario.seed if seed is None else seed
    check_shape(shape)
    for field, number in (("worlds", worlds), ("seed", seed)):
        if isinstance(number, bool) or not isinstance(number, numbers.Integral):
            raise ScenarioError(field, f"must be a whole number, got {number!r}")
    worlds, seed = int(worlds), int(seed)
    if not scenario.outcomes:
        raise ScenarioError(
            "outcomes",
            f"{scenario.name} declares no outcomes, and an EMA model needs at least one: add an "
            "`outcomes:` section (docs/scenarios.md)",
        )
    check_run(scenario, worlds, seed, in_memory=True, assumptions=FIXED)
    kinds = _kinds(ema, scenario, shape, directions or {})
    _check_names(scenario)

    ema_model = ema.Model(_model_name(scenario, name), function=Experiment(scenario, shape))
    swallowed = [lv.name for lv in scenario.levers if hasattr(ema_model, lv.name)]
    if swallowed:
        raise ScenarioError(
            f"levers.{swallowed[0]}",
            "the EMA Workbench would take a lever of this name for an attribute of its Model "
            "and not pass it to the experiment: rename the lever",
        )
    written = written_values(scenario)
    current = scenario.factor_values()  # levers as the scenario given sets them
    fixed = [f for f in scenario.factors().values() if f.high == f.low]
    ema_model.uncertainties = [
        _parameter(ema, u, written[u.name], current[u.name])
        for u in scenario.uncertainties
        if u.high > u.low
    ]
    ema_model.levers = [
        _parameter(ema, lv, written[lv.name], current[lv.name])
        for lv in scenario.levers
        if lv.high > lv.low
    ]
    ema_model.constants = [
        ema.Constant("worlds", worlds),
        ema.Constant("seed", seed),
        *(ema.Constant(f.name, float(f.low)) for f in fixed),
    ]
    _forget_other_kinds(ema, scenario, ema.ScalarOutcome if shape == "mean" else ema.ArrayOutcome)
    if shape == "mean":
        ema_model.outcomes = [
            ema.ScalarOutcome(o.name, kind=kinds.get(o.name, ema.ScalarOutcome.INFO))
            for o in scenario.outcomes
        ]
    else:
        ema_model.outcomes = [
            ema.ArrayOutcome(o.name, shape=(worlds,), dtype=np.float64) for o in scenario.outcomes
        ]
    return ema_model


def policy(name: str, **levers: float):
    """An EMA policy setting levers by name (the rest keep their written values): a Policy in
    EMA 2.5, a Sample in 3.0, which merged Scenario and Policy into it."""
    ema = workbench()
    kind = ema.Policy if major_version(ema) < 3 else ema.Sample
    return kind(name, **levers)


def check_shape(shape: str) -> None:
    if shape not in SHAPES:
        raise ScenarioError(
            "shape", f"{shape!r} is not an outcome shape; allowed: {', '.join(SHAPES)}"
        )


def _shortened(scenario: Scenario, months: int) -> Scenario:
    try:
        return scenario.replace(horizon_months=months)
    except ValidationError as err:
        message = err.errors()[0]["msg"]
        raise ScenarioError("months", f"{months!r}: {message}") from None


def _kinds(ema, scenario: Scenario, shape: str, directions: dict[str, str]) -> dict[str, int]:
    """The EMA kind (MAXIMIZE or MINIMIZE) of each outcome `directions` names."""
    declared = [o.name for o in scenario.outcomes]
    kinds = {}
    for outcome, direction in directions.items():
        field = f"directions.{outcome}"
        if outcome not in declared:
            raise ScenarioError(
                field, f"not a declared outcome of {scenario.name}; declared: {', '.join(declared)}"
            )
        if direction not in DIRECTIONS:
            raise ScenarioError(
                field, f"{direction!r} is not a direction; allowed: {', '.join(DIRECTIONS)}"
            )
        if shape != "mean":
            raise ScenarioError(
                field, "directions are for scalar outcomes (shape 'mean'): optimisation needs one "
                "number per experiment",
            )  # fmt: skip
        kinds[outcome] = getattr(ema.ScalarOutcome, direction.upper())
    return kinds


def _check_names(scenario: Scenario) -> None:
    """Refuse a lever or uncertainty named like a constant of the model or a column EMA adds to
    its experiments table."""
    for item in scenario.factors().values():
        if item.name in (*CONSTANTS, *EMA_COLUMNS):
            raise ScenarioError(
                f"{SECTIONS[item.kind]}.{item.name}",
                f"the EMA model has a {'constant' if item.name in CONSTANTS else 'column'} of "
                f"this name; rename the {item.kind} (reserved: "
                f"{', '.join((*CONSTANTS, *EMA_COLUMNS))})",
            )


def _model_name(scenario: Scenario, name: str | None) -> str:
    """The EMA model's name: letters and digits, starting with a letter (EMA 2.5 wants letters
    and digits, 3.0 a Python identifier)."""
    if name is None:
        name = re.sub(r"[^A-Za-z0-9]", "", scenario.name)
        return name if name[:1].isalpha() else f"scenario{name}"
    if not (isinstance(name, str) and re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", name)):
        raise ScenarioError(
            "name", f"{name!r}: an EMA model's name is letters and digits, starting with a letter"
        )
    return name


def _forget_other_kinds(ema, scenario: Scenario, kind: type) -> None:
    """Let the outcomes take `kind` even where a model built earlier in this process gave the
    same names another kind: EMA keeps one outcome class per name in a process-wide register
    (used by save_results to choose a file format) and refuses a name registered with another
    class. A model of each shape, one after the other, is what an analyst does."""
    register = getattr(ema.em_framework.outcomes, "register", None)
    known = getattr(register, "outcomes", None)
    if not isinstance(known, dict):
        return  # a version without the register: nothing to forget
    for outcome in scenario.outcomes:
        if outcome.name in known and not issubclass(kind, known[outcome.name]):
            del known[outcome.name]


def _parameter(ema, item: Factor, written: float, default: float):
    """The EMA parameter of a lever or uncertainty: uniform over its bounds, a choice over its
    values, else its scipy distribution (the bounds set exactly, not from the distribution's
    quantiles 0 and 1, which rounding may move)."""
    if isinstance(item, Uncertainty) and item.values is not None:
        if len(set(item.values)) < len(item.values):
            raise ScenarioError(
                f"uncertainties.{item.name}.values",
                "a value is repeated: EMA draws each category equally often, so a choice that "
                "weights a value by repeating it cannot be carried over",
            )
        return ema.CategoricalParameter(item.name, [float(v) for v in item.values], default=default)
    if not isinstance(item, Uncertainty) or item.distribution == "uniform":
        return ema.RealParameter(item.name, item.low, item.high, default=default)
    extra = {"pff": False} if major_version(ema) < 3 else {}  # 2.5's from_dist omits pff
    parameter = ema.RealParameter.from_dist(
        item.name, item.sampling_distribution(written), default=default, **extra
    )
    parameter.lower_bound, parameter.upper_bound = item.low, item.high
    return parameter
