"""VAETransformer: the scikit-learn estimator.

This module validates input, batches it and keeps the fitted state; the
network, the SGVB objective, the likelihoods and the optimizers live in
their own modules.
"""

import copy
import warnings
from dataclasses import dataclass
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
import pandas as pd
from scipy.special import softmax
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
    clone,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, InvalidParameterError, StrOptions
from sklearn.utils.validation import (
    _check_feature_names,
    _check_n_features,
    check_array,
    check_is_fitted,
    validate_data,
)

from ._column_stats import ColumnStats, column_stats, observed_column_stats
from ._conditional import (
    GIVEN_PROPOSALS,
    MIN_EFFECTIVE_PROPOSALS,
    complete_rows,
    effective_sample_size,
    log_weights,
    propose,
)
from ._inference import ROW_BUDGET, decode_rows, encode_rows, iwae_rows, map_rows, score_rows
from ._kernels import ACTIVATIONS
from ._likelihoods import LIKELIHOODS
from ._likelihoods.columns import KINDS, ColumnLikelihood
from ._model import VAEModel
from ._optimizers import OPTIMIZERS
from ._table_schema import (
    decode,
    encode,
    fit_columns,
    kernel_columns,
    plain_columns,
    plain_kernel_columns,
    read_columns,
    table_dtype,
)
from ._threads import kernel_threads
from ._training import Trainer, TrainingOptions, rising_loss_message, stop_message


