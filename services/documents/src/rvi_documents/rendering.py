"""Forms as PDF/A-2b with typst (GACC Announcement 2018 No.195; layout after GB/T 9704-2012).

Templates are the `.typ` files of `templates/`, one per document kind, sharing `layout.typ`;
the data goes in as JSON (`sys.inputs.data`). Fonts are only the pinned Noto Serif SC and Noto
Sans SC of the `pylopdf-fonts-zh-cn` package (SIL OFL), checked against their SHA-256 at load;
system fonts and typst's own are never used. The same data and document date give the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pylopdf_fonts_zh_cn
import typst

TEMPLATES = Path(__file__).parent / "templates"
FONT_SHA256 = {
    "NotoSerifSC-Regular.otf": "e8f396decc1f0963a016a989c3d8852e863d1350996f573860a80767c83a1cd3",
    "NotoSansSC-Regular.otf": "faa6c9df652116dde789d351359f3d7e5d2285a2b2a1f04a2d7244df706d5ea9",
}
MM = 72 / 25.4
PAGE_HEIGHT_MM = 297.0
BODY_LEFT_MM, BODY_TOP_MM = 28.0, 37.0  # GB/T 9704 margins, as in layout.typ


class FontMismatch(RuntimeError):
    """A font file is not the pinned one (its SHA-256 differs)."""


def font_directory() -> Path:
    """The pinned fonts' folder, after checking each file's SHA-256 (raises `FontMismatch`)."""
    directory = pylopdf_fonts_zh_cn.sans_path().parent
    for name, expected in FONT_SHA256.items():
        digest = hashlib.sha256((directory / name).read_bytes()).hexdigest()
        if digest != expected:
            raise FontMismatch(f"{name}: SHA-256 {digest}, pinned {expected}")
    return directory


# PDF/A embeds every glyph it shows, so a character the pinned fonts lack cannot be printed at
# all; it prints as this mark (the text as received stays in the database and the events).
MISSING_GLYPH = "\u25a1"


@cache
def _displayable() -> frozenset[int]:
    """Code points the pinned fonts can display (typst falls back from one to the other)."""
    from fontTools.ttLib import TTFont

    directory = font_directory()
    covered: set[int] = set()
    for name in FONT_SHA256:
        with TTFont(directory / name, lazy=True) as font:
            covered.update(font.getBestCmap())
    return frozenset(covered)


def printable(value: Any) -> Any:
    """`value` (str, or lists and mappings of them) with each character the pinned fonts cannot
    display replaced by `MISSING_GLYPH` (white space kept)."""
    if isinstance(value, str):
        covered = _displayable()
        if all(ord(c) in covered or c in "\n\r\t" for c in value):
            return value
        return "".join(c if ord(c) in covered or c in "\n\r\t" else MISSING_GLYPH for c in value)
    if isinstance(value, Mapping):
        return {k: printable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [printable(v) for v in value]
    return value


@dataclass(frozen=True)
class Slot:
    """One signature in a kind's signing order, as labelled on the signature page."""

    key: str
    label_zh: str
    label_en: str
    wide: bool = False


def signature_boxes(slots: Sequence[Slot]) -> dict[str, tuple[int, int, int, int]]:
    """Each slot's field rectangle on the last page, in PDF points (mirrors `signature-page`)."""
    narrow = [s for s in slots if not s.wide]
    wide = [s for s in slots if s.wide]
    rows = (len(narrow) + 1) // 2
    boxes: dict[str, tuple[int, int, int, int]] = {}

    def rect(left: float, top: float, width: float, height: float) -> tuple[int, int, int, int]:
        x1, x2 = BODY_LEFT_MM + left, BODY_LEFT_MM + left + width
        y_top, y_bottom = BODY_TOP_MM + top, BODY_TOP_MM + top + height
        return (
            round(x1 * MM),
            round((PAGE_HEIGHT_MM - y_bottom) * MM),
            round(x2 * MM),
            round((PAGE_HEIGHT_MM - y_top) * MM),
        )

    for i, slot in enumerate(narrow):
        left, top = (i % 2) * 80.0, 16.0 + (i // 2) * 42.0
        boxes[slot.key] = rect(left + 1, top + 11, 72, 26)
    for i, slot in enumerate(wide):
        top = 16.0 + rows * 42.0 + i * 66.0
        boxes[slot.key] = rect(1, top + 11, 152, 50)
    return boxes


class Renderer:
    """Compiles templates; one typst compiler per template, reused (fonts parsed once)."""

    def __init__(self) -> None:
        self.fonts = typst.Fonts(
            include_system_fonts=False, include_embedded_fonts=False, font_paths=[str(font_directory())]
        )
        self._compilers: dict[str, tuple[typst.Compiler, threading.Lock]] = {}
        self._lock = threading.Lock()

    def _compiler(self, template: str) -> tuple[typst.Compiler, threading.Lock]:
        with self._lock:
            if template not in self._compilers:
                path = TEMPLATES / f"{template}.typ"
                if not path.is_file():
                    raise ValueError(f"no template {template!r}")
                # Root "/": a marked copy shows the submitted image from its temporary file.
                compiler = typst.Compiler(str(path), root="/", font_paths=self.fonts, ignore_system_fonts=True)
                self._compilers[template] = (compiler, threading.Lock())
            return self._compilers[template]

    def render(self, template: str, data: Mapping[str, Any], document_date: datetime) -> bytes:
        """PDF/A-2b bytes of `template` filled with `data`; dated `document_date` (aware; whole
        seconds are kept, as PDF dates have no finer unit)."""
        compiler, lock = self._compiler(template)
        document_date = document_date.astimezone(UTC).replace(microsecond=0)
        payload = json.dumps(printable(data), ensure_ascii=False, sort_keys=True)
        with lock:
            result = compiler.compile(
                sys_inputs={"data": payload}, pdf_standards="a-2b", timestamp=document_date, pdf_tags=False
            )
        assert isinstance(result, bytes)
        return result

    def stamp(self, width_mm: float, height_mm: float, title: str, lines: Sequence[str], size_pt: float = 7.0) -> bytes:
        """The visible appearance of a signature as a one-page PDF of the box's size."""
        compiler, lock = self._compiler("stamp")
        payload = json.dumps(
            {
                "width_mm": width_mm,
                "height_mm": height_mm,
                "title": printable(title),
                "lines": printable(list(lines)),
                "size_pt": size_pt,
            },
            ensure_ascii=False,
        )
        with lock:
            result = compiler.compile(sys_inputs={"data": payload})
        assert isinstance(result, bytes)
        return result
