"""A theatre's GST registration and the numbering of its invoices (SPEC "Money"). Pure.

GSTIN: 15 characters, `SS PPPPPPPPPP E Z C`: the state code (2 digits), the holder's PAN (5
letters, 4 digits, a letter), the registration's number within the state (1-9, A-Z), `Z`, and
a check character: Luhn mod 36 over the first 14 (0-9 are 0-9, A-Z are 10-35; from the left,
every second value doubled, a product written in base 36 and its two digits added; the check
value brings the sum to a multiple of 36).

Invoices and credit notes are numbered per theatre and financial year (1 April to 31 March, in
the theatre's timezone): `PLZ/2026-27/000042`, `PLZ/CN/2026-27/000007`; an unregistered theatre's
receipts have a series of their own, `PLZ/RC/2026-27/000003`, so that a theatre registering in
mid-year never issues two documents under one number.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# GST state and union territory codes (25 and 28 are older codes whose GSTINs stay valid).
STATES: dict[str, str] = {
    "01": "Jammu and Kashmir",
    "02": "Himachal Pradesh",
    "03": "Punjab",
    "04": "Chandigarh",
    "05": "Uttarakhand",
    "06": "Haryana",
    "07": "Delhi",
    "08": "Rajasthan",
    "09": "Uttar Pradesh",
    "10": "Bihar",
    "11": "Sikkim",
    "12": "Arunachal Pradesh",
    "13": "Nagaland",
    "14": "Manipur",
    "15": "Mizoram",
    "16": "Tripura",
    "17": "Meghalaya",
    "18": "Assam",
    "19": "West Bengal",
    "20": "Jharkhand",
    "21": "Odisha",
    "22": "Chhattisgarh",
    "23": "Madhya Pradesh",
    "24": "Gujarat",
    "25": "Daman and Diu",
    "26": "Dadra and Nagar Haveli and Daman and Diu",
    "27": "Maharashtra",
    "28": "Andhra Pradesh (before 2014)",
    "29": "Karnataka",
    "30": "Goa",
    "31": "Lakshadweep",
    "32": "Kerala",
    "33": "Tamil Nadu",
    "34": "Puducherry",
    "35": "Andaman and Nicobar Islands",
    "36": "Telangana",
    "37": "Andhra Pradesh",
    "38": "Ladakh",
    "97": "Other Territory",
}

GSTIN_SHAPE = re.compile(r"^[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z]Z[0-9A-Z]$")
SAC_SHAPE = re.compile(r"^9996[0-9]{2}$")  # admission is filed under heading 9996
INVOICE_PREFIX_SHAPE = re.compile(r"^[A-Z0-9]{1,8}$")
_BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def gstin_check_character(first_fourteen: str) -> str:
    total = 0
    for index, character in enumerate(first_fourteen):
        product = _BASE36.index(character) * (2 if index % 2 else 1)
        total += product // 36 + product % 36
    return _BASE36[(36 - total % 36) % 36]


def check_state_code(code: str) -> str:
    if code not in STATES:
        raise ValueError(f"{code!r} is not a GST state code (01-38, 97)")
    return code


def check_gstin(gstin: str) -> str:
    """The GSTIN, or ValueError saying what is wrong with it."""
    if len(gstin) != 15:
        raise ValueError("a GSTIN has 15 characters")
    if not GSTIN_SHAPE.match(gstin):
        raise ValueError(
            "a GSTIN is a state code, a PAN (5 letters, 4 digits, a letter), the registration's "
            "number, Z and a check character, in capitals"
        )
    check_state_code(gstin[:2])
    expected = gstin_check_character(gstin[:14])
    if gstin[14] != expected:
        raise ValueError(f"wrong check character: {gstin[14]!r} where {expected!r} is due")
    return gstin


def check_sac(sac: str) -> str:
    if not SAC_SHAPE.match(sac):
        raise ValueError("a SAC for admission is 6 digits under heading 9996 (9996xx)")
    return sac


def check_invoice_prefix(prefix: str) -> str:
    if not INVOICE_PREFIX_SHAPE.match(prefix):
        raise ValueError("an invoice prefix is 1 to 8 capital letters or digits")
    return prefix


def registration_problems(
    *, legal_name: str | None, gstin: str | None, state_code: str | None, sac: str | None
) -> list[str]:
    """What keeps a theatre's settings from being a consistent registration (none when it has
    no GSTIN: it is not registered). The fields are each valid on their own."""
    if gstin is None:
        return []
    missing = [
        name
        for name, value in (("legal_name", legal_name), ("state_code", state_code), ("sac", sac))
        if value is None
    ]
    problems = [f"A theatre with a gstin needs {', '.join(missing)}"] if missing else []
    if state_code is not None and state_code != gstin[:2]:
        problems.append(f"The state_code {state_code} is not the GSTIN's state ({gstin[:2]})")
    return problems


def financial_year(day: date) -> str:
    """The Indian financial year of a date: 1 April 2026 to 31 March 2027 is `2026-27`."""
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def financial_year_at(instant: datetime, timezone: str) -> str:
    return financial_year(instant.astimezone(ZoneInfo(timezone)).date())


def month_at(instant: datetime, timezone: str) -> str:
    """The month (`YYYY-MM`) of an instant in a theatre's timezone: a GST return's period."""
    return instant.astimezone(ZoneInfo(timezone)).strftime("%Y-%m")


def month_bounds(month: str, timezone: str) -> tuple[datetime, datetime]:
    """The instants [start, end) of a month (`YYYY-MM`) in a theatre's timezone."""
    zone = ZoneInfo(timezone)
    first = date.fromisoformat(f"{month}-01")
    following = (first + timedelta(days=31)).replace(day=1)
    return datetime.combine(first, time(), zone), datetime.combine(following, time(), zone)


def invoice_number(prefix: str, year: str, serial: int) -> str:
    return f"{prefix}/{year}/{serial:06d}"


def credit_note_number(prefix: str, year: str, serial: int) -> str:
    return f"{prefix}/CN/{year}/{serial:06d}"


def receipt_number(prefix: str, year: str, serial: int) -> str:
    return f"{prefix}/RC/{year}/{serial:06d}"
