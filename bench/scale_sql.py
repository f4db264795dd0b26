"""The SQL of `make bench-scale`'s load (`bench/scale_load.py` runs it; its docstring says
what the chain is), as steps that name the steps they need: after the catalogue and the
staging tables, each table's rows read only the staging tables, so `scale_load` runs the
steps a few sessions at once. Integers and a few literals are inlined by `scale_load`
(`{name}`), nothing else.

The staging tables hold a sale's facts once: `scale_pair` the pairs a show sold and how each
ended; `scale_seat_sold` each sold seat with its pair's facts, in sale order (by pair, then
label); `scale_booking` each pair's sums and its customer; the invoices' own `scale_doc` a paid
pair's invoice numbering. They are written in sale order, so a table written from one of them
in a scan (joined only to small tables, `synchronize_seqscans` off) is in sale order without a
sort.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    label: str
    after: tuple[str, ...]
    sql: str


# In the order a free session takes them: the longest first once the staging tables are in.
STEPS: list[Step] = [
    Step(
        "catalogue",
        (),
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
    Step(
        "customers",
        (),
        """
INSERT INTO users (id, email, password_hash, name, phone, role, created_at)
SELECT md5('user' || u)::uuid,
       CASE WHEN u = 0 THEN 'regular@scale.example' ELSE 'c' || u || '@scale.example' END,
       'unusable', 'Customer ' || u, '+9198' || lpad(u::text, 8, '0'), 'customer',
       {first} - interval '40 days'
