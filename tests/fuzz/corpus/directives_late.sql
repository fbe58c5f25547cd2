CREATE TABLE early (id int);
-- stepwise:no-transaction
CREATE INDEX CONCURRENTLY late_idx ON early (id);
