"""Side-by-side timing of one epoch of W: skvae against JAX, PyTorch and numpy.

W: 60000 x 784 values in {0, 1}; encoder 784-500-20, decoder 20-500-784, tanh,
Bernoulli likelihood from logits, analytic KL, batch 100, L = 1, Adam at 1e-3,
one epoch. Implementations run in turn, round after round (timings on shared
machines drift, so only side-by-side ratios mean much), each peer at its best
thread setting. Peers that are not installed are skipped:
``pip install jax jaxlib optax``; ``pip install torch==2.13.0`` (CPU build).

    python asv_bench/compare.py --rounds 3 --dtype float32
    python asv_bench/compare.py --rounds 5 --inference   # transform, inverse_transform
    python asv_bench/compare.py --rounds 3 --inference --isolated --calls 5

Prints a markdown table: median seconds per epoch, ratio to skvae, GFLOP/s.
"skvae" runs with ``n_jobs=-1`` (its kernels split between numba's
threads), "skvae (n_jobs=None)" with the default (the same on numba's TBB
layer, serial on GNU OpenMP), "skvae (n_jobs=1)" with serial kernels and
BLAS's own threads for the large products. ``--only NAME`` times one
implementation and prints JSON; with ``PYTHONPATH`` pointing at another
checkout it times that one, for an A/B.
The "matrix products only" row runs an epoch's products through the BLAS
that skvae's kernels use, serially, with nothing else.

PyTorch and JAX are imported before skvae runs anything: PyTorch loaded
after numba's OpenMP threads have started ran its threaded operations 1.3-4x
slower in the same process (measured here), which would flatter skvae.
"""

import argparse
import json
import subprocess
import sys
import time
import warnings

import numpy as np

N, D, H, J, M = 60000, 784, 500, 20, 100
#: Multiply-adds of one step (forward + backward, both networks), times 2 flops.
FLOP_PER_EPOCH = 2 * 3 * (D * H + H * 2 * J + J * H + H * D) * N


def data(dtype):
    return (np.random.default_rng(0).random((N, D)) < 0.3).astype(dtype)


def import_peers_first():
    """Load PyTorch and JAX, when installed, before numba starts its threads."""
    for name in ("torch", "jax"):
        try:
            __import__(name)
        except ImportError:
            pass


def run_skvae(X, n_jobs=-1):
    from skvae import VAETransformer

    kw = {"n_latent": J, "hidden_layer_sizes": (H,), "likelihood": "bernoulli",
          "batch_size": M, "max_iter": 1, "learning_rate_init": 1e-3, "random_state": 0,
          "n_jobs": n_jobs}
    warnings.simplefilter("ignore")
    VAETransformer(**kw).fit(X[:1000])
    return lambda: VAETransformer(**kw).fit(X)


def glorot(rng, shape, dtype):
    bound = np.sqrt(6.0 / sum(shape))
    return rng.uniform(-bound, bound, shape).astype(dtype)


def init_params(dtype, seed=0):
    """W's weights (Glorot uniform) and zero biases: w1, b1, w2, b2, w3, b3, w4, b4."""
    rng = np.random.default_rng(seed)
    shapes = [(D, H), (H, 2 * J), (J, H), (H, D)]
    return [p for s in shapes for p in (glorot(rng, s, dtype), np.zeros(s[1], dtype))]


