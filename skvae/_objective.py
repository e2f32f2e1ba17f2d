"""The training objectives of one minibatch and their hand-derived gradient.

:func:`sgvb_loss_gradient` is the ELBO with estimator A or B of Kingma &
Welling, or the importance-weighted bound of Burda et al.; the three differ
only in how each Monte Carlo draw is weighted (:func:`weigh_draws`). It
runs on a :class:`~skvae._model.Workspace`, so no buffer is allocated per
minibatch.
"""

import numpy as np

from ._kernels import add_weight_decay
from ._latent import (
    add_draw_kl_gradient,
    draw_kl,
    normalized_importance_weights,
    reparameterize,
    reparameterize_backward,
)
from ._network import backward, forward


def sgvb_loss_gradient(model, x, eps, beta, l2, grad, ws, kl_estimator="analytic",
                       objective="elbo"):
    """Minibatch objective and its gradient with respect to ``theta``.

    With ``objective="elbo"`` (Kingma & Welling)::

        loss = 1/M sum_m [ 1/L sum_l -log p(x_m | z_lm) + beta * KL_m ] + l2/2 ||W||^2

    where KL_m is the analytic KL (``kl_estimator="analytic"``, estimator B)
    or its Monte Carlo estimate 1/L sum_l [log q(z_lm|x_m) - log p(z_lm)]
    (``"mc"``, estimator A). With ``objective="iwae"`` (Burda et al.)::

        loss = -1/M sum_m log 1/L sum_l w_lm + l2/2 ||W||^2,
        log w_lm = log p(x_m | z_lm) - beta * [log q(z_lm|x_m) - log p(z_lm)]

    whose gradient weights each draw by its normalized importance weight.
    In both, z_lm = mu_m + sigma_m * eps_lm, and log p(x|z) sums over the
    observed entries of x (with NaN marking the missing ones, in a table;
    with the IWAE objective, the bound of MIWAE). Writes d loss / d theta into
    ``grad`` (a flat buffer like ``theta``) and returns ``(loss, total)``:
    ``total`` is the sum over the minibatch rows of the per-row objective,
    without the weight penalty.
    """
    n_draws, n_rows, n_latent = eps.shape
    n_dec = n_draws * n_rows
    act, n_blocks = model.activation, ws.n_blocks
    grad_encoder, grad_decoder = ws.gradient_views(grad)
    iwae = objective == "iwae"
    analytic = kl_estimator == "analytic" and not iwae

    inputs = model.inputs(x, ws)
    head = forward(model.encoder, act, inputs, ws.enc, n_blocks)
    z = ws.z(n_dec, n_latent)
    reparameterize(head, eps, z)
    out = forward(model.decoder, act, z, ws.dec, n_blocks)
    grad_out, row_nll = ws.dec_grad[-1][:n_dec], ws.log_p[:n_dec]
    model.likelihood.nll_gradient(x, out, model.min_variance, 1.0 if iwae else 1.0 / n_dec,
                                  grad_out, row_nll, ws.scratch[:n_dec], n_blocks)
    kl_weights = None
    if not analytic:
        total, kl_weights = weigh_draws(head, eps, beta, iwae, row_nll, grad_out, ws)

    grad_z = ws.grad_z(n_dec, n_latent)
    backward(model.decoder, grad_decoder, act, z, ws.dec, ws.dec_grad, grad_out, grad_z,
             n_blocks)
    if kl_weights is not None:
        add_draw_kl_gradient(z, kl_weights, grad_z)
    grad_head = ws.enc_grad[-1][:n_rows]
    kl = reparameterize_backward(head, eps, grad_z, beta / n_rows, analytic, grad_head)
    backward(model.encoder, grad_encoder, act, inputs, ws.enc, ws.enc_grad, grad_head,
             ws.no_rows, n_blocks)

    if analytic:
        total = float(row_nll.sum(dtype=np.float64)) / n_draws + beta * kl
    loss = total / n_rows
    if l2 > 0:
        loss += 0.5 * l2 * add_weight_decay(grad, model.theta, model.layout.n_weights, l2)
    return loss, total


def weigh_draws(head, eps, beta, iwae, row_nll, grad_out, ws):
    """Each draw's weight, for the Monte Carlo KL (uniform) or IWAE (importance).

    Returns ``(total, kl_weights)``: the sum over rows of the per-row
    objective, and each draw's weight in the gradient of its
    log q(z|x) - log p(z) term. IWAE also rescales each draw's rows of
    ``grad_out`` (computed with weight 1) by its normalized importance
    weight.
    """
    n_draws, n_rows, _ = eps.shape
    log_ratio = ws.draw_kl(n_draws, n_rows)  # log q(z|x) - log p(z) per draw
    draw_kl(head, eps, log_ratio)
    kl_weights = ws.draw_weights(n_draws, n_rows)
    if not iwae:
        kl_weights.fill(beta / (n_draws * n_rows))
        total = (float(row_nll.sum(dtype=np.float64))
                 + beta * float(log_ratio.sum(dtype=np.float64))) / n_draws
        return total, kl_weights
    log_w = kl_weights  # the same buffer holds log w, then the normalized weights
    np.multiply(log_ratio, -beta, out=log_w)
    log_w -= row_nll.reshape(n_draws, n_rows)
    total = -normalized_importance_weights(log_w, log_w)
    importance = log_w
    importance /= n_rows
    grad_out *= importance.reshape(n_draws * n_rows, 1)
    importance *= beta
    return total, importance
