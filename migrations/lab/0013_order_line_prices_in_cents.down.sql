ALTER TABLE order_lines RENAME COLUMN unit_price_cents TO unit_price;
ALTER TABLE order_lines
    ALTER COLUMN unit_price TYPE numeric(8, 2) USING unit_price / 100.0;
