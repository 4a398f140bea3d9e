"""Lever search: the settings of a scenario's levers that no other setting beats on every
objective at once (the Pareto set), each candidate judged over the same drawn worlds.

A candidate is one setting of the levers searched. It is run as an ensemble of `worlds`
worlds with the scenario's seed, so every candidate meets the same dice and, in drawn mode,
the same assumptions (common random numbers): a difference between candidates is the
levers'. An objective is a statistic over those worlds of an outcome (the mean, the median or
a quantile: the 10th percentile of an outcome is a robust objective, what the worst tenth of
futures gives) or a lever's own value (what it costs, such as the aid spent). The search is
NSGA-II (Deb et al. 2002) from Platypus, the library the EMA Workbench optimises with.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.experiments import outcome_of
from sim.batch.executors import make_executor
from sim.batch.runner import check_run, run
from sim.core.assumptions import DRAWN
from sim.optional import need
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Scenario

GOALS = ("max", "min")
STATISTIC = re.compile(r"^(mean|median|q(\d{1,2}))$")


@dataclass(frozen=True)
class Objective:
    """A statistic over worlds of an outcome, or a lever's value, to maximise or minimise."""

    name: str  # an outcome's or a lever's name
    goal: str = "max"
    statistic: str = "mean"
    lever: bool = False

    @property
    def label(self) -> str:
        return self.name if self.lever else f"{self.statistic} {self.name}"

    def value(self, outcome: np.ndarray) -> float:
        """The statistic of an outcome over worlds."""
        found = STATISTIC.match(self.statistic)
        if self.statistic == "mean":
            return float(np.mean(outcome))
        if self.statistic == "median":
            return float(np.median(outcome))
        return float(np.quantile(outcome, int(found.group(2)) / 100))


@dataclass(frozen=True)
class Constraint:
    """A statistic over worlds of an outcome that must stay at or below `max` (or at or
    above `min`)."""

    name: str
    statistic: str = "mean"
    max: float | None = None
    min: float | None = None

    @property
    def label(self) -> str:
        bound = f"<= {self.max:g}" if self.max is not None else f">= {self.min:g}"
        return f"{self.statistic} {self.name} {bound}"

    def violation(self, value: float) -> float:
        """0 when met, else how far it is missed (Platypus's form: <= 0 is met)."""
        return value - self.max if self.max is not None else self.min - value


@dataclass
class LeverSearch:
    """The Pareto set of a lever search: `pareto` has a row per setting, its levers and its
    objectives (and constraints); `evaluations` candidates were run."""

    scenario: str
    levers: list[str]
    objectives: list[Objective]
    constraints: list[Constraint]
    worlds: int
    seed: int
    search_seed: int
    evaluations: int
    pareto: pd.DataFrame

    def describe(self) -> str:
        lines = [
            f"{self.scenario}: {len(self.pareto)} settings of {', '.join(self.levers)} that no "
            f"other beats on every objective ({self.evaluations} candidates, each over the "
            f"same {self.worlds} worlds, seed {self.seed}; search seed {self.search_seed})",
            "objectives: "
            + "; ".join(f"{o.goal} {o.label}" for o in self.objectives)
            + (
                "; constraints: " + "; ".join(c.label for c in self.constraints)
                if self.constraints
                else ""
            ),  # fmt: skip
        ]
        lines.append(self.pareto.round(4).to_string())
        return "\n".join(lines)

    def plot(self, ax=None):
        """The Pareto set on its first two objectives."""
        from sim.analysis.figures import pareto_chart

        return pareto_chart(self, ax=ax)


def search_levers(
    scenario: Scenario | str | Path,
    objectives: list[dict],
    constraints: list[dict] | None = None,
    levers: list[str] | None = None,
    worlds: int = 100,
    seed: int | None = None,
    months: int | None = None,
    evaluations: int = 200,
    population: int = 20,
    search_seed: int = 0,
    assumptions: str = DRAWN,
    workers: int | None = 1,
    progress: bool = False,
) -> LeverSearch:
    """The Pareto set of settings of `levers` (default: every lever of the scenario).

    `objectives`: dicts {outcome: NAME, goal: max|min, statistic: mean|median|qNN} (qNN the
    NN-th percentile over worlds) or {lever: NAME, goal: min} (the lever's own value, e.g.
    what it spends). `constraints`: dicts {outcome: NAME, statistic: ..., max: X} (or min).
    Each of `evaluations` candidates runs `worlds` worlds with `seed` (default: the
    scenario's) over `months` (default: its horizon); NSGA-II keeps `population` candidates
    a generation, seeded by `search_seed`: the same seed gives the same Pareto set. Candidates
    run on `workers` processes (None: all cores).

    Example::

        s = search_levers("us_reengagement", [
                {"outcome": "us_over_afghanistan", "statistic": "q10", "goal": "max"},
                {"lever": "us_aid", "goal": "min"}], levers=["us_aid"], worlds=100)
        s.pareto; s.plot()
    """
    from tqdm.auto import tqdm

    platypus = need("platypus", "search_levers", "Platypus", "ema")

    scenario = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if months is not None:
        scenario = scenario.replace(horizon_months=months)
    seed = scenario.seed if seed is None else seed
    check_run(scenario, worlds, seed, in_memory=True, assumptions=assumptions)
    searched = _levers(scenario, levers)
    goals = [_objective(scenario, item, searched) for item in objectives]
    limits = [_constraint(scenario, item) for item in constraints or []]
    judge = Candidate(scenario, searched, goals, limits, worlds, seed, assumptions)
    problem = platypus.Problem(len(searched), len(goals), len(limits), judge)
    declared = {lever.name: lever for lever in scenario.levers}
    problem.types[:] = [platypus.Real(declared[n].low, declared[n].high) for n in searched]
    problem.directions[:] = [
        platypus.Direction.MAXIMIZE if o.goal == "max" else platypus.Direction.MINIMIZE
        for o in goals
    ]
    problem.constraints[:] = "<=0"
    executor = make_executor(workers)
    state = random.getstate()
    bar = tqdm(total=evaluations, unit=" candidate", desc="lever search", disable=not progress)
    try:
        random.seed(search_seed)
        evaluator = platypus.MapEvaluator(lambda run_job, jobs: _mapped(executor, run_job, jobs))
        algorithm = platypus.NSGAII(problem, population_size=population, evaluator=evaluator)
        algorithm.run(evaluations, callback=lambda a: bar.update(a.nfe - bar.n))
        found = platypus.unique(platypus.nondominated(algorithm.result))
    finally:
        random.setstate(state)
        bar.close()
        executor.shutdown(wait=True, cancel_futures=True)
    pareto = _pareto_table(found, searched, goals, limits, judge)
    return LeverSearch(scenario.name, searched, goals, limits, worlds, seed, search_seed,
                       algorithm.nfe, pareto)  # fmt: skip


