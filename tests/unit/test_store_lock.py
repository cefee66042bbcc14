"""One writer per results store: the store lock (pcmphys.storelock).

Two writers on one new store used to race (the loser crashed with raw zarr errors, or both
reported success while the store held one run); now the second writer gets StoreLockedError
naming the holder before any work, a lock left by a killed writer is detected as stale and
taken over with a warning, and the lock is released however the run ends."""
import json
import os
import pathlib
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import pcmphys as pcm
from pcmphys.results import StoreExistsError, StoreLockedError, open_results
from pcmphys.storelock import StaleLockWarning, StoreLock, lock_path, read_holder

zarr = pytest.importorskip("zarr")

REPO = pathlib.Path(pcm.__file__).resolve().parent.parent
N = 400
PROTOCOL = [pcm.Pulse.reset(), pcm.Read(at=1.0), pcm.Read(at=100.0)]


@pytest.fixture(scope="module")
def params():
    return pcm.ParameterSet.load("sebastian2017_gst90nm")


def _run(params, store=None, seed=3, **kwargs):
    args = {"backend": "numpy", "progress": False, "chunk_devices": 100,
            "record": ("conductance", "cycles"), **kwargs}
    return pcm.simulate(params, PROTOCOL, N, seed, store=store, **args)


def _env():
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get(
        "PYTHONPATH", "")])}


# a writer that prints its outcome as JSON; the sleep after each chunk keeps it writing
_WRITER = textwrap.dedent("""
    import json, sys, time
    import pcmphys as pcm
    from pcmphys import results

    write = results.ResultsStore.write_chunk

    def slow_write(self, index, data):
        write(self, index, data)
        time.sleep(float(sys.argv[3]))

    results.ResultsStore.write_chunk = slow_write
    params = pcm.ParameterSet.load("sebastian2017_gst90nm")
    protocol = [pcm.Pulse.reset(), pcm.Read(at=1.0), pcm.Read(at=100.0)]
    try:
        pcm.simulate(params, protocol, {n}, int(sys.argv[2]), backend="numpy",
                     record=("conductance", "cycles"), store=sys.argv[1], chunk_devices=100,
                     progress=False)
        print(json.dumps({{"outcome": "ok"}}))
    except results.ResultsError as exc:
        print(json.dumps({{"outcome": type(exc).__name__, "message": str(exc)}}))
""").format(n=N)


