"""Every decision of how skvae's work is split between threads.

Two thread pools can share a piece of skvae's work: numba's threads, which
run the ``parallel=True`` twin of a kernel on blocks of a product's columns
or rows, of Adam's parameters or of a likelihood's rows; and BLAS's own
threads (OpenBLAS, called by numba's gemm), which split one product inside
gemm. The kernel modules hold the math and its ``prange`` twin only; this
module decides, for each piece of work, how many blocks it becomes
(:func:`forward_blocks`, :func:`backward_blocks`, :func:`row_blocks`,
:func:`parameter_blocks`) and how many BLAS threads a product may use
(:func:`hold_blas_for`).

Small work runs on one thread, whatever ``n_jobs`` says. A second thread
gains nothing on it, and idle threads of either pool spin while they wait
for the next piece: alone that costs nothing, but when another process
holds a core the spinning threads take turns with it, and small fits ran
several times slower beside a second one (docs/performance.rst has the
figures). :func:`kernel_threads` holds BLAS to one thread for such products
whatever BLAS was set to, and to one thread for every product while numba's
threads run the blocks (the two pools would fight for the cores).

``n_jobs=None`` (the estimator's default) uses every numba thread when
numba's threading layer is TBB, which is safe under ``fork`` and shares the
cores with other pools, and one otherwise: numba's other layer here, GNU
OpenMP, terminates a process forked after its threads started at that
child's first parallel launch (anyone's, not only skvae's), so skvae does
not start its threads unasked. Installing the ``tbb`` package
(``pip install "skvae[tbb]"``) lets numba find TBB: its library is loaded
from the environment before numba's first parallel launch.

Threads are used only where numba's threading layer is known to be safe:

- from the main thread, so that concurrent calls from other threads (a
  joblib or dask worker's, say) run serially instead of multiplying threads;
- never in a process forked after GNU OpenMP started its threads in the
  parent (the check compares the process with the one that imported skvae);
- never on numba's ``workqueue`` layer, whose launches are too slow for the
  thousands of kernels an epoch runs.

Elsewhere the serial kernels run, and BLAS keeps the threads it is set to.
"""

import ctypes
import os
import site
import sys
import threading
from contextlib import contextmanager

import numba

from ._config import jit

_IMPORT_PID = os.getpid()

#: Blocks (of columns, rows or parameters) start on multiples of this many
#: elements (one AVX-512 register of float32), so that no thread starts
#: mid-vector.
BLOCK_ALIGN = 16

#: A product is split between threads (numba's or BLAS's) only where each
#: thread gets at least this many multiply-adds. Below about a million a
#: second BLAS thread did not make 100-row products faster; up to twice
#: that, a second thread still gained a little alone but made two fits side
#: by side several times slower (``asv_bench/contention.py``).
MIN_WORK_PER_THREAD = 1 << 21
#: A forward product with fewer inner terms than this stays on one thread:
#: it is bound by writing its output, not by arithmetic.
MIN_SPLIT_INNER = 64
#: A forward product with at least this many rows (inference's chunks, never
#: a training minibatch of usual size) is split by rows, each thread
#: computing whole rows, which ran faster than column blocks there.
ROW_SPLIT_ROWS = 1024
#: No block has fewer columns (or rows) than this.
MIN_BLOCK_COLUMNS = 16
#: A likelihood's rows stay on one thread below this many elements per thread.
MIN_ELEMENTS_PER_THREAD = 1 << 14
#: Adam's update stays on one thread below this many parameters per thread.
MIN_PARAMETERS_PER_THREAD = 1 << 16


