"""What was profiled: gene-panel matrices, gene-panel definitions and case lists.

A gene not on a sample's panel is *not profiled*, never *not altered*. cBioPortal says which panel
profiled each sample for each data type in ``data_gene_panel_matrix.txt`` (``SAMPLE_ID`` then one column
per profile: ``mutations``, ``cna``/``gistic``, ``structural_variants``/``fusion``) or in a
``GENE_PANEL`` sample attribute; each panel's genes are in a ``data_gene_panel_<id>.txt`` file
(``stable_id:`` and a tab-separated ``gene_list:``). Case lists (``case_lists/cases_*.txt``) say which
samples were sequenced at all (``<study>_sequenced``, category ``all_cases_with_mutation_data``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis import schema
from analysis.io.study_files import read_meta
from analysis.io.tables import find_column, missing_mask, read_raw_table
from analysis.validation import ValidationReport

#: Matrix column (lower-cased) -> profile name used by the analyses.
PROFILE_NAMES = {
    "mutations": "mutations", "mutation": "mutations", "mutations_extended": "mutations",
    "cna": "cna", "gistic": "cna", "cna_discrete": "cna", "log2cna": "cna", "linear_cna": "cna",
    "structural_variants": "structural_variants", "structural_variant": "structural_variants",
    "sv": "structural_variants", "fusion": "structural_variants", "fusions": "structural_variants",
}
#: Case-list categories / id suffixes meaning "sequenced for mutations".
SEQUENCED_CATEGORIES = ("all_cases_with_mutation_data", "all_cases_with_mutation_and_cna_data")
SEQUENCED_SUFFIXES = ("_sequenced", "_cnaseq")


def read_gene_panel_matrix(path: Path, report: ValidationReport, known_samples: set[str]) -> pd.DataFrame:
    """``data_gene_panel_matrix.txt`` -> long (sample_id, profile, panel_id); findings go to *report*."""
    raw = read_raw_table(Path(path))
    f = raw.frame
    sample_col = find_column(f, "SAMPLE_ID")
    if sample_col is None:
        report.error(raw.name, None, "SAMPLE_ID", "required column is missing", expected="a SAMPLE_ID column")
        return schema.GENE_PANELS.empty()
    samples = f[sample_col].astype("string").str.strip()
    duplicated = samples.duplicated(keep="first").to_numpy()
    for pos in np.flatnonzero(duplicated)[:20]:
        first = int(raw.lines[np.flatnonzero((samples == samples.iloc[pos]).to_numpy())[0]])
        report.error(raw.name, int(raw.lines[pos]), sample_col,
                     f"duplicate sample {samples.iloc[pos]!r} (first on line {first})", "each sample once")
    unknown = ~samples.isin(known_samples)
    for pos in np.flatnonzero(unknown.to_numpy())[:20]:
        report.warning(raw.name, int(raw.lines[pos]), sample_col,
                       f"sample {samples.iloc[pos]!r} is not in the sample file; its row is not used",
                       "a SAMPLE_ID of the sample file")
    parts = []
    for column in [c for c in f.columns if c != sample_col]:
        profile = PROFILE_NAMES.get(column.lower())
        if profile is None:
            report.warning(raw.name, int(raw.lines[0]) - 1 if len(raw.lines) else None, column,
                           f"profile column {column!r} is not one this tool uses; not read",
                           "mutations, cna/gistic or structural_variants")
            continue
        panel = f[column].astype("string").str.strip()
        parts.append(pd.DataFrame({"sample_id": samples, "profile": profile,
                                   "panel_id": panel.where(~missing_mask(f[column]))})[~unknown])
    if not parts:
        return schema.GENE_PANELS.empty()
    return schema.GENE_PANELS.conform(pd.concat(parts, ignore_index=True).drop_duplicates(["sample_id", "profile"]))


def read_gene_panel_definition(path: Path, report: ValidationReport) -> pd.DataFrame:
    """``data_gene_panel_<id>.txt`` (``stable_id:``, ``gene_list:``) -> (panel_id, gene)."""
    fields = {key.lower(): value for key, value in read_meta(Path(path)).items()}
    panel_id = fields.get("stable_id", "").strip()
    genes = [g.strip() for g in fields.get("gene_list", "").split("\t") if g.strip()]
    if not panel_id:
        report.error(Path(path).name, None, "stable_id", "gene-panel file has no stable_id", "stable_id: <panel id>")
    if not genes:
        report.error(Path(path).name, None, "gene_list", "gene-panel file lists no genes",
                     "gene_list: followed by tab-separated HUGO symbols")
    if not panel_id or not genes:
        return schema.PANEL_GENES.empty()
    return schema.PANEL_GENES.conform(pd.DataFrame({"panel_id": panel_id, "gene": genes}).drop_duplicates())


def read_case_list(path: Path, report: ValidationReport, known_samples: set[str]) -> pd.DataFrame:
    """``case_lists/cases_*.txt`` -> (case_list, category, sample_id); unknown samples are warned about."""
    fields = {key.lower(): value for key, value in read_meta(Path(path)).items()}
    name = f"case_lists/{Path(path).name}"
    list_id = fields.get("stable_id", "")
    if not list_id:
        report.warning(name, None, "stable_id", "case list has no stable_id; not used", "stable_id: <id>")
        return schema.CASE_LISTS.empty()
    ids = [i.strip() for i in fields.get("case_list_ids", "").split("\t") if i.strip()]
    unknown = [i for i in ids if i not in known_samples]
    if unknown:  # an error in cBioPortal too ("Sample id not defined in clinical file")
        report.error(name, None, "case_list_ids",
                     f"{len(unknown)} sample(s) not defined in the sample file: "
                     + ", ".join(repr(i) for i in unknown[:5]) + (", ..." if len(unknown) > 5 else ""),
                     "SAMPLE_IDs of the sample file")
    kept = list(dict.fromkeys(i for i in ids if i in known_samples))
    return schema.CASE_LISTS.conform(pd.DataFrame({
        "case_list": list_id, "category": fields.get("case_list_category") or pd.NA, "sample_id": kept}))


def sequenced_samples(case_lists: pd.DataFrame) -> set[str] | None:
    """Samples a study's case lists say were sequenced for mutations, or None when no such list exists."""
    if case_lists.empty:
        return None
    is_sequenced = (case_lists["category"].isin(SEQUENCED_CATEGORIES).fillna(False)
                    | case_lists["case_list"].str.endswith(SEQUENCED_SUFFIXES).fillna(False))
    if not is_sequenced.any():
        return None
    return set(case_lists.loc[is_sequenced, "sample_id"].dropna())


__all__ = ["read_gene_panel_matrix", "read_gene_panel_definition", "read_case_list", "sequenced_samples"]
