"""numba compilation flags for every kernel in skvae, kept in one place.

Kernels are compiled with ``cache=True`` so that a fresh process loads machine
code from ``__pycache__`` instead of compiling again, and with ``nogil=True`` so
that several threads may run inference on one fitted model at once.
``fastmath`` stays off: it would let LLVM assume there are no NaN or inf, and
the estimator relies on seeing them to stop a diverging fit.
"""

import numba

JIT_OPTIONS = {"nogil": True, "cache": True, "fastmath": False}

jit = numba.njit(**JIT_OPTIONS)
