"""numba compilation flags for every kernel in skvae, kept in one place.

Kernels are compiled with ``cache=True`` so that a fresh process loads machine
code from ``__pycache__`` instead of compiling again, and with ``nogil=True`` so
that several threads may run inference on one fitted model at once.
``fastmath`` stays off: it would let LLVM assume there are no NaN or inf, and
the estimator relies on seeing them to stop a diverging fit. Two of its
flags, which assume nothing about NaN or inf, are used where they were
measured to help: ``contract`` in the elementwise math of ``_vector_math``
and ``reassoc`` in sums (:data:`MATH_OPTIONS`, :data:`jit_sum`).
``error_model="numpy"`` makes a division by zero give inf or NaN, as in numpy,
instead of raising: the check for a zero divisor that Python semantics need
stops LLVM from vectorizing any loop with a division. Adam's update of an
834k-parameter float32 buffer took 1.67 ms under the Python error model and
0.51 ms under numpy's.

Most kernels are serial. The dense layers, Adam and the likelihoods (but
the unit-variance Gaussian's) also come as ``parallel=True`` twins
(:data:`jit_threads`) that split the work into blocks (of columns, rows or
parameters), one per thread, each product with a one-thread gemm (see
``_blas`` and ``_threads``); ``parallel=True`` kernels next to OpenBLAS's
own threads were far slower (6.2 s per epoch of W against 2.6 s serial:
the thread pools fight for the cores), so BLAS is held to one thread while
they run. A serial twin and a parallel one are separate Python functions:
numba's cache keys a function by its name and line, not by its flags.

numba's cache does not notice a change of these flags alone: delete the
``*.nbi``/``*.nbc`` files in ``__pycache__`` after editing them.
"""

import numba

JIT_OPTIONS = {"nogil": True, "cache": True, "fastmath": False, "error_model": "numpy"}

jit = numba.njit(**JIT_OPTIONS)

#: For the elementwise math of ``_vector_math``: ``contract`` lets LLVM fuse
#: each multiply and add into one instruction (one rounding instead of two),
#: nothing more; exp took 0.27 ns per float32 element with it, 0.45 without.
#: ``forceinline`` puts them inside the caller's loop: left as a call (as
#: float64 softplus, two polynomials long, was), a loop is not vectorized.
MATH_OPTIONS = {"error_model": "numpy", "fastmath": {"contract"}, "forceinline": True}
#: For sums whose terms may be added in any order: ``reassoc`` lets LLVM
#: keep one partial sum per vector lane, which it may not do otherwise, and
#: nothing more. A Bernoulli likelihood kernel took 79 us per 100 x 784
#: minibatch with it against 109-116 with a plain or four-way unrolled sum.
jit_sum = numba.njit(**{**JIT_OPTIONS, "fastmath": {"reassoc"}})
#: For small helpers called inside loops that should vectorize: LLVM always
#: inlines them (a call left in a loop stops its vectorization).
jit_inline = numba.njit(**JIT_OPTIONS, forceinline=True)
#: For the kernels that split their work between threads (see ``_threads``).
jit_threads = numba.njit(parallel=True, **JIT_OPTIONS)

