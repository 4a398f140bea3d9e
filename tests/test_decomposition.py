"""Influence split into its reasons: the components the model records add up to influence in
every world and month (a power's drivers over the host to their component), tightly in the
float64 state and within float32 rounding in the recorded series; `Results.decompose` splits a
level, `Comparison.decompose` a paired change, world by world; `sim compare --why` prints it.

Runs are the baseline cut to 24 months (every scheduled event of 2024-2025 included), with
assumptions drawn per world, so every world has its own weights, inertia and shares."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from commands import sim as run_sim

import sim
from sim import ResultError
from sim.model import RegionalInfluenceModel
from sim.results.decomposition import parts
from sim.scenario.vocab import INFLUENCE_COMPONENTS, INFLUENCE_DRIVERS

pytestmark = pytest.mark.model

MONTHS = 24
WORLDS = 40
SEEDS = (1, 7, 20240101)
STATE_RTOL = 1e-12  # float64 state: partial adjustment is linear, only rounding remains
RECORDED_ATOL = 1e-6  # float32 series: each value rounded to 7 significant digits
HOST = "AFG"


@pytest.fixture(scope="module")
def scenario(short):
    return short.replace(horizon_months=MONTHS)


@pytest.fixture(scope="module")
def pair(scenario):
    """More US aid from 2025 (the lever us_aid at its high bound) against the baseline, paired."""
    more = scenario.with_values(us_aid=150).replace(name="more_aid")
    return sim.run(more, worlds=WORLDS, seed=3), sim.run(scenario, worlds=WORLDS, seed=3)


def by_driver(values: np.ndarray, component: str) -> np.ndarray:
    """The sum over the drivers of `component`, on the last axis of `values`."""
    own = [d for d, (_, of) in enumerate(INFLUENCE_DRIVERS.items()) if of == component]
    return values[..., own].sum(axis=-1)


@pytest.mark.parametrize("seed", SEEDS)
def test_the_parts_add_up_to_influence_in_the_state_every_month(scenario, seed):
    model = RegionalInfluenceModel(scenario, worlds=8, seed=seed)
    host = model.params.host_state
    for _ in range(MONTHS + 1):  # month 0's balance, then every month stepped
        st = model.state
        np.testing.assert_allclose(st.influence_parts.sum(-1), st.influence, rtol=STATE_RTOL)
        np.testing.assert_allclose(st.holder_parts.sum(-1), st.holder_influence, rtol=STATE_RTOL)
        for component in ("economic", "diplomatic"):
            part = st.influence_parts[:, :, host, INFLUENCE_COMPONENTS.index(component)]
            np.testing.assert_allclose(
                by_driver(st.host_drivers, component), part, rtol=STATE_RTOL, atol=1e-15
            )
        model.step()
    assert model.month == MONTHS and st.influence_parts.min() >= 0.0
    assert (st.host_drivers > 0).any(axis=(0, 1)).all()  # every driver holds something


@pytest.mark.parametrize("seed", SEEDS)
def test_the_recorded_components_add_up_to_influence_in_every_world_and_month(scenario, seed):
    ds = sim.run(scenario, worlds=WORLDS, seed=seed).dataset
    assert ds.influence_components.dims[2:] == ("power", "state", "component")
    assert list(ds.component.values) == list(INFLUENCE_COMPONENTS)
    pairs = [
        ("influence_components", "influence"),
        ("host_influence_components", "host_influence"),
    ]
    for components, total in pairs:
        summed = ds[components].values.astype(np.float64).sum(axis=-1)
        np.testing.assert_allclose(summed, ds[total].values, rtol=0, atol=RECORDED_ATOL)
    drivers = ds.host_influence_drivers.values.astype(np.float64)
    host = ds.influence_components.sel(state=HOST).values
    for component in ("economic", "diplomatic"):
        part = host[..., INFLUENCE_COMPONENTS.index(component)]
        np.testing.assert_allclose(by_driver(drivers, component), part, atol=RECORDED_ATOL)
    # the split means something: the components are not one of them in every pair
    assert (ds.influence_components.isel(month=-1).max("world") > 0.01).sum() > 20


def test_a_level_splits_into_components_whose_means_add_up_to_the_mean(pair):
    res = pair[1]
    table = res.decompose("RUS")
    assert list(table.component) == list(INFLUENCE_COMPONENTS)
    assert list(table.columns) == ["component", "mean", "q05", "median", "q95", "share"]
    mean = float(res.influence_of("RUS", HOST).isel(month=-1).astype(float).mean())
    assert table["mean"].sum() == pytest.approx(mean, abs=RECORDED_ATOL)
    assert table["share"].sum() == pytest.approx(1.0)
    assert ((table.q05 <= table["median"]) & (table["median"] <= table.q95)).all()
    # a window: each world's mean over the months, then over worlds
    window = res.decompose("CHN", "TJK", at=slice(12, 24))
    level = res.influence_of("CHN", "TJK").isel(month=slice(12, 24)).astype(float).mean()
    assert window["mean"].sum() == pytest.approx(float(level), abs=RECORDED_ATOL)
    # a neighbour over the host: no security provision is modelled
    iran = res.decompose("IRN").set_index("component")
    assert iran.loc["security", "q95"] == 0 and iran.loc["trade", "mean"] > 0


def test_drivers_split_a_powers_economic_and_diplomatic_components_over_the_host(pair):
    res = pair[1]
    components = res.decompose("RUS").set_index("component")["mean"]
    drivers = res.decompose("RUS", drivers=True)
    assert list(drivers.driver) == [
        "trade", "security", *INFLUENCE_DRIVERS, "leverage"
    ]  # fmt: skip
    summed = drivers.groupby("component")["mean"].sum()
    pd.testing.assert_series_equal(
        summed[list(INFLUENCE_COMPONENTS)], components, check_names=False, atol=RECORDED_ATOL
    )
    # Russia recognised the host in July 2025: recognition holds a part by the end of 2025
    assert drivers.set_index("driver").loc["recognition", "q05"] > 0
    # elsewhere nothing splits: each component is its own driver
    assert list(res.decompose("RUS", "TJK", drivers=True).driver) == list(INFLUENCE_COMPONENTS)


def test_a_paired_change_splits_into_components_world_by_world(pair):
    more, base = pair
    comparison = sim.compare(more, base)
    for holder in base.holders_over(HOST):
        change = parts(more, holder, HOST) - parts(base, holder, HOST)
        total = (more.influence_of(holder, HOST) - base.influence_of(holder, HOST)).isel(month=-1)
        np.testing.assert_allclose(
            change.sum("part").values, total.values.astype(float), atol=2 * RECORDED_ATOL
        )
    table = comparison.decompose()
    final = comparison.final(HOST).set_index("holder").difference
    summed = table.groupby("holder", sort=False)["mean"].sum()
    np.testing.assert_allclose(summed, final[summed.index], atol=2 * RECORDED_ATOL)
    usa = table[table.holder == "USA"].set_index("component")
    assert usa.loc["economic", "mean"] > 0.01 and usa.loc["economic", "with_total"] > 0.9
    assert usa["share"].sum() == pytest.approx(1.0)
    aid = comparison.decompose(holder="USA", drivers=True).set_index("driver")
    assert aid.loc["aid", "mean"] > 0.9 * usa.loc["economic", "mean"]  # more aid, not investment


def test_a_run_compared_with_itself_changes_in_no_component(pair):
    table = sim.compare(pair[1], pair[1]).decompose(drivers=True)
    assert (table[["mean", "q05", "median", "q95"]] == 0).all().all()
    assert table.share.isna().all()


def test_results_written_before_components_were_recorded_say_so(pair):
    res = pair[1]
    old = type(res)(res.dataset.drop_vars(["influence_components", "host_influence_components"]))
    with pytest.raises(ResultError, match="written before influence components were recorded"):
        old.decompose("RUS")
    with pytest.raises(KeyError, match="'IRN' holds no recorded influence over 'TJK'"):
        res.decompose("IRN", "TJK")


def test_sim_compare_why_prints_the_components_of_each_change(pair, tmp_path):
    folders = []
    for res in pair:
        folders.append(tmp_path / res.scenario.name)
        sim.save_results(res, folders[-1])
    plain = run_sim("compare", *folders)
    done = run_sim("compare", *folders, "--why")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(plain.stdout)  # the usual comparison first
    why = done.stdout[len(plain.stdout) :].splitlines()
    assert why[0] == "Why, by component: influence over AFG in 2025-12"
    usa = next(i for i, line in enumerate(why) if line.startswith("  USA "))
    gain = sim.compare(*pair).final(HOST).set_index("holder").difference["USA"]
    assert float(why[usa].split()[1]) == pytest.approx(gain, abs=0.0005)  # printed to 0.001
    assert why[usa + 1].split()[0] == "economic" and why[usa + 2].split()[0] == "aid"
    for holder in ("RUS", "CHN", "USA", "IRN", "PAK"):
        assert any(line.startswith(f"  {holder} ") for line in why), holder
    assert any(line.startswith("Each component: its mean change") for line in why)
    tajik = run_sim("compare", *folders, "--why", "--state", "TJK")
    assert "Why, by component: influence over TJK" in tajik.stdout
    assert "aid, investment and remittances" not in tajik.stdout  # drivers: over the host only
