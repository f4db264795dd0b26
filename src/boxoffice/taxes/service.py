"""Rules of taxes, which read or write the database: tax rule versions, films' state waivers, and
whether a theatre's inclusive prices fit the slabs in force.

A version's `effective_from` must be a date that has not begun anywhere on Earth (after today
at UTC+14): a rule never changes the rate of a day already under way in some theatre, so every
hold of a local day sees one version.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.catalogue import repository as catalogue_repository
from boxoffice.catalogue.days import local_date
from boxoffice.catalogue.errors import UnknownReference
from boxoffice.catalogue.models import Show, Theatre
from boxoffice.db.base import new_id
from boxoffice.money import charges, tax
from boxoffice.money.charges import FrozenSeat
from boxoffice.money.errors import InconsistentPrice, InvalidTaxRule, TaxRuleDateTaken
from boxoffice.money.terms import fee_schedule_of
from boxoffice.taxes import repository
from boxoffice.taxes.models import TaxCategory, TaxExemption, TaxRuleVersion
from boxoffice.taxes.schemas import ExemptionCreate, SlabOut, TaxRuleCreate, TaxRuleOut

EARLIEST_OFFSET = timedelta(hours=14)  # UTC+14 (Kiritimati): where a date begins first


def _rule_out(version: TaxRuleVersion, slabs: Iterable[tax.Slab]) -> TaxRuleOut:
    return TaxRuleOut(
        id=version.id,
        category=version.category,
        effective_from=version.effective_from,
        slabs=[SlabOut(up_to=s.up_to, rate_bp=s.rate_bp) for s in slabs],
        created_at=version.created_at,
    )


async def list_rules(
    session: AsyncSession, category: TaxCategory | None, limit: int, offset: int
) -> list[TaxRuleOut]:
    versions = await repository.list_versions(session, category, limit, offset)
    slabs = await repository.slabs_of(session, [v.id for v in versions])
    return [_rule_out(v, slabs.get(v.id, ())) for v in versions]


async def add_rule(session: AsyncSession, body: TaxRuleCreate, now: datetime) -> TaxRuleOut:
    begun = (now + EARLIEST_OFFSET).date()
    if body.effective_from <= begun:
        raise InvalidTaxRule(
            f"effective_from must be a date that has not begun anywhere: after {begun}.",
            field="effective_from",
        )
    version = TaxRuleVersion(
        id=new_id(), category=body.category, effective_from=body.effective_from, created_at=now
    )
    slabs = [tax.Slab(up_to=s.up_to, rate_bp=s.rate_bp) for s in body.slabs]
    added = await repository.insert_version(
        session, version.id, version.category, version.effective_from, slabs, now
    )
    if not added:
        raise TaxRuleDateTaken(
            f"{body.category.value} already has a version from {body.effective_from}.",
            category=body.category.value,
            effective_from=body.effective_from.isoformat(),
        )
    return _rule_out(version, slabs)


async def add_exemption(
    session: AsyncSession, body: ExemptionCreate, now: datetime
) -> TaxExemption:
    if await catalogue_repository.get_movie(session, body.movie_id) is None:
        raise UnknownReference("movie_id names no movie.", field="movie_id")
    exemption = TaxExemption(
        id=new_id(),
        movie_id=body.movie_id,
        state_code=body.state_code,
        starts_on=body.starts_on,
        ends_on=body.ends_on,
        created_at=now,
    )
    repository.add_exemption(session, exemption)
    await catalogue_repository.bump_terms_version(session, body.state_code)
    await session.flush()
    return exemption


async def list_exemptions(
    session: AsyncSession,
    movie_id: uuid.UUID | None,
    state_code: str | None,
    limit: int,
    offset: int,
) -> list[TaxExemption]:
    return await repository.list_exemptions(session, movie_id, state_code, limit, offset)


async def ensure_prices_consistent(
    session: AsyncSession, theatre: Theatre, amounts: Iterable[int], now: datetime
) -> None:
    """Refuses (422 naming the band) prices that, GST included, no slab of the `ADMISSION` rule
    in force today in the theatre fits consistently. Only a registered theatre whose prices
    include tax has such prices; a later rule that makes one inconsistent gives it the higher
    slab instead (SPEC "Per ticket")."""
    if theatre.gstin is None or not theatre.prices_include_tax:
        return
    today = local_date(now, theatre.timezone)
    slabs = await repository.slabs_in_force(session, TaxCategory.ADMISSION, today)
    if slabs is None:
        return
    refused = {
        amount: band
        for amount in sorted(set(amounts))
        if (band := tax.inconsistent_band(amount, slabs)) is not None
    }
    if not refused:
        return
    bands = sorted(set(refused.values()))
    named = ", ".join(f"{tax.rupees(first)} to {tax.rupees(last)}" for first, last in bands)
    raise InconsistentPrice(
        f"A price that includes GST from {named} fits no slab of the rates in force on {today}: "
        "its taxable value would fall in another slab than the one whose rate gave it. Refused: "
        f"{', '.join(tax.rupees(amount) for amount in refused)}.",
        inconsistent_prices=list(refused),
        bands=[{"from": first, "to": last} for first, last in bands],
    )


async def terms_on(session: AsyncSession, show: Show, theatre: Theatre, day: date) -> tax.Terms:
    """What a seat of the show held on `day` (the theatre's local date) is charged under: the
    theatre's settings, the rules in force that day and the film's waiver in its state. A
    theatre without a GSTIN (or a day before any rule) charges no GST."""
    admission = await repository.slabs_in_force(session, TaxCategory.ADMISSION, day)
    fee_tax = await repository.slabs_in_force(session, TaxCategory.FEE, day)
    registered = theatre.gstin is not None and admission is not None and fee_tax is not None
    waived = (
        registered
        and theatre.state_code is not None
        and await repository.sgst_waived(session, show.movie_id, theatre.state_code, day)
    )
    return tax.Terms(
        registered=registered,
        prices_include_tax=theatre.prices_include_tax,
        admission=admission or (),
        fee_tax=fee_tax or (),
        fee_schedule=fee_schedule_of(theatre.convenience_fee),
        sgst_waived=waived,
    )


async def booking_lines(
    session: AsyncSession, show_id: uuid.UUID, held_at: datetime, seats: Sequence[FrozenSeat]
) -> list[tax.SeatCharge]:
    """Each seat's line as its hold froze it. A seat whose hold froze no charges (held before
    the claim wrote them) gets its line worked out from the theatre's terms on the hold's local
    date, without a fee: its booking's total is the sum of its prices, which charged none."""
    lines = [charges.frozen_charge(seat) for seat in seats]
    if all(line is not None for line in lines):
        return [line for line in lines if line is not None]
    show = await session.get(Show, show_id)
    assert show is not None
    theatre = await session.get(Theatre, show.theatre_id)
    assert theatre is not None
    terms = await terms_on(session, show, theatre, local_date(held_at, theatre.timezone))
    return [
        line or tax.seat_charge(seat.price, terms, with_fee=False)
        for line, seat in zip(lines, seats, strict=True)
    ]
