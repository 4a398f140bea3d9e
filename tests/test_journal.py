"""A batch's journal is read defensively: a line that is not a well-formed record is reported
with its line number and left out, and `--resume` redoes what it stood for, never a traceback."""

from __future__ import annotations

import json
import logging

import pytest
from commands import BASELINE
from commands import sim as run_sim

from sim import load_results, run_batch
from sim.batch.journal import Journal

GOOD = {
    "kind": "block",
    "run": "runs/one/p000",
    "first_world": 0,
    "worlds": 4,
    "files": {"influence/c/0/0/0": 812},
    "sha256": "ab" * 32,
}
NOT_RECORDS = [
    '{"kind": "block", "run": "runs/one/p0',  # torn by a kill
    "7",  # valid JSON, not a record
    "[1, 2]",
    '{"kind": "block", "run": "runs/one/p000"}',  # keys missing
    json.dumps({**GOOD, "first_world": "0"}),  # a key of the wrong type
    json.dumps({**GOOD, "files": ["a"]}),
    json.dumps({**GOOD, "kind": "other"}),
    json.dumps({"kind": "layout", "run": 3}),
]


def test_only_well_formed_records_are_read_each_other_line_reported(tmp_path, caplog):
    path = tmp_path / "journal.jsonl"
    lines = [json.dumps({"kind": "layout", "run": "runs/one/p000"}), json.dumps(GOOD)]
    path.write_text("\n".join([*lines, *NOT_RECORDS]) + "\n")
    with caplog.at_level(logging.WARNING, logger="sim"):
        journal = Journal(path)
    assert journal.blocks() == {("runs/one/p000", 0): GOOD}
    assert journal.laid_out() == {"runs/one/p000"}
    reported = [r.getMessage() for r in caplog.records]
    assert len(reported) == len(NOT_RECORDS)
    for number, message in enumerate(reported, start=len(lines) + 1):
        assert f"line {number} is" in message and str(path) in message


@pytest.mark.parametrize("line", ["7", '{"kind": "block"}', '{"kind": "block", "run": 1}'])
def test_a_resume_over_a_line_that_is_not_a_record_redoes_it(tmp_path, line):
    scenario = tmp_path / "one.yaml"
    scenario.write_text(f"extends: {BASELINE}\nname: one\nhorizon_months: 24\nworlds: 4\n")
    out = tmp_path / "batch"
    assert run_batch([str(scenario)], out, workers=1).ok
    before = load_results(out).results("one").dataset.influence.values
    journal = out / "journal.jsonl"
    block = [x for x in journal.read_text().splitlines() if '"sha256"' in x]
    journal.write_text(f"{line}\n")  # every record gone but one that is not a record
    (out / "runs/one/p000/manifest.json").unlink()  # the run unfinished, as after a kill
    done = run_sim("batch", scenario, "--out", out, "--workers", "1", "--no-progress", "--resume")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert f"{journal}: line 1 is not a record" in done.stderr
    after = [x for x in journal.read_text().splitlines() if '"sha256"' in x]
    assert len(after) == len(block)  # the block was redone and journalled again
    assert (load_results(out).results("one").dataset.influence.values == before).all()