@jit
def block_range(n, block, n_blocks, align=BLOCK_ALIGN):
    """``(start, stop)`` of block ``block`` of ``n_blocks`` near-equal parts of
    ``range(n)``, each starting on a multiple of ``align``."""
    per_block = -(-n // n_blocks)
    per_block = -(-per_block // align) * align
    start = min(block * per_block, n)
    return start, min(start + per_block, n)


def blocks_for(work, n_parts, n_blocks):
    """How many blocks of ``n_parts`` columns (or rows) a product of ``work``
    multiply-adds is worth."""
    return max(1, min(n_blocks, work // MIN_WORK_PER_THREAD, n_parts // MIN_BLOCK_COLUMNS))


def forward_blocks(n_rows, n_inner, n_cols, n_blocks):
    """``(blocks, by_rows)`` for the product of an ``(n_rows, n_inner)`` input
    by an ``(n_inner, n_cols)`` weight on up to ``n_blocks`` threads."""
    if n_inner < MIN_SPLIT_INNER:
        return 1, False
    by_rows = n_rows >= ROW_SPLIT_ROWS
    return blocks_for(n_rows * n_inner * n_cols, n_rows if by_rows else n_cols,
                      n_blocks), by_rows


def backward_blocks(n_rows, n_inner, n_cols, with_input_gradient, n_blocks):
    """``(weight blocks, input blocks)`` for a dense layer's backward pass on
    up to ``n_blocks`` threads, or None to run it serially.

    The weight gradient is split by its rows, the input gradient by its
    columns; with both, half of the threads (rounded down) take the weight
    gradient and the two run at once, as they are independent.
    """
    work = n_rows * n_inner * n_cols
    if n_blocks < 2 or work < MIN_WORK_PER_THREAD:
        return None
    if with_input_gradient:
        half = n_blocks // 2
        split = blocks_for(work, n_inner, half), blocks_for(work, n_inner, n_blocks - half)
    else:
        split = blocks_for(work, n_inner, n_blocks), 0
    return split if sum(split) > 1 else None


def row_blocks(out, n_blocks):
    """How many row blocks of ``out`` the likelihood kernels are worth."""
    return max(1, min(n_blocks, out.size // MIN_ELEMENTS_PER_THREAD, out.shape[0]))


def parameter_blocks(n_params, n_blocks):
    """How many blocks of ``n_params`` parameters an optimizer's update is worth."""
    return max(1, min(n_blocks, n_params // MIN_PARAMETERS_PER_THREAD))


def run_blocks(block_kernel, threads_kernel, n_blocks, *args):
    """``block_kernel(*args, 0, 1)`` on one thread, or ``threads_kernel(*args,
    n_blocks)`` with ``n_blocks`` above one."""
    if n_blocks > 1:
        threads_kernel(*args, n_blocks)
    else:
        block_kernel(*args, 0, 1)


# -- numba's threading layer --------------------------------------------------
_tbb_loaded = None


def _load_tbb():
    """Load the ``tbb`` package's library, when installed, so that numba can
    choose its TBB layer: pip puts it in the environment's ``lib/``, which is
    not on the loader's path. Done on import, before numba's first parallel
    launch in a process that imports skvae before launching any."""
    global _tbb_loaded
    if _tbb_loaded is not None:
        return _tbb_loaded
    _tbb_loaded = False
    name = {"darwin": "libtbb.12.dylib", "win32": "tbb12.dll"}.get(sys.platform, "libtbb.so.12")
    folders = [os.path.join(sys.prefix, "lib"), os.path.join(sys.prefix, "Library", "bin"),
               os.path.join(site.getuserbase(), "lib")]
    for folder in folders:
        path = os.path.join(folder, name)
        if os.path.exists(path):
            try:
                ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
            except OSError:
                continue
            _tbb_loaded = True
            break
    return _tbb_loaded


_load_tbb()


def _layer_loads(name):
    """Whether numba's threading layer ``name`` can be loaded here (without
    starting its threads)."""
    from numba.np.ufunc import parallel

    try:
        if name == "tbb":
            parallel._check_tbb_version_compatible()
            from numba.np.ufunc import tbbpool  # noqa: F401
        elif name == "omp":
            from numba.np.ufunc import omppool  # noqa: F401
        return True
    except ImportError:
        return False


#: The layer numba's first launch will choose, by numba's layer settings: a
#: prediction loads libraries (milliseconds), and nothing it reads changes
#: until that launch.
_predicted_layers = {}


def threading_layer():
    """numba's threading layer: the one running, or the one its first
    parallel launch will choose (as numba chooses it), without launching."""
    try:
        return numba.threading_layer()
    except ValueError:  # no parallel launch yet in this process
        pass
    key = str(numba.config.THREADING_LAYER).lower(), tuple(numba.config.THREADING_LAYER_PRIORITY)
    if key not in _predicted_layers:
        _predicted_layers[key] = _first_loadable_layer(*key)
    return _predicted_layers[key]


def _first_loadable_layer(choice, priority):
    candidates = {"default": priority, "safe": ["tbb"], "threadsafe": ["tbb", "omp"],
                  "forksafe": ["tbb", "omp", "workqueue"]}
    for name in candidates.get(choice, [choice]):
        if name == "workqueue" or _layer_loads(name):
            return name
    return "workqueue"


def threads_are_safe():
    """Whether numba's parallel kernels may be launched from here and now."""
    if threading.current_thread() is not threading.main_thread():
        return False
    layer = threading_layer()
    if layer == "workqueue":
        return False
    return layer != "omp" or os.getpid() == _IMPORT_PID


def resolve_n_jobs(n_jobs):
    """Threads for ``n_jobs``: None is every numba thread on the TBB layer and
    1 elsewhere, -1 every numba thread, -2 all but one."""
    if n_jobs is None:
        return numba.get_num_threads() if threading_layer() == "tbb" else 1
    if n_jobs == 0:
        raise ValueError("n_jobs == 0 has no meaning; use 1 for no threads, -1 for all of "
                         "numba's threads, or None to let skvae choose.")
    if n_jobs < 0:
        return max(1, numba.get_num_threads() + 1 + n_jobs)
    return int(n_jobs)


# -- BLAS's threads -------------------------------------------------------------
class _BlasPool:
    """BLAS's thread count as skvae holds it, product by product.

    ``most`` is the count a product large enough may use during the current
    :func:`kernel_threads` call (None: BLAS is not held, off the main
    thread); ``current`` the count last set.
    """

    def __init__(self):
        self._libraries = None
        self.most = None
        self.current = None

    def libraries(self):
        if self._libraries is None:
            from threadpoolctl import ThreadpoolController

            from . import _blas  # noqa: F401  (loads the BLAS that numba's gemm calls)

            self._libraries = ThreadpoolController().select(user_api="blas").lib_controllers
        return self._libraries

    def get(self):
        return min((lib.get_num_threads() or 1 for lib in self.libraries()), default=1)

    def set(self, n_threads):
        if n_threads != self.current:
            for lib in self.libraries():
                lib.set_num_threads(n_threads)
            self.current = n_threads


_blas = _BlasPool()


def blas_threads_for(work):
    """BLAS threads for a product of ``work`` multiply-adds in the current call."""
    return max(1, min(_blas.most, work // MIN_WORK_PER_THREAD))


def hold_blas_for(work):
    """Set BLAS's threads for the next product of ``work`` multiply-adds run
    on one of skvae's threads (nothing off the main thread)."""
    if _blas.most is not None:
        _blas.set(blas_threads_for(work))


@contextmanager
def kernel_threads(n_jobs=None):
    """Yields the number of blocks kernels may split their work into, and
    holds BLAS's threads product by product meanwhile (see the module's
    docstring); BLAS's setting is restored on leaving."""
    n_threads = resolve_n_jobs(n_jobs)
    if threading.current_thread() is not threading.main_thread():
        yield 1
        return
    n_blocks = n_threads if n_threads > 1 and threads_are_safe() else 1
    outer = _blas.most, _blas.current
    nested = outer[0] is not None  # inside another call's hold (validation in fit)
    before = _blas.current if nested else _blas.get()
    _blas.current = before
    # numba's blocks each run a one-thread gemm; serial kernels may give a
    # large product the threads BLAS was set to.
    _blas.most = 1 if n_blocks > 1 else (outer[0] if nested else before)
    if n_blocks > 1:
        _blas.set(1)
    try:
        yield n_blocks
    finally:
        _blas.set(before)
        _blas.most, _blas.current = outer
