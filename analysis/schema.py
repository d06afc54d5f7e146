"""The tidy tables a study is made of: their columns, types and units, declared once.

Every reader produces, and every analysis consumes, these tables.  A column
declared here is always present (possibly all-missing); extra columns that a
real study carries (free clinical attributes, MAF annotation columns) are kept
after the declared ones, lower-cased, so nothing the user loaded is lost.

Units: days are days from day 0 (first trastuzumab dose); months are
30.4375 days; VAF is a fraction in [0, 1]; copy number is absolute copies
(2 = diploid); log2 ratios are log2(copy number / 2).

The full data dictionary, with the file columns these come from, is
``docs/data_dictionary.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Column:
    """One declared column: name, pandas dtype, unit and meaning."""

    name: str
    dtype: str
    unit: str
    description: str


@dataclass(frozen=True)
class TableSchema:
    """The declared columns of one tidy table, in order."""

    name: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def empty(self) -> pd.DataFrame:
        """An empty, correctly typed table."""
        return pd.DataFrame({c.name: pd.Series(dtype=c.dtype) for c in self.columns})

    def conform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Return *frame* with every declared column present, typed and first.

        Missing declared columns are added as all-missing; extra columns are
        kept after the declared ones.  Raises ``ValueError`` naming the column
        when a value cannot be converted to the declared type.
        """
        out = {}
        for col in self.columns:
            if col.name in frame.columns:
                series = frame[col.name]
            else:
                series = pd.Series(pd.NA, index=frame.index, dtype="object")
            try:
                out[col.name] = _as_dtype(series, col.dtype)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{self.name}.{col.name}: expected {col.dtype}: {exc}") from exc
        for extra in [c for c in frame.columns if c not in out]:
            values = frame[extra]
            # Free text attributes get the same string dtype as declared text columns.
            out[extra] = values.astype("string") if values.dtype == object else values
        # Built at once: adding thousands of columns one by one is quadratic.
        return pd.DataFrame(out, index=frame.index).reset_index(drop=True)


def _as_dtype(series: pd.Series, dtype: str) -> pd.Series:
    if dtype == "float64":
        return pd.to_numeric(series, errors="raise").astype("float64")
    if dtype == "Int64":
        return pd.to_numeric(series, errors="raise").astype("Int64")
    if dtype == "boolean":
        return series.astype("boolean")
    if dtype == "string":
        return series.astype("string")
    return series.astype(dtype)


PATIENTS = TableSchema(
    "patients",
    (
        Column("patient_id", "string", "", "Patient identifier (cBioPortal PATIENT_ID)."),
        Column("her2_status", "string", "",
               "Pathology HER2 status: POSITIVE or NEGATIVE (IHC 3+, or 2+ with FISH >= 2.0)."),
        Column("her2_ihc", "string", "", "HER2 immunohistochemistry score: 0, 1+, 2+ or 3+."),
        Column("her2_fish_ratio", "float64", "ratio", "ERBB2/CEP17 FISH ratio."),
        Column("pfs_months", "float64", "months", "Progression-free survival time from day 0."),
        Column("pfs_event", "boolean", "", "True = progression observed (PFS_STATUS 1:PROGRESSION), False = censored."),
        Column("os_months", "float64", "months", "Overall survival time from day 0."),
        Column("os_event", "boolean", "", "True = death observed (OS_STATUS 1:DECEASED), False = censored."),
    ),
)

SAMPLES = TableSchema(
    "samples",
    (
        Column("sample_id", "string", "",
               "Sample identifier (cBioPortal SAMPLE_ID); one plasma draw or one tissue specimen."),
        Column("patient_id", "string", "", "Patient the sample belongs to."),
        Column("sample_type", "string", "",
               "plasma or tissue (synonyms cfDNA, ctDNA, FFPE, biopsy, primary, metastasis are mapped)."),
        Column("collection_day", "float64", "days", "Collection day relative to day 0 (first trastuzumab dose)."),
        Column("timepoint", "string", "", "BASELINE, ON_TREATMENT or PROGRESSION."),
    ),
)

