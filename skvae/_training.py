"""The training loop: epochs of minibatch SGVB steps, and when to stop.

:func:`run_epoch` makes one shuffled pass over the data; rows are gathered
into a preallocated buffer, so the data itself (which may be a memmap) is
never copied. :class:`ConvergenceMonitor` implements the stopping rule of
scikit-learn's MLP: stop once the monitored value has not improved by
``tol`` for ``n_iter_no_change`` consecutive epochs.
"""

import numpy as np

from ._sgvb import sgvb_loss_gradient


def run_epoch(model, optimizer, X, batch_size, n_draws, beta, l2, rng, ws, grad):
    """One pass over ``X`` in shuffled minibatches; updates ``model.theta`` in place.

    Returns the mean per-row negative (beta-weighted) ELBO over the epoch, or
    NaN as soon as a minibatch loss is not finite (the caller rolls back).
    """
    n_samples = X.shape[0]
    order = rng.permutation(n_samples)
    total = 0.0
    for start in range(0, n_samples, batch_size):
        idx = order[start : start + batch_size]
        x = ws.x[: len(idx)]
        np.take(X, idx, axis=0, out=x, mode="clip")
        eps = ws.eps(n_draws, len(idx), model.n_latent)
        rng.standard_normal(out=eps.reshape(-1), dtype=eps.dtype)
        loss, nll, kl = sgvb_loss_gradient(model, x, eps, beta, l2, grad, ws)
        if not np.isfinite(loss):
            return np.nan
        optimizer.step(model.theta, grad)
        total += nll + beta * kl
    return total / n_samples


class ConvergenceMonitor:
    """Counts epochs without an improvement of at least ``tol``.

    ``maximize=True`` for a validation ELBO, ``False`` for a training loss.
    With ``keep_best=True`` it keeps a copy of the best epoch's parameters.
    """

    def __init__(self, tol, n_iter_no_change, maximize, keep_best=False):
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.sign = 1.0 if maximize else -1.0
        self.best = -np.inf
        self.keep_best = keep_best
        self.best_theta = None
        self.no_improvement_count = 0

    @property
    def best_value(self):
        return self.sign * self.best

    def update(self, value, theta):
        """Record one epoch's value; returns True when training should stop."""
        signed = self.sign * value
        if signed < self.best + self.tol:
            self.no_improvement_count += 1
        else:
            self.no_improvement_count = 0
        if signed > self.best:
            self.best = signed
            if self.keep_best:
                self.best_theta = theta.copy()
        return self.no_improvement_count > self.n_iter_no_change