def run_numpy(X):
    """Plain vectorized numpy, hand-written backprop, Adam."""
    dtype = X.dtype

    def epoch():
        params = init_params(dtype)
        m = [np.zeros_like(p) for p in params]
        v = [np.zeros_like(p) for p in params]
        rng = np.random.default_rng(0)
        order = rng.permutation(N)
        for t, start in enumerate(range(0, N, M), start=1):
            x = X[order[start : start + M]]
            w1, b1, w2, b2, w3, b3, w4, b4 = params
            h = np.tanh(x @ w1 + b1)
            head = h @ w2 + b2
            mu, lv = head[:, :J], head[:, J:]
            eps = rng.standard_normal(mu.shape).astype(dtype)
            std = np.exp(0.5 * lv)
            z = mu + std * eps
            g = np.tanh(z @ w3 + b3)
            logits = g @ w4 + b4
            d_logits = (1 / (1 + np.exp(-logits)) - x) / M
            d_g = (d_logits @ w4.T) * (1 - g * g)
            d_z = d_g @ w3.T
            d_head = np.concatenate([d_z + mu / M, 0.5 * (d_z * eps * std + (std * std - 1) / M)],
                                    axis=1)
            d_h = (d_head @ w2.T) * (1 - h * h)
            grads = [x.T @ d_h, d_h.sum(0), h.T @ d_head, d_head.sum(0),
                     z.T @ d_g, d_g.sum(0), g.T @ d_logits, d_logits.sum(0)]
            step = 1e-3 * np.sqrt(1 - 0.999**t) / (1 - 0.9**t)
            for p, gr, mi, vi in zip(params, grads, m, v):
                mi *= 0.9
                mi += 0.1 * gr
                vi *= 0.999
                vi += 0.001 * gr * gr
                p -= step * mi / (np.sqrt(vi) + 1e-8)

    return epoch


def run_torch(X, threads):
    import torch

    dtype = torch.float32 if X.dtype == np.float32 else torch.float64
    Xt = torch.from_numpy(X)

    def epoch():
        torch.set_num_threads(threads)  # per run: the 1- and 2-thread runs share torch
        params = [torch.tensor(p, dtype=dtype, requires_grad=True) for p in init_params(X.dtype)]
        torch_epoch(params, torch.optim.Adam(params, lr=1e-3), Xt,
                    torch.Generator().manual_seed(0))

    return epoch


def torch_epoch(params, opt, Xt, gen):
    """One shuffled pass of PyTorch training over the rows of Xt (W's network and loss)."""
    import torch

    order = torch.randperm(len(Xt), generator=gen)
    for start in range(0, len(Xt), M):
        x = Xt[order[start : start + M]]
        w1, b1, w2, b2, w3, b3, w4, b4 = params
        head = torch.tanh(x @ w1 + b1) @ w2 + b2
        mu, lv = head[:, :J], head[:, J:]
        z = mu + torch.exp(0.5 * lv) * torch.randn(mu.shape, generator=gen, dtype=x.dtype)
        logits = torch.tanh(z @ w3 + b3) @ w4 + b4
        nll = torch.nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="sum")
        kl = 0.5 * (mu * mu + lv.exp() - lv - 1).sum()
        opt.zero_grad(set_to_none=True)
        ((nll + kl) / len(x)).backward()
        opt.step()


def skvae_params(vae):
    """A fitted one-hidden-layer VAETransformer's arrays in init_params' order."""
    layers = zip(vae.encoder_coefs_ + vae.decoder_coefs_,
                 vae.encoder_intercepts_ + vae.decoder_intercepts_)
    return [a for layer in layers for a in layer]


def run_jax(X):
    import jax
    import jax.numpy as jnp
    import optax

    if X.dtype == np.float64:
        jax.config.update("jax_enable_x64", True)
    params = [jnp.asarray(p) for p in init_params(X.dtype)]
    opt = optax.adam(1e-3)

    def loss_fn(params, x, eps):
        w1, b1, w2, b2, w3, b3, w4, b4 = params
        head = jnp.tanh(x @ w1 + b1) @ w2 + b2
        mu, lv = head[:, :J], head[:, J:]
        logits = jnp.tanh((mu + jnp.exp(0.5 * lv) * eps) @ w3 + b3) @ w4 + b4
        nll = jnp.sum(jnp.logaddexp(0, logits) - x * logits)
        kl = 0.5 * jnp.sum(mu * mu + jnp.exp(lv) - lv - 1)
        return (nll + kl) / M

    @jax.jit
    def step(params, state, x, eps):
        grads = jax.grad(loss_fn)(params, x, eps)
        updates, state = opt.update(grads, state)
        return optax.apply_updates(params, updates), state

    Xj = jnp.asarray(X)

    def epoch():
        p, state = params, opt.init(params)
        key = jax.random.PRNGKey(0)
        order = np.random.default_rng(0).permutation(N)
        for start in range(0, N, M):
            key, sub = jax.random.split(key)
            eps = jax.random.normal(sub, (M, J), dtype=Xj.dtype)
            p, state = step(p, state, Xj[order[start : start + M]], eps)
        jax.block_until_ready(p)

    return epoch


