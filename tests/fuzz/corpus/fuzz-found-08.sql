-- migrate:up tr- migrate:down
DROP INDEX COe:up transaction:false
