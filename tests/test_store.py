"""Result folders: a run written block by block to its Zarr store equals the same run in memory;
`load_results` opens it lazily and names what is wrong with a damaged folder; exports are read
by pandas, xarray and DuckDB as they were written."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from commands import sim

import sim.batch.runner as runner_module
import sim.model as model_module
import sim.results.dataset as dataset_module
import sim.results.outcomes as outcomes_module
import sim.results.store as store_module
from sim import load_results, run, save_results
from sim.core.params import compile_scenario
from sim.core.series import SERIES
from sim.errors import ResultError
from sim.results.export import export

pytestmark = pytest.mark.model
WORLDS, BLOCK = 70, 13  # blocks of the store: two simulated blocks, 26 worlds
STORED = 26


@pytest.fixture(scope="module")
def pair(short, tmp_path_factory):
    """The same run written to a folder (three blocks) and kept in memory."""
    folder = tmp_path_factory.mktemp("store") / "run"
    on_disk = run(short, worlds=WORLDS, seed=4, block_size=BLOCK, out=folder)
    in_memory = run(short, worlds=WORLDS, seed=4, block_size=BLOCK)
    return folder, on_disk, in_memory


@pytest.fixture
def copy(pair, tmp_path):
    """A copy of the result folder to damage."""
    target = tmp_path / "copy"
    shutil.copytree(pair[0], target)
    return target


def test_the_folder_holds_what_the_run_recorded(pair):
    folder, on_disk, in_memory = pair
    assert on_disk.folder == folder
    assert sorted(p.name for p in folder.iterdir()) == [
        "manifest.json",
        "outcomes.csv",
        "plots",
        "series.zarr",
        "summary.csv",
    ]
    for name in SERIES:
        stored, kept = on_disk.dataset[name], in_memory.dataset[name]
        assert stored.dims == kept.dims and stored.dtype == kept.dtype
        np.testing.assert_array_equal(stored.values, kept.values)
    pd.testing.assert_frame_equal(on_disk.summary(), in_memory.summary())
    xr.testing.assert_equal(on_disk.influence_bands, in_memory.influence_bands)
    pd.testing.assert_frame_equal(on_disk.frame("trade"), in_memory.frame("trade"))
    outcomes = pd.read_csv(folder / "outcomes.csv", index_col="world")
    pd.testing.assert_frame_equal(outcomes, in_memory.outcomes(), check_exact=False, rtol=1e-5)
    written = pd.read_csv(folder / "summary.csv")
    np.testing.assert_allclose(written["median"], in_memory.summary()["median"], atol=5e-6)


def test_load_results_is_lazy_and_labelled(pair):
    folder, _, in_memory = pair
    res = load_results(folder)
    assert res.dataset["trade"].chunks is not None  # dask-backed: nothing read yet
    assert res.dataset["influence"].chunks[1] == (STORED, STORED, WORLDS - 2 * STORED)
    assert (res.worlds, res.months, res.seed) == (WORLDS, in_memory.months, 4)
    assert res.scenario == in_memory.scenario
    assert res.dataset["influence"].attrs["units"] == SERIES["influence"].unit
    assert list(res.dataset["flow"].values) == in_memory.labels("flow")
    assert res.dataset["date"].values[0] == np.datetime64("2024-01-01")


def test_xarray_opens_the_store_directly(pair):
    folder, _, in_memory = pair
    ds = xr.open_zarr(folder / "series.zarr")
    assert set(ds.data_vars) == set(SERIES)
    for name in SERIES:
        np.testing.assert_array_equal(ds[name].values, in_memory.dataset[name].values)
        assert ds[name].attrs["description"] == SERIES[name].description
    assert ds.attrs["scenario_hash"] == in_memory.scenario.content_hash()
    russian = ds["trade"].where(ds["exporter"].compute() == "RUS", drop=True)
    assert set(russian["exporter"].values) == {"RUS"}
    assert load_results(folder).dataset["exporter"].chunks is None  # loaded: small


def test_the_manifest_lists_every_block_with_its_checksum(pair):
    manifest = json.loads((pair[0] / "manifest.json").read_text())
    blocks = [(b["first_world"], b["worlds"]) for b in manifest["blocks"]]
    assert blocks == [(0, 26), (26, 26), (52, 18)]
    assert all(len(b["sha256"]) == 64 and b["files"] for b in manifest["blocks"])
    chunk_files = {f for b in manifest["blocks"] for f in b["files"]}
    assert all(f.split("/")[0] in SERIES for f in chunk_files)
    assert manifest["worlds"] == WORLDS and manifest["block_worlds"] == STORED
    assert manifest["timings"]["seconds"] > 0
    assert set(manifest["files"]) >= {"summary.csv", "plots/influence_AFG.png"}


def _a_chunk(folder, block: int) -> str:
    manifest = json.loads((folder / "manifest.json").read_text())
    return sorted(manifest["blocks"][block]["files"])[0]


def test_a_missing_block_file_is_named(copy):
    chunk = _a_chunk(copy, 1)
    (copy / "series.zarr" / chunk).unlink()
    with pytest.raises(
        ResultError, match=rf"block 1 \(worlds 26-51\): file series.zarr/{chunk} is missing"
    ):
        load_results(copy)


def test_a_truncated_block_file_is_named(copy):
    path = copy / "series.zarr" / _a_chunk(copy, 2)
    path.write_bytes(path.read_bytes()[:-7])
    with pytest.raises(ResultError, match=r"block 2 \(worlds 52-69\).*truncated or rewritten"):
        load_results(copy)


def test_altered_data_of_the_same_size_are_found(copy):
    path = copy / "series.zarr" / _a_chunk(copy, 0)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ResultError, match=r"block 0 \(worlds 0-25\).*checksum"):
        load_results(copy)
    assert load_results(copy, verify_data=False).worlds == WORLDS  # opened only when asked


def test_a_manifest_that_does_not_match_the_store_is_refused(copy):
    path = copy / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["blocks"] = manifest["blocks"][:2]  # one block of worlds unaccounted for
    path.write_text(json.dumps(manifest))
    with pytest.raises(ResultError, match="blocks cover 52 worlds, the manifest 70"):
        load_results(copy)
    path.write_text("{ not json")
    with pytest.raises(ResultError, match="manifest.json: cannot be read"):
        load_results(copy)


def test_a_changed_layout_file_is_found(copy):
    layout = copy / "series.zarr" / "influence" / "zarr.json"
    meta = json.loads(layout.read_text())
    meta["attributes"]["units"] = "percent"
    layout.write_text(json.dumps(meta))
    with pytest.raises(ResultError, match="the store's layout"):
        load_results(copy)


def test_a_folder_without_manifest_is_not_a_result(tmp_path):
    with pytest.raises(ResultError, match="has no manifest.json"):
        load_results(tmp_path)
    with pytest.raises(ResultError, match="does not exist"):
        load_results(tmp_path / "nothing")


def test_the_command_line_reports_a_damaged_folder(copy):
    (copy / "series.zarr" / _a_chunk(copy, 1)).unlink()
    done = sim("export", copy, "--format", "parquet")
    assert done.returncode == 2 and "is missing" in done.stderr
    assert "Traceback" not in done.stderr and not (copy / "export-parquet").exists()


def test_save_results_writes_an_in_memory_run(pair, tmp_path):
    _, _, in_memory = pair
    folder = save_results(in_memory, tmp_path / "saved")
    res = load_results(folder)
    np.testing.assert_array_equal(res.dataset["events"].values, in_memory.dataset["events"].values)
    with pytest.raises(ResultError, match="--force"):
        save_results(in_memory, folder)


def test_a_run_compiles_its_scenario_once(short, tmp_path, monkeypatch):
    """The run's Params go to the outcome check, the model, the store, the Dataset and the
    Results it returns; drawn, each block of worlds compiles its own worlds' values."""
    compiled = []

    def counted(scenario, draws=None):
        compiled.append(scenario)
        return compile_scenario(scenario, draws)

    for module in (runner_module, model_module, store_module, dataset_module, outcomes_module):
        monkeypatch.setattr(module, "compile_scenario", counted)
    fixed = {"worlds": 5, "months": 6, "seed": 2, "block_size": 2, "assumptions": "fixed"}
    res = run(short, **fixed, out=tmp_path / "out")
    res.summary()
    assert len(compiled) == 1
    assert len(run(short, **fixed).summary()) > 0
    assert len(compiled) == 2
    assert len(run(short, **{**fixed, "assumptions": "drawn"}).summary()) > 0
    assert len(compiled) == 2 + 1 + 3  # the run's, then one per block of 2, 2 and 1 worlds


