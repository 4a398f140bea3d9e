"""Behaviour probes: the paired figures a regional specialist would look at first, for the
checkout whose `sim` is imported.

    python benchmarks/probe_behaviour.py [--worlds N] [--seed S]

Each figure compares the baseline with a changed copy of it over the same worlds and seed
(common random numbers), or reads the baseline itself. It uses only the public API, so it also
runs on an older checkout (`PYTHONPATH=OTHER python benchmarks/probe_behaviour.py`), for a
before and after in one sitting.
"""

from __future__ import annotations

import argparse

import numpy as np

from sim.batch.runner import run
from sim.model import RegionalInfluenceModel
from sim.scenario.loading import load_scenario, parse_scenario

BASELINE = load_scenario("baseline")


def changed(add=(), remove_label: str | None = None):
    """The baseline with events added (unit and source filled in) or one removed by label."""
    data = BASELINE.model_dump(mode="json")
    data["events"] = [
        e for e in data["events"] if e.get("label") != remove_label or not remove_label
    ]
    data["events"] += [{"unit": "probe", "source": "assumption: probe", **e} for e in add]
    return parse_scenario(data)


def window(first: str, last: str) -> slice:
    return slice(BASELINE.month_index(first), BASELINE.month_index(last) + 1)


def series(res, name: str, months: slice) -> np.ndarray:
    return res.dataset[name].values[months].astype(np.float64)


def flows(exporter=None, importer=None) -> np.ndarray:
    return np.array(
        [
            (exporter in (None, f.exporter)) and (importer in (None, f.importer))
            for f in BASELINE.trade
        ]
    )


def state_after(scenario, month: int, worlds: int, seed: int):
    """The model's full state after `month` (also what no series records)."""
    model = RegionalInfluenceModel(scenario, worlds=worlds, seed=seed)
    for _ in range(month + 1):
        model.step()
    return model.state


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worlds", type=int, default=400)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    w, seed = args.worlds, args.seed
    base = run(BASELINE, worlds=w, seed=seed)
    p = base.params
    rus, chn, usa = (p.power_index(c) for c in ("RUS", "CHN", "USA"))
    afg, tjk = p.state_index("AFG"), p.state_index("TJK")

    def paired(scenario, name: str, months: slice) -> np.ndarray:
        """Changed minus baseline, mean over the months and the worlds."""
        other = run(scenario, worlds=w, seed=seed)
        return (series(other, name, months) - series(base, name, months)).mean(axis=(0, 1))

    year26 = window("2026-01", "2026-12")
    closed = run(
        changed(
            [
                {
                    "month": "2026-01",
                    "type": "closure",
                    "crossing": "torkham",
                    "duration_months": 12,
                    "value": 1.0,
                }
            ]
        ),
        worlds=w,
        seed=seed,
    )
    into, pak = flows(importer="AFG"), flows(exporter="PAK")
    before, after = series(base, "trade", year26), series(closed, "trade", year26)
    lost = (before[..., into & pak] - after[..., into & pak]).sum(axis=(0, 2))
    gained = (after[..., into & ~pak] - before[..., into & ~pak]).sum(axis=(0, 2))
    print(f"Torkham shut for 2026: others supply {np.mean(gained / lost):.2f} of the lost imports")
    by_partner = {
        code: float(
            (after[..., into & flows(exporter=code)] - before[..., into & flows(exporter=code)])
            .sum(axis=(0, 2))
            .mean()
        )
        for code in ("IRN", "UZB", "TKM", "KAZ", "TJK", "RUS", "CHN")
    }
    print(
        "  imports gained in 2026 by exporter (USD M):",
        {k: round(v) for k, v in by_partner.items()},
    )
    year28 = window("2028-01", "2028-12")
    pak_after = series(closed, "trade", year28)[..., pak].sum(axis=(0, 2)).mean()
    pak_before = series(base, "trade", year28)[..., pak].sum(axis=(0, 2)).mean()
    print(f"  Pakistan's exports to AFG in 2028: {pak_after / pak_before:.3f} of the baseline's")

    totals = base.dataset["engagement"].values.astype(np.float64).sum(axis=(3, 4))
    at_budget = totals >= 0.98 * p.power.budget
    mid30 = BASELINE.month_index("2030-06")
    print(
        f"Russia at its budget: month 3 {at_budget[3, :, rus].mean():.2f}, 2030 "
        f"{at_budget[mid30, :, rus].mean():.2f} of worlds; China in 2030 "
        f"{at_budget[mid30, :, chn].mean():.2f}"
    )
    year30 = window("2030-01", "2030-12")
    economic = series(base, "engagement", year30).mean(axis=0)[:, chn, :, 1].mean(axis=0)
    print(
        "China's economic engagement in 2030:",
        {code: round(float(x), 2) for code, x in zip(p.state_codes, economic, strict=True)},
    )
    openness = series(base, "host_openness", year30).mean(axis=0)[:, rus]
    print(
        f"Host openness to Russia in 2030: mean {openness.mean():.2f}, "
        f"{(openness >= 0.98).mean():.2f} of worlds at 0.98 or more"
    )
    year28 = window("2028-01", "2028-12")
    sanctions = series(base, "sanctions", year28).mean(axis=0)[:, usa]
    eased = run(BASELINE.with_levers(us_sanctions=0.3), worlds=w, seed=seed)
    held = series(eased, "sanctions", year28).mean(axis=0)[:, usa]
    print(
        f"US sanctions in 2028: mean {sanctions.mean():.2f} ({(sanctions > 0.9).mean():.2f} of "
        f"worlds above 0.9); with the lever at 0.3: {held.mean():.2f}"
    )

    crocus = paired(
        changed(remove_label="Crocus City Hall attack"), "engagement", window("2024-03", "2024-12")
    )
    raised = {c: round(-float(crocus[rus, p.state_index(c), 0]), 3) for c in ("AFG", "TJK", "PAK")}
    print("Crocus: Russia's security engagement raised by", raised)
    tajik = [{"month": "2026-03", "type": "attack", "target": "TJK", "value": 0.8}]
    attack = paired(changed(tajik), "engagement", window("2026-03", "2026-08"))
    raised = {f"{c}-TJK": round(float(attack[p.power_index(c), tjk, 0]), 3) for c in ("RUS", "CHN")}
    raised["RUS-PAK"] = round(float(attack[rus, p.state_index("PAK"), 0]), 3)
    print("Attack in Tajikistan: security engagement raised by", raised)
    print(f"  and Russia's economic engagement with TJK changed by {attack[rus, tjk, 1]:+.3f}")

    influence = base.dataset["influence"].values.astype(np.float64)[..., usa, afg]
    print(f"US influence over AFG: start {influence[0].mean():.3f}, end {influence[-1].mean():.3f}")
    restored = paired(
        changed(
            [
                {"month": "2026-01", "type": "aid", "actor": "USA", "target": "AFG", "value": 61.3},
                {"month": "2026-01", "type": "sanctions", "actor": "USA", "value": 0.3},
            ]
        ),
        "influence",
        window("2027-12", "2027-12"),
    )
    print(
        f"Restoring US aid and easing sanctions in 2026: US influence {restored[usa, afg]:+.3f} "
        "by the end of 2027"
    )

    pair = flows("RUS", "AFG") | flows("AFG", "RUS")
    trade = base.dataset["trade"].values.astype(np.float64)[..., pair].sum(axis=2)
    first, last = trade[:12].sum(axis=0).mean(), trade[-12:].sum(axis=0).mean()
    print(
        f"Russia-Afghanistan trade: first year {first:.0f}, last year {last:.0f} USD M "
        f"({last / first:.2f}x)"
    )

    termez = changed(
        [
            {
                "month": "2026-03",
                "type": "closure",
                "crossing": "termez_hairatan",
                "duration_months": 3,
                "value": 1.0,
            }
        ]
    )
    month = BASELINE.month_index("2027-06")
    a, b = (state_after(s, month, min(w, 200), seed) for s in (BASELINE, termez))
    uzb = p.state_index("UZB")
    openness = (b.trade_openness[:, uzb] - a.trade_openness[:, uzb]).mean()
    economic = (b.engagement[:, rus, afg, 1] - a.engagement[:, rus, afg, 1]).mean()
    print(
        f"A year after a 3-month Termez closure: Uzbek trade openness {openness:+.3f}, "
        f"Russia's economic engagement with AFG {economic:+.3f}"
    )
    library_probes(base, w, seed)


