-- stepwise:no-transaction
DROP INDEX CONCURRENTLY j;
