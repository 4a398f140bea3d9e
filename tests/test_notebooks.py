"""The notebooks run top to bottom in a fresh kernel, as a reader would run them, and their
rendered HTML is there to read (`make notebooks`)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
WIDGET = "application/vnd.jupyter.widget-view+json"


# The worlds the two slowest notebooks run here, against their 1500 in the rendered docs (`make
# notebooks`): these tests check that a notebook runs and that its words are those of its
# tables, not its numbers, and what they assert of the statistics still holds at this size
# (drivers beyond the noise floor, significant box restrictions); it saves about a minute each.
WORLDS = 500
FULL_SIZE = "WORLDS, SEED = 1500, 1"


def execute(name: str, tmp_path: Path, worlds: int | None = None) -> nbformat.NotebookNode:
    """The notebook run in a copy of the notebooks folder under tmp_path, so that what it
    writes (../out/notebooks) lands in tmp_path/out; with `worlds`, its FULL_SIZE line set to
    that many worlds."""
    folder = tmp_path / "notebooks"
    folder.mkdir()
    shutil.copy(ROOT / "notebooks" / f"{name}.ipynb", folder)
    notebook = nbformat.read(folder / f"{name}.ipynb", as_version=4)
    if worlds is not None:
        sized = [cell for cell in notebook.cells if FULL_SIZE in cell.source]
        assert len(sized) == 1, f"{name} no longer sets its size by {FULL_SIZE!r}"
        sized[0].source = sized[0].source.replace(FULL_SIZE, f"WORLDS, SEED = {worlds}, 1")
    NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
    ).execute()
    return notebook


def outputs(notebook, kind: str | None = None) -> list:
    found = [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs]
    return [out for out in found if kind is None or kind in out.get("data", {})]


def text(notebook) -> str:
    parts = []
    for out in outputs(notebook):
        parts.append(out.get("text", "") + out.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


def test_there_are_the_four_notebooks():
    assert {p.stem for p in NOTEBOOKS} == {
        "quickstart",
        "compare_policies",
        "sensitivity",
        "discovery",
    }


def drawn_inputs(name: str = "baseline") -> set[str]:
    """What a drawn run of a library scenario varies: its uncertainties and its shares' parts."""
    import sim

    scenario = sim.load_scenario(name)
    return {u.name for u in scenario.uncertainties} | {
        part for shares in scenario.shares for part in shares.parts
    }


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_are_stored_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_rendered_html_is_there_with_every_cell(path):
    html = ROOT / "docs" / "notebooks" / f"{path.stem}.html"
    assert html.is_file(), f"{html} missing: run `make notebooks`"
    body = html.read_text(encoding="utf-8")
    notebook = nbformat.read(path, as_version=4)
    code_cells = sum(cell.cell_type == "code" for cell in notebook.cells)
    assert body.count("jp-CodeCell") >= code_cells
    assert body.count("data:image/png;base64") >= 2  # its figures, with their outputs
    assert "Traceback" not in body and "Error" not in body.split("</style>")[-1]


def test_quickstart_runs(tmp_path):
    notebook = execute("quickstart", tmp_path)
    assert len(outputs(notebook, "image/png")) == 3  # influence, difference, fan chart
    assert "us_reengagement - baseline: influence over AFG" in text(notebook)
    assert len(outputs(notebook, "text/html")) >= 2  # the summary and the policy table


def test_compare_policies_runs_a_batch_on_the_pool(tmp_path):
    notebook = execute("compare_policies", tmp_path)
    batch = tmp_path / "out" / "notebooks" / "compare_policies"
    plan = json.loads((batch / "batch.json").read_text())
    assert plan["status"] == "complete" and len(plan["runs"]) == 5
    assert outputs(notebook, WIDGET), "the batch's progress bar is not a Jupyter widget"
    words = text(notebook)
    for name in ("us_reengagement", "us_conditionality", "russia_recognition_surge"):
        assert f"{name} against the baseline" in words
    assert len(outputs(notebook, "image/png")) == 3


