"""One world played month by month: the Mesa model with a single world, which is world
`world` of the ensemble exactly (every draw is a function of seed, world, month and stream).
Each browser session makes its own."""

from __future__ import annotations

from sim.errors import ScenarioError
from sim.model import RegionalInfluenceModel
from sim.results.dataset import Results, build_dataset
from sim.scenario.schema import Scenario
from sim.scenario.vocab import DEFAULT_ASSUMPTIONS


class OneWorld:
    """A single world of a scenario, stepped one month at a time."""

    def __init__(
        self, scenario: Scenario, seed: int, world: int = 0, assumptions: str = DEFAULT_ASSUMPTIONS
    ):
        self.scenario, self.seed, self.world = scenario, seed, world
        self.assumptions = assumptions
        if world < 0:
            raise ScenarioError("world", f"{world} is not a world number (0 or more)")
        self.model = RegionalInfluenceModel(
            scenario, worlds=1, seed=seed, first_world=world, assumptions=assumptions
        )
        for array in self.model.recorded.values():  # months not simulated yet: zero
            array.fill(0)

    @property
    def month(self) -> int:
        """Months simulated so far."""
        return self.model.month

    @property
    def finished(self) -> bool:
        return not self.model.running or self.model.month >= self.model.horizon

    def step(self) -> None:
        if not self.finished:
            self.model.step()

    def results(self) -> Results:
        """The world's record so far as Results over the whole horizon (months not simulated
        yet are zero: charts cut them with `until=month`)."""
        return Results(
            build_dataset(
                self.scenario,
                self.model.recorded,
                self.seed,
                first_world=self.world,
                assumptions=self.assumptions,
            ),
            self.scenario,
        )

    def events(self) -> list[str]:
        """What happened in the month last simulated: scheduled events and events drawn."""
        if self.month == 0:
            return []
        t = self.month - 1
        s = self.scenario
        lines = []
        for e in s.events:
            if s.month_index(e.month) == t:
                kind = f" ({e.type})" if e.label else ""
                lines.append(f"scheduled: {e.display_name}{kind}")
        counts = self.model.recorded["events"][t, 0]
        kinds = self.results().labels("shock")
        lines += [f"drawn: {int(n)} {kind}" for kind, n in zip(kinds, counts, strict=True) if n]
        return lines