def run_products_only(X):
    """The floor of skvae's design: an epoch's matrix products alone, through numba's BLAS."""
    import numba

    @numba.njit(nogil=True)
    def step(x, w1, w2, w3, w4, h, head, z, g, out, g_out, g_g, g_z, g_head, g_h, d1, d2, d3, d4):
        np.dot(x, w1, h)
        np.dot(h, w2, head)
        np.dot(z, w3, g)
        np.dot(g, w4, out)
        np.dot(g.T, g_out, d4)
        np.dot(g_out, w4.T, g_g)
        np.dot(z.T, g_g, d3)
        np.dot(g_g, w3.T, g_z)
        np.dot(h.T, g_head, d2)
        np.dot(g_head, w2.T, g_h)
        np.dot(x.T, g_h, d1)

    rng = np.random.default_rng(0)
    shapes = [(M, D), (D, H), (H, 2 * J), (J, H), (H, D), (M, H), (M, 2 * J), (M, J), (M, H),
              (M, D), (M, D), (M, H), (M, J), (M, 2 * J), (M, H), (D, H), (H, 2 * J), (J, H),
              (H, D)]
    arrays = [rng.standard_normal(s).astype(X.dtype) for s in shapes]

    def epoch():
        for _ in range(N // M):
            step(*arrays)

    return epoch


def inference_peers(X):
    """transform (encoder means) and inverse_transform (decoder means) of all rows of X.

    Every implementation runs the same network with the same weights: the
    skvae model fitted for one epoch on 1000 rows.
    """
    import threadpoolctl
    from scipy.special import expit
    from sklearn.base import clone

    from skvae import VAETransformer

    warnings.simplefilter("ignore")
    vae = VAETransformer(n_latent=J, hidden_layer_sizes=(H,), likelihood="bernoulli",
                         batch_size=M, max_iter=1, random_state=0, n_jobs=-1).fit(X[:1000])
    serial = clone(vae).set_params(n_jobs=1).fit(X[:1000])
    params = skvae_params(vae)
    Z = vae.transform(X)
    runs = {"skvae": (lambda: vae.transform(X), lambda: vae.inverse_transform(Z)),
            "skvae (n_jobs=1)": (lambda: serial.transform(X), lambda: serial.inverse_transform(Z))}
    w1, b1, w2, b2, w3, b3, w4, b4 = params
    runs["numpy"] = (lambda: (np.tanh(X @ w1 + b1) @ w2 + b2)[:, :J],
                     lambda: expit(np.tanh(Z @ w3 + b3) @ w4 + b4))
    try:
        import torch

        torch.set_num_threads(threadpoolctl.threadpool_info()[0]["num_threads"])
        t = [torch.from_numpy(np.ascontiguousarray(p)) for p in params]
        Xt, Zt = torch.from_numpy(X), torch.from_numpy(Z)

        def torch_encode():
            with torch.no_grad():
                return (torch.tanh(Xt @ t[0] + t[1]) @ t[2] + t[3])[:, :J].numpy()

        def torch_decode():
            with torch.no_grad():
                return torch.sigmoid(torch.tanh(Zt @ t[4] + t[5]) @ t[6] + t[7]).numpy()

        runs["PyTorch"] = (torch_encode, torch_decode)
    except ImportError:
        print("PyTorch not installed: skipped")
    try:
        import jax
        import jax.numpy as jnp

        if X.dtype == np.float64:
            jax.config.update("jax_enable_x64", True)
        j = [jnp.asarray(p) for p in params]
        enc = jax.jit(lambda x: (jnp.tanh(x @ j[0] + j[1]) @ j[2] + j[3])[:, :J])
        dec = jax.jit(lambda z: jax.nn.sigmoid(jnp.tanh(z @ j[4] + j[5]) @ j[6] + j[7]))
        # from host arrays to host arrays, as a numpy user would call it
        runs["JAX (jit)"] = (lambda: np.asarray(enc(X)), lambda: np.asarray(dec(Z)))
    except ImportError:
        print("JAX not installed: skipped")
    return {f"{name}, {what}": run for name, pair in runs.items()
            for what, run in zip(("transform", "inverse_transform"), pair)}


def peers(X):
    runs = {"skvae": run_skvae(X), "skvae (n_jobs=None)": run_skvae(X, n_jobs=None),
            "skvae (n_jobs=1)": run_skvae(X, n_jobs=1),
            "numpy": run_numpy(X),
            "matrix products only (skvae's BLAS)": run_products_only(X)}
    try:
        for threads in (1, 2):
            runs[f"PyTorch ({threads} thread{'s' * (threads > 1)})"] = run_torch(X, threads)
    except ImportError:
        print("PyTorch not installed: skipped")
    try:
        runs["JAX (jit)"] = run_jax(X)
    except ImportError:
        print("JAX not installed: skipped")
    return runs


def implementation_of(name):
    """The implementation a timed entry belongs to ("skvae, transform" -> "skvae")."""
    return name.split(", ")[0]


def time_in_this_process(runs, rounds):
    """Seconds of each run, ``rounds`` times, alternating between runs."""
    for run in runs.values():  # compile and warm up outside the timing
        run()
    times = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            # Thread pools spin for a while after their last task (OpenBLAS's
            # for up to ~0.1 s): let the previous implementation's go quiet.
            time.sleep(0.3)
            tic = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - tic)
    return times


