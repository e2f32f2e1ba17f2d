"""Keeps numba's cache of skvae's kernels in step with all of skvae's sources.

numba checks a cached kernel against the file that defines it, and no
other: a kernel that inlines code from another module (every likelihood
inlines ``_vector_math``; every kernel is compiled with ``_config``'s flags;
``block_range`` lives in ``_threads``) would load stale machine code after
that module changed. So on import a digest of every source file of the
package is compared with the one stored beside each cache folder; where
they differ, that folder's cached kernels are deleted and compile again.

This covers numba's default cache, in ``__pycache__`` beside the sources.
With ``NUMBA_CACHE_DIR`` set, or a read-only installation (numba then
caches in the user's cache folder), delete that folder by hand after
editing the sources.
"""

import hashlib
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
#: The file beside numba's cache files that holds the digest they were built from.
STAMP = "skvae-sources.sha256"


def sources_digest(package=PACKAGE):
    """SHA-256 of every ``.py`` file of the package, with its path."""
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def clear_stale_kernels(package=PACKAGE):
    """Delete the cached kernels built from other sources; returns how many."""
    digest = sources_digest(package)
    removed = 0
    for folder in sorted({path.parent / "__pycache__" for path in package.rglob("*.py")}):
        stamp = folder / STAMP
        try:
            if stamp.read_text() == digest:
                continue
        except OSError:
            pass
        try:
            for cached in [*folder.glob("*.nbi"), *folder.glob("*.nbc")]:
                cached.unlink(missing_ok=True)
                removed += 1
            folder.mkdir(exist_ok=True)
            stamp.write_text(digest)
        except OSError:  # read-only: numba caches elsewhere (see the module's docstring)
            pass
    return removed
