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


def test_serving_beyond_loopback_limits_which_studies_may_be_opened(tmp_path):
    settings = parse_settings(["--host", "0.0.0.0", "--study", str(tmp_path / "studies" / "demo"),
                               "--trusted-proxy", "10.0.0.5", "--audit-log", str(tmp_path / "audit.jsonl")])
    assert settings.studies_root == (tmp_path / "studies").resolve()
    assert parse_settings([]).studies_root is None


def test_opening_outside_the_studies_root_is_refused(tmp_path, tiny_study_dir):
    import pytest

    from analysis.errors import InputError
    from dashboard.settings import Settings, get_settings, set_settings
    from dashboard.study_switch import resolve_folder

    previous = get_settings()
    set_settings(Settings(studies_root=tmp_path / "elsewhere"))
    try:
        with pytest.raises(InputError, match="only study folders under"):
            resolve_folder(str(tiny_study_dir))
        set_settings(Settings(studies_root=tiny_study_dir.parent))
        assert resolve_folder(str(tiny_study_dir)) == tiny_study_dir.resolve()
    finally:
        set_settings(previous)
