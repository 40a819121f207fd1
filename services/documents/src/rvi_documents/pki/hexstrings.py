"""A reader of PDF hexadecimal strings (ISO 32000-1 7.3.4.3) for pyHanko, installed in place of
its own.

pyHanko 0.38's `read_hex_string_from_stream` (`pyhanko/pdf_utils/generic.py`) reads a hex string
one digit at a time, each through `pyhanko.pdf_utils.misc.read_non_whitespace`. Every signature
dictionary's /Contents is such a string the size of the reserved signature container, and pyHanko
reads the certification signature's in full each time it signs a certified document (its DocMDP
check, `PdfSigner._enforce_certification_constraints`). pyHanko offers no other reader, so this
one, hand-written, reads ahead to the first `>`, drops white space and converts in one step.

Its results are pyHanko's: the same `ByteStringObject` or `TextStringObject` (`pdf_string`), an odd
digit count padded with a final 0, the stream left just after the `>`. Anything it does not take
in one step (a comment or a character other than white space and hex digits before the first `>`,
or no `>` before the end) is handed back to pyHanko's reader from the string's start, so that
errors (`PdfStreamError`) and positions stay pyHanko's too.
"""

from __future__ import annotations

import binascii
from collections.abc import Callable
from typing import IO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PDF_WHITESPACE

HexStringReader = Callable[[IO[bytes]], generic.ByteStringObject | generic.TextStringObject]

pyhanko_reader: HexStringReader = generic.read_hex_string_from_stream
"""pyHanko's own reader, as imported (before `install`)."""

_CHUNK = 4096


def read_hex_string_from_stream(stream: IO[bytes]) -> generic.ByteStringObject | generic.TextStringObject:
    """The hex string whose `<` is at the stream's position, as pyHanko's reader returns it;
    `PdfStreamError` (from pyHanko's reader) on a malformed or unterminated string."""
    start = stream.tell()
    data = stream.read(_CHUNK)
    end = data.find(b">", 1)
    while end < 0:
        more = stream.read(max(len(data), _CHUNK))
        if not more:
            break
        searched = len(data)
        data += more
        end = data.find(b">", searched)
    if end > 0:
        digits = data[1:end].translate(None, PDF_WHITESPACE)
        if not digits.translate(None, generic.HEX_DIGITS):
            stream.seek(start + end + 1)
            return generic.pdf_string(binascii.unhexlify(digits + b"0" if len(digits) % 2 else digits))
    stream.seek(start)
    return pyhanko_reader(stream)


def install() -> None:
    """Makes pyHanko's object parser (`generic.read_object`) use this reader; idempotent."""
    generic.read_hex_string_from_stream = read_hex_string_from_stream
