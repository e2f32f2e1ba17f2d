"""How many threads the kernels share their work between (``n_jobs``).

With ``n_jobs`` above one, training and inference split each large matrix
product, Adam's update and the likelihood's rows into
blocks run by numba's threads (``parallel=True`` kernels), each product
block with a one-thread gemm. BLAS is held
to one thread meanwhile: its own pool would fight numba's for the cores (6.2
s per epoch of W against 2.6 s, measured here). With one job the kernels
are serial and BLAS threads the products as it is set to.
:func:`kernel_threads` resolves ``n_jobs`` per call and holds BLAS to one
thread while the blocks run.

Threads are opt-in because numba's threading layer here is GNU OpenMP,
which has costs outside skvae: a process forked after its threads started
is terminated at its next parallel launch, and PyTorch, loaded after them,
ran its two-thread operations 1.3-4x slower in the same process (measured
here; loading PyTorch first avoided it).

Threads are used only where numba's threading layer is known to be safe:

- from the main thread, so that concurrent calls from other threads (which
  the workqueue layer does not allow) run serially;
- never in a process forked after GNU OpenMP (numba's ``omp`` layer) started
  its threads in the parent: such a child is terminated at its first
  parallel launch. The check compares the process with the one that
  imported skvae;
- never on numba's ``workqueue`` layer (used only when neither TBB nor
  OpenMP is available): a launch there cost 148 microseconds against 2 on
  the omp layer, and an epoch of W makes about 4000 launches.

Elsewhere the serial kernels run, and BLAS keeps its own threads.
"""

import os
import threading
from contextlib import contextmanager

import numba

_IMPORT_PID = os.getpid()
_blas_controller = None


def threads_are_safe():
    """Whether numba's parallel kernels may be launched from here and now."""
    if threading.current_thread() is not threading.main_thread():
        return False
    try:
        layer = numba.threading_layer()
    except ValueError:  # no parallel launch yet in this process
        return True
    if layer == "workqueue":
        return False
    return layer != "omp" or os.getpid() == _IMPORT_PID


def resolve_n_jobs(n_jobs):
    """Blocks for ``n_jobs``: None is 1, -1 every numba thread, -2 all but one."""
    if n_jobs is None:
        return 1
    if n_jobs == 0:
        raise ValueError("n_jobs == 0 has no meaning; use None or 1 for no threads, "
                         "-1 for all of numba's threads.")
    if n_jobs < 0:
        return max(1, numba.get_num_threads() + 1 + n_jobs)
    return int(n_jobs)


@contextmanager
def kernel_threads(n_jobs=None):
    """Yields the number of blocks kernels may split their work into; BLAS
    runs on one thread meanwhile when that is more than one.
    """
    n_blocks = resolve_n_jobs(n_jobs)
    if n_blocks < 2 or not threads_are_safe():
        yield 1
        return
    global _blas_controller
    if _blas_controller is None:
        from threadpoolctl import ThreadpoolController

        _blas_controller = ThreadpoolController()  # 3 ms: inspects the loaded libraries
    with _blas_controller.limit(limits=1, user_api="blas"):
        yield n_blocks
