"""VCF/BCF reader (pysam): one tumour column of a somatic VCF -> the tidy variants table.

What is read, per record and alternate allele:

* **tumour column**: by name when given; else the only sample; else the
  ``##tumor_sample=`` header (Mutect2); else a column named TUMOR/TUMOUR; else
  the column named like the sample id; else the non-normal one of a pair
  named by ``##normal_sample=``.  Anything else is ambiguous and refused.
* **read counts**: ``AD`` (ref, alt...); VarScan's ``AD`` declared ``Number=1``
  (alt depth only) with ``RD`` as ref depth; Strelka SNV tier-1 ``AU/CU/GU/TU``;
  Strelka indel tier-1 ``TAR``/``TIR``.
* **depth**: ``DP`` of the tumour column, else ref + alt.
* **VAF**: alt / (ref + alt) from the counts above (the schema's definition);
  when there are no counts, ``AF``/``FA`` (per alt) or VarScan's ``FREQ`` (``38.5%``).
* **FILTER**: records whose FILTER is in *keep_filters* (default PASS) are
  kept; ``.`` (no filter applied) counts as passing, and the summary says so.
* **annotation**: VEP ``CSQ`` (the CANONICAL=YES transcript of the allele
  first) or SnpEff ``ANN`` (first entry of the allele); an unannotated VCF
  takes its gene from the panel BED.
"""

from __future__ import annotations

import contextlib
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pysam

from analysis import schema
from analysis.alterations import maf_class_from_consequence
from analysis.errors import InputError
from analysis.io.bed import strip_chr
from analysis.io.compressed import gunzip_to_temporary, is_gzip, open_gzip
from analysis.io.errors import TruncatedFileError, TumourColumnError
from analysis.io.maf import normalise_protein_change

#: The 28-byte empty block that ends every well-formed BGZF file (SAM/BAM spec 4.1.2).
BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")

_TUMOUR_NAMES = ("TUMOR", "TUMOUR", "T", "TUMOR_SAMPLE")
_NORMAL_NAMES = ("NORMAL", "N", "GERMLINE", "NORMAL_SAMPLE")


@dataclass(frozen=True)
class VcfReadResult:
    """What :func:`read_vcf` read.

    Attributes
    ----------
    variants
        Columns of :data:`analysis.schema.VARIANTS`, then ``filter`` (the
        record's FILTER, ``;``-joined, ``.`` when none was applied).
    n_records
        VCF records read (before splitting multi-allelic records).
    filtered
        Rows left out, by reason (e.g. ``"FILTER REJECT": 495``).
    tumour_column
        The sample column read.
    notes
        Things done that a user should know (naming, header quirks).
    """

    variants: pd.DataFrame
    n_records: int
    filtered: dict[str, int]
    tumour_column: str | None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def summary(self) -> pd.DataFrame:
        """Columns ``reason``, ``rows``: kept rows first, then each filter reason."""
        rows = [("kept", len(self.variants))] + sorted(self.filtered.items())
        return pd.DataFrame(rows, columns=["reason", "rows"])


def is_bgzf(path: Path) -> bool:
    """True when *path* starts with a BGZF block header (gzip with the ``BC`` extra field)."""
    with open(path, "rb") as handle:
        head = handle.read(18)
    return len(head) >= 14 and head[:2] == b"\x1f\x8b" and bool(head[3] & 4) and head[12:14] == b"BC"


def is_plain_gzip(path: Path) -> bool:
    """True for gzip that is not BGZF (``gzip file.vcf`` instead of ``bgzip``)."""
    with open(path, "rb") as handle:
        head = handle.read(2)
    return head == b"\x1f\x8b" and not is_bgzf(path)


def check_bgzf_eof(path: Path, what: str = "file") -> None:
    """Raise :class:`TruncatedFileError` when a BGZF file lacks its end-of-file block."""
    size = path.stat().st_size
    with open(path, "rb") as handle:
        handle.seek(max(0, size - len(BGZF_EOF)))
        tail = handle.read()
    if tail != BGZF_EOF:
        raise TruncatedFileError(
            f"{what} is truncated: the BGZF end-of-file block is missing (an interrupted copy or "
            "download). Copy or re-create the file (bgzip / samtools) and try again.",
            path=str(path),
            field="BGZF EOF",
        )


