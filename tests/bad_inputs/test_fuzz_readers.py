"""Hypothesis fuzzing: no text makes a table reader or the sample-sheet reader raise anything but our typed
errors (analysis.errors); a study with a fuzzed file opens or is refused with a StudyValidationError."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.errors import AnalysisError
from analysis.io.bed import read_bed
from analysis.io.sample_sheet import read_sample_sheet
from analysis.io.seg import read_seg
from analysis.io.tables import read_raw_table
from tests.bad_inputs.test_bad_inputs import read_in_study

CELLS = st.one_of(st.sampled_from(["", "NA", "inf", "-inf", "1e308", "nan", "-1", "0", "2.5", "P1", "P1-B0",
                                   "BASELINE", "plasma", "ERBB2", "1:PROGRESSION", "x\u00e9", "#"]),
                  st.text(max_size=6))
ROWS = st.lists(st.lists(CELLS, min_size=0, max_size=7), min_size=0, max_size=6)
HEADERS = st.sampled_from([
    "PATIENT_ID\tHER2_STATUS\tPFS_MONTHS\tPFS_STATUS", "SAMPLE_ID\tPATIENT_ID\tSAMPLE_TYPE\tCOLLECTION_DAY",
    "Hugo_Symbol\tP1-B0\tP1-D1", "ID\tchrom\tloc.start\tloc.end\tnum.mark\tseg.mean",
    "sample_id\tpatient_id\tsample_type\tcollection_day\ttimepoint\tvcf",
    "Tumor_Sample_Barcode\tHugo_Symbol\tt_ref_count\tt_alt_count\tt_depth"])
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _text(header: str, rows: list[list[str]]) -> str:
    return header + "\n" + "".join("\t".join(row) + "\n" for row in rows)


@FUZZ
@given(header=HEADERS, rows=ROWS, raw=st.binary(max_size=40))
def test_standalone_readers_raise_only_typed_errors(header, rows, raw):
    with tempfile.TemporaryDirectory() as folder:
        for content in (_text(header, rows).encode("utf-8"), raw):
            path = Path(folder) / "file.tsv"
            path.write_bytes(content)
            for reader in (read_raw_table, read_seg, read_bed, read_sample_sheet):
                with contextlib.suppress(AnalysisError):  # anything else fails the test
                    reader(path)


@FUZZ
@given(fmt=st.sampled_from(["clinical_patient", "clinical_sample", "cna", "log2_cna", "maf", "timeline", "seg"]),
       header=HEADERS, rows=ROWS)
def test_a_fuzzed_study_file_opens_or_is_refused_in_words(tiny_study_dir, fmt, header, rows):
    with tempfile.TemporaryDirectory() as folder:
        study = Path(folder) / "study"
        shutil.copytree(tiny_study_dir, study)
        source = Path(folder) / "fuzzed.txt"
        source.write_text(_text(header, rows), encoding="utf-8")
        verdict, _ = read_in_study(source, fmt, study)
        assert verdict in ("error", "warning", "accepted")
