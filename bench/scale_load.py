"""A year of a cinema chain, loaded with set-based SQL (issue 28): `bench/scale.py` runs it.

The chain: `theatres` theatres of 5 screens of 250 seats (10 rows of 25: 2 VIP, 4 GOLD,
4 SILVER), 5 shows a screen a day for `days` days ending `future` days from now, a show's seats
sold in pairs to `customers` customers (a few with hundreds of bookings, one with exactly
`REGULAR_BOOKINGS`). Every row is the row the application writes for the same history:
- a pair sold (about 56 % of a past show's pairs): a booking PENDING → BOOKED, its seats'
  charges frozen at their price under the theatre's terms (the same `money.tax.seat_charge`
  the hold's charge table uses), a captured payment (and the sandbox provider's order and
  payment), its tax invoice numbered per theatre and financial year, two tickets (checked in
  for most past shows), a BOOKED email sent, the show's sales totals;
- a pair cancelled by its customer after paying (3 %): the above, then CANCELLED, each seat
  given back at the policy's 75 % tier of its ticket (the fee kept), one refund of those seats
  PROCESSED here and at the provider, a credit note, the tickets revoked, a CANCELLED email;
- a hold that ran out (5 %) and a hold the customer let go (2 %): a booking PENDING → EXPIRED
  or CANCELLED, no payment, its seats free again.
Future shows sell about half as much. Nothing is live: the phases make their own holds. The
big tables are written in the order the sales happened (by show, then pair), so a period's
rows sit together on disk as production's do: a load in random order would make every report
of a recent month read pages from the whole year.

The rows go in with `session_replication_role = replica` (no foreign-key or numbering
triggers: the load numbers its documents itself and writes only consistent keys), in a few
statements a table; `bench.scale` runs the audits on the result.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg

from boxoffice.money.cancellation import customer_refund
from boxoffice.money.tax import FeeSlab, Slab, Terms, seat_charge

SCREENS = 5
ROWS, PER_ROW = 10, 25
SLOTS = (10, 13, 16, 19, 22)  # local start hours
TYPES = ("VIP", "VIP", "GOLD", "GOLD", "GOLD", "GOLD", "SILVER", "SILVER", "SILVER", "SILVER")
PRICES = {  # (seat type, day type) -> paise
    ("VIP", "WEEKDAY"): 40000,
    ("VIP", "WEEKEND"): 45000,
    ("GOLD", "WEEKDAY"): 28000,
    ("GOLD", "WEEKEND"): 32000,
    ("SILVER", "WEEKDAY"): 18000,
    ("SILVER", "WEEKEND"): 20000,
}
CITIES = ("Mumbai", "Pune", "Bengaluru", "Chennai", "Delhi")
FEE: list[dict[str, Any]] = [{"up_to": 10000, "amount": 1000}, {"up_to": None, "rate_bp": 1000}]
POLICY = [
    {"until_minutes_before": 120, "refund_bp": 7500},
    {"until_minutes_before": 20, "refund_bp": 5000},
]
REFUND_BP = 7500  # the tier the load's cancellations fall in
REGULAR_BOOKINGS = 500
REGULAR_EMAIL = "regular@scale.example"
HISTORY_KID = "scale-history"  # tickets of the load name a key no one verifies any more


@dataclass(frozen=True)
class Chain:
    days: int
    theatres: int
    customers: int
    future: int  # of the days, how many are still to come

    @property
    def shows(self) -> int:
        return self.days * self.theatres * SCREENS * len(SLOTS)


def chain_for(days: int, fraction: float) -> Chain:
    return Chain(
        days=days,
        theatres=max(1, round(10 * fraction)),
        customers=max(REGULAR_BOOKINGS * 2, round(2_000_000 * fraction)),
        future=min(14, max(5, days // 4)),
    )


def charge_rows(connection: psycopg.Connection[Any]) -> list[tuple[int, ...]]:
    """Each price's line as the claim freezes it, and its refund at the load's tier, from the
    project's own money functions and the tax rules the migrations installed (the newest
    admission rule: the load's shows all fall after it)."""
    slabs: dict[str, list[Slab]] = {}
    for category, up_to, rate_bp in connection.execute(
        """SELECT v.category, s.up_to, s.rate_bp FROM tax_slabs s
           JOIN tax_rule_versions v ON v.id = s.version_id
           WHERE v.effective_from = (SELECT max(w.effective_from) FROM tax_rule_versions w
                                     WHERE w.category = v.category)
           ORDER BY v.category, s.position"""
    ):
        slabs.setdefault(category, []).append(Slab(up_to, rate_bp))
    terms = Terms(
        registered=True,
        prices_include_tax=True,
        admission=tuple(slabs["ADMISSION"]),
        fee_tax=tuple(slabs["FEE"]),
        fee_schedule=tuple(FeeSlab(**slab) for slab in FEE),
    )
    rows: list[tuple[int, ...]] = []
    for price in sorted(set(PRICES.values())):
        line = seat_charge(price, terms)
        back = customer_refund([line], REFUND_BP)[0]
        rows.append(
            (
                price,
                line.ticket.taxable,
                line.ticket.rate_bp,
                line.ticket.cgst,
                line.ticket.sgst,
                line.ticket_total,
                line.fee.taxable,
                line.fee.rate_bp,
                line.fee.cgst,
                line.fee.sgst,
                back.total,
                back.taxable,
                back.cgst,
                back.sgst,
            )
        )
    return rows