def time_isolated(args, names):
    """Each implementation in a new process of its own, the processes alternating.

    In one shared process an implementation also pays for what the others
    left behind (fragmented memory makes fresh output arrays slower to
    fault in); here no other implementation runs in its process (they are
    still imported and set up, since the peers are built together). Each
    process times ``--calls`` calls after a warm-up.
    """
    times = {}
    implementations = list(dict.fromkeys(implementation_of(n) for n in names))
    for _ in range(args.rounds):
        for impl in implementations:
            command = [sys.executable, __file__, "--dtype", args.dtype, "--only", impl,
                       "--rounds", str(args.calls)] + ["--inference"] * args.inference
            result = subprocess.run(command, capture_output=True, text=True, check=True)
            for name, ts in json.loads(result.stdout.strip().splitlines()[-1]).items():
                times.setdefault(name, []).extend(ts)
    return {name: times[name] for name in names if name in times}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--inference", action="store_true",
                        help="time transform and inverse_transform of 60000 rows instead")
    parser.add_argument("--isolated", action="store_true",
                        help="run each implementation in its own process, --calls times per "
                             "process, the processes alternating for --rounds rounds")
    parser.add_argument("--calls", type=int, default=3, help="timed calls per process (--isolated)")
    parser.add_argument("--only", help=argparse.SUPPRESS)  # one implementation; prints JSON
    args = parser.parse_args()
    import_peers_first()
    X = data(np.dtype(args.dtype).type)
    runs = inference_peers(X) if args.inference else peers(X)
    if args.only:
        only = {name: run for name, run in runs.items() if implementation_of(name) == args.only}
        print(json.dumps(time_in_this_process(only, args.rounds)))
        return
    if args.isolated:
        times = time_isolated(args, list(runs))
    else:
        times = time_in_this_process(runs, args.rounds)
    how = (f"{args.rounds} rounds of a new process per implementation, {args.calls} calls each"
           if args.isolated else f"{args.rounds} alternating rounds")
    if args.inference:
        print(f"\nInference on {N} rows of W's network, {args.dtype}, median of {how}\n")
        print("| implementation | seconds (median) | all rounds | time / skvae's |")
        print("|---|---|---|---|")
        for name, ts in times.items():
            base = np.median(times["skvae, " + name.split(", ")[1]])
            rounds = " ".join(f"{t:.3f}" for t in ts)
            print(f"| {name} | {np.median(ts):.3f} | {rounds} | {np.median(ts) / base:.2f} |")
        return
    base = np.median(times["skvae"])
    print(f"\nOne epoch of W, {args.dtype}, median of {how}\n")
    print("| implementation | s/epoch (median) | all rounds | time / skvae's | GFLOP/s |")
    print("|---|---|---|---|---|")
    for name, ts in times.items():
        med = np.median(ts)
        rounds = " ".join(f"{t:.2f}" for t in ts)
        print(f"| {name} | {med:.2f} | {rounds} | {med / base:.2f} | "
              f"{FLOP_PER_EPOCH / med / 1e9:.0f} |")


if __name__ == "__main__":
    main()
