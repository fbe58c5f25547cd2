-- stepwise:no-transaction
-- stepwise:lock-timeout 5s
-- Emails are unique whatever their case. The index is built CONCURRENTLY:
-- if two customers share an email up to case (Ann@example.com and
-- ann@example.com) the build fails, leaves an INVALID index and the
-- migration dirty. Remove the duplicate, drop the invalid index
-- (stepwise's message names the DROP INDEX CONCURRENTLY), then resume.
DROP INDEX CONCURRENTLY IF EXISTS customers_email_lower_key;
CREATE UNIQUE INDEX CONCURRENTLY customers_email_lower_key ON customers (lower(email));