def _local_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(hours=5, minutes=30)


def statements(chain: Chain, today: date) -> list[tuple[str, str]]:
    """The load, as (label, SQL) in order; integers inlined, nothing else interpolated."""
    first = _local_midnight(today - timedelta(days=chain.days - chain.future))
    # A bigint hash of a few integers: deterministic, cheap, spread enough for choosing.
    params = {
        "theatres": chain.theatres,
        "screens": SCREENS,
        "rows": ROWS,
        "per_row": PER_ROW,
        "slots": len(SLOTS),
        "days": chain.days,
        "customers": chain.customers,
        "regular": REGULAR_BOOKINGS,
        "first": f"'{first.isoformat()}'::timestamptz",
        "fee": f"'{json.dumps(FEE)}'::json",
        "policy": f"'{json.dumps(POLICY)}'::json",
        "slot_hours": "ARRAY[" + ",".join(str(h) for h in SLOTS) + "]",
        "types": "ARRAY[" + ",".join(f"'{t}'" for t in TYPES) + "]",
    }
    out = []
    for label, sql in _SQL:
        for key, value in params.items():
            sql = sql.replace(f"{{{key}}}", str(value))
        out.append((label, sql))
    return out


_SQL: list[tuple[str, str]] = [
    (
        "catalogue",
        """
INSERT INTO theatres (id, name, city, address, timezone, holidays, created_at, legal_name,
                      gstin, state_code, sac, invoice_prefix, prices_include_tax,
                      convenience_fee, cancellation_policy, terms_version)
SELECT md5('theatre' || t)::uuid, 'Scale Cinema ' || t,
       (ARRAY['Mumbai','Pune','Bengaluru','Chennai','Delhi'])[1 + t % 5],
       t || ' Scale Road', 'Asia/Kolkata', '[]', {first} - interval '30 days',
       'Scale Cinemas Pvt Ltd', '27AAPFU0939F1ZV', '27', '999614', 'SC' || t, true,
       {fee}, {policy}, 0
FROM generate_series(0, {theatres} - 1) t;
INSERT INTO price_rules (id, theatre_id, seat_type, day_type, amount)
SELECT md5('rule' || t || st || dt)::uuid, md5('theatre' || t)::uuid, st, dt,
       CASE st WHEN 'VIP' THEN 40000 WHEN 'GOLD' THEN 28000 ELSE 18000 END
         + CASE WHEN dt = 'WEEKDAY' THEN 0 WHEN st = 'VIP' THEN 5000
                WHEN st = 'GOLD' THEN 4000 ELSE 2000 END
FROM generate_series(0, {theatres} - 1) t, unnest(ARRAY['VIP','GOLD','SILVER']) st,
     unnest(ARRAY['WEEKDAY','WEEKEND','HOLIDAY']) dt;
INSERT INTO movies (id, title, duration_minutes, language, certificate, genres, release_date,
                    created_at)
SELECT md5('movie' || m)::uuid, 'Scale Movie ' || m, 150, 'Hindi', 'UA', '["Drama"]',
       ({first} - interval '60 days')::date + m * 7, now()
FROM generate_series(0, 59) m;
INSERT INTO screens (id, theatre_id, name, created_at, sweet_spot_row, sweet_spot_number)
SELECT md5('screen' || t || '-' || s)::uuid, md5('theatre' || t)::uuid, 'Audi ' || (s + 1),
       {first} - interval '30 days', 'F', 13
FROM generate_series(0, {theatres} - 1) t, generate_series(0, {screens} - 1) s;
CREATE UNLOGGED TABLE scale_seat AS
SELECT md5('seat' || sc.id || '-' || k)::uuid AS id, sc.id AS screen_id, k AS ord,
       chr(65 + k / {per_row}) AS row_label, k % {per_row} + 1 AS number,
       ({types})[1 + k / {per_row}] AS seat_type
FROM screens sc, generate_series(0, {rows} * {per_row} - 1) k;
INSERT INTO seats (id, screen_id, row, number, label, seat_type, x, y)
SELECT id, screen_id, row_label, number, row_label || number, seat_type, number,
       ord / {per_row} + 1
FROM scale_seat;
CREATE UNLOGGED TABLE scale_show AS
SELECT md5('show' || t || '-' || s || '-' || d || '-' || k)::uuid AS id,
       ((d * {theatres} + t) * {screens} + s) * {slots} + k AS n,
       md5('theatre' || t)::uuid AS theatre_id, md5('screen' || t || '-' || s)::uuid AS screen_id,
       md5('movie' || ((d / 7 + s * 3 + k) % 60))::uuid AS movie_id,
       {first} + make_interval(days => d, hours => ({slot_hours})[k + 1]) AS starts_at,
       CASE WHEN extract(isodow FROM ({first} + make_interval(days => d, hours => 12))
                                      AT TIME ZONE 'Asia/Kolkata') >= 6
            THEN 'WEEKEND' ELSE 'WEEKDAY' END AS day_type
FROM generate_series(0, {days} - 1) d, generate_series(0, {theatres} - 1) t,
     generate_series(0, {screens} - 1) s, generate_series(0, {slots} - 1) k;
INSERT INTO shows (id, movie_id, screen_id, theatre_id, starts_at, ends_at, day_type, status,
                   currency, created_at, seat_count)
SELECT id, movie_id, screen_id, theatre_id, starts_at, starts_at + interval '150 minutes',
       day_type, 'SCHEDULED', 'INR', {first} - interval '20 days', {rows} * {per_row}
FROM scale_show
""",
    ),
    (
        "customers",
        """
INSERT INTO users (id, email, password_hash, name, phone, role, created_at)
SELECT md5('user' || u)::uuid,
       CASE WHEN u = 0 THEN 'regular@scale.example' ELSE 'c' || u || '@scale.example' END,
       'unusable', 'Customer ' || u, '+9198' || lpad(u::text, 8, '0'), 'customer',
       {first} - interval '40 days'
FROM generate_series(0, {customers} - 1) u
""",
    ),
    (
        "bookings (staged)",
        """
CREATE UNLOGGED TABLE scale_pair AS
WITH pair AS (
    SELECT sh.id AS show_id, sh.n, sh.theatre_id, sh.screen_id, sh.starts_at, sh.day_type, j,
           ((sh.n * 7919 + j * 104729) * 2654435761) % 1000 AS h
    FROM scale_show sh, generate_series(0, {rows} * {per_row} / 2 - 1) j
), chosen AS (
    SELECT p.*,
           CASE WHEN p.starts_at < now() THEN
                CASE WHEN h < 560 THEN 'BOOKED' WHEN h < 590 THEN 'REFUNDED'
                     WHEN h < 640 THEN 'EXPIRED' WHEN h < 660 THEN 'CANCELLED' END
           ELSE CASE WHEN h < 280 THEN 'BOOKED' WHEN h < 295 THEN 'REFUNDED'
                     WHEN h < 330 THEN 'EXPIRED' WHEN h < 340 THEN 'CANCELLED' END
           END AS outcome
    FROM pair p
)
SELECT gen_random_uuid() AS booking_id,
       row_number() OVER (ORDER BY c.n, c.j) AS seq,
       c.show_id, c.theatre_id, c.screen_id, c.starts_at, c.day_type, c.j, c.h, c.outcome,
       least(c.starts_at - interval '1 hour',
             c.starts_at - make_interval(mins => ((c.h * 37) % 7200)::int) - interval '1 hour')
         AS created_at
FROM chosen c WHERE c.outcome IS NOT NULL;
-- The customer: the regular one for every k-th pair up to REGULAR_BOOKINGS, else skewed
-- towards the low numbers (a few customers with hundreds of bookings, most with a few).
ALTER TABLE scale_pair ADD COLUMN user_n bigint;
UPDATE scale_pair SET user_n = CASE
    WHEN seq % ((SELECT count(*) FROM scale_pair) / ({regular} + 1)) = 0
         AND seq / ((SELECT count(*) FROM scale_pair) / ({regular} + 1)) <= {regular} THEN 0
    ELSE 1 + floor(({customers} - 1) * power(((seq * 2654435761) % 1000003) / 1000003.0, 3))
    END;
CREATE UNLOGGED TABLE scale_seat_sold AS
SELECT p.booking_id, p.seq, p.show_id, p.outcome, se.id AS seat_id,
       se.row_label || se.number AS label, se.seat_type,
       CASE se.seat_type WHEN 'VIP' THEN 40000 WHEN 'GOLD' THEN 28000 ELSE 18000 END
         + CASE WHEN p.day_type = 'WEEKDAY' THEN 0 WHEN se.seat_type = 'VIP' THEN 5000
                WHEN se.seat_type = 'GOLD' THEN 4000 ELSE 2000 END AS price,
       se.ord
FROM scale_pair p JOIN scale_seat se ON se.screen_id = p.screen_id AND se.ord / 2 = p.j
""",
    ),
    (
        "bookings",
        """
INSERT INTO bookings (id, show_id, user_id, status, amount_total, currency, expires_at,
                      created_at, updated_at, cancellation_policy)
SELECT p.booking_id, p.show_id, md5('user' || p.user_n)::uuid,
       CASE p.outcome WHEN 'REFUNDED' THEN 'CANCELLED' ELSE p.outcome END,
       sum(c.ticket_total + c.fee + c.fee_cgst + c.fee_sgst), 'INR', NULL,
       p.created_at, p.created_at + interval '10 minutes', {policy}
FROM scale_pair p JOIN scale_seat_sold s ON s.booking_id = p.booking_id
JOIN scale_charge c ON c.price = s.price
GROUP BY p.booking_id, p.show_id, p.user_n, p.outcome, p.created_at
ORDER BY min(p.seq);
INSERT INTO booking_seats (booking_id, seat_id, label, seat_type, price, taxable, tax_rate_bp,
                           cgst, sgst, ticket_total, fee, fee_rate_bp, fee_cgst, fee_sgst,
                           cancelled_at, refunded)
SELECT s.booking_id, s.seat_id, s.label, s.seat_type, s.price, c.taxable, c.tax_rate_bp,
       c.cgst, c.sgst, c.ticket_total, c.fee, c.fee_rate_bp, c.fee_cgst, c.fee_sgst,
       CASE WHEN s.outcome = 'REFUNDED' THEN p.created_at + interval '1 day' END,
       CASE WHEN s.outcome = 'REFUNDED' THEN c.refund_total END
FROM scale_seat_sold s JOIN scale_pair p ON p.booking_id = s.booking_id
JOIN scale_charge c ON c.price = s.price
ORDER BY s.seq, s.seat_id;
INSERT INTO booking_transitions (id, booking_id, from_status, to_status, at, reason, actor)
SELECT gen_random_uuid(), p.booking_id, t.from_status, t.to_status, p.created_at + t.after,
       t.reason, CASE WHEN t.by_user THEN 'user:' || md5('user' || p.user_n)::uuid END
FROM scale_pair p JOIN (VALUES
    ('*', NULL, 'PENDING', interval '0', 'seats held', true),
    ('BOOKED', 'PENDING', 'BOOKED', interval '2 minutes', 'payment captured', false),
    ('REFUNDED', 'PENDING', 'BOOKED', interval '2 minutes', 'payment captured', false),
    ('REFUNDED', 'BOOKED', 'CANCELLED', interval '1 day', 'cancelled by customer', true),
    ('EXPIRED', 'PENDING', 'EXPIRED', interval '10 minutes', 'hold expired', false),
    ('CANCELLED', 'PENDING', 'CANCELLED', interval '3 minutes', 'cancelled by customer', true)
) AS t(outcome, from_status, to_status, after, reason, by_user)
  ON t.outcome IN ('*', p.outcome)
ORDER BY p.seq, t.after
""",
    ),
    (
        "show_seats",
        """
INSERT INTO show_seats (show_id, seat_id, seat_type, label, price, booking_id, held_until,
                        version)
SELECT sh.id, se.id, se.seat_type, se.row_label || se.number,
       CASE se.seat_type WHEN 'VIP' THEN 40000 WHEN 'GOLD' THEN 28000 ELSE 18000 END
         + CASE WHEN sh.day_type = 'WEEKDAY' THEN 0 WHEN se.seat_type = 'VIP' THEN 5000
                WHEN se.seat_type = 'GOLD' THEN 4000 ELSE 2000 END,
       sold.booking_id, NULL, CASE WHEN sold.booking_id IS NULL THEN 0 ELSE 1 END
FROM scale_show sh JOIN scale_seat se ON se.screen_id = sh.screen_id
LEFT JOIN scale_seat_sold sold
  ON sold.show_id = sh.id AND sold.seat_id = se.id AND sold.outcome = 'BOOKED'
""",
    ),
    (
        "payments",
        """
CREATE UNLOGGED TABLE scale_paid AS
SELECT p.booking_id, p.seq, p.show_id, p.theatre_id, p.outcome, p.created_at,
       b.amount_total AS amount, b.user_id,
       coalesce((SELECT sum(bs.refunded) FROM booking_seats bs
                 WHERE bs.booking_id = p.booking_id), 0) AS refunded
FROM scale_pair p JOIN bookings b ON b.id = p.booking_id
WHERE p.outcome IN ('BOOKED', 'REFUNDED');
INSERT INTO payments (id, booking_id, provider, order_id, payment_id, amount, currency, status,
                      captured_at, created_at, updated_at)
SELECT md5('payment' || seq)::uuid, booking_id, 'razorpay', 'order_s' || seq, 'pay_s' || seq,
       amount, 'INR', CASE WHEN refunded > 0 THEN 'PARTIALLY_REFUNDED' ELSE 'CAPTURED' END,
       created_at + interval '2 minutes', created_at + interval '1 minute',
       created_at + interval '2 minutes'
FROM scale_paid ORDER BY seq;
INSERT INTO razorpay_sandbox_orders (id, amount, amount_paid, currency, receipt, status,
                                     attempts, notes, created_at)
SELECT 'order_s' || seq, amount, amount, 'INR', booking_id::text, 'paid', 1, '{}',
       created_at + interval '1 minute'
FROM scale_paid;
INSERT INTO razorpay_sandbox_payments (id, order_id, amount, currency, status, method, captured,
                                       amount_refunded, created_at)
SELECT 'pay_s' || seq, 'order_s' || seq, amount, 'INR',
       CASE WHEN refunded > 0 THEN 'refunded' ELSE 'captured' END, 'card', true, refunded,
       created_at + interval '2 minutes'
FROM scale_paid;
INSERT INTO refunds (id, payment_id, show_id, provider_payment_id, provider_refund_id, amount,
                     status, reason, for_seats, attempts, attempts_allowed, next_attempt_at,
                     created_at, updated_at)
SELECT md5('refund' || seq)::uuid, md5('payment' || seq)::uuid, show_id, 'pay_s' || seq,
       'rfnd_s' || seq, refunded, 'PROCESSED', 'cancelled by customer', true, 1, 6, NULL,
       created_at + interval '1 day', created_at + interval '1 day'
FROM scale_paid WHERE refunded > 0;
INSERT INTO refund_attempts (id, refund_id, number, idempotency_key, provider_refund_id, status,
                             started_at, finished_at)
SELECT gen_random_uuid(), md5('refund' || seq)::uuid, 1, md5('refund' || seq),
       'rfnd_s' || seq, 'PROCESSED', created_at + interval '1 day',
       created_at + interval '1 day'
FROM scale_paid WHERE refunded > 0;
INSERT INTO razorpay_sandbox_refunds (id, payment_id, amount, currency, status, receipt, notes,
                                      idempotency_key, created_at)
SELECT 'rfnd_s' || seq, 'pay_s' || seq, refunded, 'INR', 'processed',
       md5('refund' || seq)::uuid::text, '{}', md5('refund' || seq),
       created_at + interval '1 day'
FROM scale_paid WHERE refunded > 0
""",
    ),
    (
        "invoices",
        """
CREATE UNLOGGED TABLE scale_doc AS
SELECT pd.*, md5('invoice' || pd.seq)::uuid AS invoice_id, md5('note' || pd.seq)::uuid AS note_id,
       CASE WHEN (pd.created_at AT TIME ZONE 'Asia/Kolkata')::date
                 >= make_date(extract(year FROM pd.created_at AT TIME ZONE 'Asia/Kolkata')::int,
                              4, 1)
            THEN extract(year FROM pd.created_at AT TIME ZONE 'Asia/Kolkata')::int
            ELSE extract(year FROM pd.created_at AT TIME ZONE 'Asia/Kolkata')::int - 1
       END AS fy_start
FROM scale_paid pd;
ALTER TABLE scale_doc ADD COLUMN fy text;
UPDATE scale_doc SET fy = fy_start || '-' || lpad(((fy_start + 1) % 100)::text, 2, '0');
INSERT INTO documents (id, series, booking_id, theatre_id, invoice_id, refund_id,
                       financial_year, serial, prefix, issued_at, currency, reason, legal_name,
                       address, gstin, state_code, sac, recipient_name, recipient_email,
                       recipient_phone, taxable, cgst, sgst, total)
SELECT d.invoice_id, 'TAX_INVOICE', d.booking_id, d.theatre_id, NULL, NULL, d.fy,
       row_number() OVER (PARTITION BY d.theatre_id, d.fy ORDER BY d.seq), t.invoice_prefix,
       d.created_at + interval '2 minutes', 'INR', NULL, 'Scale Cinemas Pvt Ltd',
       t.address, '27AAPFU0939F1ZV', '27', '999614', NULL, NULL, NULL,
       sum(c.taxable + c.fee), sum(c.cgst + c.fee_cgst), sum(c.sgst + c.fee_sgst),
       sum(c.ticket_total + c.fee + c.fee_cgst + c.fee_sgst)
FROM scale_doc d JOIN theatres t ON t.id = d.theatre_id
JOIN scale_seat_sold s ON s.booking_id = d.booking_id JOIN scale_charge c ON c.price = s.price
GROUP BY d.invoice_id, d.booking_id, d.theatre_id, d.fy, d.seq, t.invoice_prefix, d.created_at,
         t.address
ORDER BY d.seq;
INSERT INTO document_lines (document_id, position, seat_id, kind, description, sac, taxable,
                            rate_bp, cgst, sgst, total)
SELECT d.invoice_id, 2 * (row_number() OVER (PARTITION BY d.invoice_id ORDER BY s.label) - 1)
         + l.k,
       s.seat_id, l.kind, CASE l.k WHEN 0 THEN 'Admission ' ELSE 'Convenience fee ' END
         || s.label, '999614',
       CASE l.k WHEN 0 THEN c.taxable ELSE c.fee END,
       CASE l.k WHEN 0 THEN c.tax_rate_bp ELSE c.fee_rate_bp END,
       CASE l.k WHEN 0 THEN c.cgst ELSE c.fee_cgst END,
       CASE l.k WHEN 0 THEN c.sgst ELSE c.fee_sgst END,
       CASE l.k WHEN 0 THEN c.ticket_total ELSE c.fee + c.fee_cgst + c.fee_sgst END
FROM scale_doc d JOIN scale_seat_sold s ON s.booking_id = d.booking_id
JOIN scale_charge c ON c.price = s.price
CROSS JOIN (VALUES (0, 'TICKET'), (1, 'FEE')) AS l(k, kind)
ORDER BY d.seq;
INSERT INTO documents (id, series, booking_id, theatre_id, invoice_id, refund_id,
                       financial_year, serial, prefix, issued_at, currency, reason, legal_name,
                       address, gstin, state_code, sac, recipient_name, recipient_email,
                       recipient_phone, taxable, cgst, sgst, total)
SELECT d.note_id, 'CREDIT_NOTE', d.booking_id, d.theatre_id, d.invoice_id,
       md5('refund' || d.seq)::uuid, d.fy,
       row_number() OVER (PARTITION BY d.theatre_id, d.fy ORDER BY d.seq), t.invoice_prefix,
       d.created_at + interval '1 day', 'INR', 'cancelled by customer',
       'Scale Cinemas Pvt Ltd', t.address, '27AAPFU0939F1ZV', '27', '999614', NULL, NULL, NULL,
       sum(c.refund_taxable), sum(c.refund_cgst), sum(c.refund_sgst), sum(c.refund_total)
FROM scale_doc d JOIN theatres t ON t.id = d.theatre_id
JOIN scale_seat_sold s ON s.booking_id = d.booking_id JOIN scale_charge c ON c.price = s.price
WHERE d.refunded > 0
GROUP BY d.note_id, d.booking_id, d.theatre_id, d.invoice_id, d.seq, d.fy, t.invoice_prefix,
         d.created_at, t.address;
INSERT INTO document_lines (document_id, position, seat_id, kind, description, sac, taxable,
                            rate_bp, cgst, sgst, total)
SELECT d.note_id, row_number() OVER (PARTITION BY d.note_id ORDER BY s.label) - 1, s.seat_id,
       'TICKET', 'Admission ' || s.label, '999614', c.refund_taxable, c.tax_rate_bp,
       c.refund_cgst, c.refund_sgst, c.refund_total
FROM scale_doc d JOIN scale_seat_sold s ON s.booking_id = d.booking_id
JOIN scale_charge c ON c.price = s.price
WHERE d.refunded > 0;
INSERT INTO document_counters (theatre_id, financial_year, series, last_serial)
SELECT theatre_id, financial_year, series, max(serial) FROM documents
GROUP BY theatre_id, financial_year, series
""",
    ),
    (
        "tickets and emails",
        """
INSERT INTO tickets (id, booking_id, show_id, seat_id, seat_label, seat_type, status, kid, qr,
                     valid_from, valid_until, checked_in_at, gate, checked_in_by, revoked_at,
                     created_at)
SELECT gen_random_uuid(), s.booking_id, s.show_id, s.seat_id, s.label, s.seat_type,
       CASE WHEN s.outcome = 'REFUNDED' THEN 'REVOKED'
            WHEN p.starts_at < now() AND p.h % 10 <> 0 THEN 'CHECKED_IN' ELSE 'VALID' END,
       'scale-history', 'BX1.' || md5(s.booking_id::text || s.seat_id::text)
         || md5(s.seat_id::text || s.booking_id::text) || repeat('A', 120),
       p.starts_at - interval '6 hours', p.starts_at + interval '150 minutes',
       CASE WHEN s.outcome = 'BOOKED' AND p.starts_at < now() AND p.h % 10 <> 0
            THEN p.starts_at - interval '10 minutes' END,
       CASE WHEN s.outcome = 'BOOKED' AND p.starts_at < now() AND p.h % 10 <> 0
            THEN 'Gate ' || (1 + p.h % 3) END,
       CASE WHEN s.outcome = 'BOOKED' AND p.starts_at < now() AND p.h % 10 <> 0
            THEN 'usher' END,
       CASE WHEN s.outcome = 'REFUNDED' THEN p.created_at + interval '1 day' END,
       p.created_at + interval '2 minutes'
FROM scale_seat_sold s JOIN scale_pair p ON p.booking_id = s.booking_id
WHERE s.outcome IN ('BOOKED', 'REFUNDED')
ORDER BY s.seq;
INSERT INTO outbox_emails (id, booking_id, kind, recipient, subject, message, status, attempts,
                           next_attempt_at, last_error, sent_at, created_at, inline_qr)
SELECT gen_random_uuid(), pd.booking_id, e.kind, 'c' || pd.seq || '@scale.example',
       'Your booking ' || e.kind, repeat('Your tickets are attached. ', 12), 'SENT', 1,
       pd.created_at + e.after, NULL, pd.created_at + e.after, pd.created_at + e.after, NULL
FROM scale_paid pd JOIN (VALUES ('BOOKED', interval '2 minutes', false),
                                ('CANCELLED', interval '1 day', true)) AS e(kind, after, refund)
  ON NOT e.refund OR pd.refunded > 0
ORDER BY pd.seq
""",
    ),
    (
        "sales totals",
        """
INSERT INTO show_sales (show_id, tickets, gross, taxable, cgst, sgst, fees)
SELECT s.show_id, count(*) FILTER (WHERE s.outcome = 'BOOKED'),
       sum(c.ticket_total + c.fee + c.fee_cgst + c.fee_sgst), sum(c.taxable),
       sum(c.cgst + c.fee_cgst), sum(c.sgst + c.fee_sgst), sum(c.fee)
FROM scale_seat_sold s JOIN scale_charge c ON c.price = s.price
WHERE s.outcome IN ('BOOKED', 'REFUNDED')
GROUP BY s.show_id
""",
    ),
]


