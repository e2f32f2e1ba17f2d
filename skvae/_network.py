"""The encoder and decoder networks: parameter layout and passes.

All parameters live in one flat, contiguous buffer ``theta``: first every
weight matrix (encoder layers, then decoder layers), then every bias. Layers
are views into it, so an optimizer updates the whole network in one pass and
the L2 penalty touches the prefix ``theta[:n_weights]`` only.

:func:`forward_stack` and :func:`backward_stack` are the two passes compiled,
for callers that are compiled themselves (``_fused_epoch``): the same
kernels in the same order, on one thread.

The encoder maps ``n_features -> hidden... -> 2 * n_latent`` (``[mu | log_var]``);
the decoder mirrors it: ``n_latent -> reversed(hidden)... -> n_outputs``. Hidden layers use the chosen activation, the two output layers
are linear.
"""

from itertools import pairwise

import numpy as np

from ._config import jit
from ._kernels import IDENTITY, dense_backward, dense_forward, dense_gradients, dense_layer


class NetworkLayout:
    """Shapes of every layer and where each one lives in the flat buffer.

    Parameters
    ----------
    n_inputs, n_latent : int
        The encoder's inputs (the features, or a table's encoded columns)
        and the latent dimension.
    hidden_layer_sizes : sequence of int
        Encoder hidden widths; the decoder uses them in reverse order.
    n_outputs : int
        The decoder's outputs in all (the likelihood's parameters).
    """

    def __init__(self, n_inputs, n_latent, hidden_layer_sizes, n_outputs):
        hidden = [int(h) for h in hidden_layer_sizes]
        enc = [n_inputs, *hidden, 2 * n_latent]
        dec = [n_latent, *hidden[::-1], n_outputs]
        self.encoder_shapes = list(pairwise(enc))
        self.decoder_shapes = list(pairwise(dec))
        shapes = self.encoder_shapes + self.decoder_shapes
        self.n_weights = sum(i * o for i, o in shapes)
        self.n_params = self.n_weights + sum(o for _, o in shapes)
        w_start = np.cumsum([0] + [i * o for i, o in shapes])
        b_start = self.n_weights + np.cumsum([0] + [o for _, o in shapes])
        self._weight_slices = [slice(a, b) for a, b in pairwise(w_start)]
        self._bias_slices = [slice(a, b) for a, b in pairwise(b_start)]

    def output_bias(self, flat):
        """The view of ``flat`` holding the decoder's last bias (its outputs' offsets)."""
        return flat[self._bias_slices[-1]]

    @property
    def n_encoder_layers(self):
        return len(self.encoder_shapes)

    def views(self, flat):
        """Per-layer (weights, biases) views of ``flat``, encoder then decoder."""
        shapes = self.encoder_shapes + self.decoder_shapes
        weights = [flat[s].reshape(shape) for s, shape in zip(self._weight_slices, shapes)]
        biases = [flat[s] for s in self._bias_slices]
        k = self.n_encoder_layers
        return (weights[:k], biases[:k]), (weights[k:], biases[k:])

    def initialize(self, rng, dtype):
        """Glorot-uniform weights and zero biases in a new flat buffer."""
        theta = np.zeros(self.n_params, dtype=dtype)
        (enc_w, _), (dec_w, _) = self.views(theta)
        for w in enc_w + dec_w:
            bound = np.sqrt(6.0 / (w.shape[0] + w.shape[1]))
            w[:] = rng.uniform(-bound, bound, size=w.shape)
        return theta


#: Bytes every buffer a matrix product writes starts on: a cache line, and
#: AVX-512's vector. OpenBLAS's small-matrix gemm for AVX-512 writes an output
#: that starts elsewhere more slowly (docs/performance.rst).
ALIGNMENT = 64


def aligned_empty(shape, dtype):
    """An uninitialized C-contiguous array whose data starts on ``ALIGNMENT`` bytes."""
    dtype = np.dtype(dtype)
    size = int(np.prod(shape))
    raw = np.empty(size * dtype.itemsize + ALIGNMENT, dtype=np.uint8)
    start = -raw.ctypes.data % ALIGNMENT
    return raw[start : start + size * dtype.itemsize].view(dtype).reshape(shape)


def allocate_activations(shapes, n_rows, dtype):
    """One output buffer per layer of a stack, for up to ``n_rows`` rows."""
    return [aligned_empty((n_rows, n_out), dtype) for _, n_out in shapes]


def forward(layers, activation, x, buffers, n_blocks=1):
    """Run a stack of dense layers on ``x``; returns the last layer's output.

    ``buffers`` are per-layer outputs with at least ``len(x)`` rows; hidden
    layers apply ``activation``, the output layer is linear. Each product
    is split between up to ``n_blocks`` threads.
    """
    weights, biases = layers
    n_rows = x.shape[0]
    a = x
    last = len(weights) - 1
    for k, (w, b) in enumerate(zip(weights, biases)):
        out = buffers[k][:n_rows]
        dense_layer(a, w, b, activation if k < last else IDENTITY, out, n_blocks)
        a = out
    return a


def backward(layers, grads, activation, x, buffers, grad_buffers, grad_out, grad_x,
             n_blocks=1):
    """Backpropagate ``grad_out`` (at the stack's output) through the stack.

    Writes the parameter gradients into ``grads`` (views like ``layers``) and
    the gradient with respect to ``x`` into ``grad_x`` (an array with no rows
    to skip it). ``grad_out`` and ``grad_buffers`` are overwritten.
    Each layer's input gradient leaves its kernel already multiplied by the
    derivative of the activation below, so every layer starts from the
    gradient at its pre-activation.
    """
    weights, _ = layers
    grad_weights, grad_biases = grads
    n_rows = x.shape[0]
    g = grad_out
    for k in range(len(weights) - 1, -1, -1):
        a_in = x if k == 0 else buffers[k - 1][:n_rows]
        g_in = grad_x if k == 0 else grad_buffers[k - 1][:n_rows]
        in_activation = IDENTITY if k == 0 else activation
        dense_gradients(a_in, weights[k], g, grad_weights[k], grad_biases[k], g_in,
                        in_activation, n_blocks)
        g = g_in


@jit
def forward_stack(weights, biases, activation, x, buffers):
    """:func:`forward` on one thread, compiled, with its layers as tuples."""
    a = x
    last = len(weights) - 1
    for k in range(len(weights)):
        out = buffers[k][: x.shape[0]]
        dense_forward(a, weights[k], biases[k], activation if k < last else IDENTITY, out)
        a = out
    return a


@jit
def backward_stack(weights, grad_weights, grad_biases, activation, x, buffers, grad_buffers,
                   grad_out, grad_x):
    """:func:`backward` on one thread, compiled, with its layers as tuples."""
    n_rows = x.shape[0]
    g = grad_out
    for k in range(len(weights) - 1, -1, -1):
        a_in = x if k == 0 else buffers[k - 1][:n_rows]
        g_in = grad_x if k == 0 else grad_buffers[k - 1][:n_rows]
        dense_backward(a_in, weights[k], g, grad_weights[k], grad_biases[k], g_in,
                       IDENTITY if k == 0 else activation)
        g = g_in
