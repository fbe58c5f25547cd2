-- SET NOT NULL the safe way, step 1 of 2: a CHECK constraint added NOT
-- VALID is enforced for new rows at once but checks no existing row, so
-- its ACCESS EXCLUSIVE lock is held only for a moment.
ALTER TABLE orders
    ADD CONSTRAINT orders_total_cents_not_null CHECK (total_cents IS NOT NULL) NOT VALID;
