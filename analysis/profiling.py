"""What was profiled: a gene not on a sample's panel is *not profiled*, never *not altered*.

The study says what each sample was profiled for in three ways (read by :mod:`analysis.io.profiling`):

- a **gene-panel matrix** (``study.gene_panels``: sample, profile, panel id) with the panels' genes
  (``study.panel_genes``). A sample whose panel is missing for a profile was not profiled for it; a panel
  without a definition file (``WES``, or an id with no ``data_gene_panel_<id>.txt``) covers every gene;
- **case lists** (``study.case_lists``): a ``_sequenced`` (or ``all_cases_with_mutation_data``) list says
  which samples were sequenced for mutations, a ``_cna`` list which were profiled for copy number;
- neither: every sample with a MAF row was sequenced, and a sample without any MAF row in a study with
  a MAF is *assumed* profiled (the assumption is said in :attr:`Profiling.caveats`).

:class:`Profiling` answers "was gene G profiled in sample S for mutations / copy number / structural
variants?" for whole columns at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from analysis.study import Study

PROFILES = ("mutations", "cna", "structural_variants")
#: Coverage key of a sample profiled for every gene (no panel restriction known).
ALL_GENES = "*all genes*"
#: Case-list id suffixes and categories per profile.
_CASE_LIST_SUFFIXES = {"mutations": ("_sequenced",), "cna": ("_cna",), "structural_variants": ("_sv", "_fusion")}
_CASE_LIST_CATEGORIES = {
    "mutations": ("all_cases_with_mutation_data", "all_cases_with_mutation_and_cna_data"),
    "cna": ("all_cases_with_cna_data", "all_cases_with_mutation_and_cna_data"),
    "structural_variants": ("all_cases_with_sv_data",),
}


@dataclass
class Profiling:
    """Which sample was profiled for which gene, per data type (see the module docstring)."""

    #: profile -> sample -> panel id (None = profiled for every gene); samples absent were not profiled.
    panels: dict[str, dict[str, str | None]] = field(default_factory=dict)
    #: profile -> samples profiled (from case lists), when the study has such a list.
    listed: dict[str, set[str]] = field(default_factory=dict)
    #: panel id -> its genes (upper case).
    panel_genes: dict[str, frozenset[str]] = field(default_factory=dict)
    #: profile -> how it was decided, in words.
    sources: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, study: Study) -> Profiling:
        genes = study.panel_genes.assign(gene=study.panel_genes["gene"].astype("string").str.upper())
        panel_genes = {str(pid): frozenset(g["gene"].dropna()) for pid, g in genes.groupby("panel_id")}
        profiling = cls(panel_genes=panel_genes)
        matrix = study.gene_panels
        for profile in PROFILES:
            rows = matrix[matrix["profile"] == profile]
            if len(rows):
                profiling.panels[profile] = {
                    str(s): (None if pd.isna(p) else str(p)) for s, p in zip(rows["sample_id"], rows["panel_id"],
                                                                             strict=True)}
                profiling.sources[profile] = "gene-panel matrix"
                continue
            lists = study.case_lists
            on_list = (lists["case_list"].astype("string").str.endswith(_CASE_LIST_SUFFIXES[profile]).fillna(False)
                       | lists["category"].isin(_CASE_LIST_CATEGORIES[profile]).fillna(False))
            if on_list.any():
                profiling.listed[profile] = set(lists.loc[on_list, "sample_id"].dropna().astype(str))
                profiling.sources[profile] = "case lists"
        return profiling

    def says(self, profile: str) -> bool:
        """True when the study states what was profiled for *profile* (panel matrix or case list)."""
        return profile in self.panels or profile in self.listed

    def coverage_keys(self, sample_ids: pd.Series, profile: str = "mutations") -> pd.Series:
        """Per sample: its panel id, :data:`ALL_GENES` (profiled for every gene) or None (not profiled).

        A sample absent from the gene-panel matrix falls back on the case lists, else is not profiled.
        """
        samples = sample_ids.astype("string")
        keys = pd.Series(ALL_GENES, index=sample_ids.index, dtype=object)
        listed = self.listed.get(profile)
        if listed is not None:
            keys[~samples.isin(listed).fillna(False)] = None
        if profile in self.panels:
            assignment = self.panels[profile]
            in_matrix = samples.isin(list(assignment)).fillna(False)
            if listed is None:
                keys[~in_matrix] = None
            panel = samples[in_matrix].map(assignment)
            keys[in_matrix] = [None if pd.isna(p) else (p if p in self.panel_genes else ALL_GENES)
                               for p in panel]
        return keys

    def covers(self, key, gene: str) -> bool:
        """Does coverage key *key* (from :meth:`coverage_keys`) include *gene*?"""
        if key is None:
            return False
        if key == ALL_GENES:
            return True
        return gene.upper() in self.panel_genes.get(key, frozenset())

    def profiled(self, sample_ids: pd.Series, genes: pd.Series, profile: str = "mutations") -> pd.Series:
        """Boolean per row: was ``genes[i]`` profiled in ``sample_ids[i]`` for *profile*?

        Studies that state nothing count every sample as profiled for every gene.
        """
        keys = self.coverage_keys(sample_ids, profile)
        upper = genes.astype("string").str.upper()
        return pd.Series([self.covers(k, str(g)) for k, g in zip(keys, upper, strict=True)],
                         index=sample_ids.index, dtype=bool)

    def pairs_profiled_per_gene(self, first: pd.Series, second: pd.Series, genes, profile: str = "mutations"
                                ) -> pd.Series:
        """Per gene, how many (first[i], second[i]) sample pairs have the gene profiled in both."""
        combos = pd.DataFrame({"a": self.coverage_keys(first.reset_index(drop=True), profile),
                               "b": self.coverage_keys(second.reset_index(drop=True), profile)})
        counts = combos.astype(str).value_counts()
        keys = {str(k): k for k in list(combos["a"]) + list(combos["b"])}
        out = {}
        for gene in genes:
            out[gene] = int(sum(n for (a, b), n in counts.items()
                                if self.covers(keys[a], gene) and self.covers(keys[b], gene)))
        return pd.Series(out, dtype="int64")

    def panel_of(self, sample_id: str, profile: str = "mutations") -> str | None:
        """The panel id of a sample for *profile* (None when unknown or whole-profile)."""
        return self.panels.get(profile, {}).get(sample_id)

    def genes_of(self, sample_id: str, profile: str = "mutations") -> frozenset[str] | None:
        """The genes profiled in a sample, or None for "every gene" (no panel restriction known)."""
        panel = self.panel_of(sample_id, profile)
        return None if panel is None else self.panel_genes.get(panel)


def panel_difference_caveat(profiling: Profiling, plasma_ids: pd.Series, tissue_ids: pd.Series,
                            profile: str = "mutations") -> str | None:
    """A sentence when paired plasma and tissue samples were profiled with different panels."""
    plasma_panels = {profiling.panel_of(str(s), profile) for s in plasma_ids.dropna()}
    tissue_panels = {profiling.panel_of(str(s), profile) for s in tissue_ids.dropna()}
    plasma_panels.discard(None)
    tissue_panels.discard(None)
    if not plasma_panels or not tissue_panels or plasma_panels == tissue_panels:
        return None

    def genes(panels: set[str | None]) -> frozenset[str] | None:
        sets = [profiling.panel_genes.get(p) for p in panels if p is not None]
        if not sets or any(s is None for s in sets):
            return None
        return frozenset().union(*[s for s in sets if s is not None])

    plasma_genes, tissue_genes = genes(plasma_panels), genes(tissue_panels)
    sizes = ""
    if plasma_genes is not None and tissue_genes is not None:
        sizes = (f" ({len(plasma_genes)}-gene plasma vs {len(tissue_genes)}-gene tissue; "
                 f"{len(plasma_genes & tissue_genes)} genes on both)")
    return (f"Plasma ({', '.join(sorted(p for p in plasma_panels if p))}) and tissue "
            f"({', '.join(sorted(p for p in tissue_panels if p))}) were sequenced with different panels{sizes}: "
            "mutation agreement counts a gene in a pair only when it is on both samples' panels; "
            "elsewhere it is not profiled, not wild type.")


__all__ = ["Profiling", "panel_difference_caveat", "PROFILES"]