@contextlib.contextmanager
def _open_variant_file(path: Path) -> Iterator[tuple[pysam.VariantFile, list[str]]]:
    notes: list[str] = []
    with contextlib.ExitStack() as stack:
        source = str(path)
        if is_plain_gzip(path):
            # htslib cannot open plain gzip VCFs (it needs BGZF to seek): decompress, with limits, into a
            # temporary file that has no name on disk (nothing is left behind, even by a kill -9).
            source = stack.enter_context(gunzip_to_temporary(path))
            notes.append(f"{path.name}: plain gzip, not BGZF; read by decompressing (bgzip it to index it).")
        elif is_bgzf(path):
            check_bgzf_eof(path, "VCF")
        previous = pysam.set_verbosity(0)  # htslib's header warnings are collected as notes instead
        stack.callback(pysam.set_verbosity, previous)
        try:
            handle = pysam.VariantFile(source)
        except (OSError, ValueError) as exc:
            raise InputError(
                f"not a readable VCF/BCF ({exc}); check that it is a VCF.", path=str(path)
            ) from None
        stack.callback(handle.close)
        yield handle, notes


def choose_tumour_column(
    samples: list[str],
    header: pysam.VariantHeader,
    *,
    path: str,
    line: int | None = None,
    tumour_column: str | None = None,
    sample_id: str | None = None,
) -> str:
    """The sample column holding the tumour (see the module docstring for the order of rules).

    Raises
    ------
    TumourColumnError
        No sample column, the named column is absent, or the choice is ambiguous.
    """
    if tumour_column:
        if tumour_column in samples:
            return tumour_column
        raise TumourColumnError(
            f"tumour column {tumour_column!r} is not in the VCF; its sample columns are "
            f"{', '.join(samples) or 'none'}. Put one of them in the sample sheet's tumour_column column.",
            path=path,
            line=line,
            field="#CHROM",
        )
    if not samples:
        raise TumourColumnError(
            "the VCF has no sample (genotype) columns, so there is no tumour column to "
            "read VAF from; give the caller's per-sample VCF.",
            path=path,
            line=line,
            field="#CHROM",
        )
    if len(samples) == 1:
        return samples[0]
    meta = {
        rec.key.lower(): rec.value for rec in header.records if rec.key is not None and rec.value is not None
    }
    tagged = meta.get("tumor_sample") or meta.get("tumour_sample")
    if tagged in samples:
        return tagged
    named = [s for s in samples if s.upper() in _TUMOUR_NAMES]
    if len(named) == 1:
        return named[0]
    if sample_id and sample_id in samples:
        return sample_id
    normal = meta.get("normal_sample")
    normals = [s for s in samples if s == normal or s.upper() in _NORMAL_NAMES]
    others = [s for s in samples if s not in normals]
    if normals and len(others) == 1:
        return others[0]
    raise TumourColumnError(
        f"cannot tell which of the sample columns {', '.join(samples)} is the tumour; "
        "name it in the sample sheet's tumour_column column.",
        path=path,
        line=line,
        field="#CHROM",
    )


def chrom_line_number(path: Path) -> int | None:
    """1-based line of the ``#CHROM`` header in a text VCF (plain or gzip); None for BCF or when absent."""
    opener = open_gzip if is_gzip(path) else open
    try:
        with opener(path, "rt", encoding="utf-8", errors="replace") as handle:
            for number, line in enumerate(handle, start=1):
                if line.startswith("#CHROM"):
                    return number
                if not line.startswith("#"):
                    return None
    except (OSError, EOFError, TruncatedFileError):
        return None
    return None


def _header_number(header: pysam.VariantHeader, key: str) -> str | None:
    if key not in header.formats:
        return None
    return str(header.formats[key].number)


def _first(value):
    if isinstance(value, tuple):
        return value[0] if value else None
    return value


def _allele_counts(
    call, ref: str, alt: str, alt_index: int, ad_number: str | None
) -> tuple[int | None, int | None]:
    """(ref reads, alt reads) for one alternate allele, from whichever fields this caller writes."""
    keys = call.keys()
    if "AD" in keys and call["AD"] is not None:
        ad = call["AD"]
        if isinstance(ad, tuple) and len(ad) > alt_index and ad_number != "1":
            ref_n, alt_n = ad[0], ad[alt_index]
            if ref_n is not None and alt_n is not None:
                return int(ref_n), int(alt_n)
        # VarScan writes AD as the alternate depth alone (Number=1) and RD as the reference depth.
        alt_n = _first(ad)
        ref_n = _first(call["RD"]) if "RD" in keys else None
        if alt_n is not None and ref_n is not None:
            return int(ref_n), int(alt_n)
    if len(ref) == 1 and len(alt) == 1 and f"{ref}U" in keys and f"{alt}U" in keys:
        ref_n, alt_n = _first(call[f"{ref}U"]), _first(call[f"{alt}U"])  # Strelka SNV, tier 1
        if ref_n is not None and alt_n is not None:
            return int(ref_n), int(alt_n)
    if "TAR" in keys and "TIR" in keys:
        ref_n, alt_n = _first(call["TAR"]), _first(call["TIR"])  # Strelka indel, tier 1
        if ref_n is not None and alt_n is not None:
            return int(ref_n), int(alt_n)
    return None, None


