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


def test_a_bad_cell_deep_in_a_large_file_is_reported_on_its_own_line(tmp_path: Path) -> None:
    # 200,000 records with a blank line, a comma-only line and a quoted newline early on: every
    # later record sits below its row number, and only the bad ones are located.
    source = tmp_path / "large.csv"
    chunks, expected = [HEADER], []
    physical = 1  # lines written so far
    for n in range(200_000):
        if n in (1_000, 2_000):
            chunks.append("\n" if n == 1_000 else ",,,,,\n")
            physical += 1
        line = physical + 1  # the line this record starts on
        record_id, stream, quantity = f"r{n}", '"boiler\n3"' if n == 3_000 else "boiler", "12.5"
        if n == 1_500:
            first_1500 = line
        if n == 150_000:
            quantity = '"12,5"'  # quoted, so one cell: a decimal comma
            expected.append(f"{source}:{line}:5: expected a number, got '12,5'")
        if n == 199_999:
            record_id = "r1500"
            expected.append(f"{source}:{line}:1: duplicate record_id 'r1500' (first on line {first_1500})")
        chunks.append(f"{record_id},BY-1,{stream},clinker,{quantity},t\n")
        physical += 2 if n == 3_000 else 1
    source.write_text("".join(chunks), encoding="utf-8")
    code, reported = _calc(tmp_path, source)
    assert code == 2
    assert reported == expected
    # by hand: header line 1; record n on line n + 2, +1 after the blank line (n >= 1000), +1
    # after the comma-only line (n >= 2000), +1 after the quoted newline (n > 3000)
    assert reported == [
        f"{source}:150005:5: expected a number, got '12,5'",
        f"{source}:200004:1: duplicate record_id 'r1500' (first on line 1503)",
    ]


def test_escaped_quotes_and_crlf_line_ends_keep_the_lines_right(tmp_path: Path) -> None:
    source = tmp_path / "quoted.csv"
    text = (
        HEADER.replace("\n", "\r\n")
        + 'r1,I,"the ""old"" boiler,\r\nnorth",clinker,10,t\r\n'  # lines 2-3
        + '"r2",I,"""",clinker,10,MWh\r\n'  # line 4
        + "\r\n"  # line 5
        + 'r3,I,"s\r\n\r\nthree lines",clinker,lots,t\r\n'  # lines 6-8
        + "r4,I,s,clinker,-2,t\r\n"  # line 9
    )
    source.write_bytes(text.encode("utf-8"))
    code, lines = _calc(tmp_path, source)
    assert code == 2
    assert lines == [
        f"{source}:4:6: clinker is measured in mass (t, kt, kg...), got 'MWh' (energy)",
        f"{source}:6:5: expected a number, got 'lots'",
        f"{source}:9:5: quantity must not be negative, got -2",
    ]


def test_cells_with_spaces_around_read_as_their_trimmed_text(tmp_path: Path) -> None:
    source = tmp_path / "padded.csv"
    source.write_text(
        HEADER
        + "r1 , BY-1 ,s, clinker ,  10 , t \n"  # fine once trimmed
        + "r2,BY-1,s,clinker,  lots  ,t\n"  # line 3: reported trimmed
        + "   ,BY-1,s,clinker,5,t\n"  # line 4: a blank record_id is a missing one
        + "r1,BY-1,s,clinker,5,t\n",  # line 5: 'r1 ' on line 2 is r1
        encoding="utf-8",
    )
    code, lines = _calc(tmp_path, source)
    assert code == 2
    assert lines == [
        f"{source}:3:5: expected a number, got 'lots'",
        f"{source}:4:1: missing value for required column record_id",
        f"{source}:5:1: duplicate record_id 'r1' (first on line 2)",
    ]
    good = tmp_path / "good.csv"
    good.write_text(HEADER + "r1 , BY-1 ,s, clinker ,  10 , t \n", encoding="utf-8")
    result = CliRunner().invoke(app, ["mrv", "calc", str(good), "--out", str(tmp_path / "out.csv")])
    assert result.exit_code == 0, result.stderr
    row = (tmp_path / "out.csv").read_text(encoding="utf-8").splitlines()[1].split(",")
    assert row[:6] == ["r1 ", " BY-1 ", "s", " clinker ", "  10 ", " t "]  # the input, as written
    assert float(row[6]) == 10 * 0.52  # t CO2 (IPCC 2006 Vol 3 Eq 2.4)


def test_problems_as_json_lines_carry_what_each_field_should_hold(tmp_path: Path) -> None:
    import json

    source = tmp_path / "bad.csv"
    source.write_text(HEADER + "r1,I,s,clinker,-1,t\nr2,I,s,clinker,5,MWh\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(app, ["--problems", "json", "mrv", "calc", str(source), "--out", str(out)])
    assert result.exit_code == 2 and not out.exists()
    assert [json.loads(line) for line in result.stderr.strip().splitlines()] == [
        {
            "file": str(source),
            "line": 2,
            "column": 5,
            "field": "quantity",
            "message": "quantity must not be negative, got -1",
            "expected": "number >= 0",
        },
        {
            "file": str(source),
            "line": 3,
            "column": 6,
            "field": "unit",
            "message": "clinker is measured in mass (t, kt, kg...), got 'MWh' (energy)",
            "expected": "unit of mass: t, kt, kg...",
        },
    ]
    # the default stays the FILE:LINE:COLUMN: message lines
    code, lines = _calc(tmp_path, source)
    assert code == 2 and lines[0] == f"{source}:2:5: quantity must not be negative, got -1"
    refused = CliRunner().invoke(app, ["--problems", "xml", "mrv", "calc", str(source), "--out", str(out)])
    assert refused.exit_code == 2 and "--problems" in refused.stderr