class VAETransformer(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Variational autoencoder trained by Auto-Encoding Variational Bayes.

    A deep latent Gaussian model p(x|z) p(z) with an amortized Gaussian
    posterior q(z|x), both multilayer perceptrons, fitted by maximizing the
    evidence lower bound (ELBO) with the SGVB estimator B of Kingma and
    Welling (analytic KL term, reparameterized samples), or estimator A, or
    the importance-weighted bound of Burda et al. ``transform`` maps
    data to posterior means in the latent space, ``inverse_transform`` decodes
    latent points, ``sample`` generates new data and ``score_samples`` gives
    a per-row ELBO usable as a density score.

    Parameters
    ----------
    n_latent : int, default=2
        Dimension of the latent space, the number of output features.
    hidden_layer_sizes : array-like of int or int, default=(128, 64)
        Widths of the encoder's hidden layers; the decoder uses them in
        reverse order. Any depth of at least one layer.
    activation : {"tanh", "relu", "softplus", "leaky_relu"}, default="tanh"
        Activation of the hidden layers ("tanh" is the paper's;
        "leaky_relu" has slope 0.01 below zero).
    likelihood : "auto", str or dict, default="auto"
        Decoder distribution p(x|z) of each column.

        - "auto": bool, category, string and object columns are
          "categorical"; numeric columns "gaussian", standardized with their
          mean and standard deviation, so that they work in their own units
          (densities and generated values are in those units). A value that
          holds at least a quarter of a numeric column's entries (the zeros
          of a count, say) gets a point mass of its own. Columns of whole
          numbers are generated rounded. See the user guide, "Tables".
        - one name for every column, in the data's own units (not
          standardized):

          - "gaussian", real values: the decoder outputs a mean and a
            log-variance per feature (the paper's appendix C.2), with the
            variance floored at ``min_variance``;
          - "gaussian_unit", real values: mean only, unit variance, so the
            negative ELBO is half the squared reconstruction error plus a
            constant (scale the data accordingly);
          - "bernoulli", binary data in {0, 1} (values in [0, 1] are
            accepted as probabilities): the decoder outputs logits;
          - "continuous_bernoulli", values in [0, 1] that are not binary,
            such as grey levels: the properly normalized density of
            Loaiza-Ganem and Cunningham (2019), with logits as outputs;
          - "poisson", counts (whole numbers >= 0): the decoder outputs
            log-rates, clipped at 30;
          - "categorical": a softmax over each column's categories.
        - a dict from column (name for a DataFrame, index for an array) to
          one of those names; unlisted columns follow "auto", and Gaussian
          columns are standardized.

        Missing entries (NaN, None, pd.NA) are allowed in every column: the
        objective sums over the observed entries, and the encoder sees a
        missing indicator for each column that had missing entries at fit.
    min_variance : float, default=1e-2
        Floor added to the Gaussian decoder's variance, in squared units of
        the data (for standardized data, a standard deviation of at least 0.1
        of each feature's). It bounds the likelihood: each feature contributes
        at most ``-0.5 * log(2 * pi * min_variance)`` nats (1.4 nats at 1e-2),
        and keeps near-constant features from dominating the fit. Lower it to
        model fine detail, such as the paper's Frey Face results. Only the
        Gaussian likelihood has a variance to floor; the others ignore it.
    n_mc_samples : int, default=1
        Monte Carlo draws of z per data point in each training step (L; the
        k of the IWAE bound).
    objective : {"elbo", "iwae"}, default="elbo"
        Training objective: the evidence lower bound averaged over the
        ``n_mc_samples`` draws, or the importance-weighted bound of Burda et
        al. (2015) with k = ``n_mc_samples`` draws, which is tighter for
        k > 1 (and equals the ELBO with ``kl_estimator="mc"`` for k = 1).
    kl_estimator : {"analytic", "mc"}, default="analytic"
        How the ELBO's KL term is computed: in closed form (the SGVB
        estimator B) or from the draws as log q(z|x) - log p(z) (estimator
        A). Ignored with ``objective="iwae"``, whose weights hold that term.
    batch_size : int, default=100
        Minibatch size M; clipped to the number of training rows.
    max_iter : int, default=200
        Maximum number of epochs (passes over the training data).
    solver : {"adam", "adagrad", "sgd"}, default="adam"
        Stochastic optimizer; "adagrad" is the paper's.
    learning_rate_init : float, default=3e-3
        Step size of the optimizer. The default suits Adam on networks of the
        default size; the paper used Adagrad with 0.01 to 0.02.
    beta : float, default=1.0
        Weight of the KL term (1 gives the ELBO; other values the beta-VAE
        objective). With ``objective="iwae"`` it weighs log p(z) - log q(z|x)
        in each importance weight.
    kl_warmup_epochs : int, default=0
        The KL weight rises linearly, step by step, from 0 to ``beta`` over
        this many epochs, a guard against posterior collapse. Epochs are
        counted over the model's life, so ``partial_fit`` and ``warm_start``
        continue the ramp. Convergence is not checked during the warm-up.
    alpha : float, default=0.0
        Precision of a Gaussian prior N(0, I / alpha) on the weights (the
        paper's N(0, I) prior is ``alpha=1``): the objective gains
        ``alpha / 2 * ||weights||^2`` per training set, i.e. divided by the
        number of training rows per data point. Biases are not penalized.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data and stop when its mean
        ELBO has not improved by ``tol`` for ``n_iter_no_change`` epochs;
        the parameters of the best epoch are restored. Otherwise the
        training loss is monitored in the same way.
    validation_fraction : float, default=0.1
        Share of the training data held out with ``early_stopping``.
    n_iter_no_change : int, default=10
        Epochs without improvement before stopping.
    tol : float, default=1e-4
        Minimum improvement, in nats per data point, that counts.
    random_state : int, RandomState instance or None, default=None
        Seeds initialization, shuffling, the validation split and the noise.
        An int gives reproducible fits for given thread settings (see Notes).
    verbose : int, default=0
        Show progress on standard output: 1 rewrites one line in place on a
        terminal (epoch out of ``max_iter``, the training ELBO, the
        validation ELBO with ``early_stopping``, seconds per epoch, time
        left) and writes it every tenth of ``max_iter`` epochs into a file or
        pipe; 2 writes it every epoch. The ELBO has the sign of ``score``:
        higher is better, and the loss in ``loss_curve_`` is its negative.
    warm_start : bool, default=False
        Continue from the fitted parameters when ``fit`` is called again.
    n_jobs : int, default=None
        Threads that share each large matrix product, the Adam update and the
        likelihood, in training and inference. ``None`` lets skvae choose:
        every numba thread when numba's threading layer is TBB (install
        ``skvae[tbb]``), else 1. ``1`` means serial kernels, with BLAS
        threading the large products as it is set to; ``-1`` all of numba's
        threads (``numba.get_num_threads()``), ``-2`` all but one. Small
        products run on one thread whatever the setting. These are numba's
        threads, not joblib's; inside a joblib worker numba has as many
        threads as joblib gives the worker. See Notes.
    handle_unknown : {"error", "missing"}, default="error"
        A category that ``fit`` never saw, met by ``transform``,
        ``score_samples`` or ``partial_fit``: a ValueError naming the column
        and the value, or a missing entry.
    enforce_min_max_values : bool, default=True
        Keep the numeric columns that ``sample`` and ``inverse_transform``
        give back within each column's training range (SDV's convention).
        Only for tables ("auto", "categorical" or a dict).

    Attributes
    ----------
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Names of features seen during fit, when X had string column names.
    likelihoods_ : dict
        The likelihood chosen for each column.
    categories_ : list of ndarray
        The categories of each categorical column, in code order.
    n_iter_ : int
        Number of epochs run.
    loss_curve_ : list of float
        Mean training objective per data point for each epoch: the negative
        ELBO (with ``beta`` != 1 or during KL warm-up, the weighted
        objective), or the negative IWAE bound.
    validation_scores_ : list of float or None
        Mean validation ELBO per epoch with ``early_stopping`` (one draw of z
        per row, the same draws after every epoch), else None.
    best_validation_score_ : float or None
        Best of ``validation_scores_``, else None.
    encoder_coefs_, decoder_coefs_ : list of ndarray
        Read-only weight matrices of each layer; the encoder's last layer
        emits ``[mu | log_var]``, the Gaussian decoder's ``[mean | s]``.
    encoder_intercepts_, decoder_intercepts_ : list of ndarray
        Read-only bias vectors of each layer.

    Notes
    -----
    Interrupting ``fit`` with Ctrl-C stops training after the current
    minibatch, restores the parameters of the last complete epoch, warns and
    returns the fitted estimator (``n_iter_`` tells how far it got); fit again
    with ``warm_start=True`` to continue. A second Ctrl-C stops at once.

    If the loss or the parameters become non-finite (a learning rate too
    large for the data, say), training stops, the parameters roll back to the
    last finite epoch and a ConvergenceWarning says so; no NaN is left in the
    model. The encoder's log-variance is clipped to [-30, 20] and the Gaussian
    decoder's ``s`` to at most 50, and the Gaussian likelihood refuses data of
    magnitude above 1e10, so outputs of a fitted model stay finite.

    Threads: with ``n_jobs`` above one and called from the main thread,
    training and inference split each large matrix product, the Adam
    update and the likelihood into ``n_jobs`` blocks run by numba's
    threads, BLAS held to one thread meanwhile; work too small to gain from
    a second thread (every product of a network of a few hundred units on
    100-row minibatches) runs on one thread, BLAS's included, so that two
    small fits side by side do not slow each other down. Called from
    another thread (a dask worker's, say), fits and transforms run serially
    whatever ``n_jobs`` says. The default uses threads only on numba's TBB
    layer (``pip install "skvae[tbb]"``), which is safe under ``fork``:
    numba's other layer here, GNU OpenMP, terminates a process forked
    (``multiprocessing`` with the "fork" start method) after its threads
    started at the child's first parallel launch, skvae's or any other
    numba code's, and its waiting threads spin, so an MNIST-sized fit with
    ``n_jobs=-1`` beside a busy process ran several times slower than on
    one thread (docs/performance.rst). skvae itself runs serially in such a child.
    The same ``random_state`` gives bit-identical results for the same
    thread settings (``n_jobs``, and BLAS's threads, which
    ``threadpoolctl`` sets); with others, matrix products may add their
    terms in another order and results differ in the last bits.
    ``transform``, ``score_samples``, ``inverse_transform`` and ``sample``
    allocate their buffers per call and may be called from several threads
    at once.

    ``fit`` accepts a ``numpy.memmap`` and reads it minibatch by minibatch,
    without copying it into memory; for data in chunks, ``partial_fit`` runs
    one epoch over each chunk (as ``dask_ml.wrappers.Incremental`` does).

    See Also
    --------
    sklearn.decomposition.PCA : Linear dimensionality reduction.
    sklearn.decomposition.FactorAnalysis : Linear Gaussian latent model.
    sklearn.neural_network.BernoulliRBM : Another neural density model.

    References
    ----------
    D. P. Kingma and M. Welling, "Auto-Encoding Variational Bayes", ICLR 2014.
    Y. Burda, R. Grosse and R. Salakhutdinov, "Importance Weighted
    Autoencoders", ICLR 2016.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skvae import VAETransformer
    >>> X = load_digits().data / 16
    >>> vae = VAETransformer(n_latent=2, likelihood="bernoulli", random_state=0).fit(X)
    >>> vae.transform(X).shape
    (1797, 2)
    >>> vae.sample(3, random_state=0).shape
    (3, 64)
    """

    _parameter_constraints: ClassVar[dict] = {
        "n_latent": [Interval(Integral, 1, None, closed="left")],
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "likelihood": [StrOptions({"auto", *KINDS}), dict],
        "min_variance": [Interval(Real, 0, None, closed="neither")],
        "n_mc_samples": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "solver": [StrOptions(set(OPTIMIZERS))],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "objective": [StrOptions({"elbo", "iwae"})],
        "kl_estimator": [StrOptions({"analytic", "mc"})],
        "beta": [Interval(Real, 0, None, closed="left")],
        "kl_warmup_epochs": [Interval(Integral, 0, None, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "n_jobs": [None, Integral],
        "handle_unknown": [StrOptions({"error", "missing"})],
        "enforce_min_max_values": ["boolean"],
    }

    def __init__(
        self,
        n_latent=2,
        *,
        hidden_layer_sizes=(128, 64),
        activation="tanh",
        likelihood="auto",
        min_variance=1e-2,
        n_mc_samples=1,
        objective="elbo",
        kl_estimator="analytic",
        batch_size=100,
        max_iter=200,
        solver="adam",
        learning_rate_init=3e-3,
        beta=1.0,
        kl_warmup_epochs=0,
        alpha=0.0,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        random_state=None,
        verbose=0,
        warm_start=False,
        n_jobs=None,
        handle_unknown="error",
        enforce_min_max_values=True,
    ):
        self.n_latent = n_latent
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.likelihood = likelihood
        self.min_variance = min_variance
        self.n_mc_samples = n_mc_samples
        self.objective = objective
        self.kl_estimator = kl_estimator
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.solver = solver
        self.learning_rate_init = learning_rate_init
        self.beta = beta
        self.kl_warmup_epochs = kl_warmup_epochs
        self.alpha = alpha
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start
        self.n_jobs = n_jobs
        self.handle_unknown = handle_unknown
        self.enforce_min_max_values = enforce_min_max_values

    # -- fitting -------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the model to X by SGVB.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : Ignored

        Returns
        -------
        self : VAETransformer
        """
        return self._fit(X, incremental=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None):
        """Run one epoch over X, starting from the current state if fitted.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : Ignored

        Returns
        -------
        self : VAETransformer
        """
        return self._fit(X, incremental=True)

    def _fit(self, X, incremental):
        fresh = not self.__sklearn_is_fitted__() or not (incremental or self.warm_start)
        data = self._training_data(X, fresh)
        arch = self._architecture(data)
        if not fresh and arch != self._fitted_architecture:
            changed = [k for k in arch if arch[k] != self._fitted_architecture[k]]
            raise ValueError(
                f"Cannot continue training after changing {', '.join(changed)}: the "
                "fitted network has a different architecture. Fit again with "
                "warm_start=False."
            )
        model, rng, optimizer = self._start_training(data, arch, fresh, incremental)
        rows = data.observed_rows()
        train_rows, val_rows = rows, None
        if self.early_stopping and not incremental:
            train_rows, val_rows = self._validation_split(rows, rng)
        options = TrainingOptions(
            n_epochs=1 if incremental else self.max_iter,
            batch_size=min(self.batch_size, len(train_rows)), n_draws=self.n_mc_samples,
            beta=self.beta, l2=self.alpha / len(train_rows), kl_estimator=self.kl_estimator,
            objective=self.objective, kl_warmup_epochs=self.kl_warmup_epochs, tol=self.tol,
            n_iter_no_change=self.n_iter_no_change, verbose=self.verbose,
            stop_when_converged=not incremental, n_jobs=self.n_jobs,
        )
        n_iter = 0 if fresh else self.n_iter_
        trainer = Trainer(model, optimizer, data.matrix, train_rows, val_rows, rng, options)
        history = trainer.run(first_epoch=n_iter + 1)
        # during KL warm-up the loss rises by design: judge the epochs after it
        skipped = max(0, self.kl_warmup_epochs - n_iter)
        rising = None if incremental else rising_loss_message(
            history.losses[skipped:], self.learning_rate_init, n_iter + skipped + 1)
        if history.stopped_by is not None:
            warnings.warn(stop_message(history), ConvergenceWarning, stacklevel=4)
        elif rising is not None:
            warnings.warn(rising, ConvergenceWarning, stacklevel=4)
        elif not incremental and len(history.losses) == self.max_iter and not history.converged:
            warnings.warn(f"Stopped at max_iter={self.max_iter} epochs before the loss "
                          "converged.", ConvergenceWarning, stacklevel=4)

        state = {
            "n_features_in_": data.n_features, "_n_features_out": arch["n_latent"],
            "n_iter_": n_iter + len(history.losses),
            "loss_curve_": ([] if fresh else self.loss_curve_) + history.losses,
            "validation_scores_": history.validation_scores,
            "best_validation_score_": history.best_validation_score,
            "_theta": model.theta, "_fitted_architecture": arch, "_rng": rng,
            "_optimizer_state": (self.solver, optimizer.get_state()),
            "_columns": data.columns, "_plain": data.plain, "_as_frame": data.as_frame,
        }
        self.__dict__.pop("feature_names_in_", None)
        if data.names is not None:
            state["feature_names_in_"] = data.names
        self.__dict__.update(state)
        return self

    def _training_data(self, X, fresh):
        """Validate and encode X without touching fitted state."""
        owner = copy.copy(self) if fresh else self
        plain = (self._plain if not fresh else
                 isinstance(self.likelihood, str) and self.likelihood in LIKELIHOODS
                 and all_numeric(X))
        as_frame = isinstance(X, pd.DataFrame) if fresh else self._as_frame
        if plain:
            matrix = validate_data(owner, X, reset=fresh, dtype=[np.float64, np.float32],
                                   ensure_all_finite="allow-nan")
            if not fresh:
                matrix = matrix.astype(self._theta.dtype, copy=False)
            stats, complete = _plain_stats(matrix)
            if complete or not fresh:
                names = getattr(owner, "feature_names_in_", None)
                fitted = self.likelihood if fresh else self._fitted_architecture["likelihood"]
                stats = _check_plain_support(matrix, fitted, stats, complete)
                columns = (plain_columns(list(range(matrix.shape[1])) if names is None
                                         else list(names), _dtypes(X), stats, self.likelihood)
                           if fresh else self._columns)
                return TrainingData(matrix, columns, True, complete, as_frame, names, stats)
        _check_feature_names(owner, X, reset=fresh)
        names, data, X = read_columns(X)
        _check_n_features(owner, X, reset=fresh)
        columns = fit_columns(names, data, self.likelihood) if fresh else self._columns
        dtype = table_dtype(columns, data) if fresh else self._theta.dtype
        matrix = encode(names, data, columns, dtype, self.handle_unknown)
        return TrainingData(matrix, columns, False, False, as_frame,
                            getattr(owner, "feature_names_in_", None), None)

    def _architecture(self, data):
        hidden = np.atleast_1d(self.hidden_layer_sizes)
        if hidden.ndim != 1 or hidden.size == 0 or not all(
            isinstance(h, Integral) and h >= 1 for h in hidden.tolist()
        ):
            raise InvalidParameterError(
                "hidden_layer_sizes must be a positive int or a non-empty sequence "
                f"of positive ints; got {self.hidden_layer_sizes!r}."
            )
        if data.plain:
            n_inputs = data.n_features
            # a likelihood changed since the fit makes the architecture differ
            plain = isinstance(self.likelihood, str) and self.likelihood in LIKELIHOODS
            n_outputs = LIKELIHOODS[self.likelihood].n_outputs * n_inputs if plain else -1
        else:
            columns = kernel_columns(data.columns)
            n_inputs, n_outputs = columns.n_inputs, columns.n_outputs
        likelihood = dict(self.likelihood) if isinstance(self.likelihood, dict) else self.likelihood
        return {
            "n_inputs": int(n_inputs), "n_outputs": int(n_outputs),
            "n_latent": int(self.n_latent),
            "hidden_layer_sizes": tuple(int(h) for h in hidden),
            "activation": self.activation, "likelihood": likelihood,
            "min_variance": float(self.min_variance),
        }

    def _start_training(self, data, arch, fresh, incremental):
        """The model, noise generator and optimizer a fit starts from (copies)."""
        if fresh:
            rng = _generator(self.random_state)
            layout = VAEModel.layout_for(arch)
            theta = layout.initialize(rng, data.matrix.dtype)
        else:
            rng = copy.deepcopy(self._rng)
            theta = self._theta.copy()
        model = _build_model(arch, data.columns, data.plain, data.complete, theta)
        if fresh:
            bias = model.layout.output_bias(theta)
            if data.plain:
                bias[:] = model.likelihood.output_bias(data.matrix, data.stats,
                                                       arch["min_variance"])
            else:
                bias[:] = model.likelihood.output_bias(data.matrix, arch["min_variance"])
        optimizer = OPTIMIZERS[self.solver](theta.size, theta.dtype, self.learning_rate_init)
        solver, state = getattr(self, "_optimizer_state", (None, None))
        if not fresh and incremental and solver == self.solver:
            optimizer.set_state(copy.deepcopy(state))
        return model, rng, optimizer

    def _validation_split(self, rows, rng):
        """Sorted row indices for training and validation, out of ``rows``."""
        n_samples = len(rows)
        n_val = round(self.validation_fraction * n_samples)
        if n_val < 1 or n_val >= n_samples:
            raise ValueError(
                f"early_stopping with validation_fraction={self.validation_fraction} "
                f"leaves no training or no validation rows out of {n_samples}; "
                "use more samples or set early_stopping=False."
            )
        order = rows[rng.permutation(n_samples)]
        return np.sort(order[n_val:]), np.sort(order[:n_val])

    # -- inference -------------------------------------------------------------
    def transform(self, X):
        """Posterior means E[z|x] of the rows of X.

        A row whose entries are all missing gets the prior's mean, 0.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        Z : ndarray of shape (n_samples, n_latent)
        """
        X, model, empty = self._inference_input(X)
        n_latent = model.n_latent
        Z = map_rows(model, X, 0, lambda x, ws, _: encode_rows(model, x, ws)[:, :n_latent],
                     n_latent, n_jobs=self.n_jobs)
        Z[empty] = 0.0
        return Z

    def inverse_transform(self, X):
        """Decoder means E[x|z] of latent points, as the data came.

        A categorical column gets its most probable category. When ``fit``
        saw a DataFrame, the result is a DataFrame with its columns and
        dtypes.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_latent)
            Latent points, for example the output of ``transform``.

        Returns
        -------
        X_original : ndarray or DataFrame of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        Z = check_array(X, dtype=[np.float64, np.float32], input_name="Z")
        n_latent = self._fitted_architecture["n_latent"]
        if Z.shape[1] != n_latent:
            raise ValueError(
                f"inverse_transform expects latent points with {n_latent} columns "
                f"(n_latent), but got {Z.shape[1]}."
            )
        model = self._model(self._theta.astype(Z.dtype, copy=False))
        return self._as_data(self._decode_rows(model, Z, None, means=True))

    def sample(self, n_samples=1, random_state=None, given=None, means=False):
        """Generate rows: z ~ N(0, I), then x ~ p(x|z); or rows that hold ``given``.

        With ``means=True`` each row is the decoder's mean E[x|z] at its z
        (what ``inverse_transform`` gives) instead of a draw from p(x|z):
        for images, smooth pictures rather than pixel noise around them. The
        rows are still random through z.

        With ``given``, every row holds the given values and the other
        columns are drawn from the model's p(x_rest | x_given), by sampling
        importance resampling: ``max(2000, 4 * n_samples)`` proposals of z,
        half from the encoder's q(z | x_given) and half from the prior, are
        weighted by p(x_given | z) p(z) over the density of that mixture,
        and each row's z is picked by these weights. The approximation
        tightens with the weights' effective number of proposals; a warning
        says when it falls below 10, as it does for given values unlike
        any training row (values outside the training range are allowed and
        returned as given; the model extrapolates to them).

        Parameters
        ----------
        n_samples : int, default=1
        random_state : int, RandomState instance or None, default=None
            None draws from numpy's global random state.
        given : dict or None, default=None
            Column (a name when ``fit`` saw a DataFrame, an index otherwise)
            to the value every row must hold: a number or a category seen
            in ``fit``.
        means : bool, default=False
            Return decoder means E[x|z] instead of draws x ~ p(x|z).

        Returns
        -------
        X : ndarray or DataFrame of shape (n_samples, n_features)
            Bernoulli draws are 0 or 1. When ``fit`` saw a DataFrame, a
            DataFrame with its columns and dtypes.
        """
        check_is_fitted(self)
        if not isinstance(n_samples, Integral) or n_samples < 1:
            raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}.")
        if not isinstance(means, bool | np.bool_):
            raise TypeError(f"means must be True or False, got {means!r}.")
        rng = _generator(random_state)
        if given is not None:
            return self._sample_given(n_samples, given, rng, means)
        model = self._model(self._theta)
        Z = rng.standard_normal((n_samples, model.n_latent)).astype(self._theta.dtype)
        return self._as_data(self._decode_rows(model, Z, rng, means))

    def _decode_rows(self, model, Z, rng, means=False):
        """For each latent point of Z, in the model's values: the decoder's mean
        E[x|z] with ``means``, else one draw x ~ p(x|z)."""

        def decode(z, ws, result):  # writes into the result's rows
            if means:
                decode_rows(model, z, ws, result, keep_outputs=False)
                return None
            out = decode_rows(model, z, ws, result)
            return model.likelihood.sample(result, out, model.min_variance, rng)

        return map_rows(model, Z, 1, decode, model.n_features, n_jobs=self.n_jobs)

    def _sample_given(self, n_samples, given, rng, means=False):
        given = self._check_given(given)
        row, model = self._given_row(given)
        n_proposals = max(GIVEN_PROPOSALS, 4 * n_samples)
        with kernel_threads(self.n_jobs) as n_blocks:
            ws = model.workspace(1, min(n_proposals, ROW_BUDGET))
            ws.n_blocks = n_blocks
            head = np.array(encode_rows(model, row, ws), dtype=np.float64)
            z, log_w = [], []
            for start in range(0, n_proposals, ws.n_draws):
                part, ratio = propose(head, min(ws.n_draws, n_proposals - start), 0.5, rng)
                z.append(part[:, 0])
                log_w.append(log_weights(model, row, part, ratio, ws)[0][:, 0])
        weights = softmax(np.concatenate(log_w))
        n_effective = float(effective_sample_size(weights[:, None])[0])
        if n_effective < MIN_EFFECTIVE_PROPOSALS:
            warnings.warn(
                f"sample(given=...): the given values are unlike the training rows; the "
                f"draws rest on {n_effective:.1f} effective proposals out of {n_proposals}, "
                "so they follow p(x | given) only roughly.", UserWarning, stacklevel=3)
        picks = rng.choice(len(weights), size=n_samples, p=weights)
        Z = np.concatenate(z)[picks].astype(self._theta.dtype)
        return self._hold_given(self._as_data(self._decode_rows(model, Z, rng, means)), given)

    def _check_given(self, given):
        """``given`` as a dict from fitted column to value, checked."""
        if not isinstance(given, dict) or not given:
            raise ValueError("given must be a non-empty dict from column to value, got "
                             f"{given!r}.")
        names = [c["name"] for c in self._columns]
        unknown = [key for key in given if key not in names]
        if unknown:
            what = "columns" if hasattr(self, "feature_names_in_") else "column indices"
            raise ValueError(f"given names {what} that fit never saw: {unknown}; the "
                             f"columns are {names}.")
        for key, value in given.items():
            if not np.ndim(value) == 0:
                raise ValueError(f"given[{key!r}] must be one value (a number or a "
                                 f"category), got {value!r}.")
            if pd.isna(value):
                raise ValueError(f"given[{key!r}] is missing ({value!r}); leave the column "
                                 "out of given to have it drawn.")
        for c in self._columns:
            value = given.get(c["name"])
            if (value is not None and c["kind"] != "categorical" and c["integer"]
                    and isinstance(value, Real) and value != round(value)):
                raise ValueError(f"given[{c['name']!r}] = {value!r} is not a whole number, "
                                 "but the column holds whole numbers.")
        return given

    def _given_row(self, given):
        """The model's matrix of one row holding ``given`` (missing elsewhere)
        and the model for rows with missing entries."""
        if self._as_frame:
            X = pd.DataFrame({c["name"]: _given_column(c, given) for c in self._columns})
        else:
            X = np.array([[given.get(c["name"], np.nan) for c in self._columns]],
                         dtype=np.float64)
        # unknown categories come back missing, for the check below to name:
        # given does not follow handle_unknown
        row, _, _ = self._inference_input(X, handle_unknown="missing")
        observed = ~np.isnan(row[0])
        j = 0
        for c in self._columns:
            width = 2 if c.get("spike") is not None else 1
            if c["name"] in given and not observed[j : j + width].any():
                raise ValueError(
                    f"given[{c['name']!r}] = {given[c['name']]!r} is a category fit never "
                    f"saw; the known ones are {list(c['categories'])[:20]}.")
            j += width
        return np.ascontiguousarray(row), self._model(self._theta.astype(row.dtype), False)

    def _hold_given(self, values, given):
        """``values`` with the given columns set to the given values, exactly."""
        if not isinstance(values, pd.DataFrame):
            index = {c["name"]: k for k, c in enumerate(self._columns)}
            for key, value in given.items():
                values[:, index[key]] = value
            return values
        for name, value in given.items():
            values[name] = pd.Series([value] * len(values), index=values.index,
                                     dtype=values[name].dtype)
        return values

    def _complete(self, X, n_draws, sample, prior_share, rng):
        """Every entry of X made by the model from the observed ones, as the
        data came to ``fit``: conditional means by importance sampling, or
        with ``sample`` one draw from p(x_missing | x_observed) per row."""
        T, _, _ = self._inference_input(X)
        model = self._model(self._theta.astype(T.dtype, copy=False), complete=False)

        def fill(x, ws, _):
            return complete_rows(model, self._columns, x, n_draws, sample, prior_share, rng, ws)

        return self._as_data(map_rows(model, T, n_draws, fill, T.shape[1], n_jobs=self.n_jobs))

    def score_samples(self, X):
        """Per-row evidence lower bound (ELBO) on log p(x), in nats.

        Estimated with the analytic KL term and 16 fixed standard-normal
        draws shared by all rows, so a fitted model always returns the same
        value for the same row. Higher means more typical data. With missing
        entries it is the bound on the density of the observed ones (0 for
        a row with none); numeric columns' densities are in the data's own
        units.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        elbo : ndarray of shape (n_samples,)
        """
        return self._score_rows(X)

    def _score_rows(self, X, data_units=True):
        """score_samples; with ``data_units`` False, the densities of standardized
        columns are of the standardized values, so that no row's score depends
        on the units of its columns (which matters between rows that differ in
        which entries are observed or at a point mass)."""
        X, model, empty = self._inference_input(X, data_units=data_units)
        scores = score_rows(model, X, n_jobs=self.n_jobs)
        scores[empty] = 0.0
        return scores

    def score(self, X, y=None):
        """Mean ELBO of the rows of X, in nats (higher is better).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : Ignored

        Returns
        -------
        score : float
        """
        return float(np.mean(self.score_samples(X)))

    def marginal_log_likelihood(self, X, n_samples=1000, random_state=None):
        """Importance-sampled estimate of log p(x) per row (the IWAE bound).

        With ``n_samples`` draws from q(z|x) this is the bound of Burda et
        al. (2015); it is never below the ELBO in expectation and tightens as
        ``n_samples`` grows. With missing entries, the bound on the density
        of the observed ones (MIWAE's).

        Parameters
        ----------
        X : array-like of shape (n_samples_X, n_features)
        n_samples : int, default=1000
            Importance samples per row.
        random_state : int, RandomState instance or None, default=None

        Returns
        -------
        log_px : ndarray of shape (n_samples_X,)
        """
        if not isinstance(n_samples, Integral) or n_samples < 1:
            raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}.")
        X, model, empty = self._inference_input(X)
        rng = _generator(random_state)
        draws = min(n_samples, ROW_BUDGET)
        log_px = map_rows(model, X, draws,
                          lambda x, ws, _: iwae_rows(model, x, n_samples, rng, ws),
                          n_jobs=self.n_jobs)
        log_px[empty] = 0.0
        return log_px

    def _inference_input(self, X, handle_unknown=None, data_units=True):
        """The model's matrix of X, the model to run on it, and the rows
        with nothing observed; ``handle_unknown`` overrides the parameter,
        ``data_units`` is :meth:`_score_rows`'."""
        check_is_fitted(self)
        if self._plain:
            X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32],
                              ensure_all_finite="allow-nan")
            stats, complete = _plain_stats(X)
            _check_plain_support(X, self._fitted_architecture["likelihood"], stats, complete)
        else:
            _check_feature_names(self, X, reset=False)
            names, data, X = read_columns(X)
            _check_n_features(self, X, reset=False)
            as_frame = isinstance(X, pd.DataFrame)
            dtype = self._theta.dtype if as_frame else X.dtype
            X = encode(names, data, self._columns, dtype,
                       handle_unknown or self.handle_unknown)
            complete = False
        empty = np.zeros(X.shape[0], dtype=bool) if complete else np.isnan(X).all(axis=1)
        theta = self._theta.astype(X.dtype, copy=False)
        return X, self._model(theta, complete, data_units), empty

    def _model(self, theta, complete=True, data_units=True):
        return _build_model(self._fitted_architecture, self._columns, self._plain, complete,
                            theta, data_units)

    def _as_data(self, values):
        """Model values (means or draws) as the data came to ``fit``."""
        if self._plain and not self._as_frame:
            return values
        # a single likelihood's values are its own (Bernoulli draws are 0 or 1,
        # below the smallest probability in X, say): only the tables' are kept in range
        return decode(values, self._columns, self._as_frame,
                      self.enforce_min_max_values and not self._plain)

    # -- fitted weights and scikit-learn protocol -----------------------------
    def _layer_arrays(self, part, kind):
        check_is_fitted(self)
        model = VAEModel(VAEModel.layout_for(self._fitted_architecture), 0, None, 1.0,
                         self._theta)
        encoder, decoder = model.encoder, model.decoder
        arrays = (encoder if part == "encoder" else decoder)[kind]
        for a in arrays:
            a.flags.writeable = False
        return arrays

    @property
    def likelihoods_(self):
        """The likelihood of each column, by column (name, or index for an array)."""
        check_is_fitted(self)
        return {c["name"]: c["kind"] for c in self._columns}

    @property
    def categories_(self):
        """The categories of each categorical column, in code order (as
        OneHotEncoder's ``categories_``, one array per categorical column)."""
        check_is_fitted(self)
        return [np.array(c["categories"], dtype=object) for c in self._columns
                if c["kind"] == "categorical"]

    encoder_coefs_ = property(lambda self: self._layer_arrays("encoder", 0))
    encoder_intercepts_ = property(lambda self: self._layer_arrays("encoder", 1))
    decoder_coefs_ = property(lambda self: self._layer_arrays("decoder", 0))
    decoder_intercepts_ = property(lambda self: self._layer_arrays("decoder", 1))

    def __sklearn_is_fitted__(self):
        return hasattr(self, "_theta")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.input_tags.allow_nan = True
        return tags


