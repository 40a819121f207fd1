"""The hex-string reader installed for pyHanko gives pyHanko's own results, errors and stream
positions: on every `<` of a document signed by the service (real renderer, local CA and OpenSSL
TSA) and on generated strings with white space, comments, odd digit counts and stray bytes."""

from __future__ import annotations

import binascii
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyhanko.pdf_utils import generic

from rvi_documents.kinds import Kind
from rvi_documents.pki import hexstrings
from rvi_documents.pki.runtime import Pki, StampText
from rvi_documents.pki.signers import SignerRef
from rvi_documents.rendering import Renderer, Slot
from rvi_documents.settings import DocumentsSettings

Outcome = tuple[object, ...]


def outcome(reader: hexstrings.HexStringReader, data: bytes, at: int) -> Outcome:
    """What `reader` makes of `data` from offset `at`: the value, its type and encoding and the
    stream position after, or the error and the position after."""
    stream = BytesIO(data)
    stream.seek(at)
    try:
        value = reader(stream)
    except Exception as error:  # the error itself is compared
        return type(error), str(error), stream.tell()
    return type(value), value, getattr(value, "autodetected_encoding", None), stream.tell()


def assert_same(data: bytes, at: int = 0) -> Outcome:
    expected = outcome(hexstrings.pyhanko_reader, data, at)
    assert outcome(hexstrings.read_hex_string_from_stream, data, at) == expected
    return expected


def test_pyhanko_parses_with_the_installed_reader() -> None:
    assert generic.read_hex_string_from_stream is hexstrings.read_hex_string_from_stream
    assert hexstrings.pyhanko_reader is not hexstrings.read_hex_string_from_stream


async def test_every_hex_string_of_a_signed_document_reads_as_pyhanko_reads_it(tmp_path: Path) -> None:
    slots = [Slot("customs_seal", "海关印章", "customs seal"), Slot("officer:NB-0001", "执法人员", "officer")]
    data = {
        "title_zh": "远程视频核查通知书", "title_en": "Advance notice", "issuer_zh": "慈溪海关", "issuer_en": "Cixi Customs",
        "number": "慈溪关通知〔2026〕0001号",
        "slots": [{"label_zh": s.label_zh, "label_en": s.label_en, "wide": False} for s in slots],
        "enterprise_name": "慈溪市绿源食品集团有限公司", "enterprise_id": "ENT-1", "slot": "2026-11-26 09:00",
        "team": [], "sites": [], "requirements": [],
    }  # fmt: skip
    pki = Pki(DocumentsSettings(pki_dir=str(tmp_path / "pki")), Renderer())
    try:
        pdf = pki.renderer.render(Kind.ADVANCE_NOTICE.value, data, datetime(2026, 11, 26, tzinfo=UTC))
        seal = SignerRef("customs_seal", "Cixi", "慈溪海关 Cixi Customs", "慈溪海关")
        pdf = await pki.certify(pdf, slots, seal, "通知", "慈溪", StampText("慈溪海关 印章", []))
        wang = SignerRef("officer", "NB-0001", "王力", "慈溪海关")
        pdf = await pki.sign(pdf, slots, "officer:NB-0001", wang, "王力", "签名", "慈溪", StampText("王力", []))
        report = await pki.verify(pdf)
    finally:
        await pki.close()
    assert report.valid and len(report.signatures) == 2, report.problems

    strings, errors = [], 0
    at = pdf.find(b"<")
    while at >= 0:
        if pdf[at + 1 : at + 2] != b"<" and pdf[at - 1 : at] != b"<":
            result = assert_same(pdf, at)
            if issubclass(result[0], Exception):
                errors += 1
            else:
                strings.append(result[1])
        at = pdf.find(b"<", at + 1)
    assert len([s for s in strings if len(s) > 1000]) == 2  # both /Contents
    assert errors > 0  # a `<` in compressed stream data


HEX = b"0123456789abcdefABCDEF"
SPACE = b" \n\r\t\f\x00"
STRAY = b"%<>gGxz/(\x80\xff"


def _pieces(alphabet: bytes) -> st.SearchStrategy[bytes]:
    return st.sampled_from([bytes([b]) for b in alphabet])


hex_bodies = st.lists(
    st.one_of(_pieces(HEX), _pieces(HEX), _pieces(HEX), _pieces(SPACE), _pieces(STRAY)), max_size=80
).map(b"".join)


@settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    prefix=st.binary(max_size=8), body=hex_bodies, tail=st.sampled_from([b"", b">", b"> /Next 1", b">>", b"\n%c>\n>"])
)
def test_generated_hex_strings_read_as_pyhanko_reads_them(prefix: bytes, body: bytes, tail: bytes) -> None:
    assert_same(prefix + b"<" + body + tail, len(prefix))


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    value=st.binary(min_size=1000, max_size=9000),
    spaces=st.lists(st.tuples(st.integers(min_value=0), _pieces(SPACE)), max_size=40),
    odd=st.booleans(),
)
def test_long_hex_strings_across_read_chunks_read_as_pyhanko_reads_them(
    value: bytes, spaces: list[tuple[int, bytes]], odd: bool
) -> None:
    digits = bytearray(binascii.hexlify(value)[: -1 if odd else None])
    for position, space in spaces:
        digits[position % len(digits) : position % len(digits)] = space
    result = assert_same(b"<" + bytes(digits) + b">trailer")
    assert result[-1] == len(digits) + 2
