"""Which file of a study folder holds what: cBioPortal's own rules, then the names real studies use.

A data file is found, in this order:

1. **Meta files** (``meta_*.txt``): ``data_filename`` names the file and
   ``genetic_alteration_type`` / ``datatype`` say what it holds, exactly as cBioPortal reads them.
2. **File names** that real studies use without a meta file (``data_clinical_patients.txt``,
   ``data_samples.txt``, ``data_mutations_extended.txt``, ``*.maf``, ``data_CNA.txt``,
   ``data_sv.txt``, ``data_gene_panel_matrix.txt``, ``*.seg``, ...; see :data:`NAME_PATTERNS`).
3. **Content**: a table whose header is a MAF's, a SEG file's or a clinical file's is read as such,
   and the listing says so ("looks like a MAF but no meta file: read as MAF").

Every file in the folder gets a :class:`FileEntry`: what it was read as and how that was decided,
or why it was not read. Nothing in the folder is ignored in silence.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from analysis.errors import InputError
from analysis.validation import ValidationReport

#: Roles that hold one file; a second candidate is listed as not read, with the reason.
SINGLE_ROLES = ("patient", "sample", "mutations", "cna_discrete", "cna_discrete_long", "cna_log2",
                "cna_continuous", "gene_panel_matrix")
#: Roles that may hold several files.
MULTI_ROLES = ("timeline", "seg", "structural_variants", "gene_panel", "case_list")

#: What each role is, in words for the file listing.
ROLE_LABELS = {
    "patient": "patient clinical attributes",
    "sample": "sample clinical attributes",
    "timeline": "timeline events",
    "mutations": "mutations (MAF)",
    "cna_discrete": "discrete copy number (gene x sample)",
    "cna_discrete_long": "discrete copy number (long format)",
    "cna_log2": "log2 copy ratio (gene x sample)",
    "cna_continuous": "continuous copy number (gene x sample)",
    "seg": "copy-number segments (SEG)",
    "structural_variants": "structural variants / fusions",
    "gene_panel_matrix": "gene-panel matrix (which panel profiled each sample)",
    "gene_panel": "gene-panel definition",
    "case_list": "case list",
    "meta": "meta file",
}

#: (genetic_alteration_type, datatype) -> role, as cBioPortal defines them.
META_KINDS: dict[tuple[str, str], str] = {
    ("CLINICAL", "PATIENT_ATTRIBUTES"): "patient",
    ("CLINICAL", "SAMPLE_ATTRIBUTES"): "sample",
    ("CLINICAL", "TIMELINE"): "timeline",
    ("MUTATION_EXTENDED", "MAF"): "mutations",
    ("COPY_NUMBER_ALTERATION", "DISCRETE"): "cna_discrete",
    ("COPY_NUMBER_ALTERATION", "DISCRETE_LONG"): "cna_discrete_long",
    ("COPY_NUMBER_ALTERATION", "LOG2-VALUE"): "cna_log2",
    ("COPY_NUMBER_ALTERATION", "CONTINUOUS"): "cna_continuous",
    ("COPY_NUMBER_ALTERATION", "SEG"): "seg",
    ("STRUCTURAL_VARIANT", "SV"): "structural_variants",
    ("FUSION", "FUSION"): "structural_variants",
    ("GENE_PANEL_MATRIX", "GENE_PANEL_MATRIX"): "gene_panel_matrix",
}

#: Alteration types of which this tool reads some datatypes (others of them are "not one this tool reads").
META_KINDS_ALTERATIONS = frozenset(a for a, _ in META_KINDS)

#: genetic_alteration_type of data types this tool does not use -> what they are.
UNUSED_KINDS = {
    "MRNA_EXPRESSION": "mRNA expression",
    "PROTEIN_LEVEL": "protein levels (RPPA / mass spectrometry)",
    "METHYLATION": "DNA methylation",
    "GENERIC_ASSAY": "generic assay (treatment response, mutational signatures, ...)",
    "GENESET_SCORE": "gene-set scores (GSVA)",
    "GISTIC_GENES_AMP": "GISTIC amplification peaks",
    "GISTIC_GENES_DEL": "GISTIC deletion peaks",
    "MUTSIG": "MutSig significance",
    "CANCER_TYPE": "cancer-type definitions",
    "MUTATION_UNCALLED": "uncalled mutations",
}

#: File-name patterns (lower-cased full match) -> role, for files no meta file names.
NAME_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"data_clinical_patients?\.txt|data_patients?\.txt", "patient"),
    (r"data_clinical_samples?\.txt|data_samples?\.txt|data_clinical\.txt", "sample"),
    (r"data_timeline.*\.txt", "timeline"),
    (r"data_mutations?(_extended|_mskcc|_uniprot)?\.(txt|maf)|.*\.maf(\.txt)?", "mutations"),
    (r"data_gene_panel_matrix\.txt", "gene_panel_matrix"),
    (r"data_gene_panel_.*\.txt", "gene_panel"),
    (r"data_(sv|structural_variants?|fusions?)\.txt", "structural_variants"),
    (r".*\.seg|data_.*_seg\.txt", "seg"),
    (r"data_(cna_)?log2(_cna)?\.txt|data_log2cna\.txt", "cna_log2"),
    (r"data_(linear|continuous)_cna\.txt|data_cna_(linear|continuous)\.txt", "cna_continuous"),
    (r"data_cna_long\.txt", "cna_discrete_long"),
    (r"data_cna.*\.txt", "cna"),  # discrete, long or log2: decided by content
)

_MAF_HEADER = {"HUGO_SYMBOL", "TUMOR_SAMPLE_BARCODE", "VARIANT_CLASSIFICATION"}
_CNA_LONG_HEADER = {"HUGO_SYMBOL", "SAMPLE_ID", "VALUE"}
_DISCRETE_VALUES = {"-2", "-1.5", "-1", "0", "1", "2"}


@dataclass(frozen=True)
class FileEntry:
    """One file of the folder: what it was read as (``role``), how that was decided, or why not read."""

    file: str
    role: str | None
    found_by: str
    reason: str = ""

    @property
    def read(self) -> bool:
        return self.role is not None and self.role != "meta"


@dataclass
class StudyFiles:
    """The study folder's files by role, and a listing of every file."""

    folder: Path
    meta_study: dict[str, str] = field(default_factory=dict)
    paths: dict[str, list[Path]] = field(default_factory=dict)
    entries: list[FileEntry] = field(default_factory=list)
    meta_of: dict[Path, dict[str, str]] = field(default_factory=dict)

    def one(self, role: str) -> Path | None:
        found = self.paths.get(role, [])
        return found[0] if found else None

    def all(self, role: str) -> list[Path]:
        return list(self.paths.get(role, []))

    @property
    def unread(self) -> list[FileEntry]:
        return [e for e in self.entries if e.role is None]

    def mark_unread(self, path: Path, reason: str) -> None:
        """A file that was assigned a role but turned out unusable (said by its reader)."""
        name = self._name(path)
        self.entries = [FileEntry(e.file, None, e.found_by, reason) if e.file == name else e for e in self.entries]
        for role, paths in self.paths.items():
            self.paths[role] = [p for p in paths if p != path]

    def _name(self, path: Path) -> str:
        return path.relative_to(self.folder).as_posix()


