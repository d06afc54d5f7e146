"""View models of the patient page: which VAF tracks to draw, the alteration table per draw, evidence rows."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.answers import mechanism_sentence
from analysis.params import AnalysisParameters
from analysis.patient import PatientAnalysis
from analysis.resistance import sv_label
from analysis.trajectory import NOT_FOLLOWED
from analysis.tumour_fraction import tumour_fraction_exclusion
from analysis.wording import TIMEPOINT_NAMES, timepoint_name
from dashboard.labels import FOLLOW_UP_NAMES, her2_status_name, pathway_name

#: At most this many VAF tracks on the patient timeline (the ones that matter first).
MAX_VAF_TRACKS = 8


def variant_label(variants: pd.DataFrame) -> pd.Series:
    """``GENE p.CHANGE`` (or the genomic change when there is no protein change)."""
    protein = variants["protein_change"].astype("string")
    genomic = (variants["chromosome"].astype("string") + ":" + variants["start_position"].astype("string") + " "
               + variants["reference_allele"].astype("string") + ">" + variants["tumor_seq_allele"].astype("string"))
    return variants["gene"].astype("string") + " " + protein.fillna(genomic).fillna("")


def vaf_tracks(patient: PatientAnalysis, max_tracks: int = MAX_VAF_TRACKS) -> pd.DataFrame:
    """Plasma VAF over time of the variants that matter, for the log-scale VAF panel.

    Order of priority: variants supporting a mechanism call, then the tumour-fraction driver
    (the variant that sets the tumour fraction), then variants used for the tumour fraction by peak
    VAF, then clonal-haematopoiesis (CHIP) and likely germline variants, which are kept but marked
    (``excluded`` says why they are left out of the tumour fraction).

    Returns columns ``label, gene, sample_id, day, vaf, depth, t_alt_count, is_mechanism, excluded,
    priority``, one row per variant and plasma draw (a draw where the variant was not detected is absent).
    """
    columns = ["label", "gene", "sample_id", "day", "vaf", "depth", "t_alt_count", "is_mechanism", "excluded",
               "priority"]
    plasma = patient.variants[(patient.variants["sample_type"] == "plasma") & patient.variants["vaf"].notna()]
    if plasma.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    plasma = plasma.assign(label=variant_label(plasma), day=plasma["collection_day"],
                           excluded=tumour_fraction_exclusion(plasma).fillna(""))
    evidence = patient.resistance.evidence
    mechanism_labels = set()
    if len(evidence):
        mutations = evidence[evidence["alteration_type"] == "mutation"]
        mechanism_labels = set((mutations["gene"].astype(str) + " " + mutations["alteration"].astype(str)).tolist())
    driver = set(patient.tumour_fractions["driver_gene"].dropna())
    peak = plasma.groupby("label")["vaf"].max()
    # A variant is marked when any of its draws is left out of the tumour fraction (CHIP is per gene;
    # likely germline per VAF, which is stable across draws).
    excluded = plasma.groupby("label")["excluded"].agg(lambda s: next((r for r in s if r), ""))
    priority = pd.DataFrame({"label": peak.index, "peak": peak.to_numpy()})
    priority["is_mechanism"] = priority["label"].isin(mechanism_labels)
    priority["is_driver"] = priority["label"].str.split(" ").str[0].isin(driver)
    priority["excluded"] = priority["label"].map(excluded).fillna("")
    priority["somatic"] = priority["excluded"] == ""
    priority = priority.sort_values(["is_mechanism", "is_driver", "somatic", "peak"], ascending=False,
                                    kind="stable")
    priority["priority"] = np.arange(len(priority))
    chosen = priority.head(max_tracks)
    out = plasma.drop(columns="excluded").merge(chosen[["label", "is_mechanism", "excluded", "priority"]],
                                                on="label")
    return out.sort_values(["priority", "day"], kind="stable")[columns].reset_index(drop=True)


def alteration_table(patient: PatientAnalysis) -> pd.DataFrame:
    """Every alteration of every sample, one row each, for the per-draw table.

    Columns: ``sample_id, sample_type, timepoint, day, gene, alteration, vaf_pct`` (%, exact; the
    table shows 3 significant digits), ``depth`` (reads), ``copy_number`` (copies, 2 d.p.),
    ``supporting_reads`` (reads supporting a structural variant), ``mechanism`` (pathway when the
    alteration supports a resistance call), ``vaf_flag`` (why the VAF is implausible, if it is),
    ``tumour_fraction_note`` (why a CHIP or likely germline variant is left out of the tumour fraction;
    empty otherwise).

    A structural variant or fusion is one row: ``gene`` is the gene pair (``GENE1-GENE2``, one gene for
    an intragenic event), ``alteration`` its class and event info (``FUSION: ZNF207-ERBB2 fusion``), with
    ``, germline`` when ``sv_status`` says so.  It supports a mechanism when a ``fusion`` rule matched it.
    """
    columns = ["sample_id", "sample_type", "timepoint", "day", "gene", "alteration", "vaf_pct", "depth",
               "copy_number", "supporting_reads", "mechanism", "vaf_flag", "tumour_fraction_note"]
    variants = patient.variants
    rows = []
    if len(variants):
        rows.append(pd.DataFrame({
            "sample_id": variants["sample_id"], "sample_type": variants["sample_type"],
            "timepoint": variants["timepoint"], "day": variants["collection_day"], "gene": variants["gene"],
            "alteration": variants["protein_change"].astype("string").fillna(variants["variant_classification"]),
            # exact percent: the table shows 3 significant digits, the CSV keeps the value
            "vaf_pct": 100.0 * variants["vaf"].astype("float64"),
            "depth": variants["depth"].astype("float64"), "copy_number": np.nan, "kind": "mutation",
            "vaf_flag": variants["vaf_flag"],
            "tumour_fraction_note": tumour_fraction_exclusion(variants).fillna(""),
        }))
    cn = patient.copy_number
    if len(cn):
        called = cn[(cn["cna_discrete"].fillna(0) != 0) | (cn["gene"] == "ERBB2")]
        rows.append(pd.DataFrame({
            "sample_id": called["sample_id"], "sample_type": called["sample_type"], "timepoint": called["timepoint"],
            "day": called["collection_day"], "gene": called["gene"],
            "alteration": called["cna_discrete"].map({2: "amplification", 1: "gain", 0: "copy number",
                                                      -1: "shallow loss", -2: "deep deletion"}).fillna("copy number"),
            "vaf_pct": np.nan, "depth": np.nan, "copy_number": called["copy_number"].round(2), "kind": "copy_number",
            "tumour_fraction_note": "",
        }))
    sv = patient.structural_variants
    if len(sv):
        rows.append(pd.DataFrame({
            "sample_id": sv["sample_id"], "sample_type": sv["sample_type"], "timepoint": sv["timepoint"],
            "day": sv["collection_day"], "gene": sv_genes_text(sv), "alteration": sv_alteration_text(sv),
            "vaf_pct": np.nan, "depth": np.nan, "copy_number": np.nan,
            "supporting_reads": sv["supporting_reads"].astype("float64"), "kind": "structural_variant",
            "match": sv_label(sv["gene1"], sv["gene2"], sv["sv_class"]), "tumour_fraction_note": "",
        }))
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    table = pd.concat(rows, ignore_index=True)
    table["timepoint"] = table["timepoint"].map(timepoint_name, na_action="ignore")
    table["depth"] = table["depth"].astype("Int64")
    table["supporting_reads"] = table.get("supporting_reads", pd.Series(np.nan, index=table.index)).astype("Int64")
    # Mutations and copy number support a call by gene; a structural variant by its own evidence text.
    table["match"] = table.get("match", pd.Series(pd.NA, index=table.index, dtype="object"))
    table["match"] = table["match"].where(table["kind"] == "structural_variant", table["gene"])
    evidence = patient.resistance.evidence
    support = evidence[evidence["evidence_direction"] == "resistance"] if len(evidence) else evidence
    if len(support):
        fusion = support["alteration_type"] == "fusion"
        support = support.assign(
            kind=np.select([support["alteration_type"] == "mutation", fusion],
                           ["mutation", "structural_variant"], "copy_number"),
            match=support["alteration"].where(fusion, support["gene"]))
        support = support.groupby(["sample_id", "match", "kind"])["pathway"].agg(
            lambda s: ", ".join(sorted({pathway_name(p) for p in s})))
        table = table.merge(support.rename("mechanism").reset_index(), on=["sample_id", "match", "kind"],
                            how="left")
    else:
        table["mechanism"] = pd.NA
    return table.sort_values(["day", "sample_type", "gene"], kind="stable")[columns].reset_index(drop=True)


def sv_genes_text(sv: pd.DataFrame) -> pd.Series:
    """The gene pair of each structural variant as the file names it: ``GENE1-GENE2`` (one gene for an
    intragenic event).

    >>> sv_genes_text(pd.DataFrame({"gene1": ["ZNF207", "MET", "MET"], "gene2": ["ERBB2", None, "MET"]})).tolist()
    ['ZNF207-ERBB2', 'MET', 'MET']
    """
    gene1 = sv["gene1"].astype("string")
    gene2 = sv["gene2"].astype("string")
    second = gene2.where(gene2.str.upper() != gene1.str.upper())
    return (gene1.fillna(gene2) + ("-" + second).where(gene1.notna()).fillna("")).astype(object)


def sv_alteration_text(sv: pd.DataFrame) -> pd.Series:
    """Class and event info of each structural variant (``FUSION: ZNF207-ERBB2 fusion``), ``structural
    variant`` when neither is given, ``, germline`` appended for a germline event (not used for calls).

    >>> sv_alteration_text(pd.DataFrame({"sv_class": ["FUSION", None], "event_info": ["A-B fusion", None],
    ...                                  "sv_status": ["SOMATIC", "GERMLINE"]})).tolist()
    ['FUSION: A-B fusion', 'structural variant, germline']
    """
    sv_class = sv["sv_class"].astype("string").str.strip()
    info = sv["event_info"].astype("string").str.strip()
    sv_class, info = sv_class.where(sv_class != ""), info.where(info != "")
    text = (sv_class + ": " + info).fillna(sv_class).fillna(info).fillna("structural variant")
    germline = sv["sv_status"].astype("string").str.strip().str.upper().eq("GERMLINE").fillna(False)
    return text.where(~germline.to_numpy(dtype=bool), text + ", germline").astype(object)


def evidence_table(patient: PatientAnalysis) -> pd.DataFrame:
    """Resistance evidence: one row per supporting alteration, with its citation.

    Columns: ``pathway, gene, alteration, sample_id, day, draw, vaf_pct, copy_number, supporting_reads``
    (reads supporting a structural variant), ``status, citation, tumour_fraction_note`` (CHIP or likely
    germline variant, left out of the tumour fraction).
    """
    columns = ["pathway", "gene", "alteration", "sample_id", "day", "draw", "vaf_pct", "copy_number",
               "supporting_reads", "status", "citation", "tumour_fraction_note"]
    evidence = patient.resistance.evidence
    if evidence.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    evidence = evidence[evidence["evidence_direction"] == "resistance"]
    return pd.DataFrame({
        "pathway": evidence["pathway"].map(pathway_name), "gene": evidence["gene"],
        "alteration": evidence["alteration"],
        "sample_id": evidence["sample_id"], "day": evidence["day"], "draw": evidence["draw"],
        "vaf_pct": 100.0 * evidence["vaf"].astype("float64"),
        "copy_number": evidence["copy_number"].round(2),
        "supporting_reads": evidence["supporting_reads"].astype("Int64"), "status": evidence["status"],
        "citation": evidence["citation"], "tumour_fraction_note": evidence_exclusion(evidence),
    })[columns].sort_values(["pathway", "day", "gene"], kind="stable").reset_index(drop=True)


def evidence_exclusion(evidence: pd.DataFrame) -> pd.Series:
    """For evidence rows: why a mutation is left out of the tumour fraction (CHIP gene or likely germline)."""
    mutations = pd.DataFrame({"gene": evidence["gene"], "vaf": evidence["vaf"],
                              "protein_change": evidence["alteration"]}, index=evidence.index)
    note = tumour_fraction_exclusion(mutations).fillna("")
    return note.where(evidence["alteration_type"] == "mutation", "")


def neighbours(patient_ids: list[str], patient_id: str) -> tuple[str | None, str | None]:
    """The previous and next patient in study order (None at either end or when unknown).

    >>> neighbours(["P1", "P2", "P3"], "P2")
    ('P1', 'P3')
    """
    if patient_id not in patient_ids:
        return None, None
    i = patient_ids.index(patient_id)
    return (patient_ids[i - 1] if i > 0 else None, patient_ids[i + 1] if i + 1 < len(patient_ids) else None)


ALTERATION_LABELS = {
    "sample_id": "Sample", "sample_type": "Type", "timepoint": "Timepoint", "day": "Day",
    "gene": "Gene", "alteration": "Alteration", "vaf_pct": "VAF (%)", "depth": "Depth (reads)",
    "copy_number": "Copy number (copies)", "supporting_reads": "Supporting reads (SV)",
    "mechanism": "Supports mechanism",
    "vaf_flag": "VAF check (left out of tumour fraction)",
    "tumour_fraction_note": "Tumour fraction",
}
#: Columns of the two tables that hold numbers (right-aligned, number filter); the rest is text.
ALTERATION_NUMERIC = frozenset({"day", "vaf_pct", "depth", "copy_number", "supporting_reads"})
EVIDENCE_LABELS = {
    "pathway": "Mechanism", "gene": "Gene", "alteration": "Alteration", "sample_id": "Sample", "day": "Day",
    "draw": "Draw", "vaf_pct": "VAF (%)", "copy_number": "Copy number (copies)",
    "supporting_reads": "Supporting reads (SV)", "status": "Status (baseline / expanding / new at progression)",
    "citation": "Evidence (citation)", "tumour_fraction_note": "Tumour fraction",
}
EVIDENCE_NUMERIC = frozenset({"day", "vaf_pct", "copy_number", "supporting_reads"})


def _timepoint_in_text(code: str) -> str:
    """A timepoint inside a phrase: known ones in lower case ("baseline"), unknown codes as they are."""
    return timepoint_name(code).lower() if code in TIMEPOINT_NAMES else str(code)


def _sample_label(sid: str, stype: object, timepoint: object, day: object) -> str:
    """"P001-B0 - plasma, baseline, day -3"; what a study did not record is said, never "?" or "nan"."""
    known: list[str] = []
    missing: list[str] = []
    for name, value, text in (("sample type", stype, str),
                              ("timepoint", timepoint, lambda t: _timepoint_in_text(str(t))),
                              ("day", day, lambda d: f"day {float(d):g}")):
        if pd.notna(value) and str(value):
            known.append(text(value))
        else:
            missing.append(name)
    if missing:
        named = missing[0] if len(missing) == 1 else f"{', '.join(missing[:-1])} and {missing[-1]}"
        known.append(f"{named} not recorded")
    return f"{sid} - {', '.join(known)}"


def draw_options(patient: PatientAnalysis) -> list[dict]:
    """Dropdown options: every sample, by day ("P001-B0 - plasma, baseline, day -3"), then "all samples"."""
    samples = patient.samples
    options = [{"label": _sample_label(sid, stype, tp, day), "value": sid}
               for sid, stype, tp, day in zip(samples["sample_id"], samples["sample_type"],
                                              samples["timepoint"], samples["collection_day"],
                                              strict=True)]
    return options + [{"label": "All samples", "value": "__all__"}]


def header_facts(patient: PatientAnalysis) -> list[tuple[str, str, str]]:
    """(value, label, detail) triples for the patient header cards."""
    clinical = patient.clinical.iloc[0]
    traj = patient.trajectories.patients
    facts = []
    ihc = clinical.get("her2_ihc")
    fish = clinical.get("her2_fish_ratio")
    detail = ", ".join(x for x in (f"IHC {ihc}" if pd.notna(ihc) else "",
                                   f"FISH ratio {fish:g}" if pd.notna(fish) else "") if x)
    facts.append((her2_status_name(clinical.get("her2_status")), "HER2 status (pathology)", detail))
    if len(traj):
        row = traj.iloc[0]
        cls = row.get("resistance_class")
        # Unknown is not negative: only a patient known to be progression-free reads "No progression".
        value = {"innate": "Innate", "acquired": "Acquired", "none": "No progression"}.get(
            cls, FOLLOW_UP_NAMES.get(_text(row.get("follow_up"), "not followed"), "Not followed"))
        facts.append((value, "resistance class",
                      f"first evaluation: {_text(row.get('first_evaluation_response'), 'none')}"))
    pfs = clinical.get("pfs_months")
    if pd.notna(pfs):
        facts.append((f"{pfs:.1f} mo", "PFS", _event_text(clinical.get("pfs_event"), "progressed")))
    os_months = clinical.get("os_months")
    if pd.notna(os_months):
        facts.append((f"{os_months:.1f} mo", "OS", _event_text(clinical.get("os_event"), "died")))
    n_plasma = int((patient.samples["sample_type"] == "plasma").sum())
    facts.append((str(n_plasma), "plasma draws", f"{int((patient.samples['sample_type'] == 'tissue').sum())} tissue"))
    calls = patient.resistance.patients
    n_mech = int(calls["n_mechanisms"].iloc[0]) if len(calls) else 0
    facts.append((str(n_mech), "resistance mechanisms", ""))
    return facts


def _text(value, default: str) -> str:
    """Text of a possibly missing value (pandas NA is not falsy-safe)."""
    return default if value is None or pd.isna(value) or str(value) == "" else str(value)


def _true(value) -> bool:
    return bool(value) if value is not None and not pd.isna(value) else False


def _event_text(value, event_word: str) -> str:
    """*event_word* when the event is recorded, "censored" when recorded as censored, else "status unknown"."""
    if value is None or pd.isna(value):
        return "status unknown"
    return event_word if bool(value) else "censored"


def empty_frame(labels: dict[str, str]) -> pd.DataFrame:
    """An empty table with these columns (placeholder until a callback fills it)."""
    return pd.DataFrame({column: pd.Series(dtype="object") for column in labels})


def mechanism_summary(patient: PatientAnalysis, params: AnalysisParameters = AnalysisParameters()) -> str:
    """One sentence: the mechanism call of this patient (:func:`analysis.answers.mechanism_sentence`)."""
    return mechanism_sentence(patient, params)


def default_draw(patient: PatientAnalysis, options: list[dict]) -> str | None:
    """The draw "Alterations per draw" opens on: the progression draw, else the latest plasma draw, else the
    first sample (the values of :func:`draw_options`)."""
    values = [o["value"] for o in options if o["value"] != "__all__"]
    if not values:
        return options[0]["value"] if options else None
    traj = patient.trajectories.patients
    if len(traj) and pd.notna(traj["progression_sample_id"].iloc[0]):
        progression = str(traj["progression_sample_id"].iloc[0])
        if progression in values:
            return progression
    plasma = patient.samples[(patient.samples["sample_type"] == "plasma") & patient.samples["collection_day"].notna()]
    if len(plasma):
        latest = str(plasma.sort_values("collection_day", kind="stable")["sample_id"].iloc[-1])
        if latest in values:
            return latest
    return values[0]


def draw_choice(patient: PatientAnalysis, requested: str | None) -> tuple[list[dict], str | None]:
    """The sample dropdown's options and the sample it opens on: the one asked for (the URL's draw) when the
    patient has it, else :func:`default_draw`."""
    options = draw_options(patient)
    values = {o["value"] for o in options}
    return options, requested if requested in values else default_draw(patient, options)


def is_followed(patient: PatientAnalysis) -> bool:
    """Whether the patient was followed on trastuzumab (a follow-up status other than not followed)."""
    traj = patient.trajectories.patients
    return bool(len(traj)) and str(traj["follow_up"].iloc[0]) != NOT_FOLLOWED
