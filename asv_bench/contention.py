"""Epoch time of a fit alone, beside a second identical fit, and beside a busy process.

A machine is rarely skvae's alone: two notebooks, a dask worker beside a
notebook, a grid search beside a browser. This runs each workload

- alone;
- "pair": two identical fits in two processes at the same moment (each
  compiles and warms up first, then both start on a signal);
- "busy": beside a single-threaded pure-Python loop in another process;

and prints a markdown table of the median seconds per epoch over
``--rounds`` rounds, with each shared setting's ratio to "alone".

    python asv_bench/contention.py --rounds 3
    python asv_bench/contention.py --workloads digits table --n-jobs None -1
    python asv_bench/contention.py --src /path/to/other/checkout   # an A/B
    python asv_bench/contention.py --products --dtype float32      # the cut-off

Workloads: "digits", scikit-learn's digits / 16 with the default
``VAETransformer``; "table", 20,000 x 50 standard-normal data, default
estimator; "W", 60,000 x 784 binary float32, 784-500-20 tanh, Bernoulli,
batch 100, Adam at 1e-3 (the performance issue's workload).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

EPOCHS = {"digits": 30, "table": 5, "W": 1}


def data(workload):
    import numpy as np

    if workload == "digits":
        from sklearn.datasets import load_digits

        return load_digits().data / 16, {}
    if workload == "table":
        return np.random.default_rng(0).normal(size=(20000, 50)), {}
    X = (np.random.default_rng(0).random((60000, 784)) < 0.3).astype(np.float32)
    return X, {"n_latent": 20, "hidden_layer_sizes": (500,), "likelihood": "bernoulli",
               "batch_size": 100, "learning_rate_init": 1e-3}


def child(workload, n_jobs):
    """Warm up, say "ready", wait for "go", fit; print seconds per epoch as JSON."""
    import warnings

    warnings.simplefilter("ignore")
    from skvae import VAETransformer

    X, params = data(workload)
    params = {**params, "n_jobs": n_jobs, "random_state": 0}
    VAETransformer(max_iter=1, **params).fit(X[:500])
    print("ready", flush=True)
    sys.stdin.readline()
    tic = time.perf_counter()
    vae = VAETransformer(max_iter=EPOCHS[workload], n_iter_no_change=10**6, **params).fit(X)
    print(json.dumps((time.perf_counter() - tic) / vae.n_iter_), flush=True)


def spawn(args, env):
    return subprocess.Popen([sys.executable, *args], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env=env)


#: A single-threaded pure-Python loop that ends when its parent does.
BUSY_LOOP = "import os\nparent = os.getppid()\nwhile os.getppid() == parent:\n    sum(range(10000))\n"


def measure(workload, n_jobs, setting, env):
    """Seconds per epoch of one fit (the mean of the pair's two fits)."""
    n_fits = 2 if setting == "pair" else 1
    fits = [spawn([__file__, "--child", workload, str(n_jobs)], env) for _ in range(n_fits)]
    busy = spawn(["-c", BUSY_LOOP], env) if setting == "busy" else None
    try:
        for fit in fits:
            assert fit.stdout.readline().strip() == "ready"
        for fit in fits:
            fit.stdin.write("go\n")
            fit.stdin.flush()
        seconds = [json.loads(fit.stdout.readline()) for fit in fits]
        for fit in fits:
            fit.wait()
    finally:
        if busy is not None:
            busy.kill()
            busy.wait()
    return statistics.mean(seconds)


#: (rows, inner, columns) of the products of 100-row minibatches: digits'
#: and the table's layers, W's narrow ones, wider ones, W's largest.
PRODUCT_SHAPES = [(100, 64, 128), (100, 50, 128), (100, 128, 64), (100, 20, 500),
                  (100, 500, 40), (100, 128, 256), (100, 256, 256), (100, 256, 512),
                  (100, 500, 500), (100, 784, 500), (100, 500, 784)]


def time_products(dtype):
    """Median seconds of one gemm per shape with BLAS on 1 and on 2 threads,
    through scipy's BLAS (the library numba's gemm calls)."""
    import numpy as np
    from scipy.linalg import blas
    from threadpoolctl import threadpool_limits

    gemm = blas.sgemm if dtype == "float32" else blas.dgemm
    rng = np.random.default_rng(0)
    rows = []
    for m, k, n in PRODUCT_SHAPES:
        a = np.asfortranarray(rng.normal(size=(m, k)).astype(dtype))
        b = np.asfortranarray(rng.normal(size=(k, n)).astype(dtype))
        c = np.asfortranarray(np.empty((m, n), dtype))
        reps = max(20, int(2e8 / (m * k * n)))
        best = {}
        for threads in (1, 2, 1, 2):  # alternating
            with threadpool_limits(threads, user_api="blas"):
                for _ in range(5):
                    gemm(1.0, a, b, c=c, overwrite_c=1)
                runs = []
                for _ in range(5):
                    tic = time.perf_counter()
                    for _ in range(reps):
                        gemm(1.0, a, b, c=c, overwrite_c=1)
                    runs.append((time.perf_counter() - tic) / reps)
            best[threads] = min(best.get(threads, np.inf), statistics.median(runs))
        rows.append(((m, k, n), best[1], best[2]))
    return rows


def products_table(dtype, env):
    """Markdown table of :func:`time_products`, alone and beside a busy process."""
    print(f"| product ({dtype}) | multiply-adds | alone: 1 thread us | 2 threads us | 2 / 1 "
          "| busy: 1 thread us | 2 threads us | 2 / 1 |")
    print("|---|---|---|---|---|---|---|---|")
    alone = time_products(dtype)
    busy = spawn(["-c", BUSY_LOOP], env)
    try:
        shared = time_products(dtype)
    finally:
        busy.kill()
        busy.wait()
    for (shape, one, two), (_, one_b, two_b) in zip(alone, shared):
        m, k, n = shape
        print(f"| {m} x {k} x {n} | {m * k * n / 1e6:.2f}M | {one * 1e6:.1f} | {two * 1e6:.1f} "
              f"| {two / one:.2f} | {one_b * 1e6:.1f} | {two_b * 1e6:.1f} | {two_b / one_b:.2f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workloads", nargs="+", default=["digits", "table", "W"],
                        choices=list(EPOCHS))
    parser.add_argument("--n-jobs", nargs="+", default=["None"],
                        help="n_jobs settings to run ('None' for the default)")
    parser.add_argument("--settings", nargs="+", default=["alone", "pair", "busy"],
                        choices=["alone", "pair", "busy"])
    parser.add_argument("--src", help="a folder holding the skvae package to time instead")
    parser.add_argument("--products", action="store_true",
                        help="time single products with 1 and 2 BLAS threads instead (the "
                             "data behind skvae._threads.MIN_WORK_PER_THREAD)")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32",
                        help="with --products")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        workload, n_jobs = args.child
        return child(workload, None if n_jobs == "None" else int(n_jobs))
    if args.products:
        return products_table(args.dtype, dict(os.environ))

    env = dict(os.environ)
    if args.src:
        env["PYTHONPATH"] = os.pathsep.join([os.path.abspath(args.src),
                                             env.get("PYTHONPATH", "")])
    times = {}
    for _ in range(args.rounds):  # settings alternate within each round
        for workload in args.workloads:
            for n_jobs in args.n_jobs:
                for setting in args.settings:
                    key = workload, n_jobs, setting
                    times.setdefault(key, []).append(measure(workload, n_jobs, setting, env))
                    print(f"{key}: {times[key][-1]:.4f} s/epoch", file=sys.stderr, flush=True)

    header = "| workload | n_jobs | " + " | ".join(
        f"{s} s/epoch" + ("" if s == "alone" else f" | {s} / alone") for s in args.settings)
    print(header + " |")
    print("|" + "---|" * (2 + 2 * len(args.settings) - ("alone" in args.settings)))
    for workload in args.workloads:
        for n_jobs in args.n_jobs:
            medians = {s: statistics.median(times[workload, n_jobs, s]) for s in args.settings}
            cells = []
            for s in args.settings:
                cells.append(f"{medians[s]:.4f}")
                if s != "alone" and "alone" in medians:
                    cells.append(f"{medians[s] / medians['alone']:.2f}x")
            print(f"| {workload} | {n_jobs} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
