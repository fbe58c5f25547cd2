-- A data backfill: each order's total from its lines (0 for an order
-- without any). Only rows not filled yet are touched, so running it again
-- changes nothing. It takes row locks only: readers go on.
UPDATE orders AS o
SET total_cents = coalesce(
    (SELECT sum(l.quantity * l.unit_price * 100)::bigint
     FROM order_lines AS l
     WHERE l.order_id = o.id),
    0)
WHERE o.total_cents IS NULL;
