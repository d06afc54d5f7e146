"""Issue 9.3: early HER2 decline uses the first on-treatment draw whatever it is (also when it is the
progression draw), and every patient left out is named with the true reason."""

from __future__ import annotations

import pandas as pd

from analysis.pfs_groups import by_early_decline
from analysis.study import Study
from analysis.trajectory import analyse_trajectories


def make_study() -> Study:
    """Seven patients, all with PFS, ERBB2 CN in copies (excess over 2 in brackets):

    E1 baseline 6 (4) -> day 21: 3 (1): decline (1 <= 0.5 x 4).
    E2 innate: baseline 5 (3) -> first later draw day 40 is the progression draw, 7 (5): no decline.
    E3 baseline 2.0 (0): cannot decline -> "baseline CN <= 2".
    E4 no draw in the baseline window (first draw day 30) -> "no baseline draw".
    E5 baseline draw without ERBB2 CN -> "no baseline ERBB2 CN".
    E6 baseline 4, no later draw -> "no draw after the baseline draw".
    E7 baseline 4, first later draw (day 21) without ERBB2 CN -> "no ERBB2 CN at the first on-treatment draw".
    """
    ids = ["E1", "E2", "E3", "E4", "E5", "E6", "E7"]
    patients = pd.DataFrame({"patient_id": ids, "her2_status": ["POSITIVE"] * 7,
                             "pfs_months": [8.0, 40 / 30.4375, 6.0, 6.0, 6.0, 6.0, 6.0],
                             "pfs_event": [False, True, False, False, False, False, False]})
    draws = [("E1-B", "E1", -2, 6.0), ("E1-21", "E1", 21, 3.0), ("E2-B", "E2", -2, 5.0), ("E2-40", "E2", 40, 7.0),
             ("E3-B", "E3", -2, 2.0), ("E3-21", "E3", 21, 2.0), ("E4-30", "E4", 30, 3.0), ("E4-60", "E4", 60, 2.5),
             ("E5-B", "E5", -2, None), ("E5-21", "E5", 21, 3.0), ("E6-B", "E6", -2, 4.0),
             ("E7-B", "E7", -2, 4.0), ("E7-21", "E7", 21, None), ("E7-42", "E7", 42, 2.5)]
    samples = pd.DataFrame({"sample_id": [d[0] for d in draws], "patient_id": [d[1] for d in draws],
                            "sample_type": "plasma", "collection_day": [float(d[2]) for d in draws],
                            "timepoint": "ON_TREATMENT"})
    copy_number = pd.DataFrame({"sample_id": [d[0] for d in draws if d[3] is not None], "gene": "ERBB2",
                                "copy_number": [d[3] for d in draws if d[3] is not None]})
    timeline = pd.DataFrame([{"patient_id": "E2", "start_day": 40, "event_type": "STATUS",
                              "status": "PROGRESSION"}])
    return Study.from_tables(patients=patients, samples=samples, copy_number=copy_number, timeline=timeline)


def test_first_on_treatment_draw_whatever_it_is_and_true_reasons():
    trajectories = analyse_trajectories(make_study())
    assert trajectories.patients.set_index("patient_id").loc["E2", "progression_sample_id"] == "E2-40"
    grouping = by_early_decline(trajectories)
    assert grouping.table.set_index("patient_id")["group"].to_dict() == {"E1": "decline", "E2": "no decline"}
    caveats = "\n".join(grouping.caveats)
    for reason, pid in (("baseline CN <= 2", "E3"), ("no baseline draw", "E4"), ("no baseline ERBB2 CN", "E5"),
                        ("no draw after the baseline draw", "E6"),
                        ("no ERBB2 CN at the first on-treatment draw", "E7")):
        assert f"1 patient(s) not grouped ({reason}): {pid}" in caveats, (reason, caveats)
    assert grouping.summary.set_index("group").loc["not grouped", "n"] == 5
