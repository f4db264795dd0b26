"""Free text a client sends: every request field and query parameter that takes a string is checked
by `printable` (or is a pattern-checked code), so a control character is a clear 422 at the door.

NUL above all: PostgreSQL cannot store it, and a NUL that reached a query used to come back as a
503 from the database (issue 22). The other control characters (C0, DEL, C1) have no place in a
name, a gate or a nonce either, and lone surrogates cannot even be encoded.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

# For query parameters (FastAPI's `Query(pattern=...)`): the same rule as `printable`.
PRINTABLE_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*$"  # a query string is UTF-8: no surrogates


def printable(value: str) -> str:
    if any(unicodedata.category(char) in ("Cc", "Cs") for char in value):
        raise ValueError("must not contain control characters")
    return value


# The check as metadata, to put after a field's own constraints (which trim it first):
# `Annotated[str, StringConstraints(...), NO_CONTROL_CHARACTERS]`.
NO_CONTROL_CHARACTERS = AfterValidator(printable)


def _line(max_length: int) -> object:
    return StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)


# One line of text, trimmed, at least one character: the usual request field.
Text10 = Annotated[str, _line(10), NO_CONTROL_CHARACTERS]
Text20 = Annotated[str, _line(20), NO_CONTROL_CHARACTERS]
Text40 = Annotated[str, _line(40), NO_CONTROL_CHARACTERS]
Text50 = Annotated[str, _line(50), NO_CONTROL_CHARACTERS]
Text100 = Annotated[str, _line(100), NO_CONTROL_CHARACTERS]
Text200 = Annotated[str, _line(200), NO_CONTROL_CHARACTERS]
Text300 = Annotated[str, _line(300), NO_CONTROL_CHARACTERS]
Text500 = Annotated[str, _line(500), NO_CONTROL_CHARACTERS]
Text1000 = Annotated[str, _line(1000), NO_CONTROL_CHARACTERS]


def in_core_font(text: str) -> str:
    """`text` as the PDFs' core font (Helvetica, Latin-1) can draw it: '?' for anything else.
    A bundled Unicode font would draw titles in Hindi or Tamil; until then they print as '?'."""
    return text.encode("latin-1", "replace").decode("latin-1")
