"""A one-line progress display for long training runs (used by the command line).

While a :func:`progress_display` context is active, the trainer reports each
epoch to it; the display rewrites one terminal line with the epoch, the
training ELBO, the time per epoch and an estimate of the time left. It turns
itself off when the stream is not a terminal, so logs and pipes stay clean.
"""

import contextlib
import contextvars
import sys

_current = contextvars.ContextVar("skvae_progress", default=None)


class ProgressDisplay:
    def __init__(self, max_epochs, stream=None):
        self.max_epochs = max_epochs
        self.stream = stream if stream is not None else sys.stdout
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.seconds = []

    def format(self, epoch, loss, seconds):
        """The progress line for one epoch."""
        self.seconds.append(seconds)
        per_epoch = sum(self.seconds) / len(self.seconds)
        left = per_epoch * max(self.max_epochs - epoch, 0)
        return (f"epoch {epoch}/{self.max_epochs}  ELBO {-loss:.3f}  "
                f"{per_epoch:.2f} s/epoch  at most {left:.0f} s left")

    def update(self, epoch, loss, seconds):
        line = self.format(epoch, loss, seconds)
        if self.enabled:
            self.stream.write("\r" + line.ljust(78))
            self.stream.flush()

    def close(self):
        if self.enabled and self.seconds:
            self.stream.write("\n")
            self.stream.flush()


@contextlib.contextmanager
def progress_display(max_epochs, stream=None):
    """Show training progress for the fits inside the ``with`` block."""
    display = ProgressDisplay(max_epochs, stream)
    token = _current.set(display)
    try:
        yield display
    finally:
        _current.reset(token)
        display.close()


def report(epoch, loss, seconds):
    """Called by the trainer after each epoch."""
    display = _current.get()
    if display is not None:
        display.update(epoch, loss, seconds)
