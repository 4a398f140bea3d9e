"""Streamed runs (`run(..., stream_to=DIR)`, `sim run --stream`): blocks of worlds go to disk as
they finish, and everything written equals what the in-memory run writes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.diskarray import MonthMajorArray
from sim.runner import run

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def pair(short, tmp_path_factory):
    folder = tmp_path_factory.mktemp("stream")
    streamed = run(short, worlds=70, seed=4, block_size=25, stream_to=folder / "s")
    in_memory = run(short, worlds=70, seed=4, block_size=25)
    in_memory.save(folder / "m")
    return folder, streamed, in_memory


def test_streamed_folder_matches_the_in_memory_one(pair):
    folder, streamed, in_memory = pair
    assert streamed.folder == folder / "s"
    for name in ("summary.csv",):
        assert (folder / "s" / name).read_bytes() == (folder / "m" / name).read_bytes()
    for series in ("influence", "trade", "events"):
        a = pd.read_parquet(folder / "s" / "trajectories" / series)
        b = pd.read_parquet(folder / "m" / "trajectories" / series)
        sort = [
            "month",
            "world",
            *[c for c in a.columns if c not in ("month", "date", "world", "value")],
        ]
        pd.testing.assert_frame_equal(
            a.sort_values(sort).reset_index(drop=True), b.sort_values(sort).reset_index(drop=True)
        )
    files = sorted(p.name for p in (folder / "s" / "trajectories" / "trade").iterdir())
    assert files == [
        "worlds-0000000-0000024.parquet",
        "worlds-0000025-0000049.parquet",
        "worlds-0000050-0000069.parquet",
    ]


def test_streamed_results_keep_influence_on_disk_and_equal_memory(pair):
    _, streamed, in_memory = pair
    kept = streamed.arrays["influence"]
    assert isinstance(kept, MonthMajorArray)
    np.testing.assert_array_equal(kept[:], in_memory.arrays["influence"])
    np.testing.assert_array_equal(kept[-1], in_memory.arrays["influence"][-1])
    pd.testing.assert_frame_equal(streamed.summary(), in_memory.summary())
    pd.testing.assert_frame_equal(streamed.influence(), in_memory.influence())
    pd.testing.assert_frame_equal(
        streamed.quantiles("influence", state="AFG"), in_memory.quantiles("influence", state="AFG")
    )
    np.testing.assert_array_equal(streamed.influence_bands, in_memory.influence_bands)
    with pytest.raises(KeyError, match="on disk under"):
        streamed.frame("trade")


def test_month_major_array_reads_what_blocks_wrote(tmp_path):
    data = np.random.default_rng(0).random((5, 7, 2, 3)).astype(np.float32)
    disk = MonthMajorArray(tmp_path / "x.f32", data.shape)
    disk.write(4, data[:, 4:])  # out of order, as blocks may finish
    disk.write(0, data[:, :4])
    np.testing.assert_array_equal(disk[:], data)
    np.testing.assert_array_equal(disk[1:3], data[1:3])
    np.testing.assert_array_equal(disk[-1], data[-1])
    assert (tmp_path / "x.f32").stat().st_size == data.nbytes


def test_streamed_manifest_lists_every_block_and_its_timings(pair):
    import json

    folder, streamed, _ = pair
    manifest = json.loads((folder / "s" / "manifest.json").read_text())
    assert manifest["blocks_complete"] == [
        {"first_world": 0, "worlds": 25},
        {"first_world": 25, "worlds": 25},
        {"first_world": 50, "worlds": 20},
    ]
    assert manifest["timings"]["seconds"] > 0
    assert manifest["worlds"] == 70 and "influence.month-major.f32" in manifest["files"]