class Candidate:
    """Platypus's function: one setting of the levers, run over the worlds, judged. A class
    (not a closure) so that worker processes can take it."""

    def __init__(self, scenario, levers, objectives, constraints, worlds, seed, assumptions):
        self.scenario, self.levers = scenario, levers
        self.objectives, self.constraints = objectives, constraints
        self.worlds, self.seed, self.assumptions = worlds, seed, assumptions
        self.steps = {lever.name: lever.step for lever in scenario.levers}
        self.lows = {lever.name: lever.low for lever in scenario.levers}
        self.highs = {lever.name: lever.high for lever in scenario.levers}

    def setting(self, values) -> dict[str, float]:
        """The values on each lever's steps (a lever moves in steps, as in the app)."""
        setting = {}
        for name, value in zip(self.levers, values, strict=True):
            low, step = self.lows[name], self.steps[name]
            setting[name] = float(min(low + round((value - low) / step) * step, self.highs[name]))
        return setting

    def __call__(self, values):
        setting = self.setting(values)
        res = run(self.scenario.with_levers(**setting), worlds=self.worlds, seed=self.seed,
                  assumptions=self.assumptions)  # fmt: skip
        scores = [
            setting[o.name] if o.lever else o.value(outcome_of(res, o.name).to_numpy())
            for o in self.objectives
        ]
        limits = [c.violation(_statistic(c, res)) for c in self.constraints]
        return (scores, limits) if self.constraints else scores


def _statistic(constraint: Constraint, res) -> float:
    return Objective(constraint.name, statistic=constraint.statistic).value(
        outcome_of(res, constraint.name).to_numpy()
    )


def _mapped(executor, run_job, jobs):
    """Platypus's map over our executor: the jobs run where the batches run."""
    return [future.result() for future in [executor.submit(run_job, job) for job in jobs]]


def _levers(scenario: Scenario, levers: list[str] | None) -> list[str]:
    declared = [lever.name for lever in scenario.levers]
    names = declared if levers is None else list(levers)
    unknown = [name for name in names if name not in declared]
    if unknown or not names:
        raise ValueError(
            f"{unknown[0]!r} is not a lever of {scenario.name}; levers: {', '.join(declared)}"
            if unknown
            else f"{scenario.name} has no levers to search"
        )
    return names


def _objective(scenario: Scenario, item: dict, levers: list[str]) -> Objective:
    item = dict(item)
    goal = item.pop("goal", "max")
    if goal not in GOALS:
        raise ValueError(f"objective {item}: goal {goal!r}; goals: {', '.join(GOALS)}")
    if "lever" in item:
        if item["lever"] not in levers:
            raise ValueError(f"objective on lever {item['lever']!r}: not among those searched")
        return Objective(item.pop("lever"), goal, "value", lever=True)
    name, statistic = _outcome_and_statistic(scenario, item, "objective")
    return Objective(name, goal, statistic)


def _constraint(scenario: Scenario, item: dict) -> Constraint:
    item = dict(item)
    bounds = {k: item.pop(k) for k in ("max", "min") if k in item}
    if len(bounds) != 1:
        raise ValueError(f"constraint {item}: give max or min, one of them")
    name, statistic = _outcome_and_statistic(scenario, item, "constraint")
    return Constraint(name, statistic, **bounds)


def _outcome_and_statistic(scenario: Scenario, item: dict, kind: str) -> tuple[str, str]:
    declared = [o.name for o in scenario.outcomes]
    name, statistic = item.pop("outcome", None), item.pop("statistic", "mean")
    if item:
        raise ValueError(f"{kind}: unknown keys {', '.join(item)}")
    if name not in declared:
        raise ValueError(
            f"{kind} on {name!r}: not an outcome of {scenario.name}; outcomes: "
            f"{', '.join(declared)}"
        )
    if not STATISTIC.match(statistic):
        raise ValueError(f"{kind} on {name}: statistic {statistic!r}; mean, median or qNN")
    return name, statistic


def _pareto_table(found, levers, objectives, constraints, judge: Candidate) -> pd.DataFrame:
    rows = []
    for solution in found:
        if constraints and not solution.feasible:
            continue
        row = judge.setting(solution.variables)
        row |= {f"{o.goal} {o.label}": v for o, v in zip(objectives, solution.objectives,
                                                          strict=True)}  # fmt: skip
        rows.append(row)
    table = pd.DataFrame(rows, columns=[*levers, *(f"{o.goal} {o.label}" for o in objectives)])
    deduplicated = table.drop_duplicates(subset=levers)
    return deduplicated.sort_values(list(deduplicated.columns[len(levers) :])).reset_index(
        drop=True
    )