def test_sensitivity_runs_given_data_then_sobol_on_dask(tmp_path):
    notebook = execute("sensitivity", tmp_path, worlds=WORLDS)
    assert outputs(notebook, WIDGET), "the progress bars are not Jupyter widgets"
    words = text(notebook)
    assert "<EnsembleSensitivity (pawn) of us_over_afghanistan" in words
    assert "<Sensitivity of us_over_afghanistan to 4 parameters" in words
    assert "refused: 'us_aid' is a lever" in words  # levers never enter a Sobol design
    assert len(outputs(notebook, "image/png")) == 3
    folder = tmp_path / "out" / "notebooks" / "sensitivity"

    # given data: every outcome, including timing and a policy's effect, with its noise floor;
    # the counts printed are those of the table
    pawn = pd.read_csv(folder / "pawn.csv")
    outcomes = list(dict.fromkeys(pawn.outcome))
    assert outcomes == [
        "us_over_afghanistan",
        "russia_over_afghanistan",
        "china_over_afghanistan_2026_2030",
        "months_until_russia_reaches_0_10",
        "us_over_afghanistan (us_reengagement - baseline)",
    ]
    assert set(pawn.parameter) <= drawn_inputs()
    for outcome, rows in pawn.groupby("outcome", sort=False):
        assert rows.noise.nunique() == 1 and rows.noise.iloc[0] > 0
        assert (rows["index"].between(0, 1)).all() and (rows.low <= rows.high).all()
        count = int(rows.distinguishable.sum())
        assert f"{outcome}: {count} of {len(rows)} inputs beyond the noise floor " in words
        assert f"({rows.noise.iloc[0]:.3f})" in words
    drivers = pawn[pawn.distinguishable].parameter.nunique()
    assert f"{drivers} inputs drive at least one of the 5 outcomes" in words

    # Sobol: uncertainties only, and a flag exactly where the intervals rank nothing
    sobol = pd.read_csv(folder / "sobol.csv", keep_default_na=False)
    import sim

    assert set(sobol.parameter) <= {u.name for u in sim.load_scenario("baseline").uncertainties}
    assert (sobol.kind == "uncertainty").all() and len(sobol) == 4
    wide = ((sobol.first_high - sobol.first_low) > 0.3) | (
        (sobol.total_high - sobol.total_low) > 0.3
    )
    outside = sobol[["first_low", "total_low"]].lt(-0.05).any(axis=1) | sobol[
        ["first_high", "total_high"]
    ].gt(1.05).any(axis=1)
    assert ((sobol.flag != "") == (wide | outside)).all()
    flagged = int((sobol.flag != "").sum())
    assert f"{flagged} of 4 indices are flagged at n=16." in words


