"""The training loop: epochs of minibatch SGVB steps, and when to stop.

:class:`Trainer` runs epochs until convergence, divergence, Ctrl-C or the
epoch budget. :func:`run_epoch` makes one shuffled pass over the training
rows; they are selected by index and gathered into a preallocated buffer,
so the data itself (possibly a memmap) is never copied. A table's steps
run inside one compiled call where ``_fused_epoch`` applies; the Python
loop here is what those steps repeat, kernel for kernel.
:class:`ConvergenceMonitor` is the stopping rule of scikit-learn's MLP: stop
once the monitored value has not improved by ``tol`` for
``n_iter_no_change`` consecutive epochs.
"""

import signal
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from . import _fused_epoch
from ._inference import elbo_of_draws, validation_elbo
from ._objective import sgvb_loss_gradient
from ._progress import ProgressDisplay
from ._threads import kernel_threads


@dataclass
class TrainingOptions:
    """How to train: the estimator's settings, resolved for one call."""

    n_epochs: int
    batch_size: int
    n_draws: int
    beta: float
    l2: float
    kl_estimator: str
    objective: str
    kl_warmup_epochs: int
    tol: float
    n_iter_no_change: int
    verbose: int
    stop_when_converged: bool
    n_jobs: int | None = None


@dataclass
class TrainingHistory:
    """What one training run did."""

    losses: list = field(default_factory=list)
    validation_scores: list | None = None
    best_validation_score: float | None = None
    converged: bool = False
    #: None, or why training stopped early: "interrupted" or "diverged",
    #: with the parameters of ``last_complete_epoch`` kept.
    stopped_by: str | None = None
    last_complete_epoch: int = 0


class Trainer:
    """Trains ``model.theta`` in place on ``X[train_rows]``.

    With ``val_rows`` the monitored value is their mean ELBO and the best
    epoch's parameters are restored at the end; otherwise it is the training
    loss. A non-finite loss or parameter, or Ctrl-C, rolls the model and the
    optimizer back to the end of the previous epoch, stops and warns.
    """

    def __init__(self, model, optimizer, X, train_rows, val_rows, rng, options):
        self.model, self.optimizer, self.rng, self.options = model, optimizer, rng, options
        self.X, self.train_rows, self.val_rows = X, train_rows, val_rows
        self.ws = model.workspace(options.batch_size, options.n_draws)
        self.grad = np.empty_like(model.theta)
        validating = val_rows is not None
        # one draw of z per validation row, the same after every epoch
        self.val_noise = None if not validating else np.random.default_rng(0).standard_normal(
            (len(val_rows), model.n_latent)).astype(model.theta.dtype)
        self.monitor = ConvergenceMonitor(options.tol, options.n_iter_no_change,
                                          maximize=validating, keep_best=validating)
        self.history = TrainingHistory(validation_scores=[] if validating else None)

    def run(self, first_epoch=1):
        """Train for up to ``options.n_epochs`` epochs; returns the history."""
        threads = kernel_threads(self.options.n_jobs)
        last_epoch = first_epoch + self.options.n_epochs - 1
        self.display = (ProgressDisplay(last_epoch, self.options.verbose)
                        if self.options.verbose else None)
        if self.display is not None:
            self.display.announce_compilation()
        try:
            with InterruptFlag() as interrupt, threads as self.ws.n_blocks:
                for epoch in range(first_epoch, last_epoch + 1):
                    if not self._epoch(epoch, interrupt):
                        break
        finally:
            if self.display is not None:
                self.display.close()
        if self.val_rows is not None and self.monitor.best_theta is not None:
            self.model.theta[:] = self.monitor.best_theta
            self.history.best_validation_score = self.monitor.best_value
        return self.history

    def _epoch(self, epoch, interrupt):
        """One epoch and its bookkeeping; returns False when training must stop."""
        model, options, history = self.model, self.options, self.history
        tic = time.perf_counter()
        snapshot = model.theta.copy(), self.optimizer.get_state()
        loss = run_epoch(model, self.optimizer, self.X, self.train_rows, options, self.rng,
                         self.ws, self.grad, interrupt, epoch)
        if interrupt.raised or not (np.isfinite(loss) and np.isfinite(model.theta).all()):
            model.theta[:] = snapshot[0]
            self.optimizer.set_state(snapshot[1])
            history.stopped_by = "interrupted" if interrupt.raised else "diverged"
            history.last_complete_epoch = epoch - 1
            return False
        history.losses.append(float(loss))
        value = loss
        if self.val_rows is not None:
            value = validation_elbo(model, self.X, self.val_rows, self.val_noise, options.n_jobs)
            history.validation_scores.append(value)
        if self.display is not None:
            self.display.update(epoch, -loss, time.perf_counter() - tic,
                                value if self.val_rows is not None else None,
                                "IWAE bound" if options.objective == "iwae" else "ELBO")
        # During KL warm-up the training loss is not yet the objective, and no
        # run of epochs without improvement counts.
        warming_up = epoch <= options.kl_warmup_epochs
        if warming_up and self.val_rows is None:
            return True
        if self.monitor.update(value, model.theta, counts=not warming_up) and \
                options.stop_when_converged:
            history.converged = True
            return False
        return True


