SELECT '[2J';CREATE TABLE "]0;t" (id int);
SELECT 1;