@dataclass
class TrainingData:
    """What a fit trains on: the model's matrix and how it was made."""

    matrix: np.ndarray
    columns: list
    plain: bool
    complete: bool
    as_frame: bool
    names: np.ndarray | None
    stats: ColumnStats | None

    @property
    def n_features(self):
        return len(self.columns)

    def observed_rows(self):
        """The rows with at least one observed entry (a row with none teaches nothing)."""
        if self.complete:
            return np.arange(self.matrix.shape[0])
        rows = np.flatnonzero(~np.isnan(self.matrix).all(axis=1))
        if len(rows) == 0:
            raise ValueError("Every row of X is entirely missing: there is nothing to fit.")
        return rows


def _build_model(arch, columns, plain, complete, theta, data_units=True):
    """The model for the fitted columns; a plain model's kernels when the data
    is complete, else the per-column kernels that skip missing entries. A
    plain model is always in the data's units (it standardizes nothing)."""
    if plain and complete:
        return VAEModel.from_architecture(arch, theta)
    kernel = (plain_kernel_columns(arch["likelihood"], [c["fill"] for c in columns])
              if plain else kernel_columns(columns, data_units))
    return VAEModel.from_architecture(arch, theta, ColumnLikelihood(kernel))


def _plain_stats(X):
    """X's :class:`ColumnStats` and whether X is complete, in one pass: X is
    finite but for NaN, and a NaN makes its column's sum NaN."""
    stats = column_stats(X)
    return stats, bool(np.isfinite(stats.mean).all())


