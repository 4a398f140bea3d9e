"""The Results API as a notebook uses it: tidy frames, summaries, quantiles, selections, plots."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
POWERS = ["RUS", "CHN", "USA"]
STATES = ["AFG", "TJK", "UZB", "TKM", "KAZ", "KGZ", "IRN", "PAK"]
WORLDS, MONTHS = 30, 24


@pytest.fixture(scope="module")
def scenario():
    from sim import load_scenario

    return load_scenario(ROOT / "scenarios" / "baseline.yaml")


@pytest.fixture(scope="module")
def res(scenario):
    from sim import run

    return run(scenario, worlds=WORLDS, seed=1, months=MONTHS)


def test_run_shape(res):
    assert (res.months, res.worlds, res.seed) == (MONTHS, WORLDS, 1)
    assert res.labels("power") == POWERS
    assert res.labels("state") == STATES
    assert res.dates[0] == pd.Timestamp("2024-01-01")
    assert len(res.dates) == MONTHS


def test_influence_is_tidy(res):
    frame = res.influence()
    assert list(frame.columns) == ["month", "date", "world", "power", "state", "value"]
    assert len(frame) == MONTHS * WORLDS * len(POWERS) * len(STATES)
    assert pd.api.types.is_datetime64_any_dtype(frame["date"])
    assert sorted(frame["month"].unique()) == list(range(MONTHS))
    assert sorted(frame["world"].unique()) == list(range(WORLDS))
    assert set(frame["power"]) == set(POWERS) and set(frame["state"]) == set(STATES)
    assert frame["value"].between(0, 1).all()
    # each (month, world, power, state) exactly once, and the date follows the month
    assert not frame.duplicated(["month", "world", "power", "state"]).any()
    dates = frame.drop_duplicates("month").set_index("month")["date"]
    assert (dates.dt.month == (dates.index % 12) + 1).all()
    # the tidy value is the recorded array's value
    row = frame[
        (frame["month"] == 5)
        & (frame["world"] == 7)
        & (frame["power"] == "CHN")
        & (frame["state"] == "UZB")
    ]
    assert row["value"].item() == pytest.approx(float(res.dataset["influence"].values[5, 7, 1, 2]))


def test_summary_shape_order_and_values(res):
    table = res.summary()
    assert list(table.columns) == ["power", "state", "median", "q05", "q95", "change"]
    held = STATES[1:]  # every neighbour, over the host, after the powers
    assert table.shape == (len(POWERS) * len(STATES) + len(held), 6)
    # power-major, in the scenario's order of powers and states
    assert list(table["power"]) == [p for p in POWERS for _ in STATES] + held
    assert list(table["state"]) == STATES * len(POWERS) + ["AFG"] * len(held)
    assert (table["q05"] <= table["median"]).all() and (table["median"] <= table["q95"]).all()
    # the same numbers from the tidy frame
    frame = res.influence()
    cell = frame[(frame["power"] == "RUS") & (frame["state"] == "AFG")]
    final = cell[cell["month"] == MONTHS - 1].set_index("world")["value"]
    start = cell[cell["month"] == 0].set_index("world")["value"]
    row = table[(table["power"] == "RUS") & (table["state"] == "AFG")].iloc[0]
    assert row["median"] == pytest.approx(final.median(), abs=1e-6)
    assert row["q05"] == pytest.approx(final.quantile(0.05), abs=1e-6)
    assert row["q95"] == pytest.approx(final.quantile(0.95), abs=1e-6)
    assert row["change"] == pytest.approx((final - start).median(), abs=1e-6)
    # a neighbour's row is its host_influence
    iran = res.dataset["host_influence"].sel(holder="IRN").astype(float)
    row = table[table["power"] == "IRN"].iloc[0]
    assert row["median"] == pytest.approx(float(iran.isel(month=-1).median()), abs=1e-6)


def test_quantiles_for_one_state(res):
    q = res.quantiles("influence", state="AFG")
    assert list(q.columns) == ["month", "date", "power", "q05", "median", "q95"]
    assert len(q) == MONTHS * len(POWERS)
    assert (q["q05"] <= q["median"]).all() and (q["median"] <= q["q95"]).all()
    assert (q["q05"] < q["q95"]).any(), "no spread over worlds at all"
    frame = res.frame("influence", state="AFG", power="USA")
    last = frame[frame["month"] == MONTHS - 1]["value"]
    row = q[(q["month"] == MONTHS - 1) & (q["power"] == "USA")].iloc[0]
    assert row["median"] == pytest.approx(last.median(), abs=1e-6)


def test_frame_selects_one_label(res):
    flow = "RUS-AFG-fuel"
    frame = res.frame("trade", flow=flow)
    assert list(frame.columns) == ["month", "date", "world", "value"]
    assert len(frame) == MONTHS * WORLDS
    index = res.labels("flow").index(flow)
    expected = res.dataset["trade"].values[:, :, index].reshape(-1)
    got = frame.sort_values(["month", "world"])["value"].to_numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    both = res.frame("engagement", power="RUS", instrument="security")
    assert list(both.columns) == ["month", "date", "world", "state", "value"]
    assert len(both) == MONTHS * WORLDS * len(STATES)


@pytest.mark.parametrize(
    ("name", "select", "words"),
    [
        ("nosuch", {}, ["no series 'nosuch'", "influence", "trade"]),
        ("influence", {"flow": "RUS-AFG-fuel"}, ["has no dim 'flow'", "power", "state"]),
        ("influence", {"state": "XXX"}, ["unknown state 'XXX'", "allowed: AFG, TJK"]),
        ("trade", {"flow": "RUS-AFG-gold"}, ["unknown flow 'RUS-AFG-gold'", "RUS-AFG-fuel"]),
    ],
)
def test_frame_unknown_names_are_helpful(res, name, select, words):
    with pytest.raises(KeyError) as caught:
        res.frame(name, **select)
    message = caught.value.args[0]
    for word in words:
        assert word in message, message
    with pytest.raises(KeyError):
        res.quantiles(name, **select)


def test_tonnes(res, scenario):
    kt = res.tonnes("RUS", "AFG")
    assert kt.shape == (MONTHS, WORLDS)
    assert np.isfinite(kt).all() and (kt > 0).all()
    price = next(c.price.value for c in scenario.commodities if c.name == "fuel")
    trade = res.frame("trade", flow="RUS-AFG-fuel").sort_values(["month", "world"])
    expected = trade["value"].to_numpy().reshape(MONTHS, WORLDS) * 1e6 / price / 1e3
    np.testing.assert_allclose(kt, expected, rtol=1e-5)
    # the baseline's 49 USD M/year at USD 700/t is 70,000 t a year, about 5.8 kt a month
    flow = next(f for f in scenario.trade if (f.exporter, f.importer) == ("RUS", "AFG"))
    per_month = flow.value * 1e6 / 12 / price / 1e3
    assert per_month / 3 < np.median(kt[0]) < per_month * 3


def test_regional_influence(res, scenario):
    regional = res.regional_influence().values
    assert regional.shape == (MONTHS, WORLDS, len(POWERS))
    inf = res.dataset["influence"].values.astype(np.float64)
    assert (regional >= inf.min(axis=3) - 1e-6).all()
    assert (regional <= inf.max(axis=3) + 1e-6).all()
    gdp = {a.code: a.gdp.value for a in scenario.actors}
    weights = np.array([gdp[s] for s in STATES])
    expected = inf @ (weights / weights.sum())
    np.testing.assert_allclose(regional, expected, rtol=1e-5, atol=1e-7)


def test_plot_influence_returns_figure(res):
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    fig = res.plot_influence("AFG")
    try:
        assert isinstance(fig, Figure)
        ax = fig.axes[0]
        labels = [line.get_label() for line in ax.get_lines()]
        for power in POWERS:
            assert any(label.startswith(power) for label in labels), labels
        assert "AFG" in ax.get_title()
    finally:
        plt.close(fig)
    with pytest.raises(KeyError, match="unknown state"):
        res.plot_influence("XXX")
    plt.close("all")


def test_with_levers(scenario):
    from sim.errors import ScenarioError

    before = scenario.lever_values()
    assert before["us_sanctions"] == pytest.approx(0.6)
    changed = scenario.with_levers(us_sanctions=0.8)
    after = changed.lever_values()
    assert after["us_sanctions"] == pytest.approx(0.8)
    assert {k: v for k, v in after.items() if k != "us_sanctions"} == {
        k: v for k, v in before.items() if k != "us_sanctions"
    }
    assert scenario.lever_values() == before, "with_levers changed the original"
    usa = next(a for a in changed.actors if a.code == "USA")
    assert usa.sanctions.value == pytest.approx(0.8)
    assert changed.content_hash() != scenario.content_hash()

    with pytest.raises(ScenarioError) as caught:
        scenario.with_levers(us_sanctions=1.5)
    assert caught.value.field == "levers.us_sanctions"
    assert "1.5" in caught.value.message and "[0.0, 1.0]" in caught.value.message
    with pytest.raises(ScenarioError) as caught:
        scenario.with_levers(no_such_lever=0.1)
    assert caught.value.field == "levers.no_such_lever"
    assert "us_sanctions" in caught.value.message


def test_levers_change_the_run(scenario, res):
    from sim import run

    other = run(scenario.with_levers(us_sanctions=1.0), worlds=WORLDS, seed=1, months=MONTHS)
    assert not np.array_equal(other.dataset["influence"].values, res.dataset["influence"].values)
    again = run(scenario, worlds=WORLDS, seed=1, months=MONTHS)
    np.testing.assert_array_equal(
        again.dataset["influence"].values, res.dataset["influence"].values
    )
