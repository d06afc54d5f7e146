"""Type stub of the compiled counter (analysis/io/_count_targets.pyx)."""

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

BACKEND: str

def htslib_version() -> str: ...
def count_file(
    path: str,
    cram: bool,
    reference_fasta: str | None,
    chunks: list[tuple[list[str], npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]],
    exclude_flags: int,
    min_mapq: int,
    progress: Callable[[int], None] | None = None,
) -> list[npt.NDArray[np.int64]]: ...