# The GST summary (migration 0027) of the documents above, from the load's own tables: per
# theatre, month of issue in its timezone, series, kind and rate. Written only where the schema
# has the table: loaded at `scale_migrations.BASE`, before it, the chain gets it from 0027's
# backfill instead (timed there); `bench.scale` audits it against the lines either way.
GST_SUMMARY = """
INSERT INTO gst_summary (theatre_id, month, series, kind, rate_bp, taxable, cgst, sgst)
SELECT d.theatre_id, to_char(l.issued_at AT TIME ZONE 'Asia/Kolkata', 'YYYY-MM'), l.series,
       l.kind, l.rate_bp, sum(l.taxable), sum(l.cgst), sum(l.sgst)
FROM scale_doc d JOIN scale_seat_sold s ON s.booking_id = d.booking_id
JOIN scale_charge c ON c.price = s.price
CROSS JOIN LATERAL (VALUES
    ('TAX_INVOICE', 'TICKET', d.created_at + interval '2 minutes', c.tax_rate_bp, c.taxable,
     c.cgst, c.sgst),
    ('TAX_INVOICE', 'FEE', d.created_at + interval '2 minutes', c.fee_rate_bp, c.fee, c.fee_cgst,
     c.fee_sgst),
    ('CREDIT_NOTE', 'TICKET', d.created_at + interval '1 day', c.tax_rate_bp, c.refund_taxable,
     c.refund_cgst, c.refund_sgst)
) AS l(series, kind, issued_at, rate_bp, taxable, cgst, sgst)
WHERE l.series = 'TAX_INVOICE' OR d.refunded > 0
GROUP BY 1, 2, 3, 4, 5
"""


