"""Typed input errors for the raw-file readers (pysam's generic errors, made specific).

Every class is an :class:`analysis.errors.InputError`, so callers that only
care about "this input cannot be used" catch that; the command line turns
them into one line of text naming file, line/record, field and the fix.
"""

from __future__ import annotations

from analysis.errors import InputError


class IndexMissingError(InputError):
    """A BAM/CRAM (or VCF queried by region) has no index beside it."""


class ReferenceMissingError(InputError):
    """A CRAM was given without the reference FASTA it was compressed against."""


class TruncatedFileError(InputError):
    """A BGZF/BAM/CRAM file ends early (missing EOF block or a corrupt block)."""


class ContigNotFoundError(InputError):
    """A contig named in one file (BED, VCF) is absent from another (BAM header), under any naming."""


class TumourColumnError(InputError):
    """A multi-sample VCF whose tumour column is missing or ambiguous."""


class SampleSheetError(InputError):
    """A sample-sheet row is unusable (missing file, unknown patient, duplicate id, bad value)."""


class DecompressionLimitError(InputError):
    """A compressed input decompresses past the size limit or the compression-ratio limit (a bomb)."""
