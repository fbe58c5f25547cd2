-- stepwise:no-transaction
-- stepwise:lock-timeout 5s
-- "My orders, newest first", built without blocking writes. CONCURRENTLY
-- cannot run in a transaction; a build that fails leaves an INVALID index
-- behind, which the first statement drops when the migration is run again.
DROP INDEX CONCURRENTLY IF EXISTS orders_customer_placed;
CREATE INDEX CONCURRENTLY orders_customer_placed ON orders (customer_id, placed_at);
