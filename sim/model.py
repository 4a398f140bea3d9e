"""RegionalInfluenceModel: the Mesa model, stepping R worlds at once, one month per step.

    scenario -> Params (arrays) -> initial State (R worlds) -> step() x months -> Recorder

With worlds=1 and scalar keyword parameters it is an ordinary Mesa model that runs under
`mesa.batch_run` and fills a DataCollector; with worlds=R every stage is vectorised over worlds.
"""

from __future__ import annotations

import mesa
import numpy as np

from agents.host import Host, decide_host, support_shares
from agents.neighbor import Neighbor, decide_neighbors, host_opportunity
from agents.power import Power, decide_powers, legitimacy_signal
from agents.threat import ThreatNetwork, grow_networks, pressure
from sim.core import rng
from sim.core.assumptions import DRAWN, check_assumptions, draw, per_world
from sim.core.params import Params, compile_scenario
from sim.core.reference import Reference
from sim.core.series import Recorder
from sim.core.stages.events import apply_scheduled
from sim.core.stages.influence import host_drivers, pair_trade, raw_influence, update_influence
from sim.core.stages.perception import network_threat, observe
from sim.core.stages.shocks import (
    apply_effects,
    draw_shocks,
    expected_effects,
    expected_network_boost,
    recover_crossings,
    stationary_excitation,
)
from sim.core.stages.trade import capacity_signals, settle, start_income, trade_stage
from sim.core.state import State, initial_state
from sim.scenario.schema import Scenario
from sim.scenario.vocab import DEFAULT_ASSUMPTIONS, NETWORKS


class RegionalInfluenceModel(mesa.Model):
    """Influence of powers over the host and its neighbours, month by month, in R worlds.

    Parameters
    ----------
    scenario : Scenario, optional
        The validated scenario; the shipped baseline if omitted.
    worlds : int
        Number of worlds stepped together (the ensemble axis).
    seed : int, optional
        Root seed; every draw is a pure function of (seed, world, month, stream).
        Defaults to `rng` when that is an int (as mesa.batch_run passes it), else the scenario's.
    first_world : int
        Global index of this block's first world, so a block reproduces those worlds exactly.
    collect : bool, optional
        Fill the Mesa DataCollector every step (default: only when worlds == 1).
    params : Params, optional
        The scenario compiled (sim.core.params.compile_scenario), when the caller has it: a
        run compiles its scenario once for all its blocks. Compiled here when omitted.
    record_into : dict of arrays, optional
        Arrays (months, worlds, ...) by series name to record into (a slice of a run's arrays);
        new ones when omitted. Read them back with `recorded`.
    assumptions : {'drawn', 'fixed'}
        'drawn' (the default): each world draws every declared uncertainty once, by
        (seed, world, name) (sim.core.assumptions); 'fixed': every one at its written value.
    **levers : float
        Values for the scenario's declared levers (scalars, as mesa.batch_run passes them).
    """

    def __init__(
        self,
        scenario: Scenario | None = None,
        worlds: int = 1,
        seed: int | None = None,
        rng: int | None = None,
        first_world: int = 0,
        collect: bool | None = None,
        params: Params | None = None,
        record_into: dict[str, np.ndarray] | None = None,
        assumptions: str = DEFAULT_ASSUMPTIONS,
        **levers: float,
    ):
        scenario = _scenario_of(scenario, params, levers)
        if seed is None:
            seed = rng if isinstance(rng, int | np.integer) else scenario.seed
        super().__init__(rng=int(seed))
        # `spec`, not `scenario`: mesa 3.5 reserves Model.scenario for its own Scenario objects
        self.spec, self.seed, self.worlds = scenario, int(seed), int(worlds)
        self.world_ids = np.arange(first_world, first_world + worlds, dtype=np.uint64)
        check_assumptions(assumptions)
        self.assumptions = assumptions
        draws = draw(scenario, self.seed, self.world_ids) if assumptions == DRAWN else {}
        if params is None or draws:  # a block's drawn parameters are its own
            params = compile_scenario(scenario, draws)
        self.params: Params = params
        self.horizon = scenario.horizon_months
        self.month = 0
        self._make_agents()
        self.state = initial_balance(self.params, self.worlds)
        self.reference = reference_values(scenario, self.params, self.state)
        expect_reference(self.state, self.reference)
        self.recorder = Recorder(self.params, self.horizon, self.worlds, arrays=record_into)
        self.collect = worlds == 1 if collect is None else collect
        self.datacollector = mesa.DataCollector(model_reporters=self._reporters())

    # ---- construction --------------------------------------------------------------------
    def _make_agents(self) -> None:
        role_class = {"power": Power, "host": Host, "neighbor": Neighbor}
        for i, actor in enumerate(self.spec.actors):
            role_class[actor.role](self, actor.code, i)
        for i, name in enumerate(NETWORKS):
            ThreatNetwork(self, name, i)

    def _reporters(self) -> dict:
        p = self.params
        reporters = {}
        for i, pw in enumerate(p.power_codes):
            for j, state in enumerate(p.state_codes):
                reporters[f"influence_{pw}_{state}"] = lambda m, i=i, j=j: float(
                    m.state.influence[:, i, j].mean()
                )
        for n, code in enumerate(p.codes):
            reporters[f"threat_{code}"] = lambda m, n=n: float(m.state.threat[:, n].mean())
        for k, name in enumerate(NETWORKS):
            reporters[name] = lambda m, k=k: float(m.state.networks[:, k].mean())
        return reporters

    # ---- the month -----------------------------------------------------------------------
    def step(self) -> None:
        """One month: scheduled events, then observe, decide, trade, security, influence."""
        if self.month >= self.horizon:
            self.running = False
            return
        p, ref, t, last = self.params, self.reference, self.month, self.state
        st = last.copy()
        st.turbulence *= per_world(p.dynamics.turbulence_memory, 2)
        recover_crossings(p, st)
        apply_scheduled(p, st, t)
        st.threat = observe(p, last.threat, last.networks, st.impulse)
        st.impulse = np.zeros_like(st.impulse)

        decide_powers(p, st, last, ref)
        decide_host(p, st, last, ref)
        decide_neighbors(p, st, last, ref)

        noise = rng.normal(self.seed, self.world_ids, t, rng.Stream.TRADE_NOISE, p.flow.keys)
        trade_stage(p, st, last, t, noise, ref)

        grow_networks(p, st, last, ref)
        counts, magnitude, st.excitation = draw_shocks(p, last, self.seed, self.world_ids, t)
        apply_effects(st, p.channels.effects, magnitude, hold=2)

        update_influence(p, st, raw_influence(p, st, t, ref.host_revenue))
        self.state = st
        self.recorder.record(t, st, counts)
        self.month += 1
        self.running = self.month < self.horizon
        if self.collect:
            self.datacollector.collect(self)

    def run(self) -> None:
        """Step to the end of the horizon."""
        while self.running:
            self.step()

    @property
    def recorded(self) -> dict[str, np.ndarray]:
        """Every recorded series so far, by name: arrays (months, worlds, ...) over the whole
        horizon, of which the months simulated so far are filled."""
        return self.recorder.arrays

    def take_record(self) -> dict[str, np.ndarray]:
        """The recorded arrays, handed over: the model lets go of them and of its state. It is a
        reference cycle with its agents, freed only by the cyclic collector, which seldom runs,
        and must not keep a block's arrays alive until then (measured: 4 MB a block, 400 MB
        over 100,000 streamed worlds). The model cannot step after this."""
        arrays = self.recorder.arrays
        self.recorder = self.state = self.reference = None
        return arrays


