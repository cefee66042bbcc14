"""backend="auto" says why when it falls back to the NumPy reference (friction: "without g++
auto falls back to NumPy without saying so")."""
import pytest

import pcmphys.backends as backends


def test_auto_fallback_to_numpy_warns_with_the_reason(monkeypatch):
    reasons = {"numpy": (True, "reference"), "cupy": (False, "no GPU"),
               "host": (False, "no C++ compiler found (looked for g++)")}
    monkeypatch.setattr(backends, "_status", lambda name: reasons[name])
    monkeypatch.setattr(backends, "_WARNED_FALLBACK", [])
    with pytest.warns(backends.BackendFallbackWarning,
                      match=r"NumPy reference.*host backend is unavailable: no C\+\+ compiler"):
        assert backends.get_backend("auto").name == "numpy"
    # once per process
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert backends.get_backend("auto").name == "numpy"


def test_no_warning_when_host_works_or_numpy_is_asked_for(monkeypatch):
    import warnings

    monkeypatch.setattr(backends, "_WARNED_FALLBACK", [])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        backends.get_backend("numpy")
        if backends.available_backends()["host"][0]:
            assert backends.get_backend("auto").name in ("host", "cupy")
