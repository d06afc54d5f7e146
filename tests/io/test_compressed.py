"""Gzip inputs are decompressed as a stream, with a size and a ratio limit, into no file that can outlive
the process (issue 15, item 2)."""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

from analysis.io import compressed
from analysis.io.compressed import MAX_BYTES_ENV, gunzip_to_temporary, open_gzip
from analysis.io.coverage import read_reference
from analysis.io.errors import DecompressionLimitError
from analysis.io.vcf import read_vcf
from tests.io.conftest import SHARED_DATA

STRELKA_PLAIN_GZIP = SHARED_DATA / "strelka_demo" / "somatic.indels.vcf.gz"
ROOT = Path(__file__).resolve().parents[2]


def _bomb(path: Path, megabytes: int) -> Path:
    """A gzip of *megabytes* MiB of one repeated header line (compresses about 1000:1)."""
    block = (b"##" + b"x" * 1021 + b"\n") * 1024
    with gzip.open(path, "wb", compresslevel=9) as out:
        for _ in range(megabytes):
            out.write(block)
    return path


def test_vcf_bomb_is_refused_past_the_size_limit_with_how_to_raise_it(tmp_path, monkeypatch):
    bomb = _bomb(tmp_path / "bomb.vcf.gz", 3)
    monkeypatch.setenv(MAX_BYTES_ENV, str(1 << 20))
    with pytest.raises(DecompressionLimitError) as caught:
        read_vcf(bomb)
    message = str(caught.value)
    assert str(bomb) in message and "more than 1 MiB" in message and MAX_BYTES_ENV in message


def test_bomb_is_refused_by_its_ratio_before_the_size_limit(tmp_path, monkeypatch):
    bomb = _bomb(tmp_path / "bomb.vcf.gz", 70)
    assert bomb.stat().st_size < (70 << 20) / compressed.MAX_RATIO
    monkeypatch.delenv(MAX_BYTES_ENV, raising=False)
    with pytest.raises(DecompressionLimitError, match="decompression bomb") as caught, open_gzip(bomb) as stream:
        while stream.read(1 << 20):
            pass
    assert str(bomb) in str(caught.value)


def test_a_bad_limit_in_the_environment_falls_back_to_the_default(monkeypatch):
    for text in ("", "lots", "-5", "0"):
        monkeypatch.setenv(MAX_BYTES_ENV, text)
        assert compressed.max_decompressed_bytes() == compressed.DEFAULT_MAX_BYTES
    monkeypatch.setenv(MAX_BYTES_ENV, "12345")
    assert compressed.max_decompressed_bytes() == 12345


def test_plain_gzip_vcf_reads_the_same_as_its_decompressed_text(tmp_path):
    plain = tmp_path / "somatic.indels.vcf"
    with gzip.open(STRELKA_PLAIN_GZIP, "rb") as zipped:
        plain.write_bytes(zipped.read())
    from_gzip, from_text = read_vcf(STRELKA_PLAIN_GZIP), read_vcf(plain)
    pd.testing.assert_frame_equal(from_gzip.variants, from_text.variants)
    assert (from_gzip.n_records, from_gzip.filtered, from_gzip.tumour_column) == (
        from_text.n_records, from_text.filtered, from_text.tumour_column)
    assert any("plain gzip" in note for note in from_gzip.notes)


def test_the_temporary_copy_has_no_name_on_disk(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)
    with gunzip_to_temporary(STRELKA_PLAIN_GZIP) as path:
        assert path.startswith("/proc/self/fd/")
        assert os.readlink(path).endswith("(deleted)") or not Path(os.readlink(path)).exists()
        assert list(tmp_path.iterdir()) == []
        assert Path(path).read_bytes().startswith(b"##fileformat=VCF")


def test_gzip_reference_table_is_read_through_the_limits(tmp_path, monkeypatch):
    table = "chromosome\tstart\tend\ttarget\tgene\treference_depth\tspread\tn_normals\n" + (
        "17\t1\t2\tt\tERBB2\t100\t0.1\t3\n" * 2000)
    path = tmp_path / "reference.tsv.gz"
    path.write_bytes(gzip.compress(table.encode()))
    assert len(read_reference(path)) == 2000
    monkeypatch.setenv(MAX_BYTES_ENV, "1000")
    with pytest.raises(DecompressionLimitError, match="reference.tsv.gz"):
        read_reference(path)


def test_a_process_killed_mid_decompression_leaves_no_temporary_file(tmp_path):
    """kill -9 while decompressing: the partial copy is freed by the kernel, no file remains."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    source = _bomb(tmp_path / "big.vcf.gz", 8)  # a header-only VCF, 8 MiB decompressed
    started = tmp_path / "started"
    child = textwrap.dedent(f"""
        import gzip, time
        from pathlib import Path
        from analysis.io.vcf import read_vcf

        real = gzip.GzipFile.read
        calls = []

        def slow(self, *args):
            calls.append(1)
            if len(calls) == 3:  # decompression is under way, the temporary copy is being written
                Path({str(started)!r}).write_text("1")
                time.sleep(600)
            return real(self, *args)

        gzip.GzipFile.read = slow
        read_vcf({str(source)!r})
    """)
    env = {**os.environ, "TMPDIR": str(temp), "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-c", child], env=env, cwd=ROOT)
    try:
        for _ in range(600):
            if started.exists() or process.poll() is not None:
                break
            time.sleep(0.1)
        assert started.exists(), "the child never reached the decompression"
        open_files = [os.readlink(fd) for fd in Path(f"/proc/{process.pid}/fd").iterdir()]
        assert any(str(temp) in name for name in open_files)  # the copy exists, nameless, in TMPDIR
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait()
    assert process.returncode == -signal.SIGKILL
    assert list(temp.iterdir()) == []
