# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False, cdivision=True
"""Per-target read counting at C speed: one htslib multi-region pass, no Python work per read.

Built by ``make`` (``setup.py build_ext --inplace``, Cython); used by
:func:`analysis.io.coverage.count_reads`, whose docstring defines which reads count.  Compiled
against the system htslib when its headers are installed (Debian ``libhts-dev``: the htslib
samtools uses, with libdeflate), else against the htslib bundled in pysam (zlib, slower to
decompress); :data:`BACKEND` and :func:`htslib_version` say which.

:func:`count_sorted` takes targets sorted by (tid, start), all of positive length.  The
multi-region iterator (``sam_itr_regarray``, as ``samtools view -M``) returns each read once, in
file order, reading each BGZF block (CRAM container) once; each read then increments every target
it overlaps under htslib's region rule: its span [pos, bam_endpos) overlaps [start, end)
(``bam_endpos`` = pos + reference length, or pos + 1 when the CIGAR consumes no reference base or
the read is unmapped).  A sweep over the sorted targets keeps that to a few comparisons per read.
"""

from libc.stdint cimport int32_t, int64_t, uint8_t, uint16_t
from libc.stdlib cimport free, malloc

import numpy as np


cdef extern from "htslib/hts.h" nogil:
    ctypedef struct htsFile:
        pass
    ctypedef struct hts_idx_t:
        pass
    ctypedef struct hts_itr_t:
        pass
    ctypedef int64_t hts_pos_t
    enum: CRAM_OPT_REQUIRED_FIELDS
    htsFile *hts_open(const char *fn, const char *mode)
    int hts_close(htsFile *fp)
    int hts_set_fai_filename(htsFile *fp, const char *fn_aux)
    int hts_set_opt(htsFile *fp, int opt, ...)
    void hts_idx_destroy(hts_idx_t *idx)
    void hts_itr_destroy(hts_itr_t *iter)
    const char *hts_version()

cdef extern from "htslib/sam.h" nogil:
    ctypedef struct sam_hdr_t:
        pass
    ctypedef struct bam1_core_t:
        hts_pos_t pos
        int32_t tid
        uint8_t qual
        uint16_t flag
    ctypedef struct bam1_t:
        bam1_core_t core
    enum: SAM_RNAME, SAM_POS, SAM_FLAG, SAM_MAPQ, SAM_CIGAR
    sam_hdr_t *sam_hdr_read(htsFile *fp)
    void sam_hdr_destroy(sam_hdr_t *h)
    hts_idx_t *sam_index_load(htsFile *fp, const char *fn)
    hts_itr_t *sam_itr_regarray(const hts_idx_t *idx, sam_hdr_t *hdr, char **regarray, unsigned int regcount)
    int sam_itr_next(htsFile *htsfp, hts_itr_t *itr, bam1_t *r)
    hts_pos_t bam_endpos(const bam1_t *b)
    bam1_t *bam_init1()
    void bam_destroy1(bam1_t *b)

cdef extern from *:
    """
    #ifndef HER2_HTSLIB_BACKEND
    #define HER2_HTSLIB_BACKEND "unknown"
    #endif
    """
    const char *HER2_HTSLIB_BACKEND

#: Which htslib this module was compiled against: "system" or "pysam" (setup.py decides).
BACKEND = HER2_HTSLIB_BACKEND.decode()


def htslib_version():
    """Version of the htslib this module runs with."""
    return hts_version().decode()


cdef int64_t _first_of_tid(const int64_t[:] tids, int64_t n, int64_t tid) noexcept nogil:
    """Index of the first target with tids[i] >= tid (tids sorted)."""
    cdef int64_t lo = 0, hi = n, mid
    while lo < hi:
        mid = (lo + hi) // 2
        if tids[mid] < tid:
            lo = mid + 1
        else:
            hi = mid
    return lo


cdef class _Alignments:
    """An htslib handle, header and index, closed by :meth:`close`."""

    cdef htsFile *fp
    cdef sam_hdr_t *hdr
    cdef hts_idx_t *idx

    def __cinit__(self, str path, bint cram, object reference_fasta):
        cdef bytes name = path.encode()
        cdef const char *c_name = name
        cdef const char *mode = b"rc" if cram else b"rb"
        cdef bytes ref
        with nogil:
            self.fp = hts_open(c_name, mode)
        if self.fp == NULL:
            raise OSError(f"htslib cannot open {path}")
        if cram:
            if reference_fasta is None:
                raise ValueError("CRAM needs its reference FASTA")
            ref = str(reference_fasta).encode()
            if hts_set_fai_filename(self.fp, ref) != 0:
                raise OSError(f"htslib cannot use the reference {reference_fasta}")
            # Decode only what the filters and the read's span need (no sequence, qualities, tags).
            hts_set_opt(self.fp, CRAM_OPT_REQUIRED_FIELDS, SAM_RNAME | SAM_POS | SAM_FLAG | SAM_MAPQ | SAM_CIGAR)
        with nogil:
            self.hdr = sam_hdr_read(self.fp)
        if self.hdr == NULL:
            raise OSError(f"htslib cannot read the header of {path}")
        with nogil:
            self.idx = sam_index_load(self.fp, c_name)
        if self.idx == NULL:
            raise OSError(f"htslib cannot load the index of {path}")

    def close(self):
        if self.idx != NULL:
            hts_idx_destroy(self.idx)
            self.idx = NULL
        if self.hdr != NULL:
            sam_hdr_destroy(self.hdr)
            self.hdr = NULL
        if self.fp != NULL:
            hts_close(self.fp)
            self.fp = NULL

    def __dealloc__(self):
        self.close()