# The indexes the load defers: every index of the tables it writes but those behind a primary
# key or a constraint (the load's joins use those): dropped before the load, built again after
# it in parallel sessions (`INDEXERS`), each from a table written whole instead of row by row.
INDEXERS = 3
DEFERRED = """
SELECT i.indexrelid::regclass::text, i.indrelid::regclass::text, pg_get_indexdef(i.indexrelid)
FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = 'public' AND t.relkind = 'r'
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
"""


def drop_secondary_indexes(connection: psycopg.Connection[Any]) -> list[tuple[str, str]]:
    """Drops the deferred indexes; returns their tables and definitions."""
    found = connection.execute(DEFERRED).fetchall()
    for name, _, _ in found:
        connection.execute(f"DROP INDEX {name}")
    return [(table, definition) for _, table, definition in found]


def build_indexes(
    url: str | None, connection: psycopg.Connection[Any], deferred: list[tuple[str, str]]
) -> None:
    """Builds the indexes, the biggest table's first, `INDEXERS` sessions at once (one after
    the other on `connection` without a `url`)."""
    sizes = {
        table: value_of(connection, f"SELECT pg_relation_size('{table}'::regclass)")
        for table in {table for table, _ in deferred}
    }
    definitions = [d for t, d in sorted(deferred, key=lambda item: -sizes[item[0]])]

    def build(definition: str, on: psycopg.Connection[Any]) -> None:
        on.execute("SET maintenance_work_mem = '256MB'")
        on.execute(definition)

    if url is None:
        for definition in definitions:
            build(definition, connection)
        return

    def one(definition: str) -> None:
        with psycopg.connect(url, autocommit=True) as own:
            build(definition, own)

    with ThreadPoolExecutor(INDEXERS) as pool:
        list(pool.map(one, definitions))


