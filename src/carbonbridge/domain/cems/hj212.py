"""HJ 212-2017 (data transmission standard for pollution source online monitoring systems) packets.

A frame is ``##`` + the data segment's length in 4 decimal digits + the data segment + its CRC in
4 hex digits + ``\\r\\n`` (HJ 212-2017 section 6.3, table 3). The data segment is
``QN=..;ST=..;CN=..;PW=..;MN=..;Flag=..;[PNUM=..;PNO=..;]CP=&&...&&`` (table 4). The CRC is the
standard's own CRC16 (appendix A): register 0xFFFF, each byte XORed into the register shifted
right by 8 (not into the low byte, as Modbus does), 8 shifts with polynomial 0xA001. It is
computed over the data segment only. The standard's example ``QN=20160801085857223;ST=32;
CN=1062;...;CP=&&RtdInterval=30&&`` gives 1C80 (pinned in tests/unit/cems/test_cems_hj212.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

HEADER = b"##"
TRAILER = b"\r\n"
MAX_SEGMENT_CHARS = 1024  # HJ 212-2017 6.3: a data segment of 0 to 1024 characters; longer data are split (PNUM/PNO)

# Command codes (HJ 212-2017 table 7): uploads a station sends, the answers either side sends.
UPLOAD_REAL_TIME = "2011"
UPLOAD_MINUTE = "2051"
UPLOAD_HOURLY = "2061"
UPLOAD_DAILY = "2031"
DATA_UPLOADS = {
    UPLOAD_REAL_TIME: "real-time data",
    UPLOAD_MINUTE: "minute data",
    UPLOAD_HOURLY: "hourly data",
    UPLOAD_DAILY: "daily data",
}
REQUEST_RESPONSE = "9011"  # the station's answer to a request: QnRtn
EXECUTION_RESULT = "9012"  # the station's result of an executed request: ExeRtn
NOTIFICATION_RESPONSE = "9013"
DATA_RESPONSE = "9014"  # the receiving side's acknowledgement of an upload whose Flag asks for one
SYSTEM_INTERACTION_ST = "91"  # ST of the answers (system interaction)
AIR_SOURCE_ST = "31"  # ST of air emission sources

# QnRtn of 9011 and ExeRtn of 9012 (HJ 212-2017 tables 8 and 9).
QN_READY = 1
QN_REFUSED = 2
EXE_SUCCESS = 1
EXE_FAILED = 2

# Flag bits (table 4): V5..V0 version, D = packet numbers follow, A = an answer is required.
FLAG_ANSWER = 0b01
FLAG_NUMBERED = 0b10
VERSION_2017 = 1  # V5..V0 = 000001: HJ 212-2017 (000000 was HJ/T 212-2005)


class PacketError(ValueError):
    """A frame that cannot be accepted; ``reason`` is a short stable code for logs and counts."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def crc16(data: bytes) -> int:
    """HJ 212-2017 appendix A CRC16 of ``data`` (the data segment's bytes)."""
    register = 0xFFFF
    for byte in data:
        register = (register >> 8) ^ byte
        for _ in range(8):
            carry = register & 1
            register >>= 1
            if carry:
                register ^= 0xA001
    return register


@dataclass(frozen=True, slots=True)
class Packet:
    """One data segment's header fields and its CP (command parameters) text without the ``&&``."""

    qn: str
    st: str
    cn: str
    pw: str
    mn: str
    flag: int
    cp: str = ""
    pnum: int | None = None
    pno: int | None = None

    @property
    def answer_required(self) -> bool:
        return bool(self.flag & FLAG_ANSWER)

    @property
    def version(self) -> int:
        return self.flag >> 2

    def segment(self) -> str:
        numbers = f"PNUM={self.pnum};PNO={self.pno};" if self.pnum is not None else ""
        return (
            f"QN={self.qn};ST={self.st};CN={self.cn};PW={self.pw};MN={self.mn};Flag={self.flag};"
            f"{numbers}CP=&&{self.cp}&&"
        )

    def frame(self) -> bytes:
        return build_frame(self.segment())


def build_frame(segment: str) -> bytes:
    data = segment.encode("ascii")
    if len(data) > MAX_SEGMENT_CHARS:
        raise PacketError("too-long", f"data segment of {len(data)} characters (at most {MAX_SEGMENT_CHARS})")
    return HEADER + f"{len(data):04d}".encode() + data + f"{crc16(data):04X}".encode() + TRAILER


_REQUIRED = ("QN", "ST", "CN", "PW", "MN", "Flag")


