"""The patient page in headless Chromium lists a draw's structural variants and the fusion evidence."""

from __future__ import annotations

import pytest

from dashboard.server import create_app
from dashboard.settings import Settings
from tests.dashboard.dropdown import choose_option
from tests.dashboard.grid import grid_rows

pytestmark = pytest.mark.browser

SV_FILE = (
    "Sample_Id\tSite1_Hugo_Symbol\tSite1_Chromosome\tSite1_Position\tSite2_Hugo_Symbol\tSite2_Chromosome\t"
    "Site2_Position\tClass\tEvent_Info\tTumor_Split_Read_Count\tTumor_Paired_End_Read_Count\tSV_Status\n"
    "P1-B0\tFGFR2\t10\t123243211\tTACC2\t10\t123900000\tFUSION\tFGFR2-TACC2 fusion\t4\t3\tSOMATIC\n"
    "P1-D2\tZNF207\t17\t30677136\tERBB2\t17\t39716000\tFUSION\tZNF207-ERBB2 fusion\t15\t10\tSOMATIC\n"
)


def _rows(dash_duo, table_id: str) -> list[list[str]]:
    return grid_rows(dash_duo, table_id)


def test_patient_page_lists_the_draws_structural_variants_and_the_fusion_evidence(dash_duo, tiny_study_dir,
                                                                                  tmp_path):
    (tiny_study_dir / "data_sv.txt").write_text(SV_FILE)
    app = create_app(Settings(study=tiny_study_dir, cache_dir=tmp_path / "cache"))
    dash_duo.start_server(app)
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/patient/P1")
    # default knowledge base: ZNF207-ERBB2 fusion (Yu 2015) is a HER-family mechanism, new at progression
    dash_duo.wait_for_contains_text("#patient-evidence", "ZNF207-ERBB2 FUSION", timeout=20)
    evidence = next(r for r in _rows(dash_duo, "patient-evidence") if "ZNF207-ERBB2 FUSION" in r)
    assert "HER family" in evidence and "new at progression" in evidence and "25" in evidence
    assert "ZNF207-ERBB2 FUSION" in dash_duo.find_element("#patient-mechanism-summary").text
    choose_option(dash_duo, "#patient-draw-select", "P1-D2 - plasma, progression, day 167")
    dash_duo.wait_for_contains_text("#patient-alterations", "FUSION: ZNF207-ERBB2 fusion", timeout=20)
    row = next(r for r in _rows(dash_duo, "patient-alterations") if "ZNF207-ERBB2" in r)
    assert "FUSION: ZNF207-ERBB2 fusion" in row and "25" in row and "HER family" in row
    assert "Supporting reads (SV)" in dash_duo.find_element("#patient-alterations").text
    choose_option(dash_duo, "#patient-draw-select", "P1-B0 - plasma, baseline, day -3")
    dash_duo.wait_for_contains_text("#patient-alterations", "FUSION: FGFR2-TACC2 fusion", timeout=20)
    assert "ZNF207" not in dash_duo.find_element("#patient-alterations").text
    assert dash_duo.get_logs() == []
