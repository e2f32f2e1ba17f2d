"""A table's minibatch steps run inside one compiled call, without Python between them.

:func:`~skvae._training.run_epoch` takes a minibatch, builds its noise,
calls :func:`~skvae._objective.sgvb_loss_gradient` and the optimizer, from
Python, kernel by kernel. On a table's small network the Python between the
kernels is a large share of a step (docs/performance.rst). For the
common case, a table (:class:`~._likelihoods.columns.ColumnLikelihood`)
trained on the ELBO with the analytic KL by Adam, on one thread, with
products small enough that BLAS runs them on one thread too,
:func:`run_steps` does the same steps with the same kernels in the same
order inside :func:`table_elbo_adam_steps`: the same parameters come out,
bit for bit, and the same random draws are used (the noise of a run of steps
is drawn in one call, which gives the numbers of one call per step).

A call runs at most :data:`STEPS_PER_CALL` steps, so that Ctrl-C (which
Python sees only between calls) still stops training within milliseconds.
"""

import math

import numpy as np

from ._config import jit
from ._kernels import add_weight_decay
from ._latent import reparameterize, reparameterize_backward
from ._likelihoods.columns import build_inputs, columns_block
from ._network import backward_stack, forward_stack
from ._optimizers import AdamOptimizer, adam_block
from ._threads import MIN_WORK_PER_THREAD, hold_blas_for, parameter_blocks, row_blocks

#: Minibatch steps per compiled call, between two looks at Ctrl-C.
STEPS_PER_CALL = 64


def applies(model, optimizer, options, ws):
    """Whether :func:`run_steps` can train ``model`` with these settings: a
    table's ELBO with the analytic KL and Adam, where every kernel of a step
    would run on one thread anyway (``_threads`` decides that by the size of
    the work, so a small table stays on one thread whatever ``n_jobs``)."""
    if not (hasattr(model.likelihood, "columns") and isinstance(optimizer, AdamOptimizer)
            and options.objective == "elbo" and options.kl_estimator == "analytic"):
        return False
    rows = options.batch_size * options.n_draws
    shapes = model.layout.encoder_shapes + model.layout.decoder_shapes
    # BLAS is held at one thread for the whole call: only products that
    # would get one thread anyway may run in it (see _threads.hold_blas_for),
    # and no product that skvae would split.
    if max(rows * n_in * n_out for n_in, n_out in shapes) >= MIN_WORK_PER_THREAD:
        return False
    likelihood_out = np.broadcast_to(np.uint8(0), (rows, model.likelihood.total_outputs))
    return (row_blocks(likelihood_out, ws.n_blocks) == 1
            and parameter_blocks(model.theta.size, ws.n_blocks) == 1)


