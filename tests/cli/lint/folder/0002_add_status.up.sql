ALTER TABLE orders ADD COLUMN status text NOT NULL;
CREATE INDEX orders_status ON orders (status);
