"""The in-memory study: five tidy tables plus where they came from.

A :class:`Study` is what a reader returns and what every analysis takes.  It
is immutable by convention: analyses return new tables and never modify it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import pandas as pd

from analysis import schema
from analysis.validation import ValidationReport

if TYPE_CHECKING:
    from analysis.patient_index import PatientIndex


@dataclass(frozen=True)
class StudyMeta:
    """``meta_study.txt``: identifier, name, description, cancer type."""

    study_id: str = "study"
    name: str = ""
    description: str = ""
    type_of_cancer: str = "stad"


FILE_LISTING_COLUMNS = ["file", "read_as", "found_by", "reason"]


@dataclass(frozen=True)
class Study:
    """A whole study.

    Attributes
    ----------
    patients, samples, variants, copy_number, timeline
        Tidy tables with the columns of :mod:`analysis.schema`.
    meta
        Study identifier, name and description.
    report
        Validation warnings found when the study was read (no errors: a study
        with errors is never constructed by the reader).
    provenance
        One row per file read: ``file``, ``bytes``, ``sha256``, ``rows``.
    notes
        Things the reader did that a user should know (re-anchoring, synonyms).
    structural_variants, gene_panels, panel_genes, case_lists, segments
        The optional tables of :data:`analysis.schema.EXTRA_TABLES` (empty when the study has none).
    files
        Every file of the study folder: ``file``, ``read_as`` (missing when not read), ``found_by``
        and ``reason`` (why it was not read, or how its kind was decided).
    path
        The folder it was read from, or None when built in memory.
    """

    patients: pd.DataFrame
    samples: pd.DataFrame
    variants: pd.DataFrame
    copy_number: pd.DataFrame
    timeline: pd.DataFrame
    meta: StudyMeta = field(default_factory=StudyMeta)
    report: ValidationReport = field(default_factory=ValidationReport)
    provenance: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["file", "bytes", "sha256", "rows"]))
    notes: tuple[str, ...] = ()
    path: str | None = None
    structural_variants: pd.DataFrame = field(default_factory=schema.STRUCTURAL_VARIANTS.empty)
    gene_panels: pd.DataFrame = field(default_factory=schema.GENE_PANELS.empty)
    panel_genes: pd.DataFrame = field(default_factory=schema.PANEL_GENES.empty)
    case_lists: pd.DataFrame = field(default_factory=schema.CASE_LISTS.empty)
    segments: pd.DataFrame = field(default_factory=schema.SEGMENTS.empty)
    files: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=FILE_LISTING_COLUMNS))

    @classmethod
    def from_tables(cls, *, patients: pd.DataFrame | None = None,
                    samples: pd.DataFrame | None = None,
                    variants: pd.DataFrame | None = None,
                    copy_number: pd.DataFrame | None = None,
                    timeline: pd.DataFrame | None = None, **kwargs) -> Study:
        """Build a study from (possibly partial) tables, conforming each to its schema."""
        def conform(table_schema: schema.TableSchema, frame: pd.DataFrame | None) -> pd.DataFrame:
            return table_schema.empty() if frame is None else table_schema.conform(frame)

        for extra in schema.EXTRA_TABLES:
            if kwargs.get(extra.name) is not None:
                kwargs[extra.name] = conform(extra, kwargs[extra.name])
            else:
                kwargs.pop(extra.name, None)

        return cls(
            patients=conform(schema.PATIENTS, patients),
            samples=conform(schema.SAMPLES, samples),
            variants=conform(schema.VARIANTS, variants),
            copy_number=conform(schema.COPY_NUMBER, copy_number),
            timeline=conform(schema.TIMELINE, timeline),
            **kwargs,
        )

    @cached_property
    def patient_index(self) -> PatientIndex:
        """Where each patient's rows are in every table (:mod:`analysis.patient_index`), built on first use
        (or loaded with the study's snapshot)."""
        from analysis.patient_index import PatientIndex

        return PatientIndex.build(self.tables())

    def tables(self) -> dict[str, pd.DataFrame]:
        """The study's tables by name: the five of :data:`analysis.schema.ALL_TABLES` and the extra ones."""
        names = ("patients", "samples", "variants", "copy_number", "timeline",
                 *(extra.name for extra in schema.EXTRA_TABLES))
        return {name: getattr(self, name) for name in names}

    def events(self, event_type: str) -> pd.DataFrame:
        """Timeline rows of one event type (TREATMENT, LAB_TEST, IMAGING, STATUS, SPECIMEN)."""
        return self.timeline[self.timeline["event_type"] == event_type].reset_index(drop=True)

    @cached_property
    def content_hash(self) -> str:
        """A SHA-256 over the tables' content; equal studies hash equal, whatever folder they came from.

        Computed once per study (seconds at 10,000 patients); a study loaded from its snapshot
        (:mod:`analysis.snapshot`) comes with it."""
        digest = hashlib.sha256()
        for name, table_schema in zip(("patients", "samples", "variants", "copy_number", "timeline"),
                                      schema.ALL_TABLES, strict=True):
            frame: pd.DataFrame = getattr(self, name)
            # Row order carries no meaning: hash a canonical order.
            frame = frame.sort_values(table_schema.names, kind="stable", na_position="last")
            # Floats that went through a text file differ in the last bit: hash them at 1e-9.
            floats = frame.select_dtypes("float").columns
            frame = frame.assign(**{c: frame[c].round(9) for c in floats})
            digest.update(name.encode())
            digest.update(",".join(map(str, frame.columns)).encode())
            digest.update(pd.util.hash_pandas_object(frame, index=False).values.tobytes())
        for extra in schema.EXTRA_TABLES:  # only when present, so studies without them hash as before
            frame = getattr(self, extra.name)
            if len(frame):
                frame = frame.sort_values(extra.names, kind="stable", na_position="last")
                digest.update(extra.name.encode())
                digest.update(pd.util.hash_pandas_object(frame, index=False).values.tobytes())
        return digest.hexdigest()
