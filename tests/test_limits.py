"""Sizes and connections bounded before the work (issue 24): a scheduler address checked, a
scheduler that accepts the connection but never answers given up within the timeout, a sweep's
size counted without expanding it, --workers capped to the cores, a link's entries bounded.
The refusals a user can type are in the corpus (tests/data/bad_input/cases.yaml)."""

from __future__ import annotations

import logging
import socket
import threading
import time
from contextlib import contextmanager

import pytest
from commands import ROOT
from commands import sim as run_sim

from sim.batch.executors import CONNECT_SECONDS, check_scheduler, make_executor
from sim.cli.batch import interrupted
from sim.errors import ScenarioError, UsageError
from sim.scenario.loading import load_scenario
from sim.scenario.schema import MAX_POINTS, Sweep
from viz.view import MAX_QUERY_KEYS, view_from_query


@contextmanager
def silent_scheduler(seconds: float):
    """A TCP server on 127.0.0.1 that accepts connections and never speaks, for at most
    `seconds`; yields its port and when it accepted each connection (time.monotonic)."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    conns: list[socket.socket] = []
    accepted: list[float] = []
    stop = threading.Event()

    def serve() -> None:
        deadline = time.monotonic() + seconds
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                conns.append(server.accept()[0])
                accepted.append(time.monotonic())
            except TimeoutError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1], accepted
    finally:
        stop.set()
        thread.join()
        for conn in conns:
            conn.close()
        server.close()


def test_a_silent_scheduler_is_given_up_within_the_timeout_leaving_nothing(tmp_path):
    """Timed from the connection, so that a slow start of Python on a busy machine does not
    count; no --out: the default out/ the command makes for its batch is removed again."""
    with silent_scheduler(CONNECT_SECONDS + 60) as (port, accepted):
        done = run_sim("batch", "baseline", "--scheduler", f"tcp://127.0.0.1:{port}",
                       "--no-progress", cwd=tmp_path, timeout=CONNECT_SECONDS + 60)  # fmt: skip
        ended = time.monotonic()
        assert accepted, "the batch never connected"
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith(
        f"error: no Dask scheduler answered at tcp://127.0.0.1:{port} within {CONNECT_SECONDS} s"
    ), done.stderr
    took = ended - accepted[0]
    assert CONNECT_SECONDS - 1 < took < CONNECT_SECONDS + 5, f"{took:.1f} s after connecting"
    assert list(tmp_path.iterdir()) == []


def test_the_connect_timeout_can_be_given():
    pytest.importorskip("distributed")
    from sim.batch.executors import DaskExecutor

    with silent_scheduler(30) as (port, accepted):
        started = time.monotonic()
        with pytest.raises(ConnectionError, match=f"127.0.0.1:{port} within 1 s"):
            DaskExecutor(f"tcp://127.0.0.1:{port}", seconds=1)
        assert time.monotonic() - started < 1 + 5
        assert len(accepted) == 1


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("tcp://127.0.0.1:abc", "has a port 'abc' that is not a number"),
        ("http://127.0.0.1:8786", "has an unknown scheme 'http'"),
        ("", "is empty"),
        ("   ", "is empty"),
        ("tcp://scheduler", "names no port"),
        ("tcp://:8786", "names no valid host"),
        ("tcp://my host:8786", "names no valid host"),
        ("tcp://scheduler:99999", "has a port 99999 outside 1-65535"),
        ("tcp://scheduler:8786/path", "is not a number"),
    ],
)
def test_a_malformed_scheduler_address_is_a_usage_error(address, problem):
    with pytest.raises(UsageError) as caught:
        check_scheduler(address)
    assert caught.value.field == "--scheduler"
    assert problem in caught.value.message
    assert "a scheduler address looks like tcp://HOST:PORT" in caught.value.message


@pytest.mark.parametrize(
    "address", ["tcp://10.0.0.1:8786", "scheduler:8786", "tls://[::1]:8786", "ws://host:1", None]
)
def test_a_well_formed_scheduler_address_passes(address):
    check_scheduler(address)


def test_the_analysis_api_checks_the_address_before_any_work(monkeypatch):
    import sim.analysis.sensitivity as sensitivity

    def no_loading(*args, **kwargs):
        raise AssertionError("the scenario was loaded before the address was checked")

    monkeypatch.setattr(sensitivity, "load_scenario", no_loading)
    with pytest.raises(UsageError, match="port 'abc' that is not a number"):
        sensitivity.sensitivity("baseline", scheduler="tcp://127.0.0.1:abc")


def test_more_workers_than_cores_are_capped_with_a_note(monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    notes: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: notes.append(record.getMessage())
    log = logging.getLogger("sim")
    monkeypatch.setattr(log, "level", logging.INFO)
    log.addHandler(handler)
    try:
        with make_executor(workers=1_000_000) as executor:
            assert executor.workers == 2
        with make_executor(workers=2) as executor:
            assert executor.workers == 2
    finally:
        log.removeHandler(handler)
    assert notes == ["--workers 1000000 is more than this machine's 2 cores; using 2"]


def test_the_interrupt_message_names_only_a_folder_that_exists(tmp_path):
    hint = "sim batch a.yaml --out b --resume"
    assert str(tmp_path / "b") not in interrupted(tmp_path / "b", hint)
    assert "nothing was written" in interrupted(tmp_path / "b", hint)
    (tmp_path / "b").mkdir()
    assert f"kept in {tmp_path / 'b'}/" in interrupted(tmp_path / "b", hint)
    assert hint in interrupted(tmp_path / "b", hint)


def test_a_sweep_is_counted_without_expanding_it():
    started = time.monotonic()
    sweep = Sweep(grid={"a": 10**6, "b": 10**6, "c": [0.0, 1.0]})
    assert sweep.size() == 2 * 10**12
    assert Sweep(sample="sobol", points=MAX_POINTS).size() == MAX_POINTS
    assert time.monotonic() - started < 0.5


def sweep_file(tmp_path, levels: int):
    path = tmp_path / f"grid-{levels}.yaml"
    path.write_text(f"extends: baseline\nsweep:\n  grid: {{china_economic: {levels}}}\n")
    return path


def test_a_grid_of_the_limit_is_accepted_and_one_more_point_refused(tmp_path):
    assert load_scenario(sweep_file(tmp_path, MAX_POINTS)).sweep.size() == MAX_POINTS
    with pytest.raises(ScenarioError) as caught:
        load_scenario(sweep_file(tmp_path, MAX_POINTS + 1))
    assert caught.value.field == "sweep.grid"
    assert f"{MAX_POINTS + 1:,} points (china_economic: {MAX_POINTS + 1:,})" in str(caught.value)
    assert f"limit of {MAX_POINTS:,} points" in str(caught.value)


def test_a_link_with_thousands_of_keys_is_read_quickly_with_a_note():
    view_from_query("")  # the preset loaded once, as the page has it
    query = "&".join(["v.us_aid=10"] * 5_000 + [f"v.k{i}=1" for i in range(5_000)])
    started = time.monotonic()
    view = view_from_query(query)
    assert time.monotonic() - started < 1.0
    assert view.values == (("us_aid", 10.0),)
    assert view.problems == (
        f"the link has 10,000 entries; only the first {MAX_QUERY_KEYS} are read, the other "
        f"{10_000 - MAX_QUERY_KEYS:,} are dropped",
    )


def test_a_link_of_the_bound_is_read_whole():
    keys = [f"v.k{i}=1" for i in range(MAX_QUERY_KEYS - 1)] + ["v.us_aid=10"]
    view = view_from_query("&".join(keys))
    assert view.values == (("us_aid", 10.0),)
    assert len(view.problems) == MAX_QUERY_KEYS - 1
    assert not any("entries" in problem for problem in view.problems)


def test_the_reliability_doc_states_the_limits_in_force():
    text = (ROOT / "docs" / "reliability.md").read_text()
    assert f"**A sweep has at most {MAX_POINTS:,} points**" in text
    assert f"**A scheduler has {CONNECT_SECONDS} s to answer**" in text
    assert f"**A link to the app is read up to {MAX_QUERY_KEYS} entries**" in text


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (
            MemoryError("Unable to allocate 7.45 GiB for an array with shape (1000000000,)"),
            "(Unable to allocate 7.45 GiB for an array with shape (1000000000,))",
        ),
        (MemoryError(), "(Python gave no size)"),
    ],
)
def test_out_of_memory_quotes_what_failed_and_guesses_no_cause(monkeypatch, capsys, error, said):
    import sim.cli

    def fail(args):
        raise error

    monkeypatch.setattr(sim.cli.schema, "handle", fail)
    assert sim.cli.main(["schema"]) == 2
    err = capsys.readouterr().err
    assert (
        err == f"error: out of memory: the command needed more than this machine has free {said}\n"
    )
