"""An implausible plasma VAF is marked in the patient's alteration table and named in its caveats."""

from __future__ import annotations

from dataclasses import replace

from analysis.io.cbioportal import read_study, write_study
from analysis.patient import analyse_patient
from analysis.vaf_checks import FLAG_HIGH_VAF
from dashboard.views.patient import ALTERATION_LABELS, alteration_table
from tests.conftest import make_tiny_study


def test_flagged_vaf_is_marked_and_left_out_of_tumour_fraction(tmp_path):
    tiny = make_tiny_study()
    variants = tiny.variants.copy()
    row = variants.index[variants["sample_id"] == "P1-B0"][0]  # TP53 R175H in the baseline plasma draw
    variants.loc[row, ["t_ref_count", "t_alt_count", "depth", "vaf"]] = [30, 970, 1000, 0.97]
    study = read_study(write_study(replace(tiny, variants=variants), tmp_path / "tiny"))

    patient = analyse_patient(study, "P1")
    table = alteration_table(patient)
    assert "vaf_flag" in ALTERATION_LABELS
    flagged = table[table["vaf_flag"].notna()]
    assert flagged[["sample_id", "gene"]].values.tolist() == [["P1-B0", "TP53"]]
    assert flagged["vaf_flag"].iloc[0] == FLAG_HIGH_VAF
    # The tissue TP53 at VAF 0.25 is not flagged, nor is any copy-number row.
    assert table.loc[table["sample_id"] == "P1-T", "vaf_flag"].isna().all()
    fractions = patient.tumour_fractions.set_index("sample_id")
    assert fractions.loc["P1-B0", "n_vaf_flagged"] == 1
    assert not fractions.loc["P1-B0", "evaluable"]
    assert any("left out of the tumour-fraction estimate" in c for c in patient.caveats)
    assert any(FLAG_HIGH_VAF in m.message for m in study.report.warnings)