def _writer(store, seed, pause):
    return subprocess.Popen([sys.executable, "-c", _WRITER, str(store), str(seed), str(pause)],
                            cwd=REPO, env=_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _outcome(child):
    out, err = child.communicate(timeout=120)
    assert child.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


def _wait_for(predicate, child, seconds=60):
    deadline = time.monotonic() + seconds
    while not predicate() and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert child.poll() is None, child.communicate()[1]


def test_second_writer_gets_store_locked_error_naming_the_holder(params, tmp_path):
    """Issue 18 item 1: while one process writes run.zarr, a second simulate() on it fails at
    once with StoreLockedError naming pid and host, and the first run completes untouched."""
    store = tmp_path / "run.zarr"
    child = _writer(store, 5, 0.3)
    _wait_for(lambda: (store / "zarr.json").is_file(), child)
    holder = read_holder(lock_path(store))
    assert holder["pid"] == child.pid
    start = time.perf_counter()
    with pytest.raises(StoreLockedError, match=rf"pid {child.pid} on host \S+ since \d{{4}}-"):
        _run(params, store, seed=6)
    assert time.perf_counter() - start < 5          # refused before any chunk is computed
    for flag in ({"resume": True}, {"overwrite": True}):
        with pytest.raises(StoreLockedError):
            _run(params, store, seed=5, **flag)
    assert _outcome(child) == {"outcome": "ok"}
    assert not lock_path(store).exists()            # released on exit
    stored = open_results(store, verify="full")
    np.testing.assert_array_equal(stored["conductance"].values,
                                  _run(params, seed=5)["conductance"].values)


def test_two_writers_started_together_never_both_succeed(params, tmp_path):
    """Issue 18 item 1: two simulate() processes with different seeds started together on
    one new store: exactly one succeeds; the other gets StoreLockedError (or, if it came
    after the end, StoreExistsError); the store holds the winner's run, bit for bit."""
    store = tmp_path / "run.zarr"
    children = {seed: _writer(store, seed, 0.05) for seed in (11, 12)}
    outcomes = {seed: _outcome(child) for seed, child in children.items()}
    winners = [seed for seed, o in outcomes.items() if o["outcome"] == "ok"]
    assert len(winners) == 1, outcomes
    loser = outcomes[({11, 12} - set(winners)).pop()]
    assert loser["outcome"] in ("StoreLockedError", "StoreExistsError"), loser
    stored = open_results(store, verify="full")
    assert stored.attrs["seed"] == winners[0]
    np.testing.assert_array_equal(stored["conductance"].values,
                                  _run(params, seed=winners[0])["conductance"].values)
    assert not lock_path(store).exists()


_KILLED_HOLDER = textwrap.dedent("""
    import os, signal, sys
    from pcmphys.storelock import StoreLock
    StoreLock(sys.argv[1], "test").acquire()
    os.kill(os.getpid(), signal.SIGKILL)
""")


def test_stale_lock_of_a_killed_writer_is_taken_over_with_a_warning(params, tmp_path):
    """A lock file whose writer was SIGKILLed is stale: the next writer takes it over and
    warns, naming the dead holder; the run is then normal."""
    store = tmp_path / "run.zarr"
    child = subprocess.run([sys.executable, "-c", _KILLED_HOLDER, str(store)], cwd=REPO,
                           env=_env(), capture_output=True, timeout=60)
    assert child.returncode == -signal.SIGKILL
    assert read_holder(lock_path(store))["purpose"] == "test"
    with pytest.warns(StaleLockWarning, match=r"stale lock of pid \d+ .*writing a new store"):
        ds = _run(params, store)
    assert ds.attrs["complete"] is True and not lock_path(store).exists()


def test_interrupted_store_with_stale_lock_names_the_dead_writer(params, tmp_path):
    """A writer killed mid-run leaves an incomplete store and a stale lock: a plain new run
    is refused with a message naming the dead writer; resume takes the lock over (warning)
    and yields the uninterrupted run bit for bit; overwrite also works."""
    store = tmp_path / "run.zarr"
    child = _writer(store, 3, 0.4)
    progress = store / "_progress" / "chunks" / "c"
    _wait_for(lambda: progress.is_dir() and len(list(progress.iterdir())) >= 1, child)
    child.send_signal(signal.SIGKILL)
    child.communicate(timeout=30)
    dead = read_holder(lock_path(store))["pid"]
    assert dead == child.pid
    with pytest.raises(StoreExistsError, match=rf"interrupted run \(left by pid {dead} .*"
                                               r"without releasing its lock\)"):
        _run(params, store)
    with pytest.warns(StaleLockWarning, match="continuing its interrupted run"):
        resumed = _run(params, store, resume=True)
    np.testing.assert_array_equal(resumed["conductance"].values,
                                  _run(params)["conductance"].values)
    assert not lock_path(store).exists()


def test_lock_released_when_the_run_fails(params, tmp_path):
    """A run that raises (here a Read whose time lies before the last pulse) releases the
    lock, so the next writer is not blocked."""
    store = tmp_path / "run.zarr"
    bad = [pcm.Wait(10.0), pcm.Pulse.reset(), pcm.Read(at=1.0), pcm.Wait(5.0),
           pcm.Read(at=2.0)]
    with pytest.raises(pcm.ProtocolError):
        pcm.simulate(params, bad, 10, 1, backend="numpy", store=store, progress=False)
    assert not lock_path(store).exists()
    assert _run(params, store, overwrite=True).attrs["complete"] is True


def test_lock_is_exclusive_within_one_process(tmp_path):
    """The OS lock is per open file: a second StoreLock on the same store fails even in the
    same process, and succeeds after release."""
    store = tmp_path / "x.zarr"
    with StoreLock(store, "a") as first:
        assert first.held and read_holder(lock_path(store))["purpose"] == "a"
        with pytest.raises(StoreLockedError, match=f"pid {os.getpid()}"):
            StoreLock(store, "b").acquire()
    assert not lock_path(store).exists()
    with StoreLock(store, "b") as again:
        assert again.stale is None


def test_cli_simulate_on_a_locked_store_prints_one_line(tmp_path, capsys):
    from pcmphys.cli import main

    protocol = tmp_path / "p.toml"
    protocol.write_text('[[step]]\ntype = "reset"\n[[step]]\ntype = "read"\n')
    store = tmp_path / "run.zarr"
    with StoreLock(store, "other"):
        code = main(["simulate", str(protocol), "-n", "4", "-s", "1", "-o", str(store),
                     "--params", "sebastian2017_gst90nm", "--backend", "numpy",
                     "--no-progress"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert f"is being written by pid {os.getpid()}" in err