VARIANTS = TableSchema(
    "variants",
    (
        Column("sample_id", "string", "", "Sample the variant was called in (MAF Tumor_Sample_Barcode)."),
        Column("gene", "string", "", "HUGO gene symbol (MAF Hugo_Symbol)."),
        Column("chromosome", "string", "", "Chromosome without 'chr' prefix."),
        Column("start_position", "Int64", "bp, 1-based", "Start position (MAF Start_Position)."),
        Column("reference_allele", "string", "", "Reference allele."),
        Column("tumor_seq_allele", "string", "", "Alternate allele (MAF Tumor_Seq_Allele2)."),
        Column("variant_classification", "string", "",
               "MAF Variant_Classification (Missense_Mutation, Nonsense_Mutation, ...; one of "
               "analysis.alterations.MAF_CLASSES, or missing)."),
        Column("protein_change", "string", "",
               "Protein change without the 'p.' prefix, e.g. S310F (from HGVSp_Short)."),
        Column("t_ref_count", "Int64", "reads", "Reads supporting the reference allele."),
        Column("t_alt_count", "Int64", "reads", "Reads supporting the alternate allele."),
        Column("depth", "Int64", "reads", "Total depth (t_depth, or ref + alt)."),
        Column("vaf", "float64", "fraction", "Variant allele fraction alt / (ref + alt), in [0, 1]."),
        Column("vaf_flag", "string", "",
               "Why the VAF is implausible, missing when it is not: 'ref/alt counts look swapped', "
               "'ref + alt reads exceed t_depth', 'VAF > 0.95 (implausible for a somatic variant)' "
               "(outside a germline context); '; '-joined.  Flagged rows are left out of the "
               "tumour-fraction estimate (analysis/vaf_checks.py)."),
        Column("in_matched_normal", "boolean", "",
               "True when the same variant (chromosome, position, alleles; else gene and protein change) is in "
               "the patient's matched normal (whole blood, buffy coat, germline sample): germline, so left "
               "out of every somatic analysis (analysis/alterations.py); False when a normal was checked; "
               "missing when the patient has no matched normal."),
    ),
)

COPY_NUMBER = TableSchema(
    "copy_number",
    (
        Column("sample_id", "string", "", "Sample."),
        Column("gene", "string", "", "HUGO gene symbol."),
        Column("copy_number", "float64", "copies", "Absolute gene-level copy number (2 = diploid) = 2 x 2^log2_ratio."),
        Column("log2_ratio", "float64", "log2", "Gene-level log2 copy ratio against a diploid reference."),
        Column("cna_discrete", "Int64", "",
               "Discrete call -2 deep deletion, -1 shallow loss, 0 neutral, 1 gain, 2 amplification."),
    ),
)

TIMELINE = TableSchema(
    "timeline",
    (
        Column("patient_id", "string", "", "Patient."),
        Column("start_day", "float64", "days", "Event start, days from day 0 (cBioPortal START_DATE)."),
        Column("stop_day", "float64", "days", "Event stop, days from day 0 (STOP_DATE); missing for point events."),
        Column("event_type", "string", "", "TREATMENT, LAB_TEST, IMAGING, STATUS or SPECIMEN (upper case)."),
        Column("agent", "string", "", "TREATMENT: drug, e.g. Trastuzumab."),
        Column("test", "string", "", "LAB_TEST: test name, e.g. CEA."),
        Column("result", "float64", "per unit", "LAB_TEST: numeric result (CEA in ng/mL)."),
        Column("unit", "string", "", "LAB_TEST: unit of result, e.g. ng/mL."),
        Column("target_lesion_sum_mm", "float64", "mm", "IMAGING: sum of target-lesion diameters."),
        Column("recist_response", "string", "", "IMAGING: RECIST 1.1 call CR/PR/SD/PD/NE; may be missing."),
        Column("status", "string", "", "STATUS: PROGRESSION or DEATH."),
        Column("sample_id", "string", "", "SPECIMEN: the sample collected."),
    ),
)