cdef int64_t _count_sorted(
    _Alignments alignments,
    list regions,
    const int64_t[:] tids,
    const int64_t[:] starts,
    const int64_t[:] ends,
    int64_t[:] out,
    int exclude_flags,
    int min_mapq,
) except -1:
    cdef int64_t n = tids.shape[0]
    if n == 0 or not regions:
        return 0
    if starts.shape[0] != n or ends.shape[0] != n or out.shape[0] != n:
        raise ValueError("tids, starts, ends and out must have the same length")
    cdef int64_t i
    for i in range(n):
        if ends[i] <= starts[i]:
            raise ValueError("zero-length targets must be left out (they never count a read)")
        if i > 0 and (tids[i] < tids[i - 1] or (tids[i] == tids[i - 1] and starts[i] < starts[i - 1])):
            raise ValueError("targets must be sorted by (tid, start)")

    # max_end[i] = max(ends[g..i]) over the targets g..i of i's contig: every target before the
    # sweep's low mark has ended at or before the current read's start, and so before every
    # later read's start (reads come sorted by position).
    cdef int64_t[:] max_end = np.empty(n, dtype=np.int64)
    for i in range(n):
        if i > 0 and tids[i] == tids[i - 1] and max_end[i - 1] > ends[i]:
            max_end[i] = max_end[i - 1]
        else:
            max_end[i] = ends[i]

    cdef list encoded = [r.encode() if isinstance(r, str) else bytes(r) for r in regions]
    cdef unsigned int n_regions = len(encoded)
    cdef char **region_array = <char **> malloc(n_regions * sizeof(char *))
    if region_array == NULL:
        raise MemoryError()
    cdef unsigned int k
    cdef bytes item
    for k in range(n_regions):
        item = encoded[k]
        region_array[k] = item  # kept alive by *encoded*

    cdef hts_itr_t *itr = NULL
    cdef bam1_t *b = NULL
    cdef int ret = 0
    cdef bint hit
    cdef int64_t counted = 0
    cdef int64_t cur_tid = -2, group_start = 0, group_end = 0, lo = 0, j
    cdef int64_t pos, endpos, last_pos = -1
    cdef int tid
    try:
        with nogil:
            itr = sam_itr_regarray(alignments.idx, alignments.hdr, region_array, n_regions)
        if itr == NULL:
            raise OSError("htslib could not build the multi-region iterator over the targets")
        b = bam_init1()
        if b == NULL:
            raise MemoryError()
        with nogil:
            while True:
                ret = sam_itr_next(alignments.fp, itr, b)
                if ret < 0:
                    break
                if (b.core.flag & exclude_flags) or b.core.qual < min_mapq:
                    continue
                tid = b.core.tid
                pos = b.core.pos
                if tid != cur_tid:
                    cur_tid = tid
                    group_start = _first_of_tid(tids, n, tid)
                    group_end = _first_of_tid(tids, n, tid + 1)
                    lo = group_start
                elif pos < last_pos:  # never in a sorted file; stays exact anyway
                    lo = group_start
                last_pos = pos
                endpos = bam_endpos(b)
                while lo < group_end and max_end[lo] <= pos:
                    lo += 1
                j = lo
                hit = False
                while j < group_end and starts[j] < endpos:
                    if ends[j] > pos:
                        out[j] += 1
                        hit = True
                    j += 1
                counted += hit
        if ret < -1:
            raise OSError(f"htslib read error {ret}: truncated or corrupt file")
    finally:
        if b != NULL:
            bam_destroy1(b)
        if itr != NULL:
            hts_itr_destroy(itr)
        free(region_array)
    return counted


def count_file(
    str path,
    bint cram,
    object reference_fasta,
    list chunks,
    int exclude_flags,
    int min_mapq,
    object progress=None,
):
    """Open *path* once and count each chunk of targets; one int64 array per chunk.

    Releases the GIL while htslib opens, seeks and reads and while reads are counted, so that
    several threads, each with its own call (and so its own file handle), count on several cores.

    Each chunk is ``(regions, tids, starts, ends)``: htslib region strings (``{contig}:beg-end``,
    1-based inclusive) covering every target of the chunk (they may be wider: each read is
    tested against the exact targets here), and the targets sorted by (tid, start), tids as in
    the file's header.  A read overlapping targets of two chunks is counted in both.  *progress*,
    when given, is called with each chunk's number of targets once it is done.  Raises OSError
    when htslib cannot open the file or reports a read error (truncated or corrupt file).
    """
    alignments = _Alignments(path, cram, reference_fasta)
    results = []
    try:
        for regions, tids, starts, ends in chunks:
            out = np.zeros(len(tids), dtype=np.int64)
            _count_sorted(alignments, regions, tids, starts, ends, out, exclude_flags, min_mapq)
            results.append(out)
            if progress is not None:
                progress(len(out))
    finally:
        alignments.close()
    return results
