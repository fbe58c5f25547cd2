-- Back to the state after 0008: nullable, with the unvalidated CHECK.
ALTER TABLE orders ALTER COLUMN total_cents DROP NOT NULL;
ALTER TABLE orders
    ADD CONSTRAINT orders_total_cents_not_null CHECK (total_cents IS NOT NULL) NOT VALID;
