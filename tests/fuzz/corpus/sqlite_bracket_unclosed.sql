CREATE TABLE [abc (x);
SELECT `q;