def parse_segment(segment: str) -> Packet:
    """The fields of a data segment; every missing or malformed field is a PacketError."""
    head, sep, rest = segment.partition("CP=&&")
    if not sep or not rest.endswith("&&"):
        raise PacketError("segment", "no CP=&&...&& command parameters")
    fields: dict[str, str] = {}
    for item in head.split(";"):
        if not item:
            continue
        key, eq, value = item.partition("=")
        if not eq:
            raise PacketError("segment", f"field without '=': {item!r}")
        fields[key] = value
    missing = [k for k in _REQUIRED if k not in fields]
    if missing:
        raise PacketError("segment", f"missing {', '.join(missing)}")
    if not (fields["CN"].isdigit() and len(fields["CN"]) == 4):
        raise PacketError("segment", f"CN must be 4 digits, got {fields['CN']!r}")
    if not fields["Flag"].isdigit():
        raise PacketError("segment", f"Flag must be an integer, got {fields['Flag']!r}")
    flag = int(fields["Flag"])
    pnum = pno = None
    if flag & FLAG_NUMBERED:
        if not (fields.get("PNUM", "").isdigit() and fields.get("PNO", "").isdigit()):
            raise PacketError("segment", "Flag announces packet numbers but PNUM/PNO are missing")
        pnum, pno = int(fields["PNUM"]), int(fields["PNO"])
    return Packet(fields["QN"], fields["ST"], fields["CN"], fields["PW"], fields["MN"], flag, rest[:-2], pnum, pno)


def parse_frame(frame: bytes) -> Packet:
    """A whole frame (header to trailer) to a Packet, checking length and CRC first."""
    if not frame.startswith(HEADER):
        raise PacketError("header", "does not start with ##")
    if not frame.endswith(TRAILER):
        raise PacketError("truncated", "no \\r\\n at the end")
    length_text = frame[2:6]
    if not length_text.isdigit():
        raise PacketError("length", f"data length {length_text!r} is not 4 digits")
    length = int(length_text)
    if len(frame) != 2 + 4 + length + 4 + 2:
        raise PacketError("length", f"declared {length} characters, frame carries {len(frame) - 12}")
    data = frame[6 : 6 + length]
    crc_text = frame[6 + length : 10 + length].decode("ascii", errors="replace")
    try:
        received = int(crc_text, 16)
    except ValueError:
        raise PacketError("crc", f"CRC {crc_text!r} is not hexadecimal") from None
    if received != crc16(data):
        raise PacketError("crc", f"CRC {crc_text} does not match {crc16(data):04X}")
    try:
        segment = data.decode("ascii")
    except UnicodeDecodeError:
        raise PacketError("segment", "data segment is not ASCII") from None
    return parse_segment(segment)


@dataclass(slots=True)
class FrameSplitter:
    """Cuts a byte stream into frames; garbage before a ``##`` and impossible lengths are reported, not fatal.

    ``feed`` returns whole frames (bytes) and PacketErrors in stream order; a frame that has not
    fully arrived stays buffered. The buffer is bounded: a declared length can be at most 9999.
    """

    buffer: bytearray = field(default_factory=bytearray)

    def feed(self, data: bytes) -> list[bytes | PacketError]:
        self.buffer += data
        out: list[bytes | PacketError] = []
        while self.buffer:
            start = self.buffer.find(HEADER)
            if start == -1:
                keep = 1 if self.buffer.endswith(b"#") else 0
                junk = len(self.buffer) - keep
                if junk:
                    out.append(PacketError("header", f"{junk} bytes outside a frame"))
                del self.buffer[:junk]
                break
            if start > 0:
                out.append(PacketError("header", f"{start} bytes outside a frame"))
                del self.buffer[:start]
            if len(self.buffer) < 6:
                break
            length_text = bytes(self.buffer[2:6])
            if not length_text.isdigit():
                out.append(PacketError("length", f"data length {length_text!r} is not 4 digits"))
                del self.buffer[:2]
                continue
            total = 12 + int(length_text)
            end = self.buffer.find(TRAILER, 6)
            if end != -1 and end + 2 < total:
                # A trailer before the declared end: the frame was cut short (truncated) - resume after it.
                out.append(PacketError("truncated", f"frame ended after {end + 2} of {total} bytes"))
                del self.buffer[: end + 2]
                continue
            if len(self.buffer) < total:
                break
            out.append(bytes(self.buffer[:total]))
            del self.buffer[:total]
        return out

    def pending(self) -> int:
        return len(self.buffer)


