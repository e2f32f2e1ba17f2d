"""Stochastic optimizers that update the flat parameter buffer in one pass.

Each optimizer keeps its own state (step count, moment estimates) so that
training can resume with ``partial_fit`` or ``warm_start``, and so that the
state can be copied and restored when a step diverges.
"""

import numpy as np
from numba import prange

from ._config import jit, jit_threads
from ._threads import block_range, parameter_blocks, run_blocks

# Scalars are cast to the buffer's dtype, so float32 updates stay float32
# (a float64 scalar would make every operation float64).


@jit
def sgd_update(theta, grad, learning_rate):
    lr = theta.dtype.type(learning_rate)
    for i in range(theta.shape[0]):
        theta[i] -= lr * grad[i]


@jit
def adagrad_update(theta, grad, sum_sq, learning_rate, epsilon):
    lr, eps = theta.dtype.type(learning_rate), theta.dtype.type(epsilon)
    for i in range(theta.shape[0]):
        g = grad[i]
        s = sum_sq[i] + g * g
        sum_sq[i] = s
        theta[i] -= lr * g / (np.sqrt(s) + eps)


@jit
def adam_block(theta, grad, m, v, step_size, beta1, beta2, epsilon, block, n_blocks):
    """Adam's update of block ``block`` of ``n_blocks`` near-equal parts of theta."""
    one = theta.dtype.type(1.0)
    b1, b2 = theta.dtype.type(beta1), theta.dtype.type(beta2)
    step, eps = theta.dtype.type(step_size), theta.dtype.type(epsilon)
    start, stop = block_range(theta.shape[0], block, n_blocks)
    # Slices, so that the loop index is never negative and LLVM vectorizes.
    theta, grad, m, v = theta[start:stop], grad[start:stop], m[start:stop], v[start:stop]
    for i in range(theta.shape[0]):
        g = grad[i]
        mi = b1 * m[i] + (one - b1) * g
        vi = b2 * v[i] + (one - b2) * g * g
        m[i] = mi
        v[i] = vi
        theta[i] -= step * mi / (np.sqrt(vi) + eps)


@jit
def adam_update(theta, grad, m, v, step_size, beta1, beta2, epsilon):
    adam_block(theta, grad, m, v, step_size, beta1, beta2, epsilon, 0, 1)


@jit_threads
def adam_update_threads(theta, grad, m, v, step_size, beta1, beta2, epsilon, n_blocks):
    """:func:`adam_update` with theta split between ``n_blocks`` threads."""
    for block in prange(n_blocks):
        adam_block(theta, grad, m, v, step_size, beta1, beta2, epsilon, block, n_blocks)


class SGDOptimizer:
    """Plain stochastic gradient descent: theta -= learning_rate * grad."""

    def __init__(self, n_params, dtype, learning_rate):
        self.learning_rate = learning_rate
        self.t = 0

    def _arrays(self):
        return {}

    def step(self, theta, grad, n_blocks=1):
        """One update of theta in place; ``n_blocks`` threads may share it."""
        self.t += 1
        sgd_update(theta, grad, self.learning_rate)

    def get_state(self):
        """A copy of the state, for :meth:`set_state`."""
        return self.t, {k: a.copy() for k, a in self._arrays().items()}

    def set_state(self, state):
        self.t, arrays = state
        for name, a in arrays.items():
            getattr(self, name)[:] = a


class AdagradOptimizer(SGDOptimizer):
    """Adagrad (Duchi et al., 2011), the optimizer of the AEVB paper."""

    def __init__(self, n_params, dtype, learning_rate, epsilon=1e-8):
        super().__init__(n_params, dtype, learning_rate)
        self.epsilon = epsilon
        self.sum_sq = np.zeros(n_params, dtype=dtype)

    def _arrays(self):
        return {"sum_sq": self.sum_sq}

    def step(self, theta, grad, n_blocks=1):
        self.t += 1
        adagrad_update(theta, grad, self.sum_sq, self.learning_rate, self.epsilon)


class AdamOptimizer(SGDOptimizer):
    """Adam (Kingma & Ba, 2015) with bias correction folded into the step size."""

    def __init__(self, n_params, dtype, learning_rate, beta1=0.9, beta2=0.999, epsilon=1e-8):
        super().__init__(n_params, dtype, learning_rate)
        self.beta1, self.beta2, self.epsilon = beta1, beta2, epsilon
        self.m = np.zeros(n_params, dtype=dtype)
        self.v = np.zeros(n_params, dtype=dtype)

    def _arrays(self):
        return {"m": self.m, "v": self.v}

    def step_size(self, t):
        """The step size of update ``t`` (counted from 1), bias correction included."""
        return self.learning_rate * np.sqrt(1.0 - self.beta2**t) / (1.0 - self.beta1**t)

    def step(self, theta, grad, n_blocks=1):
        self.t += 1
        run_blocks(adam_block, adam_update_threads, parameter_blocks(theta.shape[0], n_blocks),
                   theta, grad, self.m, self.v, self.step_size(self.t), self.beta1, self.beta2,
                   self.epsilon)


OPTIMIZERS = {"sgd": SGDOptimizer, "adagrad": AdagradOptimizer, "adam": AdamOptimizer}
