"""numba kernels for the network: dense layers, activations and their derivatives.

Every kernel works in place on C-contiguous buffers that the caller allocated
once, and is vectorized over all rows it is given: the minibatch for the
encoder, the minibatch times the ``L`` Monte Carlo samples for the decoder.
Activations are identified by the integer codes in :data:`ACTIVATIONS`.
Derivatives are computed from a layer's *output*, so the backward pass needs
no stored pre-activations.

The dense-layer kernels come in pairs: a serial one, and a ``_threads`` twin
that runs the same ``*_block`` function on each of ``n_blocks`` blocks in
numba's threads; :func:`dense_layer` and :func:`dense_gradients` run the
one that ``_threads`` chooses.
"""

import numpy as np
from numba import prange

from ._blas import matmul
from ._config import jit, jit_threads
from ._threads import backward_blocks, block_range, forward_blocks, hold_blas_for
from ._vector_math import softplus, tanh

IDENTITY, TANH, RELU, SOFTPLUS, LEAKY_RELU = 0, 1, 2, 3, 4

#: Public activation names and their kernel codes.
ACTIVATIONS = {"tanh": TANH, "relu": RELU, "softplus": SOFTPLUS, "leaky_relu": LEAKY_RELU}

#: Slope of ``leaky_relu`` for negative inputs.
LEAKY_SLOPE = 0.01


@jit
def activate_columns(out, bias, activation, start, stop):
    """out[:, start:stop] = activation(out[:, start:stop] + bias[start:stop]).

    The loops run over slices from 0, never over ``range(start, stop)``: an
    index that might be negative stops LLVM from vectorizing (numba wraps
    negative indices around).
    """
    b = bias[start:stop]
    for i in range(out.shape[0]):
        row = out[i, start:stop]
        if activation == TANH:
            for j in range(row.shape[0]):
                row[j] = tanh(row[j] + b[j])
        elif activation == RELU:
            for j in range(row.shape[0]):
                row[j] = max(row[j] + b[j], 0.0)
        elif activation == SOFTPLUS:
            for j in range(row.shape[0]):
                row[j] = softplus(row[j] + b[j])
        elif activation == LEAKY_RELU:
            for j in range(row.shape[0]):
                v = row[j] + b[j]
                row[j] = v if v > 0.0 else LEAKY_SLOPE * v
        else:
            for j in range(row.shape[0]):
                row[j] += b[j]


@jit
def dense_forward_block(a_in, weight, bias, activation, out, block, n_blocks, by_rows):
    """Block ``block`` of ``n_blocks`` of activation(a_in @ weight + bias): a
    block of the output's columns, or of its rows when ``by_rows``."""
    if by_rows:
        first, last = block_range(out.shape[0], block, n_blocks, 1)
        a_in, out = a_in[first:last], out[first:last]
        start, stop = 0, out.shape[1]
    else:
        start, stop = block_range(out.shape[1], block, n_blocks)
    matmul(a_in, weight, out, False, False, 0.0, start, stop)
    activate_columns(out, bias, activation, start, stop)


@jit
def dense_forward(a_in, weight, bias, activation, out):
    """out = activation(a_in @ weight + bias)."""
    dense_forward_block(a_in, weight, bias, activation, out, 0, 1, False)


@jit_threads
def dense_forward_threads(a_in, weight, bias, activation, out, n_blocks, by_rows=False):
    """:func:`dense_forward` with its columns (or rows) split between ``n_blocks`` threads."""
    for block in prange(n_blocks):
        dense_forward_block(a_in, weight, bias, activation, out, block, n_blocks, by_rows)


def dense_layer(a_in, weight, bias, activation, out, n_blocks=1):
    """out = activation(a_in @ weight + bias), on up to ``n_blocks`` threads
    as ``_threads.forward_blocks`` decides."""
    n_blocks, by_rows = forward_blocks(a_in.shape[0], a_in.shape[1], weight.shape[1], n_blocks)
    if n_blocks > 1:
        dense_forward_threads(a_in, weight, bias, activation, out, n_blocks, by_rows)
    else:
        hold_blas_for(a_in.shape[0] * weight.size)
        dense_forward(a_in, weight, bias, activation, out)


