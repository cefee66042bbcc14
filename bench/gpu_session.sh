#!/usr/bin/env bash
# One prepared run for a session that is lent a GPU (device tool, H100/H200 with CuPy for
# CUDA 13). The image has numpy, scipy, xarray, pandas, tqdm, scikit-image, matplotlib and
# pytest, but no zarr or dask: the gpu-marked tests and these benchmarks do not need them
# (checked here in a venv holding only the image's packages: 42 gpu tests collected, none
# errors). Wheels in .whl/ are installed first when present (optional).
# Device call: run(command="bash bench/gpu_session.sh", timeout_s=540)
# It writes under $OUT: gpu-tests.log and one JSON per benchmark; copy them to
# bench/results/<date>-<gpu>-*.json here and commit.
set -uo pipefail
export PYTHONUNBUFFERED=1
if ls .whl/*.whl >/dev/null 2>&1; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site:$PWD || exit 1
else
    export PYTHONPATH=$PWD
fi
OUT=${OUT:-bench-results}
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/gpu.txt"
python3 -m pcmphys info | tee -a "$OUT/gpu.txt"
timeout 180 python3 -m pytest -q -p no:cacheprovider --continue-on-collection-errors -m gpu tests 2>&1 | tee "$OUT/gpu-tests.log"
timeout 40 python3 bench/bench_bandwidth.py --backend cupy --json "$OUT/bandwidth.json"
timeout 80 python3 bench/bench_population.py --repeats 3 --json "$OUT/population.json"
# register-pressure experiments (bench/README.md, kernel_resources.py): 128 registers doubles
# the theoretical occupancy of pcm_apply_pulse (12.5 % -> 25 %) at 268 B of spill stores
PCMPHYS_NVRTC_OPTIONS="--maxrregcount=128" timeout 40 python3 bench/bench_population.py \
    --backends cupy --repeats 3 --json "$OUT/population-maxrreg128.json"
timeout 25 python3 bench/bench_rng.py --json "$OUT/rng.json"
timeout 70 python3 bench/bench_scaling.py --backend cupy --json "$OUT/scaling.json"
timeout 40 python3 bench/statistical_vs_published.py --repeats 3 --json "$OUT/statistical.json"
