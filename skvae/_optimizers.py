"""Stochastic optimizers that update the flat parameter buffer in one pass.

Each optimizer keeps its own state (step count, moment estimates) so that
training can resume with ``partial_fit`` or ``warm_start``, and so that the
state can be copied and restored when a step diverges.
"""

import numpy as np

from ._config import jit


@jit
def sgd_update(theta, grad, learning_rate):
    for i in range(theta.shape[0]):
        theta[i] -= learning_rate * grad[i]


@jit
def adagrad_update(theta, grad, sum_sq, learning_rate, epsilon):
    for i in range(theta.shape[0]):
        g = grad[i]
        sum_sq[i] += g * g
        theta[i] -= learning_rate * g / (np.sqrt(sum_sq[i]) + epsilon)


@jit
def adam_update(theta, grad, m, v, step_size, beta1, beta2, epsilon):
    for i in range(theta.shape[0]):
        g = grad[i]
        m[i] = beta1 * m[i] + (1.0 - beta1) * g
        v[i] = beta2 * v[i] + (1.0 - beta2) * g * g
        theta[i] -= step_size * m[i] / (np.sqrt(v[i]) + epsilon)


class SGDOptimizer:
    """Plain stochastic gradient descent: theta -= learning_rate * grad."""

    def __init__(self, n_params, dtype, learning_rate):
        self.learning_rate = learning_rate
        self.t = 0

    def _arrays(self):
        return {}

    def step(self, theta, grad):
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

    def step(self, theta, grad):
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

    def step(self, theta, grad):
        self.t += 1
        step_size = self.learning_rate * np.sqrt(1.0 - self.beta2**self.t) / (1.0 - self.beta1**self.t)
        adam_update(theta, grad, self.m, self.v, step_size, self.beta1, self.beta2, self.epsilon)


OPTIMIZERS = {"sgd": SGDOptimizer, "adagrad": AdagradOptimizer, "adam": AdamOptimizer}