def test_discovery_finds_boxes_drivers_robust_policies_and_a_pareto_set(tmp_path):
    notebook = execute("discovery", tmp_path, worlds=WORLDS)
    assert len(outputs(notebook, WIDGET)) >= 2  # the run's and the search's progress
    assert len(outputs(notebook, "image/png")) == 4
    words = text(notebook)
    folder = tmp_path / "out" / "notebooks" / "discovery"

    # a: the PRIM boxes restrict declared uncertainties, and the text says what their numbers say
    for name in ("china_ahead", "weak_us"):
        box = json.loads((folder / f"{name}_box.json").read_text())
        for measure in ("coverage", "density", "mass"):
            assert 0 <= box[measure] <= 1, (name, measure)
        assert 0 < box["of_interest"] < box["worlds"] == WORLDS
        restrictions = pd.read_csv(folder / f"{name}_box.csv", index_col="input")
        assert set(restrictions.index) <= drawn_inputs()
        assert (restrictions.p_value <= 0.05).all()
        assert (restrictions.low <= restrictions.high).all()
    china = json.loads((folder / "china_ahead_box.json").read_text())
    share = china["of_interest"] / china["worlds"]
    assert (
        f"China is ahead of Russia over Afghanistan in 2029 in {china['of_interest']} of "
        f"{china['worlds']} worlds ({share:.0%})." in words
    )
    if china["density"] >= 0.8:
        assert "singles them out: it holds" in words
    else:
        assert "No simple box singles them out" in words or "No box reaches the density" in words
        assert f"density {china['density']:.2f} against {share:.2f}" in words or (
            f"{china['density']:.0%} of its worlds are of interest" in words
        )

    # b: the drivers printed are those of the table
    us = pd.read_csv(folder / "us_drivers.csv", index_col="parameter")
    drivers = us[us.distinguishable]
    assert len(drivers) >= 1 and set(us.index) <= drawn_inputs()
    assert (
        f"{len(drivers)} of {len(us)} inputs drive US influence over Afghanistan beyond the "
        f"noise floor ({us.noise.iloc[0]:.3f})" in words
    )
    for name, row in drivers.iterrows():
        assert f"({name}): PAWN {row['index']:.2f} [{row.low:.2f}, {row.high:.2f}]" in words

    # c: regret and satisficing over the same worlds, printed as the table has them
    table = pd.read_csv(folder / "policy_table.csv", index_col="policy")
    assert set(table.index) == {"baseline", "us_reengagement", "us_conditionality"}
    for column in ("regret_mean", "regret_q90", "share_best", "share_meeting"):
        assert column in table.columns
    assert (table[["regret_mean", "regret_q90"]] >= 0).all().all()
    assert table[["share_best", "share_meeting"]].stack().between(0, 1).all()
    assert table.share_best.sum() >= 1  # some policy is best in every world
    assert table.loc["baseline", "difference"] == 0  # the baseline against itself
    for name, row in table.iterrows():
        assert (
            f"  {name}: mean regret {row.regret_mean:.3f}, 90th percentile "
            f"{row.regret_q90:.3f}; best in {row.share_best:.0%} of worlds; good enough in "
            f"{row.share_meeting:.0%}" in words
        )

    # d: a Pareto set: along rising aid the worst tenth's influence must rise, or a setting
    # would be beaten on both objectives
    pareto = pd.read_csv(folder / "pareto.csv").sort_values("us_aid")
    assert len(pareto) >= 2 and pareto.us_aid.between(0, 150).all()
    assert pareto["max q10 us_over_afghanistan"].is_monotonic_increasing
    assert pareto.us_aid.is_unique
    assert (
        f"{len(pareto)} settings on the Pareto set, from USD {pareto.us_aid.min():.0f} to "
        f"{pareto.us_aid.max():.0f} M/month" in words
    )


def test_a_batch_runs_from_a_notebook_on_the_pool_and_on_dask(tmp_path):
    """In a kernel, with no `if __name__ == "__main__"`: a pool of two processes and a Dask
    cluster of two worker processes each run the same batch, with a progress widget, to the
    same numbers; a hang fails the cell's timeout."""
    cells = [
        "import sim, xarray as xr\n"
        "files = ['baseline', 'us_reengagement']\n"
        "pool = sim.run_batch(files, 'pool', worlds=40, workers=2, progress=True)\n"
        "assert pool.ok",
        "from distributed import Client, LocalCluster\n"
        "cluster = LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None)\n"
        "client = Client(cluster)\n"
        "dask = sim.run_batch(files, 'dask', worlds=40, scheduler=client, progress=True)\n"
        "assert dask.ok and client.status == 'running'\n"
        "client.close(); cluster.close()",
        "a, b = sim.load_results('pool').dataset, sim.load_results('dask').dataset\n"
        "xr.testing.assert_identical(a.drop_attrs(), b.drop_attrs())\n"
        "print('identical', a.sizes['world'])",
    ]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(
        notebook,
        timeout=180,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    assert len(outputs(notebook, WIDGET)) >= 2
    assert "identical 40" in text(notebook)
