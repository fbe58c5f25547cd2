-- stepwise:no-transaction
-- stepwise:lock-timeout 2s
-- stepwise:statement-timeout 5min

CREATE INDEX CONCURRENTLY books_price_idx ON books (price);
DROP INDEX CONCURRENTLY books_old_idx;
VACUUM ANALYZE books;
ALTER TYPE mood ADD VALUE 'meh';
