-- The order's total, kept on the order so that listings need not sum the
-- lines. Nullable for now: 0010 fills it.
ALTER TABLE orders ADD COLUMN total_cents INTEGER;
