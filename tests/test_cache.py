"""numba's cached kernels are cleared when any source of the package changes."""

from skvae._cache import STAMP, clear_stale_kernels, sources_digest


def fake_package(root):
    (root / "sub").mkdir(parents=True)
    (root / "kernels.py").write_text("def f():\n    return 1\n")
    (root / "sub" / "math.py").write_text("ONE = 1.0\n")
    for folder in (root / "__pycache__", root / "sub" / "__pycache__"):
        folder.mkdir()
        (folder / "kernels.f-1.py311.nbi").write_bytes(b"index")
        (folder / "kernels.f-1.py311.1.nbc").write_bytes(b"code")
        (folder / "kernels.cpython-311.pyc").write_bytes(b"bytecode")


def cached(root):
    return sorted(p.name for p in root.rglob("*.nb?"))


def test_kernels_built_from_other_sources_are_deleted_and_others_kept(tmp_path):
    fake_package(tmp_path)
    assert clear_stale_kernels(tmp_path) == 4  # no stamp yet: nothing is known fresh
    assert cached(tmp_path) == []
    assert (tmp_path / "__pycache__" / "kernels.cpython-311.pyc").exists()
    assert (tmp_path / "__pycache__" / STAMP).read_text() == sources_digest(tmp_path)

    (tmp_path / "__pycache__" / "kernels.f-1.py311.nbi").write_bytes(b"fresh")
    assert clear_stale_kernels(tmp_path) == 0  # sources unchanged: the cache stays
    assert cached(tmp_path) == ["kernels.f-1.py311.nbi"]

    # a change in another module (an inlined helper, say) clears every folder
    (tmp_path / "sub" / "math.py").write_text("ONE = 1.0 + 0.0\n")
    assert clear_stale_kernels(tmp_path) == 1
    assert cached(tmp_path) == []


def test_the_digest_covers_every_source_and_its_path(tmp_path):
    fake_package(tmp_path)
    before = sources_digest(tmp_path)
    (tmp_path / "sub" / "math.py").rename(tmp_path / "sub" / "other.py")
    assert sources_digest(tmp_path) != before
