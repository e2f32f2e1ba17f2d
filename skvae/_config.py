"""numba compilation flags for every kernel in skvae, kept in one place.

Kernels are compiled with ``cache=True`` so that a fresh process loads machine
code from ``__pycache__`` instead of compiling again, and with ``nogil=True`` so
that several threads may run inference on one fitted model at once.
``fastmath`` stays off: it would let LLVM assume there are no NaN or inf, and
the estimator relies on seeing them to stop a diverging fit.
``error_model="numpy"`` makes a division by zero give inf or NaN, as in numpy,
instead of raising: the check for a zero divisor that Python semantics need
stops LLVM from vectorizing any loop with a division. Adam's update of an
834k-parameter float32 buffer took 1.67 ms under the Python error model and
0.51 ms under numpy's.

Kernels are serial; OpenBLAS threads the matrix products. Measured on one
epoch of W (MNIST-sized, float32, 2 cores; see docs/performance.rst):
``parallel=True`` kernels next to OpenBLAS's own two threads took 6.2 s
against 2.6 s serial (the thread pools fight for the cores), and with BLAS
held to one thread 2.8-3.2 s. GNU OpenMP, numba's thread-safe layer here,
is also not fork-safe.

numba's cache does not notice a change of these flags alone: delete the
``*.nbi``/``*.nbc`` files in ``__pycache__`` after editing them.
"""

import numba

JIT_OPTIONS = {"nogil": True, "cache": True, "fastmath": False, "error_model": "numpy"}

jit = numba.njit(**JIT_OPTIONS)