def _fraction_field(call, alt_index: int) -> float | None:
    keys = call.keys()
    for key in ("AF", "FA"):
        if key in keys and call[key] is not None:
            value = call[key]
            if isinstance(value, tuple):
                value = value[alt_index - 1] if len(value) >= alt_index else None
            if value is not None:
                return float(value)
    if "FREQ" in keys and call["FREQ"] is not None:
        text = str(_first(call["FREQ"])).strip()
        try:
            return float(text.rstrip("%")) / (100.0 if text.endswith("%") else 1.0)
        except ValueError:
            return None
    return None


def _annotation_parser(header: pysam.VariantHeader) -> tuple[str | None, list[str]]:
    for key in ("CSQ", "ANN"):
        if key in header.info:
            description = header.info[key].description or ""
            match = (
                re.search(r"Format:\s*'?([^'\"]+)", description)
                if key == "CSQ"
                else re.search(r"'([^']+)'", description)
            )
            if match:
                return key, [f.strip() for f in match.group(1).split("|")]
    return None, []


def _allele_matches(annotated: str, ref: str, alt: str) -> bool:
    if annotated == alt:
        return True
    # VEP and SnpEff drop the shared first base of indels and write "-" for a pure deletion.
    if len(ref) != len(alt) and ref[:1] == alt[:1]:
        return annotated == (alt[1:] or "-")
    return False


def _annotate(
    record, key: str | None, fields: list[str], ref: str, alt: str
) -> tuple[str | None, str | None, str | None]:
    """(gene, protein change, Variant_Classification) of one allele from CSQ or ANN."""
    if key is None or key not in record.info:
        return None, None, None
    entries = [dict(zip(fields, str(text).split("|"), strict=False)) for text in record.info[key]]
    if key == "CSQ":
        mine = [e for e in entries if _allele_matches(e.get("Allele", ""), ref, alt)] or entries
        mine.sort(key=lambda e: e.get("CANONICAL", "") != "YES")
        gene_key, protein_key, consequence_key = "SYMBOL", "HGVSp", "Consequence"
    else:
        mine = [e for e in entries if _allele_matches(e.get("Allele", ""), ref, alt)] or entries
        gene_key, protein_key, consequence_key = "Gene_Name", "HGVS.p", "Annotation"
    if not mine:
        return None, None, None
    best = mine[0]
    protein = best.get(protein_key) or None
    if protein and ":" in protein:
        protein = protein.split(":", 1)[1]  # VEP prefixes the protein id (ENSP...:p.Ser310Phe)
    protein = protein.replace("%3D", "=") if protein else None
    classification = maf_class_from_consequence(best.get(consequence_key) or None, ref, alt)
    return best.get(gene_key) or None, protein, classification


def _panel_gene(panel: pd.DataFrame | None, chromosome: str, position: int) -> str | None:
    if panel is None or panel.empty:
        return None
    bare = panel["chromosome"].astype(str).map(strip_chr)
    hit = panel[(bare == strip_chr(chromosome)) & (panel["start"] < position) & (panel["end"] >= position)]
    genes = hit["gene"].dropna()
    return str(genes.iloc[0]) if len(genes) else None


