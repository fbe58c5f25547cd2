-- SET NOT NULL the safe way, step 2 of 2. VALIDATE reads every row under
-- SHARE UPDATE EXCLUSIVE (reads and writes go on); SET NOT NULL then finds
-- the validated CHECK and skips its own scan (PostgreSQL 12 and later),
-- and the CHECK has done its work.
ALTER TABLE orders VALIDATE CONSTRAINT orders_total_cents_not_null;

-- stepwise:allow setting-not-null the validated CHECK above spares the scan
ALTER TABLE orders ALTER COLUMN total_cents SET NOT NULL;

ALTER TABLE orders DROP CONSTRAINT orders_total_cents_not_null;
