"""The training loop: epochs of minibatch SGVB steps, and when to stop.

:func:`train` runs epochs until convergence, divergence or the epoch budget.
:func:`run_epoch` makes one shuffled pass over the data; rows are gathered
into a preallocated buffer, so the data itself (which may be a memmap) is
never copied. :class:`ConvergenceMonitor` implements the stopping rule of
scikit-learn's MLP: stop once the monitored value has not improved by
``tol`` for ``n_iter_no_change`` consecutive epochs.
"""

import time
import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ._sgvb import Workspace, score_rows, sgvb_loss_gradient


@dataclass
class TrainingOptions:
    """How to train: the estimator's settings, resolved for one call."""

    n_epochs: int
    batch_size: int
    n_draws: int
    beta: float
    l2: float
    tol: float
    n_iter_no_change: int
    verbose: int
    stop_when_converged: bool


@dataclass
class TrainingHistory:
    """What one call of :func:`train` did."""

    losses: list = field(default_factory=list)
    validation_scores: list | None = None
    best_validation_score: float | None = None
    converged: bool = False


def train(model, optimizer, X, X_val, rng, options, first_epoch=1):
    """Train ``model.theta`` in place; returns a :class:`TrainingHistory`.

    With validation rows ``X_val`` the monitored value is their mean ELBO and
    the best epoch's parameters are restored at the end; otherwise it is the
    training loss. A non-finite loss or parameter rolls the model and the
    optimizer back to the end of the previous epoch, stops and warns.
    """
    ws = Workspace(model.layout, options.batch_size, options.n_draws, model.theta.dtype)
    grad = np.empty_like(model.theta)
    validating = X_val is not None
    monitor = ConvergenceMonitor(options.tol, options.n_iter_no_change, maximize=validating,
                                 keep_best=validating)
    history = TrainingHistory(validation_scores=[] if validating else None)
    for epoch in range(first_epoch, first_epoch + options.n_epochs):
        tic = time.perf_counter()
        snapshot = model.theta.copy(), optimizer.get_state()
        loss = run_epoch(model, optimizer, X, options.batch_size, options.n_draws,
                         options.beta, options.l2, rng, ws, grad)
        if not (np.isfinite(loss) and np.isfinite(model.theta).all()):
            model.theta[:] = snapshot[0]
            optimizer.set_state(snapshot[1])
            warnings.warn(
                f"Training diverged in epoch {epoch}: the loss or the parameters became "
                "non-finite. Training stopped and the parameters were rolled back to the "
                "end of the previous epoch. Lower learning_rate_init, or check the scale "
                "of X.", ConvergenceWarning, stacklevel=5)
            break
        history.losses.append(float(loss))
        value = loss
        if validating:
            value = float(np.mean(score_rows(model, X_val)))
            history.validation_scores.append(value)
        if options.verbose:
            extra = f", validation ELBO = {value:.4f}" if validating else ""
            print(f"Epoch {epoch}, loss = {loss:.4f}{extra} ({time.perf_counter() - tic:.2f} s)")
        if monitor.update(value, model.theta) and options.stop_when_converged:
            history.converged = True
            break
    if validating and monitor.best_theta is not None:
        model.theta[:] = monitor.best_theta
        history.best_validation_score = monitor.best_value
    return history


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
