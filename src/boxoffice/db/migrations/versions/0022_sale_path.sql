-- The sale path's functions (PostgreSQL), written out whole: the version of migration 0022.
--
-- boxoffice_hold: the whole hold in one statement, so in autocommit one round trip. Lock the
-- customer, check the show and the caps, claim the seats (free ones, locked in seat order,
-- skipping a seat another claim holds locked at that moment), write the booking, its seats with
-- their charges and its first history row. A refusal raises 'boxoffice:<code>' with JSON
-- details, which rolls back everything: all or nothing. The same rules as the ORM claim of
-- bookings/holds_sqlite.py.
--
-- A seat blocked from sale in the show (`show_seats.blocked`, SPEC "Back office") is never
-- claimed: one more condition on the row the claim locks anyway, re-checked on the row it gets
-- (a block that committed meanwhile is seen), so it costs the claim nothing more. A blocked
-- seat asked for is refused as unavailable, like a taken one.
--
-- Each seat's charges (SPEC "Money": its ticket's taxable value, rate and GST, its convenience
-- fee and the fee's GST) come from the sale path's charge table for the show on the hold's local
-- date (bookings/charges.py), passed as arrays by price: the seat takes the line of the price it
-- is claimed at. The table names the theatre's `terms_version` it was built from; a table built
-- before the theatre's terms changed, or lacking a price the show now has, is stale: the hold
-- raises 'boxoffice:charges-stale' (keeping nothing), and the caller rebuilds it and tries again.
-- The booking's total is the sum of its lines (tickets and fees), and it freezes the
-- cancellation policy it was sold under.
--
-- boxoffice_release_hold: the whole cancellation of a live hold of the caller's (any, for an
-- admin); for anything else it returns no row and changes nothing.
--
-- A change to either is a new file (<revision>_sale_path.sql) loaded by a new migration;
-- tests/db/test_sale_path_functions.py checks the database's functions against the newest.