#: Largest meta or case-list file read (bytes); real ones are a few kB (a case list of 100,000 ids ~ 2 MB).
MAX_META_BYTES = 16 << 20


def read_small_regular_file(path: Path, limit: int) -> bytes:
    """The bytes of *path*, which must be a regular file of at most *limit* bytes.

    Opened without blocking and checked on the open descriptor, so a pipe (FIFO) never hangs the
    reader and a link to ``/dev/zero`` is never read.

    Raises
    ------
    InputError
        Not a regular file, or larger than *limit*.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise InputError(f"cannot be opened ({exc.strerror})", path=str(path)) from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise InputError("not a regular file (a pipe, device or socket); not opened", path=str(path))
        if info.st_size > limit:
            raise InputError(f"{info.st_size:,} bytes, more than the {limit:,} a file of this kind may have; "
                             "not read", path=str(path))
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise InputError(f"more than the {limit:,} bytes a file of this kind may have; not read", path=str(path))
    return data


def unsafe_file_reason(folder: Path, path: Path) -> str | None:
    """Why *path* (in the study *folder*) must not be opened, or None.

    Once links are resolved the file must lie inside the folder and be a regular file: a link to a
    file elsewhere, a pipe (FIFO), a device (``/dev/zero``) or a socket is listed, never opened.
    """
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return "a broken link: not opened"
    if not resolved.is_relative_to(folder.resolve()):
        return "a link to a file outside the study folder: not opened"
    try:
        mode = resolved.stat().st_mode
    except OSError:
        return "cannot be inspected: not opened"
    if stat.S_ISDIR(mode):
        return None
    if not stat.S_ISREG(mode):
        return "not a regular file (a pipe, device or socket): not opened"
    return None


def read_meta(path: Path) -> dict[str, str]:
    """Parse a ``meta_*.txt`` file (``key: value`` lines); only a regular file of at most
    :data:`MAX_META_BYTES` is read.

    Raises
    ------
    InputError
        The file is not UTF-8 text (the line is named), not a regular file, or too large.
    """
    data = read_small_regular_file(Path(path), MAX_META_BYTES)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line_no = data[: exc.start].count(b"\n") + 1
        raise InputError("not UTF-8 text (e.g. Latin-1); save it as UTF-8", path=str(path), line=line_no) from exc
    meta: dict[str, str] = {}
    for line in text.splitlines():
        if ":" in line and not line.lstrip().startswith("#"):
            key, value = line.split(":", 1)
            meta[key.strip()] = value.strip()
    return meta


def first_header(path: Path, max_lines: int = 200) -> list[str]:
    """The first non-comment, non-blank line of a text file split on tabs (upper-cased), or []."""
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as handle:
            for _, line in zip(range(max_lines), handle, strict=False):
                if line.startswith("#") or not line.strip():
                    continue
                return [h.strip().upper() for h in line.rstrip("\r\n").split("\t")]
    except OSError:
        return []
    return []


def _cna_kind_by_content(path: Path) -> str:
    """``data_cna*.txt`` without a meta file: long format, discrete matrix or log2 matrix, by content."""
    header = first_header(path)
    if set(header) >= _CNA_LONG_HEADER:
        return "cna_discrete_long"
    values: set[str] = set()
    with open(path, encoding="utf-8-sig", errors="replace") as handle:
        seen_header = False
        for _, line in zip(range(500), handle, strict=False):
            if line.startswith("#") or not line.strip():
                continue
            if not seen_header:
                seen_header = True
                continue
            cells = [c.strip().strip('"') for c in line.rstrip("\r\n").split("\t")[1:]]
            values.update(c for c in cells if c and c.upper() not in ("NA", "NAN", ""))
    numeric = {v for v in values if re.fullmatch(r"-?\d+(\.\d+)?", v)}
    return "cna_discrete" if numeric and numeric <= _DISCRETE_VALUES else "cna_log2"


def _role_by_content(path: Path) -> tuple[str | None, str]:
    """A file with no meta file and no known name: what its header says it is."""
    header = set(first_header(path))
    if header >= _MAF_HEADER:
        return "mutations", "looks like a MAF but no meta file: read as MAF"
    if {"SAMPLE_ID", "PATIENT_ID"} <= header:
        return "sample", "looks like a sample clinical file but no meta file: read as sample attributes"
    if {"PATIENT_ID", "START_DATE", "EVENT_TYPE"} <= header:
        return "timeline", "looks like a timeline file but no meta file: read as timeline events"
    return None, ""


def _relative(folder: Path, path: Path) -> str:
    return path.relative_to(folder).as_posix()


def locate_study_files(folder: Path, report: ValidationReport) -> StudyFiles:
    """Find what each file of *folder* holds; problems with meta files go to *report*."""
    files = StudyFiles(folder=folder)
    claimed: dict[Path, FileEntry] = {}

    def claim(path: Path, role: str | None, found_by: str, reason: str = "") -> None:
        if path in claimed:
            return
        if role is not None and role in SINGLE_ROLES and files.paths.get(role):
            first = files.paths[role][0]
            reason = f"a second {ROLE_LABELS[role]} file; only {first.name} is read (one per study, as in cBioPortal)"
            role = None
        if role is not None and role != "meta":
            files.paths.setdefault(role, []).append(path)
        claimed[path] = FileEntry(_relative(folder, path), role, found_by, reason)

    _claim_unsafe_files(folder, report, claim)
    _claim_meta_files(folder, files, report, claim)
    _claim_by_name(folder, claimed, claim)
    _claim_case_lists(folder, claim)
    _claim_by_content(folder, claimed, claim)
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path not in claimed and not any(part.startswith(".") for part in path.relative_to(folder).parts):
            claim(path, None, "-", _unknown_reason(folder, path))
    files.entries = sorted(claimed.values(), key=lambda e: (e.role is None, e.file))
    return files


def _claim_unsafe_files(folder: Path, report: ValidationReport, claim) -> list[Path]:
    """Links out of the folder, pipes, devices and sockets: listed as not read (a warning each), never opened."""
    candidates = list(folder.iterdir())
    case_dir = folder / "case_lists"
    if case_dir.is_dir() and unsafe_file_reason(folder, case_dir) is None:
        candidates += list(case_dir.iterdir())
    elif case_dir.exists():
        candidates.append(case_dir)
    unsafe = []
    for path in sorted(candidates):
        if path.name.startswith("."):
            continue
        reason = unsafe_file_reason(folder, path)
        if reason is not None:
            report.warning(_relative(folder, path), None, None, reason)
            claim(path, None, "-", reason)
            unsafe.append(path)
    return unsafe


def _claim_meta_files(folder: Path, files: StudyFiles, report: ValidationReport, claim) -> None:
    meta_study = folder / "meta_study.txt"
    if meta_study.is_file() and unsafe_file_reason(folder, meta_study) is None:
        files.meta_study = _read_meta_reported(meta_study, report)
        claim(meta_study, "meta", "name", "study identifier, name and description")
    else:
        report.warning("meta_study.txt", None, None, "no meta_study.txt; the folder name is used as study id")
    # cBioPortal takes every .txt file with "meta" in its name as a meta file (brca_tcga_meta_cna_seg.txt).
    for meta_path in sorted(p for p in folder.glob("*.txt") if "meta" in p.name.lower()):
        if meta_path == meta_study or unsafe_file_reason(folder, meta_path) is not None:
            continue
        meta = _read_meta_reported(meta_path, report)
        if not meta:
            continue  # a data file with "meta" in its name
        alteration = meta.get("genetic_alteration_type", "").upper()
        datatype = meta.get("datatype", "").upper()
        filename = meta.get("data_filename")
        role = META_KINDS.get((alteration, datatype))
        what = (f"{alteration}/{datatype}" if alteration else
                f"resource {meta.get('resource_type', '?').lower()}" if "resource_type" in meta else "unknown type")
        claim(meta_path, "meta", "name", f"describes {filename or 'no data file'} ({what})")
        if not filename:
            report.warning(meta_path.name, None, "data_filename", "meta file names no data file; nothing read")
            continue
        data_path = folder / filename
        if not data_path.resolve().is_relative_to(folder.resolve()):
            report.error(meta_path.name, None, "data_filename", f"names {filename!r}, outside the study folder; "
                         "not opened", expected="a file inside the study folder")
            continue
        if data_path.exists() and not data_path.is_file():
            report.error(meta_path.name, None, "data_filename", f"names {filename!r}, which is not a regular "
                         "file; not opened", expected="a regular file in the study folder")
            continue
        if not data_path.is_file():
            report.error(meta_path.name, None, "data_filename", f"names {filename!r}, which does not exist",
                         expected="an existing file in the study folder")
            continue
        files.meta_of[data_path] = meta
        annotations = meta.get("pd_annotations_filename")
        if (annotations and (folder / annotations).is_file()
                and unsafe_file_reason(folder, folder / annotations) is None):
            claim(folder / annotations, None, f"meta file {meta_path.name}",
                  "driver annotations (pd_annotations_filename): not a data type this tool uses")
        if role is not None:
            claim(data_path, role, f"meta file {meta_path.name}")
        elif alteration in META_KINDS_ALTERATIONS:
            claim(data_path, None, f"meta file {meta_path.name}",
                  f"datatype {datatype or '(none)'} of {alteration} is not one this tool reads")
        else:
            label = UNUSED_KINDS.get(alteration, "resource links" if "resource_type" in meta else alteration
                                     or "no genetic_alteration_type")
            claim(data_path, None, f"meta file {meta_path.name}", f"{label}: not a data type this tool uses")



def _read_meta_reported(path: Path, report: ValidationReport) -> dict[str, str]:
    """:func:`read_meta`, a file that cannot be read being an error in *report* (and an empty meta)."""
    try:
        return read_meta(path)
    except InputError as exc:
        report.error(path.name, exc.line, None, str(exc).split(": ", 1)[-1])
        return {}


def _claim_by_name(folder: Path, claimed: dict[Path, FileEntry], claim) -> None:
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        if path in claimed:
            continue
        name = path.name.lower()
        for pattern, role in NAME_PATTERNS:
            if re.fullmatch(pattern, name):
                if role == "cna" and {"CBP_DRIVER", "CBP_DRIVER_ANNOTATION"} & set(first_header(path)):
                    claim(path, None, "file name and content",
                          "driver annotations (cbp_driver columns): not a data type this tool uses")
                elif role == "cna":
                    role = _cna_kind_by_content(path)
                    claim(path, role, "file name and content", f"no meta file; values look like "
                          f"{ROLE_LABELS[role]}")
                elif role == "mutations" and not set(first_header(path)) >= _MAF_HEADER:
                    claim(path, None, "file name", "named like a MAF but its header lacks "
                          "Hugo_Symbol, Tumor_Sample_Barcode or Variant_Classification")
                else:
                    claim(path, role, "file name")
                break


def _claim_case_lists(folder: Path, claim) -> None:
    case_dir = folder / "case_lists"
    if case_dir.is_dir() and unsafe_file_reason(folder, case_dir) is None:
        for path in sorted(case_dir.glob("*.txt")):
            claim(path, "case_list", "case_lists/ folder")


def _claim_by_content(folder: Path, claimed: dict[Path, FileEntry], claim) -> None:
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        if path in claimed or path.suffix.lower() not in (".txt", ".tsv", ".maf"):
            continue
        role, reason = _role_by_content(path)
        if role is not None:
            claim(path, role, "content", reason)


def _unknown_reason(folder: Path, path: Path) -> str:
    parts = path.relative_to(folder).parts
    if len(parts) > 1 and parts[0] != "case_lists":
        return "in a subfolder: a study is the files at the top of its folder (and case_lists/)"
    if "meta" in path.name.lower():
        return "meta file without key: value lines"
    if "cancer_type" in path.name.lower():
        return "cancer-type definitions: not a data type this tool uses"
    if path.suffix.lower() in (".html", ".htm", ".yml", ".yaml", ".md", ".json", ".xml", ".pdf", ".png"):
        return "not a data file"
    return "no meta file names it and neither its name nor its header is one this tool reads"


__all__ = ["FileEntry", "StudyFiles", "locate_study_files", "read_meta", "ROLE_LABELS", "first_header",
           "read_small_regular_file", "unsafe_file_reason", "MAX_META_BYTES"]