@jit
def scale_columns_by_derivative(a_out, grad, activation, start, stop):
    """grad[:, start:stop] *= activation'(z), in terms of the output a = activation(z)."""
    for i in range(grad.shape[0]):
        a = a_out[i, start:stop]
        g = grad[i, start:stop]
        if activation == TANH:
            for j in range(g.shape[0]):
                g[j] *= 1.0 - a[j] * a[j]
        elif activation == RELU:
            for j in range(g.shape[0]):
                if a[j] <= 0.0:
                    g[j] = 0.0
        elif activation == SOFTPLUS:
            for j in range(g.shape[0]):
                g[j] *= -np.expm1(-a[j])
        elif activation == LEAKY_RELU:
            for j in range(g.shape[0]):
                if a[j] <= 0.0:
                    g[j] *= LEAKY_SLOPE


@jit
def weight_gradient_block(a_in, grad_out, grad_weight, grad_bias, block, n_blocks):
    """Block ``block`` of grad_weight = a_in.T @ grad_out and grad_bias = column sums of grad_out.

    The weight gradient is split by rows: its products have only as many
    inner terms as the minibatch has rows, and ran faster split by rows
    than by columns (docs/performance.rst).
    """
    first, last = block_range(grad_weight.shape[0], block, n_blocks)
    matmul(a_in[:, first:last], grad_out, grad_weight[first:last], True, False, 0.0, 0,
           grad_weight.shape[1])
    start, stop = block_range(grad_out.shape[1], block, n_blocks)
    sums = grad_bias[start:stop]
    sums[:] = 0.0
    for i in range(grad_out.shape[0]):
        row = grad_out[i, start:stop]
        for j in range(row.shape[0]):
            sums[j] += row[j]


@jit
def input_gradient_block(a_in, weight, grad_out, grad_in, in_activation, block, n_blocks):
    """Columns of grad_in = (grad_out @ weight.T) * in_activation'(a_in).

    ``in_activation`` made ``a_in``, so the result is the gradient at the
    pre-activation of the layer below, ready for its own backward step.
    """
    start, stop = block_range(grad_in.shape[1], block, n_blocks)
    matmul(grad_out, weight, grad_in, False, True, 0.0, start, stop)
    scale_columns_by_derivative(a_in, grad_in, in_activation, start, stop)


@jit
def dense_backward(a_in, weight, grad_out, grad_weight, grad_bias, grad_in,
                   in_activation=IDENTITY):
    """Gradients of a dense layer given the gradient at its pre-activation.

    grad_weight = a_in.T @ grad_out, grad_bias = column sums of grad_out and,
    when ``grad_in`` has rows, grad_in = (grad_out @ weight.T) times the
    derivative of ``in_activation``, the activation that made ``a_in``.
    """
    weight_gradient_block(a_in, grad_out, grad_weight, grad_bias, 0, 1)
    if grad_in.shape[0] > 0:
        input_gradient_block(a_in, weight, grad_out, grad_in, in_activation, 0, 1)


@jit_threads
def dense_backward_threads(a_in, weight, grad_out, grad_weight, grad_bias, grad_in,
                           in_activation, n_weight_blocks, n_in_blocks):
    """:func:`dense_backward` as ``n_weight_blocks + n_in_blocks`` blocks run at
    once: the weight gradient split by rows, the input gradient by columns.

    The two products are independent, so with two threads each takes one
    whole product, which ran faster than splitting each in halves one after
    the other.
    """
    for task in prange(n_weight_blocks + n_in_blocks):
        if task < n_weight_blocks:
            weight_gradient_block(a_in, grad_out, grad_weight, grad_bias, task, n_weight_blocks)
        else:
            input_gradient_block(a_in, weight, grad_out, grad_in, in_activation,
                                 task - n_weight_blocks, n_in_blocks)


def dense_gradients(a_in, weight, grad_out, grad_weight, grad_bias, grad_in, in_activation,
                    n_blocks=1):
    """:func:`dense_backward` on up to ``n_blocks`` threads, as
    ``_threads.backward_blocks`` decides."""
    split = backward_blocks(a_in.shape[0], weight.shape[0], weight.shape[1],
                            grad_in.shape[0] > 0, n_blocks)
    if split is None:
        hold_blas_for(a_in.shape[0] * weight.size)
        dense_backward(a_in, weight, grad_out, grad_weight, grad_bias, grad_in, in_activation)
    else:
        dense_backward_threads(a_in, weight, grad_out, grad_weight, grad_bias, grad_in,
                               in_activation, *split)


@jit
def add_weight_decay(grad, theta, n_weights, l2):
    """grad[:n] += l2 * theta[:n] in place; returns ||theta[:n]||^2 (the L2 penalty's norm)."""
    total = 0.0
    for i in range(n_weights):
        w = theta[i]
        grad[i] += l2 * w
        total += w * w
    return total
