-- stepwise:no-transaction
-- stepwise:lock-timeout 5s
DROP INDEX CONCURRENTLY IF EXISTS orders_customer_placed;
