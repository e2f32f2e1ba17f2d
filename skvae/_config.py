"""numba compilation flags for every kernel in skvae, kept in one place.

Kernels are compiled with ``cache=True`` so that a fresh process loads machine
code from ``__pycache__`` instead of compiling again, and with ``nogil=True`` so
that several threads may run inference on one fitted model at once.
``fastmath`` stays off: it would let LLVM assume there are no NaN or inf, and
the estimator relies on seeing them to stop a diverging fit.
``error_model="numpy"`` makes a division by zero give inf or NaN, as in numpy,
instead of raising: the check for a zero divisor that Python semantics need
stops LLVM from vectorizing any loop with a division. Adam's update of an
834k-parameter float32 buffer took 1.67 ms with it and 0.51 ms without.

Kernels are serial. With ``parallel=True`` kernels and OpenBLAS's own two
threads, one W epoch (MNIST-sized, float32) took 10.5 s against 5.7 s serial:
the two thread pools fight for the cores. Parallel kernels with BLAS held to
one thread took 3.9 s, but that needs a process-wide BLAS limit during fit and
a thread-safe numba threading layer; left for the performance work.

numba's cache does not notice a change of these flags alone: delete the
``*.nbi``/``*.nbc`` files in ``__pycache__`` after editing them.
"""

import numba

JIT_OPTIONS = {"nogil": True, "cache": True, "fastmath": False, "error_model": "numpy"}

jit = numba.njit(**JIT_OPTIONS)