FROM generate_series(0, {customers} - 1) u
""",
    ),
    Step(
        "staging",
        ("catalogue",),
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
), numbered AS (
    SELECT c.*, row_number() OVER (ORDER BY c.n, c.j) AS seq
    FROM chosen c WHERE c.outcome IS NOT NULL
)
-- A booking's code is its id's first 5 bytes, unique (uq_bookings_code): random ids would
-- repeat one about 20 times in a year of bookings (the birthday bound of 2^40), so those bytes
-- are a bijection of the pair's number (an odd multiplier modulo 2^40), the rest random-looking.
SELECT (lpad(to_hex((c.seq * 2654435761) % 1099511627776), 10, '0')
        || substr(md5('booking' || c.seq), 11))::uuid AS booking_id,
       c.seq, c.show_id, c.theatre_id, c.screen_id, c.starts_at, c.day_type, c.j, c.h,
       c.outcome,
       least(c.starts_at - interval '1 hour',
             c.starts_at - make_interval(mins => ((c.h * 37) % 7200)::int) - interval '1 hour')
         AS created_at
FROM numbered c;
CREATE UNLOGGED TABLE scale_seat_sold AS
SELECT p.booking_id, p.seq, p.show_id, p.theatre_id, p.outcome, p.created_at, p.starts_at, p.h,
       se.id AS seat_id, se.row_label || se.number AS label, se.seat_type,
       CASE se.seat_type WHEN 'VIP' THEN 40000 WHEN 'GOLD' THEN 28000 ELSE 18000 END
         + CASE WHEN p.day_type = 'WEEKDAY' THEN 0 WHEN se.seat_type = 'VIP' THEN 5000
                WHEN se.seat_type = 'GOLD' THEN 4000 ELSE 2000 END AS price,
       row_number() OVER (PARTITION BY p.seq ORDER BY se.row_label || se.number) - 1 AS rank
FROM scale_pair p JOIN scale_seat se ON se.screen_id = p.screen_id AND se.ord / 2 = p.j
ORDER BY p.seq, label;
-- The customer: the regular one for every k-th pair up to REGULAR_BOOKINGS, else skewed
-- towards the low numbers (a few customers with hundreds of bookings, most with a few).
CREATE UNLOGGED TABLE scale_booking AS
SELECT s.booking_id, s.seq, s.show_id, s.theatre_id, s.outcome, s.created_at,
       CASE WHEN s.seq % (n.pairs / ({regular} + 1)) = 0
                 AND s.seq / (n.pairs / ({regular} + 1)) <= {regular} THEN 0
            ELSE 1 + floor(({customers} - 1)
                           * power(((s.seq * 2654435761) % 1000003) / 1000003.0, 3))
       END AS user_n,
       sum(c.ticket_total + c.fee + c.fee_cgst + c.fee_sgst) AS amount,
       sum(c.taxable + c.fee) AS taxable, sum(c.cgst + c.fee_cgst) AS cgst,
       sum(c.sgst + c.fee_sgst) AS sgst,
       CASE s.outcome WHEN 'REFUNDED' THEN sum(c.refund_total) ELSE 0 END AS refunded,
       sum(c.refund_taxable) AS refund_taxable, sum(c.refund_cgst) AS refund_cgst,
       sum(c.refund_sgst) AS refund_sgst
FROM scale_seat_sold s JOIN scale_charge c ON c.price = s.price
CROSS JOIN (SELECT count(*) AS pairs FROM scale_pair) n
GROUP BY s.booking_id, s.seq, s.show_id, s.theatre_id, s.outcome, s.created_at, n.pairs
ORDER BY s.seq
""",
    ),
    Step(
        "invoices",
        ("staging",),
        """
-- An invoice per paid pair, numbered per theatre and financial year (April to March, in the
-- theatre's timezone) in sale order; a credit note per refunded pair, numbered the same way.
CREATE UNLOGGED TABLE scale_doc AS
WITH paid AS (
    SELECT b.*, extract(year FROM b.created_at AT TIME ZONE 'Asia/Kolkata')::int
                - CASE WHEN extract(month FROM b.created_at AT TIME ZONE 'Asia/Kolkata') < 4
                       THEN 1 ELSE 0 END AS fy_start
    FROM scale_booking b WHERE b.outcome IN ('BOOKED', 'REFUNDED')
)
SELECT p.*, p.fy_start || '-' || lpad(((p.fy_start + 1) % 100)::text, 2, '0') AS fy,
       row_number() OVER (PARTITION BY p.theatre_id, p.fy_start ORDER BY p.seq)
         AS invoice_serial,
       row_number() OVER (PARTITION BY p.theatre_id, p.fy_start, p.refunded > 0 ORDER BY p.seq)
         AS note_serial
FROM paid p ORDER BY p.seq;
INSERT INTO documents (id, series, booking_id, theatre_id, invoice_id, refund_id,
                       financial_year, serial, prefix, issued_at, currency, reason, legal_name,
                       address, gstin, state_code, sac, recipient_name, recipient_email,
                       recipient_phone, taxable, cgst, sgst, total)
SELECT md5('invoice' || d.seq)::uuid, 'TAX_INVOICE', d.booking_id, d.theatre_id, NULL, NULL,
       d.fy, d.invoice_serial, t.invoice_prefix, d.created_at + interval '2 minutes', 'INR',
       NULL, 'Scale Cinemas Pvt Ltd', t.address, '27AAPFU0939F1ZV', '27', '999614', NULL,
       NULL, NULL, d.taxable, d.cgst, d.sgst, d.amount
FROM scale_doc d JOIN theatres t ON t.id = d.theatre_id;
INSERT INTO document_lines (document_id, position, seat_id, kind, description, sac, taxable,
                            rate_bp, cgst, sgst, total)
SELECT md5('invoice' || s.seq)::uuid, 2 * s.rank + l.k, s.seat_id, l.kind,
       CASE l.k WHEN 0 THEN 'Admission ' ELSE 'Convenience fee ' END || s.label, '999614',
       CASE l.k WHEN 0 THEN c.taxable ELSE c.fee END,
       CASE l.k WHEN 0 THEN c.tax_rate_bp ELSE c.fee_rate_bp END,
       CASE l.k WHEN 0 THEN c.cgst ELSE c.fee_cgst END,
       CASE l.k WHEN 0 THEN c.sgst ELSE c.fee_sgst END,
       CASE l.k WHEN 0 THEN c.ticket_total ELSE c.fee + c.fee_cgst + c.fee_sgst END
FROM scale_seat_sold s JOIN scale_charge c ON c.price = s.price
CROSS JOIN (VALUES (0, 'TICKET'), (1, 'FEE')) AS l(k, kind)
WHERE s.outcome IN ('BOOKED', 'REFUNDED');
INSERT INTO documents (id, series, booking_id, theatre_id, invoice_id, refund_id,
                       financial_year, serial, prefix, issued_at, currency, reason, legal_name,
                       address, gstin, state_code, sac, recipient_name, recipient_email,
                       recipient_phone, taxable, cgst, sgst, total)
SELECT md5('note' || d.seq)::uuid, 'CREDIT_NOTE', d.booking_id, d.theatre_id,
       md5('invoice' || d.seq)::uuid, md5('refund' || d.seq)::uuid, d.fy, d.note_serial,
       t.invoice_prefix, d.created_at + interval '1 day', 'INR', 'cancelled by customer',
       'Scale Cinemas Pvt Ltd', t.address, '27AAPFU0939F1ZV', '27', '999614', NULL, NULL, NULL,
       d.refund_taxable, d.refund_cgst, d.refund_sgst, d.refunded
FROM scale_doc d JOIN theatres t ON t.id = d.theatre_id
WHERE d.refunded > 0;
INSERT INTO document_lines (document_id, position, seat_id, kind, description, sac, taxable,
                            rate_bp, cgst, sgst, total)
SELECT md5('note' || s.seq)::uuid, s.rank, s.seat_id, 'TICKET', 'Admission ' || s.label,
       '999614', c.refund_taxable, c.tax_rate_bp, c.refund_cgst, c.refund_sgst, c.refund_total
FROM scale_seat_sold s JOIN scale_charge c ON c.price = s.price
WHERE s.outcome = 'REFUNDED';
INSERT INTO document_counters (theatre_id, financial_year, series, last_serial)
SELECT theatre_id, financial_year, series, max(serial) FROM documents
GROUP BY theatre_id, financial_year, series
""",
    ),
    Step(
        "bookings",
        ("staging",),
        """
INSERT INTO bookings (id, show_id, user_id, status, amount_total, currency, expires_at,
                      created_at, updated_at, cancellation_policy)
SELECT booking_id, show_id, md5('user' || user_n)::uuid,
       CASE outcome WHEN 'REFUNDED' THEN 'CANCELLED' ELSE outcome END, amount, 'INR', NULL,
       created_at, created_at + interval '10 minutes', {policy}
FROM scale_booking;
INSERT INTO booking_seats (booking_id, seat_id, label, seat_type, price, taxable, tax_rate_bp,
                           cgst, sgst, ticket_total, fee, fee_rate_bp, fee_cgst, fee_sgst,
                           cancelled_at, refunded)
SELECT s.booking_id, s.seat_id, s.label, s.seat_type, s.price, c.taxable, c.tax_rate_bp,
       c.cgst, c.sgst, c.ticket_total, c.fee, c.fee_rate_bp, c.fee_cgst, c.fee_sgst,
       CASE WHEN s.outcome = 'REFUNDED' THEN s.created_at + interval '1 day' END,
       CASE WHEN s.outcome = 'REFUNDED' THEN c.refund_total END
FROM scale_seat_sold s JOIN scale_charge c ON c.price = s.price
""",
    ),
    Step(
        "tickets",
        ("staging",),
        """
INSERT INTO tickets (id, booking_id, show_id, seat_id, seat_label, seat_type, status, kid, qr,
                     valid_from, valid_until, checked_in_at, gate, checked_in_by, revoked_at,
                     created_at)
SELECT gen_random_uuid(), s.booking_id, s.show_id, s.seat_id, s.label, s.seat_type,
       CASE WHEN s.outcome = 'REFUNDED' THEN 'REVOKED'
            WHEN s.starts_at < now() AND s.h % 10 <> 0 THEN 'CHECKED_IN' ELSE 'VALID' END,
       'scale-history', 'BX1.' || md5(s.booking_id::text || s.seat_id::text)
         || md5(s.seat_id::text || s.booking_id::text) || repeat('A', 120),
       s.starts_at - interval '6 hours', s.starts_at + interval '150 minutes',
       CASE WHEN s.outcome = 'BOOKED' AND s.starts_at < now() AND s.h % 10 <> 0
            THEN s.starts_at - interval '10 minutes' END,
       CASE WHEN s.outcome = 'BOOKED' AND s.starts_at < now() AND s.h % 10 <> 0
            THEN 'Gate ' || (1 + s.h % 3) END,
       CASE WHEN s.outcome = 'BOOKED' AND s.starts_at < now() AND s.h % 10 <> 0
            THEN 'usher' END,
       CASE WHEN s.outcome = 'REFUNDED' THEN s.created_at + interval '1 day' END,
       s.created_at + interval '2 minutes'
FROM scale_seat_sold s
WHERE s.outcome IN ('BOOKED', 'REFUNDED')
""",
    ),
    Step(
        "show_seats",
        ("staging",),
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
    Step(
        "transitions",
        ("staging",),
        """
INSERT INTO booking_transitions (id, booking_id, from_status, to_status, at, reason, actor)
SELECT gen_random_uuid(), b.booking_id, t.from_status, t.to_status, b.created_at + t.after,
       t.reason, CASE WHEN t.by_user THEN 'user:' || md5('user' || b.user_n)::uuid END
FROM scale_booking b JOIN (VALUES
    ('*', NULL, 'PENDING', interval '0', 'seats held', true),
    ('BOOKED', 'PENDING', 'BOOKED', interval '2 minutes', 'payment captured', false),
    ('REFUNDED', 'PENDING', 'BOOKED', interval '2 minutes', 'payment captured', false),
    ('REFUNDED', 'BOOKED', 'CANCELLED', interval '1 day', 'cancelled by customer', true),
    ('EXPIRED', 'PENDING', 'EXPIRED', interval '10 minutes', 'hold expired', false),
    ('CANCELLED', 'PENDING', 'CANCELLED', interval '3 minutes', 'cancelled by customer', true)
) AS t(outcome, from_status, to_status, after, reason, by_user)
  ON t.outcome IN ('*', b.outcome)
""",
    ),
    Step(
        "payments",
        ("staging",),
        """
INSERT INTO payments (id, booking_id, provider, order_id, payment_id, amount, currency, status,
                      captured_at, created_at, updated_at)
SELECT md5('payment' || seq)::uuid, booking_id, 'razorpay', 'order_s' || seq, 'pay_s' || seq,
       amount, 'INR', CASE WHEN refunded > 0 THEN 'PARTIALLY_REFUNDED' ELSE 'CAPTURED' END,
       created_at + interval '2 minutes', created_at + interval '1 minute',
       created_at + interval '2 minutes'
FROM scale_booking WHERE outcome IN ('BOOKED', 'REFUNDED');
INSERT INTO razorpay_sandbox_orders (id, amount, amount_paid, currency, receipt, status,
                                     attempts, notes, created_at)
SELECT 'order_s' || seq, amount, amount, 'INR', booking_id::text, 'paid', 1, '{}',
       created_at + interval '1 minute'
FROM scale_booking WHERE outcome IN ('BOOKED', 'REFUNDED');
INSERT INTO razorpay_sandbox_payments (id, order_id, amount, currency, status, method, captured,
                                       amount_refunded, created_at)
SELECT 'pay_s' || seq, 'order_s' || seq, amount, 'INR',
       CASE WHEN refunded > 0 THEN 'refunded' ELSE 'captured' END, 'card', true, refunded,
       created_at + interval '2 minutes'
FROM scale_booking WHERE outcome IN ('BOOKED', 'REFUNDED');
INSERT INTO refunds (id, payment_id, show_id, provider_payment_id, provider_refund_id, amount,
                     status, reason, for_seats, attempts, attempts_allowed, next_attempt_at,
                     created_at, updated_at)
SELECT md5('refund' || seq)::uuid, md5('payment' || seq)::uuid, show_id, 'pay_s' || seq,
       'rfnd_s' || seq, refunded, 'PROCESSED', 'cancelled by customer', true, 1, 6, NULL,
       created_at + interval '1 day', created_at + interval '1 day'
FROM scale_booking WHERE refunded > 0;
INSERT INTO refund_attempts (id, refund_id, number, idempotency_key, provider_refund_id, status,
                             started_at, finished_at)
SELECT gen_random_uuid(), md5('refund' || seq)::uuid, 1, md5('refund' || seq),
       'rfnd_s' || seq, 'PROCESSED', created_at + interval '1 day',
       created_at + interval '1 day'
FROM scale_booking WHERE refunded > 0;
INSERT INTO razorpay_sandbox_refunds (id, payment_id, amount, currency, status, receipt, notes,
                                      idempotency_key, created_at)
SELECT 'rfnd_s' || seq, 'pay_s' || seq, refunded, 'INR', 'processed',
       md5('refund' || seq)::uuid::text, '{}', md5('refund' || seq),
       created_at + interval '1 day'
FROM scale_booking WHERE refunded > 0
""",
    ),
    Step(
        "emails",
        ("staging",),
        """
INSERT INTO outbox_emails (id, booking_id, kind, recipient, subject, message, status, attempts,
                           next_attempt_at, last_error, sent_at, created_at, inline_qr)
SELECT gen_random_uuid(), b.booking_id, e.kind, 'c' || b.seq || '@scale.example',
       'Your booking ' || e.kind, repeat('Your tickets are attached. ', 12), 'SENT', 1,
       b.created_at + e.after, NULL, b.created_at + e.after, b.created_at + e.after, NULL
FROM scale_booking b JOIN (VALUES ('BOOKED', interval '2 minutes', false),
                                  ('CANCELLED', interval '1 day', true)) AS e(kind, after, refund)
  ON NOT e.refund OR b.refunded > 0
WHERE b.outcome IN ('BOOKED', 'REFUNDED')
""",
    ),
    Step(
        "sales totals",
        ("staging",),
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

# The GST summary (migration 0027) of the documents above, from the staging tables: per
# theatre, month of issue in its timezone, series, kind and rate. Written only where the schema
# has the table: loaded at `scale_migrations.BASE`, before it, the chain gets it from 0027's
# backfill instead (timed there); `bench.scale` audits it against the lines either way.
GST_SUMMARY = """
INSERT INTO gst_summary (theatre_id, month, series, kind, rate_bp, taxable, cgst, sgst)
SELECT s.theatre_id, to_char(l.issued_at AT TIME ZONE 'Asia/Kolkata', 'YYYY-MM'), l.series,
       l.kind, l.rate_bp, sum(l.taxable), sum(l.cgst), sum(l.sgst)
FROM scale_seat_sold s JOIN scale_charge c ON c.price = s.price
CROSS JOIN LATERAL (VALUES
    ('TAX_INVOICE', 'TICKET', s.created_at + interval '2 minutes', c.tax_rate_bp, c.taxable,
     c.cgst, c.sgst),
    ('TAX_INVOICE', 'FEE', s.created_at + interval '2 minutes', c.fee_rate_bp, c.fee, c.fee_cgst,
     c.fee_sgst),
    ('CREDIT_NOTE', 'TICKET', s.created_at + interval '1 day', c.tax_rate_bp, c.refund_taxable,
     c.refund_cgst, c.refund_sgst)
) AS l(series, kind, issued_at, rate_bp, taxable, cgst, sgst)
WHERE s.outcome IN {paid} AND (l.series = 'TAX_INVOICE' OR s.outcome = 'REFUNDED')
GROUP BY 1, 2, 3, 4, 5
"""