def stop_message(history):
    """The warning for a training run that ``history.stopped_by`` stopped early."""
    epoch = history.last_complete_epoch
    kept = f"kept the parameters of the last complete epoch ({epoch})"
    if history.stopped_by == "interrupted":
        return (f"Training interrupted in epoch {epoch + 1}; {kept}. Fit again with "
                "warm_start=True to continue.")
    return (f"Training diverged in epoch {epoch + 1}: the loss or the parameters became "
            f"non-finite. Training stopped and {kept}. Lower learning_rate_init, or "
            "check the scale of X.")


#: A fit warns when its last loss is worse than its best by more than this share
#: of the improvement from the first epoch to the best ...
RISE_SHARE = 0.1
#: ... and more than this many times the spread of its changes between epochs (its noise).
RISE_NOISE = 10.0


def rising_loss_message(losses, learning_rate, first_epoch=1):
    """The warning for a run whose loss rose well above its best at some
    epoch after it, or None; ``losses[0]`` is epoch ``first_epoch``'s.

    Stopping on "no improvement for n_iter_no_change epochs" also stops a
    run whose loss is climbing, exploding or spiking; that run has not
    converged.
    The thresholds are scale-free: a share of the run's own improvement, and
    a multiple of its own epoch-to-epoch noise.
    """
    losses = np.asarray(losses, dtype=float)
    if len(losses) < 3:
        return None
    best_epoch = int(np.argmin(losses))
    best = losses[best_epoch]
    # the highest loss after the best: a spike the run recovered from is unstable too
    peak_epoch = best_epoch + int(np.argmax(losses[best_epoch:]))
    peak = losses[peak_epoch]
    changes = np.diff(losses)
    noise = float(np.median(np.abs(changes - np.median(changes))))  # not the trend
    rise = peak - best
    # beyond noise, and large against the run's progress or against the best loss itself
    # (a run whose first epoch already exploded has made "progress" from a huge loss)
    if rise <= RISE_NOISE * noise or rise <= min(RISE_SHARE * (losses[0] - best), abs(best)):
        return None
    last_epoch = len(losses) - 1
    ended = "" if peak_epoch == last_epoch else f" and ended at {losses[-1]:.4g}"
    return (f"The loss rose from {best:.4g} (epoch {first_epoch + best_epoch}) to {peak:.4g} "
            f"(epoch {first_epoch + peak_epoch}){ended}: training is unstable, not converged. "
            f"Lower learning_rate_init (now {learning_rate:g}), or check the scale of X.")


