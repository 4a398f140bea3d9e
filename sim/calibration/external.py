"""The model's start levels beside external measures of dyadic influence: their rank agreement,
reported as found and never fitted to (docs/validation.md)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from scipy import stats

from sim.core.params import compile_scenario
from sim.model import initial_balance
from sim.scenario.schema import Scenario


def start_levels(scenario: Scenario) -> pd.Series:
    """Influence of every holder over every state at the start (the raw index of the start
    state, the same in every world with the assumptions at their written values), by (holder,
    state): the powers over every state, then the neighbours holding influence over the host."""
    p = compile_scenario(scenario)
    st = initial_balance(p, 1)
    host = p.state_codes[p.host_state]
    levels = {
        (power, state): st.influence[0, i, j]
        for i, power in enumerate(p.power_codes)
        for j, state in enumerate(p.state_codes)
    }
    levels |= {(code, host): st.holder_influence[0, k] for k, code in enumerate(p.holders.codes)}
    return pd.Series(levels, dtype="float64").rename_axis(["holder", "state"])


def rank_agreement(levels: pd.Series, external: pd.DataFrame | str | Path) -> pd.DataFrame:
    """For each external measure (rows: measure, holder, state, rank, 1 the most influence),
    the pairs it shares with `levels` (of start_levels), Spearman's rho and Kendall's tau of
    the model's levels against the measure's order, and their p-values (a row per measure)."""
    if not isinstance(external, pd.DataFrame):
        external = pd.read_csv(external)
    rows = {}
    for measure, part in external.groupby("measure", sort=False):
        pairs = part.set_index(["holder", "state"])["rank"]
        model = levels.reindex(pairs.index)
        shared = model.notna()
        rho = stats.spearmanr(model[shared], -pairs[shared])
        tau = stats.kendalltau(model[shared], -pairs[shared])
        rows[measure] = {
            "pairs": int(shared.sum()),
            "spearman": float(rho.statistic),
            "spearman_p": float(rho.pvalue),
            "kendall": float(tau.statistic),
            "kendall_p": float(tau.pvalue),
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("measure")