def _scenario_of(scenario: Scenario | None, params: Params | None, levers: dict) -> Scenario:
    """The scenario a model runs: the one given (or that of `params`, or the shipped baseline)
    with its levers set; `params` must be compiled from that very scenario."""
    if scenario is None and params is not None:
        scenario = params.scenario
    if scenario is None:
        from sim.scenario.loading import load_scenario

        scenario = load_scenario("baseline")
    if levers:
        scenario = scenario.with_levers(**levers)
    if params is not None and params.scenario is not scenario and params.scenario != scenario:
        raise ValueError("params are compiled from another scenario (levers included)")
    return scenario


def initial_balance(p: Params, worlds: int) -> State:
    """The start-month state: expected threat, shock memory and excitation at the starting
    rates, so that the baseline does not drift on average before anything happens."""
    st = initial_state(p, worlds)
    impulse, turbulence = expected_effects(p)
    d = p.dynamics
    st.threat = np.clip(
        network_threat(p, st.networks) + impulse / (1.0 - per_world(d.threat_memory, 2)), 0.0, 1.0
    )
    st.impulse = np.broadcast_to(impulse, st.impulse.shape).copy()  # last month's, as expected
    st.turbulence = np.broadcast_to(
        turbulence / (1.0 - per_world(d.turbulence_memory, 2)), st.turbulence.shape
    ).copy()
    st.excitation = np.broadcast_to(stationary_excitation(p), st.excitation.shape).copy()
    settle(p, st, np.zeros_like(st.trade), np.minimum(st.sanctions.sum(axis=1), 1.0))
    st.influence_parts, st.holder_parts = raw_influence(p, st, 0, st.host_revenue.copy())
    st.influence = st.influence_parts.sum(axis=-1)
    st.holder_influence = st.holder_parts.sum(axis=-1)
    st.parts_trend = st.influence_parts.copy()
    st.host_drivers = host_drivers(p, st, st.influence_parts)
    return st


def expect_reference(st: State, ref: Reference) -> None:
    """Actors start out expecting the start of the scenario as written, so a lever moved away
    from it is a change they notice, like every other signal."""
    st.expected_trade[:] = ref.pair_trade
    st.expected_opportunity[:] = ref.opportunity
    st.expected_legitimacy[:] = ref.legitimacy


def reference_values(scenario: Scenario, p: Params, st: State) -> Reference:
    """What decision rules compare against: the start of the scenario as written. Levers moved
    away from it (Scenario.lever_reference) act as changes from that balance."""
    written = scenario.at_reference()
    worlds = len(st.trade) if p.assumptions else 1  # drawn worlds each have their own start
    if written is not scenario:
        p = compile_scenario(written, p.assumptions)
        st = initial_balance(p, worlds)
    revenue = st.host_revenue[:worlds]  # (R,) or, all worlds alike, (1,)
    return Reference(
        threat=st.threat[:worlds].copy(),
        turbulence=st.turbulence[:worlds].copy(),
        capacity_signals=capacity_signals(p, st)[:worlds],
        pair_trade=pair_trade(p, st.trade[:worlds]),
        opportunity=host_opportunity(p, st)[:worlds],
        legitimacy=legitimacy_signal(p, st)[:worlds],
        support_share=support_shares(p, st)[:worlds],
        sanctions=np.minimum(st.sanctions[:worlds].sum(axis=1), 1.0),
        power_sanctions=st.sanctions[:worlds].copy(),
        pressure=pressure(p, st, st.host_revenue)[:worlds],
        network_boost=expected_network_boost(p),
        host_revenue=revenue.copy(),
        influence=st.influence[:worlds].copy(),
        income=start_income(p, st)[:worlds],
    )
