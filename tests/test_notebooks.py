"""The notebooks run top to bottom in a fresh kernel, as a reader would run them, and their
rendered HTML is there to read (`make notebooks`)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
WIDGET = "application/vnd.jupyter.widget-view+json"


def execute(name: str, tmp_path: Path) -> nbformat.NotebookNode:
    """The notebook run in a copy of the notebooks folder under tmp_path, so that what it
    writes (../out/notebooks) lands in tmp_path/out."""
    folder = tmp_path / "notebooks"
    folder.mkdir()
    shutil.copy(ROOT / "notebooks" / f"{name}.ipynb", folder)
    notebook = nbformat.read(folder / f"{name}.ipynb", as_version=4)
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


def test_there_are_the_three_notebooks():
    assert {p.stem for p in NOTEBOOKS} == {"quickstart", "compare_policies", "sensitivity"}


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


def test_sensitivity_runs_on_dask(tmp_path):
    notebook = execute("sensitivity", tmp_path)
    assert outputs(notebook, WIDGET), "the sensitivity progress bar is not a Jupyter widget"
    words = text(notebook)
    assert "<Sensitivity of russia_over_afghanistan" in words
    assert "Uncertainties whose total index" in words and "Levers whose total index" in words
    assert len(outputs(notebook, "image/png")) == 1


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