def library_probes(base, w: int, seed: int) -> None:
    """The artefacts a Central Asia analyst found: a closure's blocked partner coming out ahead,
    echoes through rivalry, neighbours without a say, attacks without lasting effects."""
    p = base.params
    rus, chn = p.power_index("RUS"), p.power_index("CHN")
    afg, tjk = p.state_index("AFG"), p.state_index("TJK")

    def effect(name: str, first: str, last: str, res) -> np.ndarray:
        months = window(first, last)
        return (series(res, name, months) - series(base, name, months)).mean(axis=(0, 1))

    termez = run(load_scenario("termez_closure"), worlds=w, seed=seed)
    during = effect("influence", "2026-06", "2027-05", termez)[chn, afg]
    later = effect("influence", "2029-07", "2029-07", termez)[chn, afg]
    print(f"Termez closure: China over AFG {during:+.4f} during, {later:+.4f} in 2029-07")
    holders = list(base.dataset["holder"].values)
    gains = effect("host_influence", "2026-06", "2027-05", termez)
    print(
        "  over AFG during the closure:",
        {str(h): round(float(g), 4) for h, g in zip(holders, gains, strict=True)},
    )
    resurgence = run(load_scenario("trafficking_resurgence"), worlds=w, seed=seed)
    security = effect("engagement", "2028-01", "2030-12", resurgence)[..., 0]
    influence = effect("influence", "2028-01", "2030-12", resurgence)
    print(
        "Trafficking resurgence 2028-30: security engagement with AFG "
        f"RUS {security[rus, afg]:+.4f} CHN {security[chn, afg]:+.4f}; influence over AFG "
        f"RUS {influence[rus, afg]:+.4f} CHN {influence[chn, afg]:+.4f}"
    )
    attack = [{"month": "2026-03", "type": "attack", "target": "TJK", "value": 0.8}]
    lasting = effect("engagement", "2030-01", "2030-12", run(changed(attack), worlds=w, seed=seed))
    print(
        f"Attack in Tajikistan in 2026: Russia's security engagement there in 2030 "
        f"{lasting[rus, tjk, 0]:+.4f}"
    )
    level = base.dataset["host_influence"].values[-12:].astype(np.float64).mean(axis=(0, 1))
    held = [str(h) for h, x in zip(holders, level, strict=True) if x >= 0.005]
    print(f"Holders of at least 0.005 influence over AFG in 2034: {len(held)} ({', '.join(held)})")


if __name__ == "__main__":
    main()
