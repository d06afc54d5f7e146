"""Builds the one compiled extension, ``analysis.io._count_targets`` (Cython, against htslib).

Run by ``make`` (the ``.venv/.installed`` step) as ``python setup.py build_ext --inplace``; the
project itself is not installed as a package.  Needs Cython and setuptools (requirements.txt) and a
C compiler.

Which htslib (``HER2_HTSLIB=auto|system|pysam``, default auto):

* ``system``: the system htslib (Debian ``libhts-dev``, found by pkg-config or in /usr/include),
  the same library as the system samtools, built with libdeflate: BGZF decompression about 1.7x
  faster than pysam's bundled copy.
* ``pysam``: the htslib bundled inside the pysam wheel (its headers and its libchtslib), always
  available, decompressing with zlib.

auto takes system when its headers are installed, else pysam, and says which.  Counts are identical
either way (tests/io/test_coverage.py checks them against samtools and the per-target pysam method).
"""

import ctypes.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

from Cython.Build import cythonize
from setuptools import Extension, setup


def _system_htslib() -> dict | None:
    if shutil.which("pkg-config"):
        probe = subprocess.run(["pkg-config", "--cflags", "--libs", "htslib"], capture_output=True, text=True)
        if probe.returncode == 0:
            flags = probe.stdout.split()
            return {
                "include_dirs": [f[2:] for f in flags if f.startswith("-I")],
                "library_dirs": [f[2:] for f in flags if f.startswith("-L")],
                "libraries": [f[2:] for f in flags if f.startswith("-l")] or ["hts"],
            }
    if Path("/usr/include/htslib/sam.h").is_file() and ctypes.util.find_library("hts"):
        return {"include_dirs": [], "library_dirs": [], "libraries": ["hts"]}
    return None


def _pysam_htslib() -> dict:
    import pysam

    return {
        "include_dirs": pysam.get_include(),
        "define_macros": pysam.get_defines(),
        # htslib's symbols live in pysam's libchtslib extension module: link against that file.
        "extra_link_args": [lib for lib in pysam.get_libraries() if "libchtslib" in lib],
    }


choice = os.environ.get("HER2_HTSLIB", "auto")
if choice not in ("auto", "system", "pysam"):
    sys.exit(f"HER2_HTSLIB must be auto, system or pysam, not {choice!r}")
options = _system_htslib() if choice in ("auto", "system") else None
if options is None and choice == "system":
    sys.exit("HER2_HTSLIB=system but no system htslib headers found (Debian: apt-get install libhts-dev)")
backend = "system" if options is not None else "pysam"
if options is None:
    options = _pysam_htslib()
    print(
        "analysis.io._count_targets: building against pysam's bundled htslib (no system htslib headers; "
        "`apt-get install libhts-dev` gives the faster, libdeflate build)",
        file=sys.stderr,
    )
else:
    print("analysis.io._count_targets: building against the system htslib", file=sys.stderr)
options["define_macros"] = [*options.get("define_macros", []), ("HER2_HTSLIB_BACKEND", f'"{backend}"')]

extension = Extension("analysis.io._count_targets", ["analysis/io/_count_targets.pyx"], **options)

setup(
    name="her2-ctdna-dashboard-extensions",
    packages=[],
    py_modules=[],
    ext_modules=cythonize([extension], language_level=3, quiet=True, force=True),
)
