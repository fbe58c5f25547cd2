-- stepwise:no-transaction
SET lock_timeout = '2s';
CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_created_at ON orders (created_at);
