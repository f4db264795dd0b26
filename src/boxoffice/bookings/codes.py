"""A booking's short code: what a customer reads out or shows, and what staff type to find it.

Eight characters of Crockford's base32 (digits and capitals without I, L, O and U, so nothing
reads as something else; typed, `O` counts as 0, `I` and `L` as 1, case and dashes do not
matter): the first 40 bits of the booking's id, written out. Derived from the id, the code costs
the hold nothing: no column, no round trip, no change to the claim, and the hold's own answer
already has it. It is unique because the database refuses a second booking whose id begins with
the same 40 bits (`uq_bookings_code`, a unique index on that prefix, migration 0020). Among n
bookings a new random id meets that refusal with a chance of n / 2^40 (one hold in about 110,000
with ten million bookings kept); the hold then draws another id where it can claim again
(`holds.hold`), and elsewhere fails as any tripped constraint does (409, retry, nothing held).
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

from sqlalchemy import ColumnExpressionArgument, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32
LENGTH = 8  # characters: 40 bits
PREFIX_BYTES = 5
CODE_INDEX = "uq_bookings_code"  # the unique index on the prefix (`bookings.models`)
_RFC4648 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"  # what `base64.b32encode` writes
_TO_CODE = str.maketrans(_RFC4648, ALPHABET)
_FROM_CODE = str.maketrans(ALPHABET, _RFC4648)
_AS_TYPED = str.maketrans({"O": "0", "I": "1", "L": "1", "-": None, " ": None})


def booking_code(booking_id: uuid.UUID) -> str:
    return base64.b32encode(booking_id.bytes[:PREFIX_BYTES]).decode().translate(_TO_CODE)


def id_prefix(code: str) -> str | None:
    """The first 40 bits of the id that a typed code names, as 10 lowercase hex digits (as
    `id_prefix_of` reads them in SQL); None when it is no code."""
    typed = code.upper().translate(_AS_TYPED)
    if len(typed) != LENGTH or not set(typed) <= set(ALPHABET):
        return None
    return base64.b32decode(typed.translate(_FROM_CODE)).hex()


class id_prefix_of(FunctionElement[str]):
    """SQL: the first 40 bits of a uuid column as 10 lowercase hex digits, on either engine
    (the expression `uq_bookings_code` indexes, so a lookup by code uses that index)."""

    type = String()
    inherit_cache = True

    def __init__(self, column: ColumnExpressionArgument[Any]) -> None:
        super().__init__(column)


@compiles(id_prefix_of, "postgresql")
def _id_prefix_postgresql(element: id_prefix_of, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"encode(substring(uuid_send({column}) from 1 for {PREFIX_BYTES}), 'hex')"


@compiles(id_prefix_of, "sqlite")
def _id_prefix_sqlite(element: id_prefix_of, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"substr({column}, 1, {2 * PREFIX_BYTES})"  # a uuid is 32 hex digits there
