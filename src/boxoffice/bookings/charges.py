"""What a seat held now costs: a show's charge table, built in Python, frozen by the claim.

A seat's line (its ticket's taxable value, rate and GST, its convenience fee and the fee's GST)
is a pure function of its price and of the terms in force (`money.tax.seat_charge`): the
theatre's settings, the tax rules of the hold's local date, the film's waiver in the theatre's
state. A show has few distinct prices, so the sale path works out, before the claim, the line
of every price the show has on that date, with the cancellation policy a booking will freeze
(docs/money-design.md §1), and the claim writes onto each seat the line of the price it claims
it at, in the same one statement.

`ChargeTables` keeps them per process: a hit costs nothing; a miss, a few small reads on a
pooled connection before the claim. A table is never served stale: it names the theatre's
`terms_version` it was built from and the prices it covers, and the claim refuses it (nothing
held) when the theatre's terms changed since or the seat's price is not in it (a re-price);
the sale path then builds it again and retries once. A new tax rule never changes a date that
has begun anywhere (`taxes.service.add_rule`), and a table is for one local date.
"""

from __future__ import annotations

import json
import uuid
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from functools import cached_property
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from boxoffice.bookings.models import BookingSeat
from boxoffice.catalogue.days import local_date
from boxoffice.catalogue.models import Show, ShowSeat, Theatre
from boxoffice.config import Settings
from boxoffice.money.cancellation import Tier
from boxoffice.money.charges import columns_of, frozen_charge
from boxoffice.money.tax import SeatCharge, seat_charge, untaxed
from boxoffice.money.terms import effective_policy
from boxoffice.taxes import service as taxes_service

TABLES_KEPT = 512  # shows whose charge table a process keeps
# The columns of a line, in the order `boxoffice_hold` takes their arrays after the prices.
LINE_COLUMNS = (
    "taxable",
    "tax_rate_bp",
    "cgst",
    "sgst",
    "ticket_total",
    "fee",
    "fee_rate_bp",
    "fee_cgst",
    "fee_sgst",
)
NO_THEATRE = -1  # the terms version of a table for a show that did not exist when it was built


@dataclass(frozen=True)
class ChargeTable:
    """The line of each price of a show for seats held on `day` (the theatre's local date), and
    the cancellation policy a booking held then freezes."""

    show_id: uuid.UUID
    day: date
    timezone: str
    terms_version: int
    lines: Mapping[int, SeatCharge]
    policy: tuple[Tier, ...]

    def line(self, price: int) -> SeatCharge | None:
        return self.lines.get(price)

    @cached_property
    def arrays(self) -> list[list[int]]:
        """The prices, then each column of their lines: `boxoffice_hold`'s arrays."""
        prices = sorted(self.lines)
        columns = [columns_of(self.lines[price]) for price in prices]
        return [prices, *([line[name] for line in columns] for name in LINE_COLUMNS)]

    def without_fees(self) -> ChargeTable:
        """The table of a counter sale: the same tickets, no convenience fee (SPEC "Money")."""
        lines = {price: replace(line, fee=untaxed(0)) for price, line in self.lines.items()}
        return replace(self, lines=lines)

    @cached_property
    def policy_document(self) -> list[dict[str, int]]:
        """The policy as a booking stores it (`bookings.cancellation_policy`)."""
        return [asdict(tier) for tier in self.policy]

    @cached_property
    def policy_json(self) -> str:
        return json.dumps(self.policy_document)


class ChargeTables:
    """Per process (`bookings.sale.Sale.charges`): each show's table for the current local date."""

    def __init__(self, sessionmaker: async_sessionmaker[Any], settings: Settings) -> None:
        self._sessionmaker = sessionmaker
        self._settings = settings
        self._tables: OrderedDict[uuid.UUID, ChargeTable] = OrderedDict()

    async def of(self, show_id: uuid.UUID, now: datetime) -> ChargeTable:
        """The show's table for a hold at `now`, built when this process has none for the date."""
        table = self._tables.get(show_id)
        if table is not None and local_date(now, table.timezone) == table.day:
            self._tables.move_to_end(show_id)
            return table
        table = await self._build(show_id, now)
        self._tables[show_id] = table
        if len(self._tables) > TABLES_KEPT:
            self._tables.popitem(last=False)
        return table

    def forget(self, show_id: uuid.UUID) -> None:
        """The claim found the show's table stale: the next hold builds it again."""
        self._tables.pop(show_id, None)

    async def _build(self, show_id: uuid.UUID, now: datetime) -> ChargeTable:
        async with self._sessionmaker() as session:
            return await self.build_in(session, show_id, now)

    async def build_in(
        self, session: AsyncSession, show_id: uuid.UUID, now: datetime
    ) -> ChargeTable:
        """The show's table for a hold at `now`, read in `session` and not kept: for a counter
        sale, which claims in a transaction of its own that is open already (on SQLite another
        connection's read would wait for it)."""
        show = await session.get(Show, show_id)
        theatre = None if show is None else await session.get(Theatre, show.theatre_id)
        if show is None or theatre is None:
            # The claim refuses the hold for want of a show before it looks at the table.
            return ChargeTable(show_id, now.date(), "UTC", NO_THEATRE, {}, ())
        # The theatre first: its version then names terms at least as old as anything read
        # after it, so a change committed meanwhile makes the table stale, never wrong.
        day = local_date(now, theatre.timezone)
        prices = await session.scalars(
            select(ShowSeat.price).where(ShowSeat.show_id == show_id).distinct()
        )
        terms = await taxes_service.terms_on(session, show, theatre, day)
        lines = {price: seat_charge(price, terms) for price in prices}
        policy = effective_policy(
            theatre.cancellation_policy, self._settings.cancellation_cutoff_minutes
        )
        return ChargeTable(show_id, day, theatre.timezone, theatre.terms_version, lines, policy)


def seat_line(seat: BookingSeat) -> SeatCharge:
    """The seat's line as its hold froze it (a seat from before charges were frozen: its price,
    untaxed, no fee, as migration 0015 wrote them)."""
    return frozen_charge(seat) or SeatCharge(seat.price, untaxed(seat.price), untaxed(0))


def line_total(seat: BookingSeat) -> int:
    """What the seat cost: its ticket and its fee, GST included."""
    return seat_line(seat).total


def seat_columns(table: ChargeTable, price: int) -> dict[str, int]:
    """The columns a seat claimed at `price` freezes (the claim checked the table has it)."""
    line = table.line(price)
    assert line is not None, price
    return columns_of(line)


def missing_prices(table: ChargeTable, prices: Sequence[int]) -> bool:
    """Whether the table lacks any of these prices (the show was re-priced since it was built)."""
    return any(price not in table.lines for price in prices)
