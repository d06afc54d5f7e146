"""Server-paged tables (dashboard/views/table_pages.py): blocks of rows sorted, filtered and counted on the server
as AG Grid's client-side row model would, and the CSV of every row passing the filters."""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pytest

from dashboard.components.tables import SERVER_ROWS_ABOVE, data_table
from dashboard.views.table_pages import PagedRows, csv_text, js_number, markdown_text

FRAME = pd.DataFrame({
    "patient": ["[P3](/patient/P3)", "[P1](/patient/P1)", "[P\\_2](/patient/P_2)", "[P4](/patient/P4)",
                "[P5](/patient/P5)"],
    "status": ["positive", "Negative", None, "positive", "unknown"],
    "cn": [2.5, None, 10.0, 2.5, 0.5],
})
NUMERIC = {"cn"}
MARKDOWN = {"patient"}


def _rows() -> PagedRows:
    return PagedRows(FRAME, NUMERIC, MARKDOWN)


def _ids(answer: dict) -> list[str]:
    return [markdown_text(row["patient"]) for row in answer["rowData"]]


def _request(sort=None, filters=None, start=0, end=100) -> dict:
    return {"startRow": start, "endRow": end, "sortModel": sort or [], "filterModel": filters or {}}


def test_blocks_cut_rows_in_table_order_and_count_them_all():
    answer = _rows().block(_request(start=1, end=3))
    assert _ids(answer) == ["P1", "P_2"]
    assert answer["rowCount"] == 5
    assert answer["rowData"][0] == {"patient": "[P1](/patient/P1)", "status": "Negative", "cn": None}
    assert _rows().block(_request(start=4, end=100))["rowData"][0]["cn"] == 0.5
    assert _rows().block(_request(start=9, end=20)) == {"rowData": [], "rowCount": 5}


def test_sorting_puts_missing_values_first_ascending_and_last_descending_ties_in_table_order():
    assert _ids(_rows().block(_request([{"colId": "cn", "sort": "asc"}]))) == ["P1", "P5", "P3", "P4", "P_2"]
    assert _ids(_rows().block(_request([{"colId": "cn", "sort": "desc"}]))) == ["P_2", "P3", "P4", "P5", "P1"]
    # text by code point (upper case first), links by their text
    assert _ids(_rows().block(_request([{"colId": "status", "sort": "asc"}]))) == ["P_2", "P1", "P3", "P4", "P5"]
    assert _ids(_rows().block(_request([{"colId": "patient", "sort": "desc"}]))) == ["P_2", "P5", "P4", "P3", "P1"]
    # several columns: the first one decides, the next breaks its ties
    two = [{"colId": "cn", "sort": "desc"}, {"colId": "patient", "sort": "desc"}]
    assert _ids(_rows().block(_request(two))) == ["P_2", "P4", "P3", "P5", "P1"]


def test_number_filters_follow_ag_grid_and_leave_missing_values_out():
    def ids(model):
        return _ids(_rows().block(_request(filters={"cn": {"filterType": "number", **model}})))

    assert ids({"type": "equals", "filter": 2.5}) == ["P3", "P4"]
    assert ids({"type": "notEqual", "filter": 2.5}) == ["P_2", "P5"]
    assert ids({"type": "greaterThan", "filter": 2.5}) == ["P_2"]
    assert ids({"type": "greaterThanOrEqual", "filter": 2.5}) == ["P3", "P_2", "P4"]
    assert ids({"type": "lessThan", "filter": 2.5}) == ["P5"]
    assert ids({"type": "lessThanOrEqual", "filter": 2.5}) == ["P3", "P4", "P5"]
    assert ids({"type": "inRange", "filter": 0.5, "filterTo": 10}) == ["P3", "P4"]  # both ends excluded
    assert ids({"type": "blank"}) == ["P1"]
    assert ids({"type": "notBlank"}) == ["P3", "P_2", "P4", "P5"]
    assert ids({"type": "equals", "filter": None}) == ["P3", "P1", "P_2", "P4", "P5"]  # no value: no filter
    assert ids({"operator": "OR", "conditions": [{"type": "lessThan", "filter": 1},
                                                 {"type": "greaterThan", "filter": 5}]}) == ["P_2", "P5"]
    assert ids({"operator": "AND", "conditions": [{"type": "greaterThan", "filter": 1},
                                                  {"type": "lessThan", "filter": 5}]}) == ["P3", "P4"]
    with pytest.raises(ValueError, match="number filter type 'near'"):
        ids({"type": "near", "filter": 1})


