"""Hypothesis strategies for the money rules: slab tables and fee schedules."""

from __future__ import annotations

from hypothesis import strategies as st

from boxoffice.money.tax import BP, FeeSlab, Slab

rates = st.integers(min_value=0, max_value=4000)


@st.composite
def slab_tables(draw: st.DrawFn, ascending_rates: bool = False) -> tuple[Slab, ...]:
    tops = sorted(draw(st.sets(st.integers(min_value=0, max_value=2_000_000), max_size=3)))
    slab_rates = draw(st.lists(rates, min_size=len(tops) + 1, max_size=len(tops) + 1))
    if ascending_rates:
        slab_rates = sorted(slab_rates)
    return tuple(Slab(up_to=u, rate_bp=r) for u, r in zip([*tops, None], slab_rates, strict=True))


@st.composite
def fee_schedules(draw: st.DrawFn) -> tuple[FeeSlab, ...]:
    tops = sorted(draw(st.sets(st.integers(min_value=0, max_value=2_000_000), max_size=2)))
    if not tops and draw(st.booleans()):
        return ()
    slabs = []
    for top in [*tops, None]:
        if draw(st.booleans()):
            slabs.append(FeeSlab(up_to=top, amount=draw(st.integers(0, 100_000))))
        else:
            slabs.append(FeeSlab(up_to=top, rate_bp=draw(st.integers(0, BP))))
    return tuple(slabs)
