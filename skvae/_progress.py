"""The progress display of a fit (``verbose``), for the Python API and the command line.

The trainer reports each epoch to the fit's :class:`ProgressDisplay`. Its
line gives the epoch out of the budget, the training ELBO (the IWAE bound
for ``objective="iwae"``; higher is better, the sign ``score`` uses), the
validation ELBO when there is one, the seconds per epoch and at most how long
is left. On a terminal the line is rewritten in place. Into a file or a pipe
it is written every tenth of the epoch budget, after the first epoch and
after the last, so a log stays short; ``verbose=2`` writes every epoch. The
first fit after installing compiles the kernels, which is announced once.
"""

import math
import sys
from pathlib import Path

#: Lines a fit writes into a file or pipe at ``verbose=1``, beyond the first and last.
LOG_LINES = 10
#: Epochs whose times estimate the time left (the first is left out: it compiles).
RECENT_EPOCHS = 5
PACKAGE = Path(__file__).resolve().parent

_announced = False


class ProgressDisplay:
    """One fit's progress on ``stream`` (sys.stdout at each write by default)."""

    def __init__(self, max_epochs, verbose=1, stream=None):
        self.max_epochs = max_epochs
        self._stream = stream
        self.terminal = bool(getattr(self.stream, "isatty", lambda: False)())
        self.every = 1 if verbose >= 2 or self.terminal else max(1, math.ceil(
            max_epochs / LOG_LINES))
        self.seconds = []
        self.unwritten = None
        self.width = 0

    @property
    def stream(self):
        return self._stream if self._stream is not None else sys.stdout

    def format(self, epoch, bound, seconds, validation=None, label="ELBO"):
        """The progress line for one epoch; ``bound`` is the training ELBO (or IWAE bound)."""
        self.seconds.append(seconds)
        checked = f"  validation {validation:.3f}" if validation is not None else ""
        head = f"epoch {epoch}/{self.max_epochs}  {label} {bound:.3f}{checked}  "
        if len(self.seconds) == 1:  # it may have compiled: no basis for the time left yet
            return head + f"{seconds:.2f} s"
        recent = self.seconds[1:][-RECENT_EPOCHS:]
        per_epoch = sum(recent) / len(recent)
        left = per_epoch * max(self.max_epochs - epoch, 0)
        return head + f"{per_epoch:.2f} s/epoch  at most {left:.0f} s left"

    def update(self, epoch, bound, seconds, validation=None, label="ELBO"):
        line = self.format(epoch, bound, seconds, validation, label)
        if self.terminal:
            self.width = max(self.width, len(line))
            self._write("\r" + line.ljust(self.width))
        elif len(self.seconds) == 1 or epoch % self.every == 0:
            self._write(line + "\n")
            self.unwritten = None
        else:
            self.unwritten = line

    def announce_compilation(self):
        """Once per process: say that the first fit after installing compiles the kernels."""
        global _announced
        if _announced:
            return
        _announced = True
        if not any(PACKAGE.rglob("__pycache__/*.nbi")):
            self._write("compiling skvae's kernels, once after installing (about 10 s per "
                        "data type; later fits load them)\n")

    def close(self):
        if self.terminal and self.seconds:
            self._write("\n")
        elif self.unwritten is not None:
            self._write(self.unwritten + "\n")
        self.unwritten = None

    def _write(self, text):
        self.stream.write(text)
        self.stream.flush()