def run_steps(model, optimizer, X, order, options, rng, ws, grad, interrupt, betas):
    """The minibatch steps of one epoch over ``X[order]``, as run_epoch's loop.

    ``betas`` holds each step's KL weight. Returns ``(total, x, eps)``: the
    sum over the rows of the per-row objective, or NaN as soon as a
    minibatch loss is not finite, and the last minibatch's rows and noise
    (views into ``ws``).
    """
    batch_size, n_draws, n_latent = options.batch_size, options.n_draws, model.n_latent
    c = model.likelihood.columns
    (enc_w, enc_b), (dec_w, dec_b) = model.encoder, model.decoder
    (genc_w, genc_b), (gdec_w, gdec_b) = ws.gradient_views(grad)
    layers = (tuple(enc_w), tuple(enc_b), tuple(dec_w), tuple(dec_b),
              tuple(genc_w), tuple(genc_b), tuple(gdec_w), tuple(gdec_b))
    buffers = tuple(ws.enc), tuple(ws.enc_grad), tuple(ws.dec), tuple(ws.dec_grad)
    columns = (c.kinds, c.first, c.second, c.n_levels, c.log_scale, math.log(model.min_variance),
               c.input_at, c.indicator_at, c.fill)
    n_weights = model.layout.n_weights
    most_rows = batch_size * n_draws
    z, grad_z = ws.z(most_rows, n_latent), ws.grad_z(most_rows, n_latent)
    hold_blas_for(0)
    total = 0.0
    n_steps = -(-len(order) // batch_size)
    step = 0
    while step < n_steps:
        stop = min(step + STEPS_PER_CALL, n_steps)
        first_row, last_row = step * batch_size, min(stop * batch_size, len(order))
        noise = np.empty((last_row - first_row) * n_draws * n_latent, dtype=model.theta.dtype)
        rng.standard_normal(out=noise, dtype=noise.dtype)
        step_sizes = np.array([optimizer.step_size(t) for t in
                               range(optimizer.t + 1, optimizer.t + stop - step + 1)])
        done, run_total = table_elbo_adam_steps(
            X, order[first_row:last_row], batch_size, n_draws, noise, betas[step:stop],
            options.l2, n_weights, model.theta, grad, optimizer.m, optimizer.v, step_sizes,
            optimizer.beta1, optimizer.beta2, optimizer.epsilon, model.activation, *layers,
            ws.x, ws.inputs, *buffers, z, grad_z, ws.log_p, ws.no_rows, *columns)
        optimizer.t += done
        if done < stop - step:
            return np.nan, None, None
        total += run_total
        step = stop
        if interrupt.raised:
            break
    n_last = (min(step * batch_size, len(order)) - 1) % batch_size + 1
    last = n_last * n_draws * n_latent
    eps = ws.eps(n_draws, n_last, n_latent)
    eps.reshape(-1)[:] = noise[len(noise) - last:]
    return total, ws.x[:n_last], eps


@jit
def table_elbo_adam_steps(X, order, batch_size, n_draws, noise, betas, l2, n_weights, theta,
                          grad, m, v, step_sizes, beta1, beta2, epsilon, activation,
                          enc_w, enc_b, dec_w, dec_b, genc_w, genc_b, gdec_w, gdec_b,
                          x_buffer, inputs_buffer, enc, enc_grad, dec, dec_grad, z_buffer,
                          grad_z_buffer, log_p, no_rows, kinds, first, second, n_levels,
                          log_scale, log_floor, input_at, indicator_at, fill):
    """Minibatch steps over ``X[order]``: for each, the ELBO's loss and
    gradient as :func:`~skvae._objective.sgvb_loss_gradient` computes them,
    then Adam's update with ``step_sizes[s]``.

    Returns ``(steps done, sum of the per-row objectives)``; the steps stop
    before the update of the first minibatch whose loss is not finite.
    """
    n_latent = z_buffer.shape[1]
    total = 0.0
    used = 0  # noise used so far
    n_steps = step_sizes.shape[0]
    for s in range(n_steps):
        idx = order[s * batch_size : (s + 1) * batch_size]
        idx.sort()  # in place, as run_epoch's loop does
        n_rows = idx.shape[0]
        n_dec = n_draws * n_rows
        x = x_buffer[:n_rows]
        for r in range(n_rows):
            x[r] = X[idx[r]]
        eps = noise[used : used + n_dec * n_latent].reshape(n_draws, n_rows, n_latent)
        used += n_dec * n_latent
        beta = betas[s]

        inputs = inputs_buffer[:n_rows]
        build_inputs(x, kinds, n_levels, input_at, indicator_at, fill, inputs)
        head = forward_stack(enc_w, enc_b, activation, inputs, enc)
        z = z_buffer[:n_dec]
        reparameterize(head, eps, z)
        out = forward_stack(dec_w, dec_b, activation, z, dec)
        grad_out, row_nll = dec_grad[len(dec_grad) - 1][:n_dec], log_p[:n_dec]
        columns_block(x, out, kinds, first, second, n_levels, log_scale, log_floor,
                      1.0 / n_dec, grad_out, row_nll, 0, 1)
        grad_z = grad_z_buffer[:n_dec]
        backward_stack(dec_w, gdec_w, gdec_b, activation, z, dec, dec_grad, grad_out, grad_z)
        grad_head = enc_grad[len(enc_grad) - 1][:n_rows]
        kl = reparameterize_backward(head, eps, grad_z, beta / n_rows, True, grad_head)
        backward_stack(enc_w, genc_w, genc_b, activation, inputs, enc, enc_grad, grad_head,
                       no_rows)

        nll = 0.0
        for r in range(n_dec):
            nll += row_nll[r]
        row_total = nll / n_draws + beta * kl
        loss = row_total / n_rows
        if l2 > 0:
            loss += 0.5 * l2 * add_weight_decay(grad, theta, n_weights, l2)
        if not np.isfinite(loss):
            return s, total
        adam_block(theta, grad, m, v, step_sizes[s], beta1, beta2, epsilon, 0, 1)
        total += row_total
    return n_steps, total
