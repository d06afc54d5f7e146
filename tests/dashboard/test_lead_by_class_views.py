"""Issue 9.7 on the Response page: per-class lead time cards and sentence, share with Wilson CI."""

from __future__ import annotations

from analysis.params import AnalysisParameters
from analysis.response import analyse_response
from analysis.trajectory import analyse_trajectories
from dashboard.views.response import headline_facts, lead_class_sentence, response_view
from tests.analysis.test_trajectory import make_study


def test_cards_and_sentence_per_class():
    trajectories = analyse_trajectories(make_study())
    response = analyse_response(trajectories)
    facts = {label: (value, detail) for value, label, detail in headline_facts(response)}
    assert "median lead time (days)" not in facts  # the cohort median alone hides the classes
    assert facts["median lead time, innate (days)"] == ("7", "IQR 7 to 7; n = 1 of 1 innate progressors with a "
                                                        "HER2 CN rise")
    assert facts["median lead time, acquired (days)"][0] == "-"
    share = facts["HER2 CN rise before radiological progression"]
    assert share[0] == "50.0% (1/2)" and "(Wilson)" in share[1] and "of 2 progressors" in share[1]
    sentence = lead_class_sentence(response.lead_by_class)
    assert "acquired: no HER2 CN rise (n = 1)" in sentence and "innate: median 7 days" in sentence
    assert "1 of 2 progressors" in sentence
    view = response_view(response, AnalysisParameters(), trajectories.patients)
    assert sentence in view["lead_text"]
