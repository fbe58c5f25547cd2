-- The unsafe one: lint flags both statements. The type change rewrites
-- order_lines and its indexes under ACCESS EXCLUSIVE, so nothing reads or
-- writes order lines until it commits; the rename breaks any code still
-- using unit_price. The safe way: add unit_price_cents, fill it in
-- batches, move the application over, then drop unit_price.
ALTER TABLE order_lines
    ALTER COLUMN unit_price TYPE integer USING round(unit_price * 100)::integer;
ALTER TABLE order_lines RENAME COLUMN unit_price TO unit_price_cents;