def _check_plain_support(X, likelihood, stats, complete):
    """X's :class:`ColumnStats` (over the observed entries), after checking
    that X lies in ``likelihood``'s support."""
    if complete:
        LIKELIHOODS[likelihood].check_data(X, stats)
        return stats
    stats = observed_column_stats(X)
    filled = np.where(np.isnan(X), np.nan_to_num(stats.mean.astype(X.dtype)), X)
    LIKELIHOODS[likelihood].check_data(filled, column_stats(filled))
    return stats


def all_numeric(X):
    """Whether X is a numeric matrix rather than a table with categories."""
    if not isinstance(X, pd.DataFrame):
        return True
    return all(pd.api.types.is_numeric_dtype(d) and not pd.api.types.is_bool_dtype(d)
               for d in X.dtypes)


def _dtypes(X):
    if isinstance(X, pd.DataFrame):
        return [str(d) for d in X.dtypes]
    return [None] * np.shape(X)[1]


def _given_column(c, given):
    """A one-row column for fitted column ``c``: its given value, or missing."""
    if c["name"] in given:
        return pd.Series([given[c["name"]]])
    if c["kind"] == "categorical" and c["dtype"] is not None:
        return pd.Series([None], dtype=object)
    return pd.Series([np.nan], dtype=np.float64)


def unfitted_copy(estimator, default, random_state):
    """A clone of ``estimator`` (``default()`` when None) for a wrapper to
    fit, seeded with the wrapper's ``random_state`` when that is not None."""
    estimator = clone(estimator) if estimator is not None else default()
    if random_state is not None:
        estimator.set_params(random_state=random_state)
    return estimator


def _generator(random_state):
    """A numpy Generator seeded from a scikit-learn style random_state."""
    seed = check_random_state(random_state).randint(np.iinfo(np.int32).max)
    return np.random.default_rng(seed)
