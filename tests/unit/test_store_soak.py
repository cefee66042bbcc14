"""Soak test of interrupted runs (issue 18): at least 100 random SIGKILL / resume cycles on one
store, kills landing anywhere (start-up, lock, template, chunk writes, resume itself).

After every kill: no CorruptResultsError for the regions marked done (verify="full"), the
store is refused as incomplete by default, and the lock is stale, never held. At the end the
resumed store equals the uninterrupted run bit for bit. Marked slow (several minutes)."""
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import warnings

import numpy as np
import pytest

import pcmphys as pcm
from pcmphys.results import IncompleteResultsError, open_results, store_status
from pcmphys.storelock import StaleLockWarning, StoreLock, lock_path, read_holder

zarr = pytest.importorskip("zarr")

REPO = pathlib.Path(pcm.__file__).resolve().parent.parent
N, CHUNK, CYCLES = 2400, 16, 100
PROTOCOL = [pcm.Pulse.reset(), pcm.Read(at=1.0), pcm.Pulse.set(100e-6, 50e-9),
            pcm.Read(at=10.0)]
RECORD = ("conductance", "u_a", "cycles", "fault")

_CHILD = textwrap.dedent("""
    import sys
    import pcmphys as pcm
    protocol = [pcm.Pulse.reset(), pcm.Read(at=1.0), pcm.Pulse.set(100e-6, 50e-9),
                pcm.Read(at=10.0)]
    params = pcm.ParameterSet.load("sebastian2017_gst90nm")
    pcm.simulate(params, protocol, {n}, 21, backend="numpy",
                 record=("conductance", "u_a", "cycles", "fault"), store=sys.argv[1],
                 chunk_devices={chunk}, progress=False, resume=True)
""").format(n=N, chunk=CHUNK)


def _done(store):
    try:
        group = zarr.open_group(str(store), mode="r", use_consolidated=False)
        return int(np.count_nonzero(group["_progress/chunks"][...]))
    except Exception:
        return 0


@pytest.mark.slow
def test_hundred_random_kill_resume_cycles_give_the_uninterrupted_store(tmp_path):
    params = pcm.ParameterSet.load("sebastian2017_gst90nm")
    store = tmp_path / "soak.zarr"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get(
        "PYTHONPATH", "")])}
    rng = np.random.default_rng(18)
    kills, progressed, finished = 0, 0, 0
    for _ in range(CYCLES):
        before = _done(store)
        child = subprocess.Popen([sys.executable, "-c", _CHILD, str(store)], cwd=REPO,
                                 env=env, stderr=subprocess.PIPE)
        if rng.random() < 0.8:  # most kills while it writes: wait until it holds the lock
            deadline = time.monotonic() + 60
            while (read_holder(lock_path(store)).get("pid") != child.pid
                   and child.poll() is None and time.monotonic() < deadline):
                time.sleep(0.01)
            time.sleep(rng.uniform(0.2, 3.0))
        else:                   # the others anywhere from start-up on
            time.sleep(rng.uniform(0.0, 3.0))
        if child.poll() is None:
            child.send_signal(signal.SIGKILL)
            kills += 1
        _, err = child.communicate(timeout=60)
        assert child.returncode in (0, -signal.SIGKILL), err.decode()
        if child.returncode == 0:  # it finished: start again from scratch
            finished += 1
            open_results(store, verify="full")
            shutil.rmtree(store)
            continue
        progressed += _done(store) > before
        status = store_status(store)
        assert status in ("absent", "empty", "incomplete", "complete"), status
        if status == "complete":  # killed after its last write: complete and intact
            finished += 1
            open_results(store, verify="full")
            shutil.rmtree(store)
            continue
        if status == "incomplete":
            with pytest.raises(IncompleteResultsError):
                open_results(store)
            open_results(store, allow_incomplete=True, verify="full")  # done regions intact
        with StoreLock(store) as lock:          # the dead writer's lock is stale, not held
            pass
        assert lock.stale is None or lock.stale.get("purpose") == "simulate"
    assert kills >= CYCLES - finished and kills >= 90, (kills, finished)
    assert progressed >= 10, progressed
    stale = lock_path(store).exists()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        resumed = pcm.simulate(params, PROTOCOL, N, 21, backend="numpy", record=RECORD,
                               store=store, chunk_devices=CHUNK, progress=False, resume=True)
    assert any(issubclass(w.category, StaleLockWarning) for w in caught) == stale
    reference = pcm.simulate(params, PROTOCOL, N, 21, backend="numpy", record=RECORD,
                             chunk_devices=CHUNK, progress=False)
    for name in RECORD:
        np.testing.assert_array_equal(resumed[name].values, reference[name].values)
    open_results(store, verify="full")
    assert not lock_path(store).exists()

