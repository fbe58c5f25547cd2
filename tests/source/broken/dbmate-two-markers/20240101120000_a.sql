-- migrate:up
SELECT 1;
-- migrate:up
SELECT 2;
-- migrate:down
SELECT 3;
-- migrate:down