def kl_weight(beta, warmup_epochs, epochs_done):
    """The KL weight after ``epochs_done`` epochs (fractional): it rises
    linearly from 0 to ``beta`` over ``warmup_epochs``, then stays at ``beta``.
    """
    if warmup_epochs <= 0 or epochs_done >= warmup_epochs:
        return beta
    return beta * epochs_done / warmup_epochs


def run_epoch(model, optimizer, X, rows, options, rng, ws, grad, interrupt, epoch=1):
    """One pass over ``X[rows]`` in shuffled minibatches; updates ``model.theta``.

    ``epoch`` (counted from 1 over the model's life) sets the KL weight of
    each minibatch during warm-up. Returns the mean per-row objective over
    the epoch (the negative ELBO with each step's KL weight, or the negative
    IWAE bound), or NaN as soon as a minibatch loss is not finite, including
    the loss of the last minibatch after the epoch's final update. Stops
    after the current minibatch when ``interrupt.raised`` is set.
    """
    order = rows[rng.permutation(len(rows))]
    total = 0.0
    batch_size, n_draws = options.batch_size, options.n_draws
    terms = options.kl_estimator, options.objective
    starts = range(0, len(order), batch_size)
    betas = [kl_weight(options.beta, options.kl_warmup_epochs, epoch - 1 + start / len(order))
             for start in starts]
    if _fused_epoch.applies(model, optimizer, options, ws):
        # the same steps, without Python between them
        total, x, eps = _fused_epoch.run_steps(model, optimizer, X, order, options, rng, ws,
                                               grad, interrupt, np.array(betas))
        if x is None:
            return np.nan
    else:
        for start, beta in zip(starts, betas):
            idx = order[start : start + batch_size]
            idx.sort()  # in place: sequential reads from a memmap, same minibatch
            x = ws.x[: len(idx)]
            np.take(X, idx, axis=0, out=x, mode="clip")
            eps = ws.eps(n_draws, len(idx), model.n_latent)
            rng.standard_normal(out=eps.reshape(-1), dtype=eps.dtype)
            loss, row_total = sgvb_loss_gradient(model, x, eps, beta, options.l2, grad, ws,
                                                 *terms)
            if not np.isfinite(loss):
                return np.nan
            optimizer.step(model.theta, grad, ws.n_blocks)
            total += row_total
            if interrupt.raised:
                break
    # Each loss above was computed before its update: check the last update
    # too, on the same rows and draws. Only finiteness matters, and every
    # objective is made of the terms of this ELBO (log p(x|z) of the same
    # draws, the encoder's Gaussian), so a forward pass does, without the
    # gradient.
    last = elbo_of_draws(model, x, eps, ws)
    return total / len(order) if np.isfinite(last).all() else np.nan


class InterruptFlag:
    """Within ``with``, Ctrl-C (SIGINT) sets :attr:`raised` instead of raising.

    Training checks the flag after every minibatch; a second Ctrl-C raises
    KeyboardInterrupt at once. Handlers can only be installed from the main
    thread, and Python delivers SIGINT only there, so elsewhere this does
    nothing.
    """

    def __init__(self):
        self.raised = False
        self._installed = False
        self._previous = None

    def _handle(self, signum, frame):
        if self.raised:
            raise KeyboardInterrupt
        self.raised = True

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.getsignal(signal.SIGINT)
            signal.signal(signal.SIGINT, self._handle)
            self._installed = True
        return self

    def __exit__(self, *exc):
        if self._installed:
            previous = self._previous
            signal.signal(signal.SIGINT, signal.default_int_handler if previous is None
                          else previous)
        return False


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

    def update(self, value, theta, counts=True):
        """Record one epoch's value; returns True when training should stop.

        With ``counts=False`` the epoch can still set the best value, but
        the run of epochs without improvement starts again after it.
        """
        signed = self.sign * value
        if signed < self.best + self.tol and counts:
            self.no_improvement_count += 1
        else:
            self.no_improvement_count = 0
        if signed > self.best:
            self.best = signed
            if self.keep_best:
                self.best_theta = theta.copy()
        return self.no_improvement_count > self.n_iter_no_change