def read_vcf(
    path: str | Path,
    *,
    sample_id: str | None = None,
    tumour_column: str | None = None,
    keep_filters: tuple[str, ...] | None = ("PASS",),
    panel: pd.DataFrame | None = None,
) -> VcfReadResult:
    """Read one sample's variants from a VCF/BCF (plain, BGZF or plain-gzip).

    Parameters
    ----------
    path
        ``.vcf``, ``.vcf.gz`` (BGZF or plain gzip) or ``.bcf``.
    sample_id
        The study's sample id written into ``sample_id`` (default: the tumour
        column's name); also used to find the tumour column by name.
    tumour_column
        The sample column to read; default chosen as the module docstring says.
    keep_filters
        FILTER values kept (default ``("PASS",)``); ``None`` keeps every record.
        Records with no filter applied (``.``) are always kept.
    panel
        Panel table from :func:`analysis.io.bed.read_bed`, used for the gene of
        records the VCF does not annotate.

    Returns
    -------
    VcfReadResult
        ``variants`` (one row per record and alternate allele, chromosome
        without ``chr``), counts read and filtered, the tumour column, notes.

    Raises
    ------
    InputError
        Missing or unreadable file; :class:`TumourColumnError` for no or an
        ambiguous tumour column; :class:`TruncatedFileError` for truncated BGZF/gzip.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("VCF file not found; check the path in the sample sheet.", path=str(path))
    filtered: Counter[str] = Counter()
    rows: list[dict] = []
    with _open_variant_file(path) as (handle, notes):
        header = handle.header
        declared = set(header.contigs)
        samples = list(header.samples)
        body_line = chrom_line_number(path) or 0
        column = choose_tumour_column(
            samples,
            header,
            path=str(path),
            line=body_line or None,
            tumour_column=tumour_column,
            sample_id=sample_id,
        )
        ad_number = _header_number(header, "AD")
        if ad_number == "1":
            notes.append(
                f"{path.name}: FORMAT AD is declared Number=1 (VarScan style); read as the alternate "
                "depth, with RD as the reference depth."
            )
        annotation_key, annotation_fields = _annotation_parser(header)
        undeclared: set[str] = set()
        unfiltered = 0
        n_records = 0
        negative_counts: list[int] = []
        try:
            for record in handle:
                n_records += 1
                if record.contig not in declared:
                    undeclared.add(record.contig)
                # pysam stub types FILTER keys as int | str (lookup accepts an index); the keys are the names.
                filters: list[str] = list(record.filter.keys())  # type: ignore[arg-type]
                if not filters:
                    unfiltered += 1
                elif keep_filters is not None and not set(filters) <= set(keep_filters):
                    filtered[f"FILTER {';'.join(filters)}"] += len(record.alts or ()) or 1
                    continue
                alts = record.alts or ()
                if not alts:
                    filtered["no alternate allele"] += 1
                    continue
                call = record.samples[column]
                ref = record.ref
                assert ref is not None  # the record has alternate alleles, so it has a REF allele
                for alt_index, alt in enumerate(alts, start=1):
                    if alt in ("*", "<*>", "<NON_REF>"):
                        filtered["symbolic alternate allele"] += 1
                        continue
                    ref_n, alt_n = _allele_counts(call, ref, alt, alt_index, ad_number)
                    depth = _first(call["DP"]) if "DP" in call else None
                    if (ref_n is not None and ref_n < 0) or (alt_n is not None and alt_n < 0):
                        negative_counts.append(body_line + n_records)
                        ref_n = alt_n = None
                    if depth is not None and depth < 0:
                        negative_counts.append(body_line + n_records)
                        depth = None
                    if depth is None and ref_n is not None and alt_n is not None:
                        depth = ref_n + alt_n
                    vaf: float | None
                    if ref_n is not None and alt_n is not None and ref_n + alt_n > 0:
                        vaf = alt_n / (ref_n + alt_n)
                    else:
                        vaf = _fraction_field(call, alt_index)
                    gene, protein, classification = _annotate(
                        record, annotation_key, annotation_fields, ref, alt
                    )
                    if gene is None:
                        gene = _panel_gene(panel, record.contig, record.pos)
                    rows.append(
                        {
                            "sample_id": sample_id or column,
                            "gene": gene,
                            "chromosome": strip_chr(record.contig),
                            "start_position": record.pos,
                            "reference_allele": ref,
                            "tumor_seq_allele": alt,
                            "variant_classification": classification,
                            "protein_change": protein,
                            "t_ref_count": ref_n,
                            "t_alt_count": alt_n,
                            "depth": depth,
                            "vaf": vaf,
                            "filter": ";".join(filters) or ".",
                        }
                    )
        except OSError as exc:
            raise TruncatedFileError(
                f"reading stopped after {n_records} records ({exc}); the file is truncated "
                "or corrupt: re-create it.",
                path=str(path),
                line=body_line + n_records + 1,
            ) from None
        except ValueError as exc:
            raise InputError(
                f"record {n_records + 1} cannot be parsed ({exc}); fix or remove that line.",
                path=str(path),
                line=body_line + n_records + 1,
            ) from None
    if negative_counts:
        lines = sorted(set(negative_counts))
        notes.append(
            f"{path.name}: {len(lines)} record(s) with negative read counts (AD or DP; line(s) "
            f"{', '.join(map(str, lines[:10]))}{', ...' if len(lines) > 10 else ''}): those counts are read as missing."
        )
    if undeclared:
        notes.append(
            f"{path.name}: contig(s) {', '.join(sorted(undeclared, key=_contig_key))} are used but not "
            "declared in the header; read anyway."
        )
    if unfiltered:
        notes.append(f"{path.name}: {unfiltered} record(s) have no FILTER applied ('.') and were kept.")
    if any(str(c).lower().startswith("chr") for c in declared | undeclared):
        notes.append(f"{path.name}: 'chr' prefix removed from chromosome names.")
    variants = (
        pd.DataFrame(rows) if rows else schema.VARIANTS.empty().assign(filter=pd.Series(dtype="string"))
    )
    if rows:
        variants["protein_change"] = normalise_protein_change(variants["protein_change"])
    variants = schema.VARIANTS.conform(variants)
    return VcfReadResult(variants, n_records, dict(filtered), column, tuple(notes))


def _contig_key(name: str) -> tuple[int, str]:
    bare = strip_chr(name)
    return (int(bare), "") if bare.isdigit() else (10_000, bare)
