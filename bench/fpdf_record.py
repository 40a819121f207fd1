"""Baseline for bench-documents: the first cut's renderer (fpdf2, core Helvetica, Latin-1 only).

Core fonts cover Latin-1 only, so every text goes through `latin1()` first; a CJK font
is needed before names can be printed in Chinese characters.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.enums import XPos, YPos

REPLACEMENT = "?"
_PUNCTUATION = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u2013": "-",
    "\u2014": "-",
    "\u2022": "*",
    "\u3001": ",",
    "\u3002": ".",
}


def _latin1_char(ch: str) -> str:
    if ch in "\n":
        return ch
    if not ch.isprintable():
        return " "
    if ord(ch) < 256:
        return ch
    if ch in _PUNCTUATION:
        return _PUNCTUATION[ch]
    folded = unicodedata.normalize("NFKC", ch)
    if folded and all(ord(c) < 256 and c.isprintable() for c in folded):
        return folded
    return REPLACEMENT


def latin1(text: str) -> str:
    """Text the core fonts can draw: full-width forms and typographic punctuation are folded
    to their Latin-1 equivalents, anything else outside Latin-1 becomes `REPLACEMENT`."""
    return "".join(_latin1_char(ch) for ch in text)


@dataclass(frozen=True)
class TeamMember:
    name: str
    credential_no: str


@dataclass(frozen=True)
class SiteLine:
    site_id: str
    name: str
    latitude: float
    longitude: float
    address: str | None


@dataclass(frozen=True)
class ItemLine:
    item_id: str
    description: str
    category: str | None
    commodity_code: str | None


@dataclass(frozen=True)
class StepLine:
    kind: str
    started_at: datetime
    ended_at: datetime
    note: str
    digest: str | None
    officer: str
    site: str | None


@dataclass(frozen=True)
class InspectionRecord:
    document_id: str
    inspection_id: str
    enterprise_id: str
    enterprise_name: str
    customs: str
    team: Sequence[TeamMember]
    slot_start: datetime | None
    slot_end: datetime | None
    session_id: str
    session_started_at: datetime | None
    session_ended_at: datetime
    sites: Sequence[SiteLine]
    items: Sequence[ItemLine]
    steps: Sequence[StepLine]
    steps_declared: int
    conclusion: str
    manifest_digest: str
    issued_at: datetime
    timezone: str


def format_time(moment: datetime | None, timezone: str) -> str:
    if moment is None:
        return "not recorded"
    local = moment.astimezone(ZoneInfo(timezone))
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M:%S} (UTC{offset[:3]}:{offset[3:]})"


def format_coordinates(latitude: float, longitude: float) -> str:
    ns = "N" if latitude >= 0 else "S"
    ew = "E" if longitude >= 0 else "W"
    return f"{abs(latitude):.5f} {ns}, {abs(longitude):.5f} {ew}"


class _RecordPdf(FPDF):
    def __init__(self, record: InspectionRecord) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.record = record

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font("Helvetica", size=7)
        self.set_text_color(90)
        self.cell(
            0,
            5,
            latin1(
                f"Inspection record {self.record.document_id} - inspection {self.record.inspection_id}"
                f" - page {self.page_no()}/{{nb}}"
            ),
            align="C",
        )
        self.set_text_color(0)


LINE = 5.0
LABEL_WIDTH = 48.0
SIGNATURE_BLOCK_HEIGHT = 75.0


def render_inspection_record(record: InspectionRecord) -> bytes:
    """The PDF bytes; the same record always gives the same bytes (dates come from the record)."""
    pdf = _RecordPdf(record)
    pdf.set_compression(False)  # keeps the text searchable in the raw bytes
    pdf.set_creation_date(record.issued_at)
    pdf.set_title(latin1(f"Inspection record {record.inspection_id}"))
    pdf.set_subject("Remote video inspection record (GACC-RVI 4(IV))")
    pdf.set_author(latin1(f"{record.customs} Customs"))
    pdf.set_creator("rvi documents")
    pdf.set_lang("en")
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    tz = record.timezone

    pdf.set_font("Helvetica", size=8)
    pdf.cell(0, 4, "GENERAL ADMINISTRATION OF CUSTOMS - REMOTE VIDEO INSPECTION", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", style="B", size=16)
    pdf.cell(0, 10, "Inspection record", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", size=9)
    _text(pdf, f"Document {record.document_id}, issued {format_time(record.issued_at, tz)}")
    pdf.ln(2)

    _heading(pdf, "1. Inspection")
    _field(pdf, "Inspection ID", record.inspection_id)
    _field(pdf, "Enterprise", f"{record.enterprise_name} (ID {record.enterprise_id})")
    _field(pdf, "Customs office", record.customs)
    _field(pdf, "Scheduled slot", f"{format_time(record.slot_start, tz)} to {format_time(record.slot_end, tz)}")
    _field(pdf, "Session ID", record.session_id)
    _field(pdf, "Session start", format_time(record.session_started_at, tz))
    _field(pdf, "Session end", format_time(record.session_ended_at, tz))

    _heading(pdf, "2. Inspection team")
    if not record.team:
        _text(pdf, "No officers recorded.")
    for member in record.team:
        _field(pdf, member.name, f"enforcement credential no. {member.credential_no}")

    _heading(pdf, "3. Sites")
    for site in record.sites:
        _field(pdf, site.site_id, f"{site.name}; {format_coordinates(site.latitude, site.longitude)}")
        if site.address:
            _field(pdf, "", site.address)

    _heading(pdf, "4. Checklist items")
    for item in record.items:
        extra = ", ".join(
            part
            for part in (
                f"category {item.category}" if item.category else "",
                f"HS {item.commodity_code}" if item.commodity_code else "",
            )
            if part
        )
        _field(pdf, item.item_id, f"{item.description}{f' ({extra})' if extra else ''}")

    _heading(pdf, "5. Key procedural steps recorded (GACC-RVI 4(III))")
    _text(pdf, f"{len(record.steps)} step(s) received; the session reported {record.steps_declared}.")
    for number, step in enumerate(record.steps, start=1):
        pdf.set_font("Helvetica", style="B", size=9)
        _text(pdf, f"{number}. {step.kind}")
        pdf.set_font("Helvetica", size=9)
        _field(pdf, "Time", f"{format_time(step.started_at, tz)} to {format_time(step.ended_at, tz)}")
        _field(pdf, "Officer", step.officer)
        if step.site:
            _field(pdf, "Site", step.site)
        if step.note:
            _field(pdf, "Note", step.note)
        _field(pdf, "SHA-256", step.digest or "none")

    _heading(pdf, "6. Conclusion")
    _text(pdf, record.conclusion or "No conclusion recorded.")

    _heading(pdf, "7. Evidence")
    _field(pdf, "Manifest SHA-256", record.manifest_digest)
    _text(
        pdf,
        "Digest of the hash-chained evidence manifest signed at the end of the session; "
        "each recorded clip and snapshot can be verified against it.",
    )

    if pdf.get_y() + SIGNATURE_BLOCK_HEIGHT > pdf.page_break_trigger:
        pdf.add_page()  # the acknowledgement stays in one piece
    _heading(pdf, "8. Enterprise acknowledgement (signature and seal)")
    _text(
        pdf,
        "The enterprise representative has read this record and confirms that it reflects the inspection carried out.",
    )
    pdf.ln(4)
    top = pdf.get_y()
    for label in ("Representative (name)", "Signature", "Date"):
        pdf.cell(45, 9, label)
        pdf.cell(70, 9, "_" * 38, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.rect(pdf.l_margin + 125, top, 40, 40)
    pdf.set_xy(pdf.l_margin + 125, top + 41)
    pdf.cell(40, 4, "Enterprise seal", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


def _heading(pdf: FPDF, title: str) -> None:
    pdf.ln(2)
    pdf.set_font("Helvetica", style="B", size=11)
    pdf.cell(0, 7, latin1(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", size=9)


def _field(pdf: FPDF, label: str, value: str) -> None:
    pdf.cell(LABEL_WIDTH, LINE, latin1(label))
    pdf.multi_cell(0, LINE, latin1(value), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _text(pdf: FPDF, text: str) -> None:
    pdf.multi_cell(0, LINE, latin1(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