def test_text_filters_ignore_case_and_read_links_as_their_text():
    def ids(column, model):
        return _ids(_rows().block(_request(filters={column: {"filterType": "text", **model}})))

    assert ids("status", {"type": "contains", "filter": "POS"}) == ["P3", "P4"]
    assert ids("status", {"type": "notContains", "filter": "pos"}) == ["P1", "P_2", "P5"]  # missing passes
    assert ids("status", {"type": "equals", "filter": "negative"}) == ["P1"]
    assert ids("status", {"type": "notEqual", "filter": "positive"}) == ["P1", "P_2", "P5"]
    assert ids("status", {"type": "startsWith", "filter": "un"}) == ["P5"]
    assert ids("status", {"type": "endsWith", "filter": "IVE"}) == ["P3", "P1", "P4"]
    assert ids("status", {"type": "blank"}) == ["P_2"]
    assert ids("status", {"type": "notBlank"}) == ["P3", "P1", "P4", "P5"]
    assert ids("patient", {"type": "equals", "filter": "p_2"}) == ["P_2"]  # not the link's Markdown
    assert ids("patient", {"type": "contains", "filter": "patient"}) == []  # nor its URL
    # filters of several columns all apply, and the count is the filtered one
    answer = _rows().block(_request(filters={"status": {"filterType": "text", "type": "contains", "filter": "pos"},
                                             "cn": {"filterType": "number", "type": "lessThan", "filter": 3}},
                                    start=0, end=1))
    assert _ids(answer) == ["P3"] and answer["rowCount"] == 2


def test_blocks_equal_pandas_sorting_and_filtering_the_whole_table():
    rng = np.random.default_rng(11)
    n = 3000
    frame = pd.DataFrame({
        "id": [f"P{i:05d}" for i in rng.permutation(n)],
        "group": rng.choice(["alpha", "beta", "gamma", None], n),
        "value": np.where(rng.random(n) < 0.1, np.nan, rng.normal(5, 2, n).round(1)),
    })
    rows = PagedRows(frame, {"value"})
    sort = [{"colId": "group", "sort": "desc"}, {"colId": "value", "sort": "asc"}]
    filters = {"value": {"filterType": "number", "type": "greaterThan", "filter": 4.0}}
    kept = frame[frame["value"] > 4.0]
    # pandas: group descending with missing last, then value ascending, ties in table order (stable)
    expected = kept.assign(_g=kept["group"].fillna("")).sort_values(["_g", "value"], ascending=[False, True],
                                                                     kind="stable")
    got = []
    for start in range(0, len(kept) + 100, 100):
        answer = rows.block(_request(sort, filters, start, start + 100))
        assert answer["rowCount"] == len(kept)
        got += [row["id"] for row in answer["rowData"]]
    assert got == expected["id"].tolist()
    # no sort: the table's order
    assert [r["id"] for r in rows.block(_request(filters=filters, end=50))["rowData"]] == kept["id"].head(50).tolist()
    assert rows.rows(_request(sort, filters))["id"].tolist() == expected["id"].tolist()


def test_the_sample_holds_each_columns_longest_values():
    sample = PagedRows(FRAME, NUMERIC, MARKDOWN).sample(per_column=1)
    assert {markdown_text(r["patient"]) for r in sample} >= {"P3"}
    assert any(r["status"] == "Negative" or r["status"] == "positive" for r in sample)
    assert any(r["cn"] == 10.0 for r in sample)


def test_csv_has_display_headers_exact_values_link_text_and_no_formulas():
    frame = pd.DataFrame({"patient": ["[P\\_1](/patient/P_1)", "[=cmd](/patient/%3Dcmd)"],
                          "note": ['say "hi", then', None], "cn": [3.0, 1.5e-05]})
    text = csv_text(frame, {"patient": "Patient", "note": "Note", "cn": "CN (copies)"}, {"patient"})
    assert text.endswith("\r\n")
    assert list(csv.reader(io.StringIO(text))) == [["Patient", "Note", "CN (copies)"], ["P_1", 'say "hi", then', "3"],
                                                    ["'=cmd", "", "0.000015"]]
    assert js_number(-2.0) == "-2" and js_number(0.1) == "0.1"


def test_small_tables_stay_in_the_browser_and_large_ones_page_on_the_server():
    small = data_table(FRAME, "cohort-table")
    assert small.grid.rowModelType == "clientSide" and len(small.grid.rowData) == 5
    big = data_table(FRAME.iloc[:0], "cohort-table", server_rows=True, page_size=20)
    assert big.grid.rowModelType == "infinite"
    assert getattr(big.grid, "rowData", None) is None
    assert big.grid.dashGridOptions["cacheBlockSize"] == 100
    assert big.grid.dashGridOptions["context"]["serverRows"] is True
    from dashboard.callbacks.table_pages import server_rows_for

    assert not server_rows_for(78) and not server_rows_for(SERVER_ROWS_ABOVE) and server_rows_for(10_000)


def test_a_headline_count_has_thousands_separators():
    from dashboard.components.tables import stat_card

    assert stat_card("patients", 10000).children[0].children == "10,000"
    assert stat_card("patients", 78).children[0].children == "78"
    assert stat_card("share", "76.5% (1666/2179)").children[0].children == "76.5% (1666/2179)"  # text as given
