"""numba compilation flags for every kernel in skvae, kept in one place.

- ``cache=True``: a fresh process loads machine code from ``__pycache__``
  instead of compiling again (``_cache`` clears it when a source changes);
- ``nogil=True``: several threads may run inference on one model at once;
- ``fastmath`` off: it would let LLVM assume there are no NaN or inf, and
  the estimator relies on seeing them to stop a diverging fit. Two of its
  flags, which assume nothing about NaN or inf, are used where they help:
  ``contract`` in the elementwise math of ``_vector_math`` and ``reassoc``
  in sums (:data:`MATH_OPTIONS`, :data:`jit_sum`);
- ``error_model="numpy"``: a division by zero gives inf or NaN, as in
  numpy, instead of raising; the zero-divisor check that Python semantics
  need stops LLVM from vectorizing any loop with a division.

:data:`jit_threads` compiles the ``parallel=True`` twins that split work
between numba's threads (see ``_threads``). A serial kernel and its twin
are separate Python functions: numba's cache keys a function by its name
and line, not by its flags.
"""

import numba

from ._cache import clear_stale_kernels

clear_stale_kernels()

JIT_OPTIONS = {"nogil": True, "cache": True, "fastmath": False, "error_model": "numpy"}

jit = numba.njit(**JIT_OPTIONS)

#: For the elementwise math of ``_vector_math``: ``contract`` lets LLVM fuse
#: each multiply and add into one instruction (one rounding instead of two),
#: nothing more. ``forceinline`` puts them inside the caller's loop: a call
#: left in a loop stops it from being vectorized.
MATH_OPTIONS = {"error_model": "numpy", "fastmath": {"contract"}, "forceinline": True}
#: For sums whose terms may be added in any order: ``reassoc`` lets LLVM
#: keep one partial sum per vector lane, which it may not do otherwise, and
#: nothing more.
jit_sum = numba.njit(**{**JIT_OPTIONS, "fastmath": {"reassoc"}})
#: For small helpers called inside loops that should vectorize: LLVM always
#: inlines them.
jit_inline = numba.njit(**JIT_OPTIONS, forceinline=True)
#: For the kernels that split their work between threads (see ``_threads``).
jit_threads = numba.njit(parallel=True, **JIT_OPTIONS)