@pytest.fixture(scope="module")
def exported(pair):
    folder = pair[0]
    return {
        fmt: export(folder, fmt, folder / f"export-{fmt}") for fmt in ("parquet", "csv", "netcdf")
    }


def test_parquet_export_is_tidy_and_complete(pair, exported):
    _, _, in_memory = pair
    assert {p.name for p in exported["parquet"]} == {f"{n}.parquet" for n in SERIES}
    trade = pd.read_parquet(pair[0] / "export-parquet" / "trade.parquet")
    expected = in_memory.frame("trade")
    pd.testing.assert_frame_equal(trade, expected, check_categorical=False)
    assert list(trade.columns) == ["month", "date", "world", "flow", "value"]


def test_duckdb_reads_the_parquet_export(pair, exported):
    duckdb = pytest.importorskip("duckdb")
    _, _, in_memory = pair
    path = pair[0] / "export-parquet" / "influence.parquet"
    last = in_memory.months - 1
    rows = duckdb.sql(
        f"select power, state, median(value) as m from '{path}' where month = {last} "
        "group by power, state"
    ).df()
    summary = in_memory.summary()
    summary = summary[summary["power"].isin(in_memory.params.power_codes)]  # influence.parquet
    summary = summary.set_index(["power", "state"])["median"]
    got = rows.set_index(["power", "state"])["m"].reindex(summary.index)
    np.testing.assert_allclose(got, summary, rtol=1e-6)


def test_csv_and_netcdf_exports_hold_the_same_values(pair, exported):
    _, _, in_memory = pair
    events = pd.read_csv(pair[0] / "export-csv" / "events.csv")
    np.testing.assert_array_equal(events["value"], in_memory.frame("events")["value"])
    ds = xr.open_dataset(pair[0] / "export-netcdf" / "results.nc")
    np.testing.assert_array_equal(ds["influence"].values, in_memory.dataset["influence"].values)
    assert ds.attrs["scenario_name"] == in_memory.scenario.name


def test_an_export_is_refused_over_what_is_not_ours(pair, tmp_path):
    target = tmp_path / "mine"
    target.mkdir()
    (target / "keep.txt").write_text("x")
    with pytest.raises(ResultError, match="not a result folder"):
        export(pair[0], "csv", target, series=["sanctions"])
    assert [p.name for p in target.iterdir()] == ["keep.txt"]
    with pytest.raises(ResultError, match="no series 'tarde'"):
        export(pair[0], "csv", tmp_path / "x", series=["tarde"])