def data_response(upload: Packet) -> Packet:
    """9014: the receiver's answer to an upload whose Flag asks for one (same QN, no CP parameters)."""
    return Packet(upload.qn, SYSTEM_INTERACTION_ST, DATA_RESPONSE, upload.pw, upload.mn, VERSION_2017 << 2)


def request_response(request: Packet, qn_rtn: int = QN_READY) -> Packet:
    """9011: a station's answer to a request it received (QnRtn: 1 ready to execute, 2 refused, ...)."""
    return Packet(
        request.qn,
        SYSTEM_INTERACTION_ST,
        REQUEST_RESPONSE,
        request.pw,
        request.mn,
        VERSION_2017 << 2,
        f"QnRtn={qn_rtn}",
    )


def execution_result(request: Packet, exe_rtn: int = EXE_SUCCESS) -> Packet:
    """9012: a station's result of a request it executed (ExeRtn: 1 success, 2 failed, ...)."""
    return Packet(
        request.qn,
        SYSTEM_INTERACTION_ST,
        EXECUTION_RESULT,
        request.pw,
        request.mn,
        VERSION_2017 << 2,
        f"ExeRtn={exe_rtn}",
    )


def make_qn(at: dt.datetime) -> str:
    """QN: the request's time to the millisecond, YYYYMMDDhhmmsszzz (table 4)."""
    return at.strftime("%Y%m%d%H%M%S") + f"{at.microsecond // 1000:03d}"


@dataclass(frozen=True, slots=True)
class Reading:
    """One parameter's value in an upload: code (e.g. a05001), statistic (Avg, Rtd, ...), value and flag."""

    code: str
    value: float | None
    flag: str


@dataclass(frozen=True, slots=True)
class Upload:
    """The CP of a data upload: its DataTime and the readings of one statistic per parameter."""

    data_time: dt.datetime
    readings: tuple[Reading, ...]


_STATISTIC = {UPLOAD_REAL_TIME: "Rtd", UPLOAD_MINUTE: "Avg", UPLOAD_HOURLY: "Avg", UPLOAD_DAILY: "Avg"}


def parse_upload(packet: Packet) -> Upload:
    """CP of 2011/2051/2061/2031: ``DataTime=YYYYMMDDhhmmss;code-Avg=v,code-Flag=N;...``.

    The value kept is Rtd for real-time data and Avg for minute, hourly and daily data; a
    parameter's missing Flag reads as N (normal, HJ 212-2017 table 6 default).
    """
    if packet.cn not in DATA_UPLOADS:
        raise PacketError("command", f"CN {packet.cn} is not a data upload")
    statistic = _STATISTIC[packet.cn]
    data_time: dt.datetime | None = None
    values: dict[str, float | None] = {}
    flags: dict[str, str] = {}
    for group in packet.cp.split(";"):
        for item in group.split(","):
            if not item:
                continue
            key, eq, text = item.partition("=")
            if not eq:
                raise PacketError("segment", f"CP item without '=': {item!r}")
            if key == "DataTime":
                try:
                    data_time = dt.datetime.strptime(text, "%Y%m%d%H%M%S")
                except ValueError:
                    raise PacketError("segment", f"DataTime {text!r} is not YYYYMMDDhhmmss") from None
                continue
            code, dash, stat = key.partition("-")
            if not dash:
                continue  # other CP fields (e.g. RtdInterval) carry no reading
            if stat == statistic:
                try:
                    values[code] = float(text) if text else None
                except ValueError:
                    raise PacketError("segment", f"{key}={text!r} is not a number") from None
            elif stat == "Flag":
                flags[code] = text
    if data_time is None:
        raise PacketError("segment", "upload without DataTime")
    readings = tuple(Reading(code, values[code], flags.get(code, "N")) for code in sorted(values))
    return Upload(data_time, readings)


def upload_packet(
    *, qn: str, mn: str, pw: str, cn: str, data_time: dt.datetime, readings: list[Reading], answer: bool = True
) -> Packet:
    """An upload as a station sends it (used by the demo's plants and by tests)."""
    statistic = _STATISTIC[cn]
    parts = [f"DataTime={data_time:%Y%m%d%H%M%S}"] + [
        f"{r.code}-{statistic}={'' if r.value is None else repr(float(r.value))},{r.code}-Flag={r.flag}"
        for r in readings
    ]
    return Packet(qn, AIR_SOURCE_ST, cn, pw, mn, (VERSION_2017 << 2) | (FLAG_ANSWER if answer else 0), ";".join(parts))


def with_flag(packet: Packet, flag: int) -> Packet:
    return replace(packet, flag=flag)
