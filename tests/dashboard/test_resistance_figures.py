"""Oncoprint and HER2 slope figure builders: what is drawn equals the data given."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.figures.oncoprint import GLYPHS, N_TRACK_ROWS, glyph_count, oncoprint_figure
from dashboard.figures.resistance import her2_slope_figure

PATIENTS = ("A", "B", "C")
ROWS = pd.DataFrame({
    "gene": ["ERBB2", "ERBB2", "PIK3CA"],
    "source": ["plasma", "tissue", "plasma"],
    "pathway": ["HER_FAMILY", "HER_FAMILY", "PI3K"],
    "n_altered": [2, 1, 1],
    "pct_altered": [200 / 3, 100 / 3, 100 / 3],
})
TRACKS = pd.DataFrame({
    "patient_id": ["C", "B", "A"],  # not in column order: the figure must reorder
    "her2_status": ["POSITIVE", "POSITIVE", "NEGATIVE"],
    "resistance_class": ["innate", "acquired", "none"],
    "n_mechanisms": [2, 1, 0],
    "mechanism_group": ["2+", "1", "0"],
    "pfs_months": [1.5, 7.25, np.nan],
    "pfs_event": pd.array([True, True, pd.NA], dtype="boolean"),
})


def _cells() -> pd.DataFrame:
    return pd.DataFrame({
        "patient_id": ["A", "B", "B", "C", "C", "Z", "A"],
        "gene": ["ERBB2", "ERBB2", "ERBB2", "PIK3CA", "ERBB2", "ERBB2", "KRAS"],
        "source": ["plasma", "plasma", "tissue", "plasma", "plasma", "plasma", "plasma"],
        "alteration_type": ["amplification", "missense", "amplification", "missense", "her2_loss", "deletion",
                            "truncating"],
        "status": ["baseline", "expanding", None, "new at progression", "new at progression", "baseline",
                   "baseline"],
        "new_at_progression": [False, False, False, True, True, False, False],
        "expanding": [False, True, False, False, False, False, False],
        "unknown_baseline": [False] * 7,
        "label": ["CN 5.1", "L755S", "CN 9.0", "H1047R", "HER2 loss (CN 2.1)", "CN 0.5", "Q1000*"],
        "timepoints": ["baseline", "progression", "tissue", "progression", "progression", "baseline", "baseline"],
    })


def _traces(fig, name):
    return [t for t in fig.data if t.name == name]


def test_every_cell_of_the_shown_patients_and_rows_is_one_glyph():
    cells = _cells()
    fig = oncoprint_figure(PATIENTS, ROWS, cells, TRACKS)
    # Patient Z is not shown and KRAS is not a row: 5 of the 7 cells are drawn.
    assert glyph_count(fig) == 5
    amp = _traces(fig, GLYPHS["amplification"][0])[0]
    # A (column 0) plasma ERBB2 = first gene row; B (column 1) tissue ERBB2 = second gene row.
    assert list(amp.x) == [0, 1]
    centres = np.asarray(amp.base) + np.asarray(amp.y) / 2
    assert list(centres) == [N_TRACK_ROWS, N_TRACK_ROWS + 1]
    missense = _traces(fig, GLYPHS["missense"][0])[0]
    assert sorted(zip(missense.x, np.asarray(missense.base) + np.asarray(missense.y) / 2, strict=True)) == [
        (1, N_TRACK_ROWS), (2, N_TRACK_ROWS + 2)]
    # Mutations are thinner than copy-number cells.
    assert missense.width < amp.width and missense.y[0] < amp.y[0]
    assert not _traces(fig, GLYPHS["deletion"][0]) and not _traces(fig, GLYPHS["truncating"][0])


def test_new_and_expanding_cells_carry_one_marker_each():
    fig = oncoprint_figure(PATIENTS, ROWS, _cells(), TRACKS)
    new = _traces(fig, "New at progression (plasma)")[0]
    assert sorted(zip(new.x, new.y, strict=True)) == [(2, N_TRACK_ROWS), (2, N_TRACK_ROWS + 2)]
    expanding = _traces(fig, "Expanding at progression (plasma)")[0]
    assert list(zip(expanding.x, expanding.y, strict=True)) == [(1, N_TRACK_ROWS)]
    assert new.marker.symbol != expanding.marker.symbol
    assert not _traces(fig, "Unknown: no baseline draw (plasma)")


def test_hover_names_patient_gene_alteration_and_values():
    details = pd.DataFrame({"patient_id": ["B"], "gene": ["ERBB2"], "source": ["plasma"],
                            "detail": ["progression (B-D3): L755S, VAF 13.7%"]})
    fig = oncoprint_figure(PATIENTS, ROWS, _cells(), TRACKS, details)
    heat = _traces(fig, "cells")[0]
    text = np.asarray(heat.text)
    assert text.shape == (N_TRACK_ROWS + len(ROWS), 3)
    cell = text[N_TRACK_ROWS, 1]
    assert "<b>B</b>" in cell and "ERBB2</b> (plasma)" in cell and "Missense mutation: L755S" in cell
    assert "(expanding)" in cell and "VAF 13.7%" in cell and "acquired resistance" in cell
    assert "(baseline)" in text[N_TRACK_ROWS, 0] and "no alteration" in text[N_TRACK_ROWS + 2, 0]
    # Clicks find the patient in the heatmap's customdata.
    assert list(np.asarray(heat.customdata)[0]) == list(PATIENTS)


def test_tracks_follow_the_column_order():
    fig = oncoprint_figure(PATIENTS, ROWS, _cells(), TRACKS)
    assert list(_traces(fig, "innate")[0].x) == [2] and list(_traces(fig, "none")[0].x) == [0]
    progression = _traces(fig, "PFS: progression")[0]
    assert list(progression.x) == [1, 2] and list(progression.y) == [7.25, 1.5]
    assert list(fig.layout.xaxis3.ticktext) == list(PATIENTS)


def test_frequency_bars_show_the_rows_share():
    fig = oncoprint_figure(PATIENTS, ROWS, _cells(), TRACKS)
    freq = _traces(fig, "frequency")[0]
    # Each bar is labelled with its percent; the hover says "67% (n=2)" and how many were profiled.
    assert list(freq.x) == list(ROWS["pct_altered"]) and list(freq.text) == ["67%", "33%", "33%"]
    assert [row[5] for row in freq.customdata] == ["67% (n=2)", "33% (n=1)", "33% (n=1)"]
    assert "%{customdata[5]}" in freq.hovertemplate and "profiled patients shown" in freq.hovertemplate
    # The pathway in the hover is named in clinical words, never its code (issue 11.2).
    assert [row[3] for row in freq.customdata] == ["HER family", "HER family", "PI3K pathway"]
    # The side bars' axis says what they show.
    assert "% of profiled" in fig.layout.xaxis4.title.text and fig.layout.xaxis4.ticksuffix == "%"


def test_no_patient_gives_an_explaining_figure():
    fig = oncoprint_figure((), ROWS, _cells(), TRACKS)
    assert "No patient" in fig.layout.annotations[0].text


def test_slope_plot_draws_each_pair_and_counts_rises_per_class():
    frame = pd.DataFrame({
        "patient_id": ["P1", "P2", "P3", "P4"],
        "resistance_class": ["innate", "innate", "acquired", "acquired"],
        "baseline_erbb2_cn": [4.0, 3.0, 6.0, 5.0],
        "progression_erbb2_cn": [6.5, 2.5, 2.2, 2.1],
    })
    fig = her2_slope_figure(frame, cutoff=2.4)
    titles = [a.text for a in fig.layout.annotations if a.text and "resistance" in a.text]
    assert titles == ["Innate resistance: 1/2 above baseline at progression",
                      "Acquired resistance: 0/2 above baseline at progression"]
    innate = [t for t in fig.data if t.name == "innate (n=2)"][0]
    assert list(innate.y) == [4.0, 6.5, None, 3.0, 2.5, None]
    assert list(innate.x) == [0, 1, None] * 2  # numbers labelled by the axis (categories drew 2x slower)
    assert list(fig.layout.xaxis.ticktext) == ["Baseline", "Progression"] == list(fig.layout.xaxis2.ticktext)
    assert list(fig.layout.xaxis.tickvals) == [0, 1]
    assert any(s.y0 == 2.4 and s.y1 == 2.4 for s in fig.layout.shapes)


def test_slope_plot_without_pairs_explains_itself():
    empty = pd.DataFrame(columns=["patient_id", "resistance_class", "baseline_erbb2_cn", "progression_erbb2_cn"])
    assert "No progressor" in her2_slope_figure(empty, 2.4).layout.annotations[0].text


def test_a_structural_variant_is_its_own_glyph_between_copy_number_and_mutations():
    sv = pd.DataFrame([{"patient_id": "A", "gene": "PIK3CA", "source": "plasma",
                        "alteration_type": "structural_variant",
                        "status": "new at progression", "new_at_progression": True, "expanding": False,
                        "unknown_baseline": False, "label": "PIK3CA-TBL1XR1 fusion", "timepoints": "progression"}])
    fig = oncoprint_figure(PATIENTS, ROWS, pd.concat([_cells(), sv], ignore_index=True), TRACKS)
    label = GLYPHS["structural_variant"][0]
    glyph = _traces(fig, label)[0]
    assert list(glyph.x) == [0] and glyph.legendgroup == "alteration"
    amp, missense = _traces(fig, GLYPHS["amplification"][0])[0], _traces(fig, GLYPHS["missense"][0])[0]
    assert missense.y[0] < glyph.y[0] < amp.y[0] and missense.width < glyph.width < amp.width
    assert glyph_count(fig) == 6
    assert (0, N_TRACK_ROWS + 2) in set(zip(_traces(fig, "New at progression (plasma)")[0].x,
                                            _traces(fig, "New at progression (plasma)")[0].y, strict=True))
    text = np.asarray(_traces(fig, "cells")[0].text)
    assert "Structural variant / fusion: PIK3CA-TBL1XR1 fusion (new at progression)" in text[N_TRACK_ROWS + 2, 0]


def test_not_profiled_cells_are_hatched_and_say_so_unlike_unaltered_cells():
    not_profiled = pd.DataFrame({"patient_id": ["B", "A", "Z"], "gene": ["PIK3CA", "ERBB2", "PIK3CA"],
                                 "source": ["plasma", "plasma", "plasma"],
                                 "sample_ids": ["B-1;B-9", "A-1", "Z-1"]})
    rows = ROWS.assign(n_profiled=[3, 3, 2])
    fig = oncoprint_figure(PATIENTS, rows, _cells(), TRACKS, not_profiled=not_profiled)
    hatched = _traces(fig, "Not profiled (gene not on the sample's panel)")[0]
    # Z is not shown; B's PIK3CA and A's ERBB2 (which also carries an amplification) are drawn as not profiled.
    assert sorted(zip(hatched.x, np.asarray(hatched.base) + 0.43, strict=True)) == [
        (0, N_TRACK_ROWS), (1, N_TRACK_ROWS + 2)]
    assert hatched.marker.pattern.shape == "/"
    text = np.asarray(_traces(fig, "cells")[0].text)
    assert text[N_TRACK_ROWS + 2, 1] == ("<b>B</b> · PIK3CA (plasma): not profiled: PIK3CA not on these samples' "
                                         "panels (B-1, B-9)")
    assert "no alteration" in text[N_TRACK_ROWS + 1, 0]  # profiled and not altered: the plain empty cell
    assert "Mutations not profiled: ERBB2 not on this sample's panel (A-1)" in text[N_TRACK_ROWS, 0]
    assert "Amplification: CN 5.1" in text[N_TRACK_ROWS, 0]
    freq = _traces(fig, "frequency")[0]
    assert [int(c[4]) for c in freq.customdata] == [3, 3, 2] and "profiled patients" in freq.hovertemplate
    # Nothing unprofiled: no hatched trace at all.
    plain = oncoprint_figure(PATIENTS, ROWS, _cells(), TRACKS)
    assert not _traces(plain, "Not profiled (gene not on the sample's panel)")


def test_slope_plot_of_thousands_of_progressors_stays_small_and_keeps_the_hover():
    n = 1500
    frame = pd.DataFrame({
        "patient_id": [f"P{i:05d}" for i in range(n)],
        "resistance_class": ["innate", "acquired"] * (n // 2),
        "baseline_erbb2_cn": np.linspace(2.0, 9.0, n),
        "progression_erbb2_cn": np.linspace(9.0, 2.0, n),
        "baseline_day": 0.0, "progression_draw_day": [np.nan] + [120.0] * (n - 1),
    })
    fig = her2_slope_figure(frame, cutoff=2.4)
    lines = [t for t in fig.data if t.name and "(n=" in t.name]
    assert {t.type for t in lines} == {"scatter"} and {t.mode for t in lines} == {"lines"}
    assert sum(len(t.y) for t in lines) == 3 * n
    first = lines[0].customdata[0]
    assert first[0] == "P00000" and first[4] == " (days 0 and not recorded)"
    assert "%{customdata[0]}" in lines[0].hovertemplate
    assert len(fig.to_json()) < 250 * n  # about 0.5 kB per patient with text per point