ALL_TABLES: tuple[TableSchema, ...] = (PATIENTS, SAMPLES, VARIANTS, COPY_NUMBER, TIMELINE)

STRUCTURAL_VARIANTS = TableSchema(
    "structural_variants",
    (
        Column("sample_id", "string", "", "Sample the structural variant was called in (SV Sample_Id)."),
        Column("gene1", "string", "", "HUGO symbol at the first breakpoint (Site1_Hugo_Symbol)."),
        Column("gene2", "string", "", "HUGO symbol at the second breakpoint (Site2_Hugo_Symbol); missing "
               "for an intragenic event."),
        Column("chromosome1", "string", "", "Chromosome of the first breakpoint, without 'chr'."),
        Column("position1", "Int64", "bp, 1-based", "Position of the first breakpoint."),
        Column("chromosome2", "string", "", "Chromosome of the second breakpoint, without 'chr'."),
        Column("position2", "Int64", "bp, 1-based", "Position of the second breakpoint."),
        Column("sv_class", "string", "", "Class: FUSION, DELETION, DUPLICATION, INVERSION, TRANSLOCATION, ..."),
        Column("event_info", "string", "", "Free description, e.g. 'ERBB2-GRB7 fusion'."),
        Column("supporting_reads", "Int64", "reads", "Tumour reads supporting the event (split + paired-end, "
               "or Tumor_Variant_Count / Tumor_Read_Count), where given."),
        Column("sv_status", "string", "", "SOMATIC or GERMLINE, where given."),
    ),
)

GENE_PANELS = TableSchema(
    "gene_panels",
    (
        Column("sample_id", "string", "", "Sample."),
        Column("profile", "string", "", "Which data it profiled: mutations, cna or structural_variants."),
        Column("panel_id", "string", "", "Gene-panel stable id (data_gene_panel_matrix.txt / GENE_PANEL "
               "attribute); missing = not profiled for that data."),
    ),
)

PANEL_GENES = TableSchema(
    "panel_genes",
    (
        Column("panel_id", "string", "", "Gene-panel stable id (data_gene_panel_*.txt stable_id)."),
        Column("gene", "string", "", "A gene on that panel (gene_list)."),
    ),
)

CASE_LISTS = TableSchema(
    "case_lists",
    (
        Column("case_list", "string", "", "Case-list stable id, e.g. <study>_sequenced."),
        Column("category", "string", "", "case_list_category, where given (e.g. all_cases_with_mutation_data)."),
        Column("sample_id", "string", "", "A sample on that list."),
    ),
)

SEGMENTS = TableSchema(
    "segments",
    (
        Column("sample_id", "string", "", "Sample (SEG ID column)."),
        Column("chromosome", "string", "", "Chromosome, without 'chr'."),
        Column("start", "Int64", "bp, 1-based", "Segment start."),
        Column("end", "Int64", "bp, inclusive", "Segment end."),
        Column("n_probes", "Int64", "", "Probes or bins in the segment, where given."),
        Column("log2_ratio", "float64", "log2", "Segment mean log2 copy ratio."),
    ),
)

#: Tables a study may carry beside the five core ones (empty when its files do not have them).
EXTRA_TABLES: tuple[TableSchema, ...] = (STRUCTURAL_VARIANTS, GENE_PANELS, PANEL_GENES, CASE_LISTS, SEGMENTS)

#: Canonical values.
SAMPLE_TYPES = ("plasma", "tissue", "normal")
TIMEPOINTS = ("BASELINE", "ON_TREATMENT", "PROGRESSION")
EVENT_TYPES = ("TREATMENT", "LAB_TEST", "IMAGING", "STATUS", "SPECIMEN")
HER2_STATUSES = ("POSITIVE", "NEGATIVE")
HER2_IHC_SCORES = ("0", "1+", "2+", "3+")
RECIST_RESPONSES = ("CR", "PR", "SD", "PD", "NE")