def load(
    connection: psycopg.Connection[Any],
    chain: Chain,
    today: date,
    log: Callable[[str], None] = print,
    url: str | None = None,
) -> dict[str, float]:
    """Loads the chain into a migrated, empty database; returns seconds per step. The
    secondary indexes are built after the rows are in, in parallel sessions on `url` (on
    `connection` alone without it)."""
    timings: dict[str, float] = {}
    deferred = drop_secondary_indexes(connection)
    connection.execute("SET session_replication_role = replica")
    connection.execute("SET synchronous_commit = off")
    connection.execute("SET maintenance_work_mem = '256MB'")
    connection.execute("SET work_mem = '64MB'")
    connection.execute(
        """CREATE UNLOGGED TABLE scale_charge (
               price int PRIMARY KEY, taxable int, tax_rate_bp int, cgst int, sgst int,
               ticket_total int, fee int, fee_rate_bp int, fee_cgst int, fee_sgst int,
               refund_total int, refund_taxable int, refund_cgst int, refund_sgst int)"""
    )
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO scale_charge VALUES (" + ", ".join(["%s"] * 14) + ")",
            charge_rows(connection),
        )
    for label, sql in statements(chain, today):
        started = time.perf_counter()
        for statement in (s.strip() for s in sql.split(";\n")):
            if statement:
                connection.execute(statement)
        timings[label] = time.perf_counter() - started
        log(f"  {label:<22} {timings[label]:7.1f} s")
    started = time.perf_counter()
    build_indexes(url, connection, deferred)
    timings["indexes"] = time.perf_counter() - started
    log(f"  {'indexes (' + str(len(deferred)) + ')':<22} {timings['indexes']:7.1f} s")
    if value_of(connection, "SELECT to_regclass('gst_summary') IS NOT NULL"):
        started = time.perf_counter()
        connection.execute(GST_SUMMARY)
        timings["gst summary"] = time.perf_counter() - started
        log(f"  {'gst summary':<22} {timings['gst summary']:7.1f} s")
    started = time.perf_counter()
    for table in (
        "scale_doc",
        "scale_paid",
        "scale_seat_sold",
        "scale_pair",
        "scale_show",
        "scale_seat",
        "scale_charge",
    ):
        connection.execute(f"DROP TABLE {table}")
    connection.execute("SET session_replication_role = origin")
    connection.execute("VACUUM ANALYZE")
    timings["vacuum analyze"] = time.perf_counter() - started
    log(f"  {'vacuum analyze':<22} {timings['vacuum analyze']:7.1f} s")
    return timings


def value_of(connection: psycopg.Connection[Any], sql: str) -> Any:
    row = connection.execute(sql).fetchone()
    assert row is not None
    return row[0]
