"""What a submitted file is, from its bytes (GACC-RVI 4(II)): PDF, JPEG or PNG, detected by the
`filetype` library's magic numbers; the declared Content-Type is never trusted alone."""

from __future__ import annotations

from io import BytesIO

import filetype
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader

ACCEPTED = {"application/pdf", "image/jpeg", "image/png"}


def sniff(content: bytes) -> str | None:
    """The MIME type the bytes are, if one of ACCEPTED; else None."""
    kind = filetype.guess(content[:8192])
    if kind is None or kind.mime not in ACCEPTED:
        return None
    return str(kind.mime)


def page_count(content: bytes, mime: str) -> int:
    """Pages of a PDF (from its page tree); an image is one page. 0 for a PDF that cannot be read."""
    if mime != "application/pdf":
        return 1
    try:
        return int(PdfFileReader(BytesIO(content), strict=False).root["/Pages"]["/Count"])
    except (PdfError, KeyError, ValueError, TypeError):
        return 0
