-- migrate:up transaction:false
CREATE INDEX CONCURRENTLY idx_a ON a (x);

-- migrate:down
DROP INDEX CONCURRENTLY idx_a;
