"""Statistical mode vs the published statistical model (aihwkit PCMLikeNoiseModel).

The benchmark is :mod:`bench_vs_aihwkit` (same arguments; this name is the one ``pcmphys bench
statistical`` and ``bench/gpu_session.sh`` run). Without aihwkit it compares with the aihwkit
timing recorded on the 2-core development machine, ``RECORDED_AIHWKIT_MS`` (aihwkit 1.2.0
built from source, float32, 2 threads, median of 5, 10^6 conductances: 18.8-22.4 ms for
program + drift + read, 180-197 ms for 20 time points).

Usage: python bench/statistical_vs_published.py [--devices N] [--repeats R] [--json PATH] ...
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_vs_aihwkit import RECORDED_AIHWKIT_MS, RECORDED_DEVICES, main  # noqa: E402

__all__ = ["RECORDED_AIHWKIT_MS", "RECORDED_DEVICES", "main"]

if __name__ == "__main__":
    sys.exit(main())
