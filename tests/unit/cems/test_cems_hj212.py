"""HJ 212-2017 frames: the standard's own example, hand-built packets checked by an independent CRC."""

from __future__ import annotations

import datetime as dt

import pytest

from carbonbridge.domain.cems import hj212
from carbonbridge.domain.cems.hj212 import FrameSplitter, Packet, PacketError, Reading

# HJ 212-2017 appendix A: the example data segment and its CRC.
STANDARD_SEGMENT = (
    "QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&"
)
STANDARD_FRAME = b"##0101" + STANDARD_SEGMENT.encode() + b"1C80\r\n"


def _table_crc(data: bytes) -> int:
    """An independent formulation: after XOR of the shifted register with a byte the register fits
    in 8 bits, so each byte is one lookup in a 256-entry table of the reflected polynomial 0xA001."""
    table = []
    for i in range(256):
        r = i
        for _ in range(8):
            r = (r >> 1) ^ 0xA001 if r & 1 else r >> 1
        table.append(r)
    register = 0xFFFF
    for byte in data:
        register = table[(register >> 8) ^ byte]
    return register


def test_the_standards_example_frame_has_crc_1c80_and_parses() -> None:
    assert hj212.crc16(STANDARD_SEGMENT.encode()) == 0x1C80
    assert len(STANDARD_SEGMENT) == 101
    packet = hj212.parse_frame(STANDARD_FRAME)
    assert (packet.qn, packet.st, packet.cn, packet.pw, packet.flag, packet.cp) == (
        "20160801085857223",
        "32",
        "1062",
        "100000",
        5,
        "RtdInterval=30",
    )
    assert packet.mn == "010000A8900016F000169DC0"
    assert packet.answer_required and packet.version == 1
    assert hj212.build_frame(STANDARD_SEGMENT) == STANDARD_FRAME


def test_the_crc_is_not_the_modbus_crc_of_the_same_bytes() -> None:
    def modbus(data: bytes) -> int:
        r = 0xFFFF
        for b in data:
            r ^= b
            for _ in range(8):
                r = (r >> 1) ^ 0xA001 if r & 1 else r >> 1
        return r

    assert modbus(STANDARD_SEGMENT.encode()) != 0x1C80


def _hourly(qn: str = "20250101010000123", value: float = 183_000.0) -> Packet:
    return hj212.upload_packet(
        qn=qn,
        mn="STACK0001",
        pw="123456",
        cn=hj212.UPLOAD_HOURLY,
        data_time=dt.datetime(2025, 1, 1, 0),
        readings=[Reading("a05001", value, "N"), Reading("a00000", 27.5, "N")],
    )


@pytest.mark.parametrize("packet", [_hourly(), _hourly(qn="20250101020000001", value=0.5)])
def test_hand_built_frames_carry_the_crc_an_independent_implementation_computes(packet: Packet) -> None:
    frame = packet.frame()
    segment = frame[6:-6]
    assert int(frame[2:6]) == len(segment)
    assert frame[-6:-2] == f"{_table_crc(segment):04X}".encode()
    assert hj212.parse_frame(frame) == packet


def test_an_hourly_upload_reads_avg_values_and_flags() -> None:
    upload = hj212.parse_upload(_hourly())
    assert upload.data_time == dt.datetime(2025, 1, 1, 0)
    assert upload.readings == (Reading("a00000", 27.5, "N"), Reading("a05001", 183_000.0, "N"))


def test_the_data_response_echoes_qn_with_st_91_cn_9014_and_flag_4() -> None:
    response = hj212.data_response(_hourly())
    assert response.segment() == "QN=20250101010000123;ST=91;CN=9014;PW=123456;MN=STACK0001;Flag=4;CP=&&&&"
    assert not response.answer_required


def test_a_station_answers_a_request_with_9011_then_9012() -> None:
    request = hj212.parse_frame(STANDARD_FRAME)
    assert (
        hj212.request_response(request)
        .segment()
        .endswith("ST=91;CN=9011;PW=100000;MN=010000A8900016F000169DC0;Flag=4;CP=&&QnRtn=1&&")
    )
    assert hj212.execution_result(request).cp == "ExeRtn=1"


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (STANDARD_FRAME.replace(b"1C80", b"1C81"), "crc"),
        (STANDARD_FRAME.replace(b"##0101", b"##0100"), "length"),
        (STANDARD_FRAME[:-2], "truncated"),
        (b"$#" + STANDARD_FRAME[2:], "header"),
        (hj212.build_frame("QN=1;ST=31;CN=20x1;PW=1;MN=1;Flag=4;CP=&&&&"), "segment"),
        (hj212.build_frame("QN=1;ST=31;PW=1;MN=1;Flag=4;CP=&&&&"), "segment"),
        (hj212.build_frame("QN=1;ST=31;CN=2061;PW=1;MN=1;Flag=4;CP=&&DataTime=1"), "segment"),
    ],
)
def test_malformed_frames_are_refused_with_a_reason(frame: bytes, reason: str) -> None:
    with pytest.raises(PacketError) as caught:
        hj212.parse_frame(frame)
    assert caught.value.reason == reason


def test_the_splitter_keeps_good_frames_around_garbage_and_a_truncated_one() -> None:
    good = _hourly().frame()
    truncated = good[:40] + b"\r\n"
    splitter = FrameSplitter()
    stream = b"noise" + good + truncated + good
    out: list[bytes | PacketError] = []
    for i in range(0, len(stream), 7):  # arrives in small pieces
        out += splitter.feed(stream[i : i + 7])
    kinds = [o.reason if isinstance(o, PacketError) else "frame" for o in out]
    assert kinds == ["header", "frame", "truncated", "frame"]
    assert splitter.pending() == 0


def test_a_numbered_packet_needs_pnum_and_pno() -> None:
    packet = Packet("1", "31", "2061", "p", "m", 4 | hj212.FLAG_NUMBERED | 1, "DataTime=20250101000000", 2, 1)
    assert hj212.parse_frame(packet.frame()) == packet
    with pytest.raises(PacketError):
        hj212.parse_segment("QN=1;ST=31;CN=2061;PW=p;MN=m;Flag=7;CP=&&&&")