CREATE OR REPLACE FUNCTION boxoffice_hold(
    p_booking_id uuid, p_show_id uuid, p_seat_ids uuid[], p_kind text, p_customer_id uuid,
    p_client_ip text, p_now timestamptz, p_expires_at timestamptz, p_actor text,
    p_max_pending int, p_max_customer_seats int, p_max_address_seats int,
    p_terms_version int, p_prices int[], p_taxable int[], p_tax_rate_bp int[], p_cgst int[],
    p_sgst int[], p_ticket_total int[], p_fee int[], p_fee_rate_bp int[], p_fee_cgst int[],
    p_fee_sgst int[], p_policy json
) RETURNS TABLE (seat_id uuid, label text, seat_type text, price int, currency text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_status text;
    v_starts_at timestamptz;
    v_currency text;
    v_terms_version int;
    v_pending int;
    v_count int;
    v_first timestamptz;
    v_requested int := cardinality(p_seat_ids);
    v_ids uuid[];
    v_labels text[];
    v_types text[];
    v_prices int[];
BEGIN
    -- The customer's row lock serialises one customer's holds, so the caps read below (each
    -- statement a fresh snapshot, after the lock) cannot be raced past.
    IF p_kind = 'user' THEN
        PERFORM 1 FROM users WHERE id = p_customer_id FOR UPDATE;
    ELSE
        PERFORM 1 FROM guests WHERE id = p_customer_id AND linked_user_id IS NULL FOR UPDATE;
    END IF;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'boxoffice:customer-gone';
    END IF;
    SELECT s.status, s.starts_at, s.currency, t.terms_version
    INTO v_status, v_starts_at, v_currency, v_terms_version
    FROM shows s JOIN theatres t ON t.id = s.theatre_id WHERE s.id = p_show_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'boxoffice:show-not-found';
    ELSIF v_status <> 'SCHEDULED' THEN
        RAISE EXCEPTION 'boxoffice:show-cancelled';
    ELSIF v_starts_at <= p_now THEN
        RAISE EXCEPTION 'boxoffice:show-started';
    ELSIF v_terms_version <> p_terms_version THEN
        RAISE EXCEPTION 'boxoffice:charges-stale';
    END IF;

    -- The customer's live holds: how many in this show, how many seats over all shows. One
    -- query a kind of customer, each with a plain predicate on its indexed column: a plan
    -- cached for `kind = user OR kind = guest` would scan every booking.
    IF p_kind = 'user' THEN
        SELECT count(DISTINCT b.id) FILTER (WHERE b.show_id = p_show_id), count(*),
               min(b.expires_at)
        INTO v_pending, v_count, v_first
        FROM bookings b JOIN booking_seats bs ON bs.booking_id = b.id
        WHERE b.user_id = p_customer_id AND b.status = 'PENDING' AND b.expires_at > p_now;
    ELSE
        SELECT count(DISTINCT b.id) FILTER (WHERE b.show_id = p_show_id), count(*),
               min(b.expires_at)
        INTO v_pending, v_count, v_first
        FROM bookings b JOIN booking_seats bs ON bs.booking_id = b.id
        WHERE b.guest_id = p_customer_id AND b.user_id IS NULL
          AND b.status = 'PENDING' AND b.expires_at > p_now;
    END IF;
    IF v_pending >= p_max_pending THEN
        RAISE EXCEPTION 'boxoffice:too-many-holds'
            USING DETAIL = json_build_object('held', v_pending);
    END IF;
    IF p_max_customer_seats > 0 THEN
        IF v_count + v_requested > p_max_customer_seats THEN
            RAISE EXCEPTION 'boxoffice:too-many-seats-customer'
                USING DETAIL = json_build_object('held', v_count, 'first_expiry', v_first);
        END IF;
    END IF;
    IF p_max_address_seats > 0 AND p_client_ip IS NOT NULL THEN
        -- Holds from one address on one show queue here, so many guests behind one address
        -- cannot race past its cap.
        PERFORM pg_advisory_xact_lock(hashtextextended(p_show_id::text || '|' || p_client_ip, 0));
        SELECT count(*), min(b.expires_at) INTO v_count, v_first
        FROM booking_seats bs JOIN bookings b ON b.id = bs.booking_id
        WHERE b.show_id = p_show_id AND b.client_ip = p_client_ip
          AND b.status = 'PENDING' AND b.expires_at > p_now;
        IF v_count + v_requested > p_max_address_seats THEN
            RAISE EXCEPTION 'boxoffice:too-many-seats-address'
                USING DETAIL = json_build_object('held', v_count, 'first_expiry', v_first);
        END IF;
    END IF;

    -- The claim: free seats only (no booking, or a hold that ran out) and not blocked, locked in
    -- seat order like every other seat write, so holds and releases queue instead of deadlocking.
    WITH target AS MATERIALIZED (
        SELECT ss.show_id, ss.seat_id FROM show_seats ss
        WHERE ss.show_id = p_show_id AND ss.seat_id = ANY(p_seat_ids)
          AND (ss.booking_id IS NULL OR ss.held_until <= p_now) AND NOT ss.blocked
        ORDER BY ss.show_id, ss.seat_id
        FOR UPDATE SKIP LOCKED
    ), claimed AS (
        UPDATE show_seats ss
        SET booking_id = p_booking_id, held_until = p_expires_at, version = ss.version + 1
        FROM target t WHERE ss.show_id = t.show_id AND ss.seat_id = t.seat_id
        RETURNING ss.seat_id, ss.label, ss.seat_type, ss.price
    )
    SELECT array_agg(c.seat_id ORDER BY c.label), array_agg(c.label::text ORDER BY c.label),
           array_agg(c.seat_type::text ORDER BY c.label), array_agg(c.price ORDER BY c.label)
    INTO v_ids, v_labels, v_types, v_prices FROM claimed c;

    IF coalesce(cardinality(v_ids), 0) < v_requested THEN
        RAISE EXCEPTION 'boxoffice:seats-not-held' USING DETAIL = (
            SELECT json_build_object(
                'unknown', coalesce(json_agg(r.id) FILTER (WHERE ss.seat_id IS NULL), '[]'),
                'unavailable', coalesce(json_agg(r.id) FILTER (
                    WHERE ss.seat_id IS NOT NULL AND NOT r.id = ANY(coalesce(v_ids, '{}'))
                ), '[]')
            )
            FROM unnest(p_seat_ids) AS r(id)
            LEFT JOIN show_seats ss ON ss.show_id = p_show_id AND ss.seat_id = r.id
        );
    END IF;

    -- A price the charge table lacks: the show was re-priced since the table was built.
    IF EXISTS (SELECT 1 FROM unnest(v_prices) AS c(price) WHERE NOT c.price = ANY(p_prices)) THEN
        RAISE EXCEPTION 'boxoffice:charges-stale';
    END IF;
    WITH line AS (
        SELECT c.id, c.label, c.type, c.price, m.taxable, m.tax_rate_bp, m.cgst, m.sgst,
               m.ticket_total, m.fee, m.fee_rate_bp, m.fee_cgst, m.fee_sgst
        FROM unnest(v_ids, v_labels, v_types, v_prices) AS c(id, label, type, price)
        JOIN unnest(p_prices, p_taxable, p_tax_rate_bp, p_cgst, p_sgst, p_ticket_total, p_fee,
                    p_fee_rate_bp, p_fee_cgst, p_fee_sgst)
             AS m(price, taxable, tax_rate_bp, cgst, sgst, ticket_total, fee, fee_rate_bp,
                  fee_cgst, fee_sgst)
          ON m.price = c.price
    ), booking AS (
        INSERT INTO bookings (id, show_id, user_id, guest_id, status, amount_total, currency,
                              expires_at, created_at, updated_at, client_ip, cancellation_policy)
        SELECT p_booking_id, p_show_id,
               CASE WHEN p_kind = 'user' THEN p_customer_id END,
               CASE WHEN p_kind = 'guest' THEN p_customer_id END,
               'PENDING', sum(l.ticket_total + l.fee + l.fee_cgst + l.fee_sgst), v_currency,
               p_expires_at, p_now, p_now, p_client_ip, p_policy
        FROM line l
        RETURNING id
    )
    INSERT INTO booking_seats (booking_id, seat_id, label, seat_type, price, taxable, tax_rate_bp,
                               cgst, sgst, ticket_total, fee, fee_rate_bp, fee_cgst, fee_sgst)
    SELECT b.id, l.id, l.label, l.type, l.price, l.taxable, l.tax_rate_bp, l.cgst, l.sgst,
           l.ticket_total, l.fee, l.fee_rate_bp, l.fee_cgst, l.fee_sgst
    FROM line l CROSS JOIN booking b;
    INSERT INTO booking_transitions (id, booking_id, from_status, to_status, at, reason, actor)
    VALUES (gen_random_uuid(), p_booking_id, NULL, 'PENDING', p_now, 'seats held', p_actor);
    RETURN QUERY SELECT *, v_currency FROM unnest(v_ids, v_labels, v_types, v_prices);
END
$$;

CREATE OR REPLACE FUNCTION boxoffice_release_hold(
    p_booking_id uuid, p_kind text, p_customer_id uuid, p_is_admin boolean,
    p_now timestamptz, p_reason text, p_actor text
) RETURNS TABLE (show_id uuid, amount_total int, currency text, created_at timestamptz,
                 user_id uuid, guest_id uuid, seats json, history json)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_booking bookings%ROWTYPE;
BEGIN
    SELECT b.* INTO v_booking FROM bookings b
    WHERE b.id = p_booking_id
      AND (p_is_admin
           OR (p_kind = 'user' AND b.user_id = p_customer_id)
           OR (p_kind = 'guest' AND b.guest_id = p_customer_id AND b.user_id IS NULL))
    FOR UPDATE;
    -- Only a live hold of the caller's is released here. Anything else (a paid booking and
    -- its refund, a booking not the caller's, a refusal to explain) is left untouched, with no
    -- row returned, for the general cancel to handle.
    IF NOT FOUND OR v_booking.status <> 'PENDING' OR v_booking.expires_at <= p_now THEN
        RETURN;
    END IF;
    UPDATE bookings SET status = 'CANCELLED', updated_at = p_now, expires_at = NULL
    WHERE id = p_booking_id;
    INSERT INTO booking_transitions (id, booking_id, from_status, to_status, at, reason, actor)
    VALUES (gen_random_uuid(), p_booking_id, 'PENDING', 'CANCELLED', p_now, p_reason, p_actor);
    -- Exactly its own seats, in seat order, never a seat someone else holds now.
    WITH target AS MATERIALIZED (
        SELECT ss.show_id, ss.seat_id FROM show_seats ss
        JOIN booking_seats bs ON bs.seat_id = ss.seat_id AND bs.booking_id = p_booking_id
        WHERE ss.show_id = v_booking.show_id AND ss.booking_id = p_booking_id
        ORDER BY ss.show_id, ss.seat_id
        FOR UPDATE OF ss
    )
    UPDATE show_seats ss SET booking_id = NULL, held_until = NULL, version = ss.version + 1
    FROM target t WHERE ss.show_id = t.show_id AND ss.seat_id = t.seat_id;
    -- Everything the answer shows, so the caller needs no second round trip.
    RETURN QUERY SELECT v_booking.show_id, v_booking.amount_total, v_booking.currency::text,
        v_booking.created_at, v_booking.user_id, v_booking.guest_id,
        (SELECT json_agg(json_build_object('seat_id', bs.seat_id, 'label', bs.label,
                                           'seat_type', bs.seat_type, 'price', bs.price,
                                           'taxable', bs.taxable, 'tax_rate_bp', bs.tax_rate_bp,
                                           'cgst', bs.cgst, 'sgst', bs.sgst,
                                           'ticket_total', bs.ticket_total, 'fee', bs.fee,
                                           'fee_rate_bp', bs.fee_rate_bp,
                                           'fee_cgst', bs.fee_cgst, 'fee_sgst', bs.fee_sgst)
                         ORDER BY bs.label)
         FROM booking_seats bs WHERE bs.booking_id = p_booking_id),
        (SELECT json_agg(json_build_object('from', t.from_status, 'to', t.to_status,
                                           'at', t.at, 'reason', t.reason, 'actor', t.actor)
                         ORDER BY t.at, t.id)
         FROM booking_transitions t WHERE t.booking_id = p_booking_id);
END
$$;
