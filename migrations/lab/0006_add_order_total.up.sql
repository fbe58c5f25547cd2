-- A nullable column without a default: no rewrite, only a short ACCESS
-- EXCLUSIVE lock on orders. Short, but it still waits behind any
-- transaction that has touched orders, and everything queues behind it.
ALTER TABLE orders ADD COLUMN total_cents bigint;
