"""The CSV reader's row -> line map (computed only when a problem is reported) on any CSV text:
quoted newlines, escaped quotes, blank lines, CRLF, no final newline."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from carbonbridge.adapters.tables import read_table

HEADER = ["record_id", "installation_id", "source_stream", "activity"]
# Cell text with the characters that make CSV lines and records differ.
cells = st.text(alphabet=st.sampled_from('ab ,"\n'), min_size=1, max_size=6).filter(lambda t: t.strip() != "")


def _quoted(cell: str) -> str:
    if any(c in cell for c in ',"\n') or cell != cell.strip():
        return '"' + cell.replace('"', '""') + '"'
    return cell


@st.composite
def csv_files(draw: st.DrawFn) -> tuple[str, list[int], list[list[str]]]:
    """(text, the line each record starts on, the records), counted while writing."""
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    text = ",".join(HEADER) + newline
    line, starts, records = 2, [], []
    for _ in range(draw(st.integers(min_value=1, max_value=12))):
        for _ in range(draw(st.integers(min_value=0, max_value=2))):  # blank lines before it
            text += newline
            line += 1
        record = [draw(cells) for _ in HEADER]
        body = ",".join(_quoted(c) for c in record)
        starts.append(line)
        records.append(record)
        line += body.count("\n") + 1
        text += body + newline
    ending = draw(st.sampled_from(["newline", "none", "blank lines"]))
    if ending == "none":
        text = text[: -len(newline)]
    elif ending == "blank lines":
        text += newline * draw(st.integers(min_value=1, max_value=3))
    return text, starts, records


@settings(max_examples=200, deadline=None, print_blob=True)
@given(csv_files())
def test_each_row_is_located_on_the_line_its_record_starts_on(file: tuple[str, list[int], list[list[str]]]) -> None:
    text, starts, records = file
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "in.csv"
        path.write_bytes(text.encode("utf-8"))
        raw, source = read_table(path, categorical=("installation_id", "activity"))
        assert raw.height == len(records)
        assert source.all_lines(raw.height) == starts
        assert [source.line(i) for i in range(raw.height)] == starts
        assert [list(row) for row in raw.iter_rows()] == records  # the cells, as written
