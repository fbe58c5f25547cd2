CREATE TABLE "unclosed (id int);
SELECT 1;
