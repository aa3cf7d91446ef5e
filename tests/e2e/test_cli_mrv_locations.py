"""Problem locations stay true where rows and lines differ: blank lines, quoted newlines, XLSX gaps."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from typer.testing import CliRunner

from carbonbridge.entrypoints.cli.main import app

HEADER = "record_id,installation_id,source_stream,activity,quantity,unit\n"


def _calc(tmp_path: Path, source: Path) -> tuple[int, list[str]]:
    result = CliRunner().invoke(app, ["mrv", "calc", str(source), "--out", str(tmp_path / "out.csv")])
    assert not (tmp_path / "out.csv").exists()
    return result.exit_code, result.stderr.strip().splitlines()


def test_csv_blank_lines_are_skipped_and_later_lines_keep_their_numbers(tmp_path: Path) -> None:
    source = tmp_path / "gaps.csv"
    source.write_text(HEADER + "r1,I,s,clinker,10,t\n\nr2,I,s,clinker,-1,t\n", encoding="utf-8")
    code, lines = _calc(tmp_path, source)
    assert code == 2
    assert lines == [f"{source}:4:5: quantity must not be negative, got -1"]


def test_a_quoted_newline_moves_the_following_records_down_a_line(tmp_path: Path) -> None:
    source = tmp_path / "multiline.csv"
    source.write_text(HEADER + 'r1,I,"two\nlines",clinker,abc,t\nr2,I,s,clinker,5,MWh\n', encoding="utf-8")
    code, lines = _calc(tmp_path, source)
    assert code == 2
    assert lines == [
        f"{source}:2:5: expected a number, got 'abc'",
        f"{source}:4:6: clinker is measured in mass (t, kt, kg...), got 'MWh' (energy)",
    ]


def test_xlsx_rows_after_an_empty_row_are_reported_on_their_own_row(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER.strip().split(","))
    sheet.append(["r1", "I", "s", "clinker", 10, "t"])
    sheet.append([])
    sheet.append(["r2", "I", "s", "clinker", -100, "t"])
    source = tmp_path / "gap.xlsx"
    book.save(source)
    code, lines = _calc(tmp_path, source)
    assert code == 2
    assert lines == [f"{source}[{sheet.title}]:4:5: quantity must not be negative, got -100"]
