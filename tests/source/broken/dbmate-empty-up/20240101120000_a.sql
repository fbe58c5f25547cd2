-- migrate:up
-- to do

-- migrate:down

