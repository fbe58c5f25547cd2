-- A data backfill: each order's total from its lines (0 for an order
-- without any). Only rows not filled yet are touched, so running it again
-- changes nothing.
UPDATE orders
SET total_cents = (
    SELECT coalesce(sum(l.quantity * l.unit_price_cents), 0)
    FROM order_lines AS l
    WHERE l.order_id = orders.id
)
WHERE total_cents IS NULL;
