"""A fitted VAE's parameters seen through its layout, and the buffers a pass needs."""

import numpy as np

from ._kernels import ACTIVATIONS
from ._likelihoods import LIKELIHOODS
from ._network import NetworkLayout, aligned_empty, allocate_activations


class VAEModel:
    """A VAE's parameters ``theta`` seen through its layout, ready to run.

    Built on demand from an estimator's fitted state; it holds views, so it
    is cheap to make and never stored on the estimator. ``likelihood`` is a
    plain :class:`~._likelihoods.Likelihood`, whose data rows are the
    encoder's input, or a table's
    :class:`~._likelihoods.columns.ColumnLikelihood`, which builds the
    encoder's input from the data rows (:meth:`inputs`).
    """

    def __init__(self, layout, activation, likelihood, min_variance, theta):
        self.layout = layout
        self.activation = activation
        self.likelihood = likelihood
        self.min_variance = float(min_variance)
        self.theta = theta
        self.encoder, self.decoder = layout.views(theta)
        self.n_latent = layout.decoder_shapes[0][0]
        self.encodes_inputs = hasattr(likelihood, "encoder_input")
        #: columns of a data row (and of a mean or a sample)
        self.n_features = (likelihood.n_columns if self.encodes_inputs
                           else layout.encoder_shapes[0][0])

    @staticmethod
    def layout_for(arch):
        """The parameter layout of an estimator's architecture dict."""
        return NetworkLayout(arch["n_inputs"], arch["n_latent"], arch["hidden_layer_sizes"],
                             arch["n_outputs"])

    @classmethod
    def from_architecture(cls, arch, theta, likelihood=None):
        """The model of an estimator's architecture dict with parameters
        ``theta``; ``likelihood`` replaces the plain one the dict names."""
        return cls(cls.layout_for(arch), ACTIVATIONS[arch["activation"]],
                   likelihood or LIKELIHOODS[arch["likelihood"]], arch["min_variance"], theta)

    def inputs(self, x, ws):
        """The encoder's input for the data rows ``x`` (``x`` itself for a
        plain likelihood)."""
        if not self.encodes_inputs:
            return x
        return self.likelihood.encoder_input(x, ws.inputs[: x.shape[0]])

    def workspace(self, n_rows, n_draws):
        """A :class:`Workspace` for this model."""
        return Workspace(self.layout, n_rows, n_draws, self.theta.dtype,
                         self.n_features if self.encodes_inputs else None)


class Workspace:
    """Every buffer one pass needs, for up to ``n_rows`` rows and ``n_draws`` draws.

    ``n_columns``: a table's data columns, when the encoder's input is built
    from them (see :meth:`VAEModel.inputs`).

    ``n_blocks`` is the number of threads the kernels may split their work
    between (set from :func:`~skvae._threads.kernel_threads`).
    """

    def __init__(self, layout, n_rows, n_draws, dtype, n_columns=None):
        n_latent = layout.decoder_shapes[0][0]
        n_inputs = layout.encoder_shapes[0][0]
        n_dec = n_rows * n_draws
        self.n_draws = n_draws
        self.n_blocks = 1
        #: data rows, and the encoder's input built from them when a table's
        #: ``n_columns`` differ from it
        self.x = aligned_empty((n_rows, n_inputs if n_columns is None else n_columns), dtype)
        self.inputs = aligned_empty((n_rows if n_columns is not None else 0, n_inputs), dtype)
        self.enc = allocate_activations(layout.encoder_shapes, n_rows, dtype)
        self.enc_grad = allocate_activations(layout.encoder_shapes, n_rows, dtype)
        self.dec = allocate_activations(layout.decoder_shapes, n_dec, dtype)
        self.dec_grad = allocate_activations(layout.decoder_shapes, n_dec, dtype)
        self.scratch = np.empty_like(self.dec[-1])  # for the likelihood
        self._eps = np.empty(n_dec * n_latent, dtype=dtype)
        self._z = aligned_empty(n_dec * n_latent, dtype)
        self._grad_z = aligned_empty(n_dec * n_latent, dtype)
        self.log_p = np.empty(n_dec, dtype=dtype)
        self._draw_kl = np.empty(n_dec, dtype=dtype)
        self._draw_weights = np.empty(n_dec, dtype=dtype)
        self.kl = np.empty(n_rows, dtype=dtype)
        #: the input gradient the encoder's first layer does not need
        self.no_rows = np.empty((0, layout.encoder_shapes[0][0]), dtype=dtype)
        self._layout = layout
        self._grad, self._grad_views = None, None

    def gradient_views(self, grad):
        """``layout.views(grad)``, made once for a training run's gradient buffer
        rather than at every minibatch (the buffer is kept, so that it cannot
        be freed and another take its place)."""
        if grad is not self._grad:
            self._grad, self._grad_views = grad, self._layout.views(grad)
        return self._grad_views

    def eps(self, n_draws, n_rows, n_latent):
        return self._eps[: n_draws * n_rows * n_latent].reshape(n_draws, n_rows, n_latent)

    def z(self, n_rows, n_latent):
        return self._z[: n_rows * n_latent].reshape(n_rows, n_latent)

    def grad_z(self, n_rows, n_latent):
        return self._grad_z[: n_rows * n_latent].reshape(n_rows, n_latent)

    def draw_kl(self, n_draws, n_rows):
        return self._draw_kl[: n_draws * n_rows].reshape(n_draws, n_rows)

    def draw_weights(self, n_draws, n_rows):
        return self._draw_weights[: n_draws * n_rows].reshape(n_draws, n_rows)
