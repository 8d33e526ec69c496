"""Fill the run cache with the IAPT notebook's reproduction runs, several processes at a time.

    REFIMPL_RUN_CACHE=/path/to/cache python tools/fill_runs.py --jobs 2 "IAPT:0" "LoRA:1" "prompt tuning, 32 tokens:0" ...

Each NAME:SEED is one call of `run_seeds(NAME, tok, suite(tok=tok), budget(), seeds=(SEED,), cache_dir=...,
**repro_kwargs(NAME))`, the same call the notebook's `one_seed` makes (`refimpl.peft.iapt.repro_kwargs` is shared by
both), so the notebook's slow cells then read every run from the cache instead of training it. `run_seeds` writes the
run's result (JSON) and its trained tensors beside it. Every run is its own process with one torch thread; `--jobs`
of them run at once (on a 2-core machine, 2). A run already in the cache is skipped by `run_seeds` itself.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor


def one(name: str, seed: int, cache: str) -> None:
    "Train and score one run into the cache (in this process)."
    from refimpl.core import set_cpu_threads
    from refimpl.peft.backbone import load_tokenizer
    from refimpl.peft.iapt import repro_kwargs
    from refimpl.peft.tasks import suite
    from refimpl.peft.trainer import budget, run_seeds

    set_cpu_threads()
    tok = load_tokenizer()
    r = run_seeds(name, tok, suite(tok=tok), budget(), seeds=(seed,), cache_dir=cache, **repro_kwargs(name))
    run = r.runs[0]
    print(f"{name}, seed {seed}: average {run.scores['average']:.1f}%, trained in {run.train_seconds:.0f} s, "
          f"scored in {run.eval_seconds:.0f} s", flush=True)


def parse(spec: str) -> tuple[str, int]:
    name, _, seed = spec.rpartition(":")
    if not name or not seed.isdigit(): raise SystemExit(f"run: expected NAME:SEED (e.g. 'IAPT:0'), got {spec!r}")
    return name, int(seed)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+", help="NAME:SEED, e.g. 'IAPT:0' or 'prompt tuning, 4 tokens:2'")
    ap.add_argument("--jobs", type=int, default=2, help="runs at once (one process each, one torch thread)")
    ap.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # internal: run the single given run here
    args = ap.parse_args()
    cache = os.environ.get("REFIMPL_RUN_CACHE")
    if not cache: raise SystemExit("REFIMPL_RUN_CACHE: expected the run cache's directory in the environment, got nothing")
    runs = [parse(s) for s in args.runs]
    from refimpl.peft.iapt import repro_kwargs
    for name, _ in runs: repro_kwargs(name)  # unknown names fail here, before anything is trained
    if args.one:
        (name, seed), = runs
        return one(name, seed, cache)

    def launch(run: tuple[str, int]) -> int:
        start = time.time()
        env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        rc = subprocess.call([sys.executable, __file__, "--one", f"{run[0]}:{run[1]}"], env=env)
        print(f"[{time.strftime('%H:%M:%S')}] {run[0]}:{run[1]} finished (exit {rc}) after {time.time() - start:.0f} s wall", flush=True)
        return rc

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        codes = list(pool.map(launch, runs))
    if any(codes): raise SystemExit(f"{sum(1 for c in codes if c)} of {len(codes)} runs failed")


if __name__ == "__main__":
    main()
