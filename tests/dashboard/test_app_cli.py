"""app.py: settings, refusal of a broken study, safe defaults."""

from __future__ import annotations

import app
from dashboard.settings import parse_settings


def test_defaults_bind_to_loopback_without_debug():
    settings = parse_settings([])
    assert settings.host == "127.0.0.1" and settings.port == 8050 and settings.debug is False
    assert settings.study.name == "demo"


def test_broken_study_is_refused_with_its_report(tiny_study_dir, capsys):
    path = tiny_study_dir / "data_clinical_patient.txt"
    path.write_text(path.read_text().replace("\t5.5\t", "\tfive\t"))
    assert app.main(["--study", str(tiny_study_dir)]) == 2
    err = capsys.readouterr().err
    assert "refused: 1 error(s)" in err
    assert "data_clinical_patient.txt:6 [PFS_MONTHS]" in err


def test_missing_study_folder_is_refused(tmp_path, capsys):
    assert app.main(["--study", str(tmp_path / "absent")]) == 2
    assert "study folder not found" in capsys.readouterr().err
