/* header /* nested /* deeper */ still comment; */ end */
-- line comment; with semicolon
CREATE TABLE c1 (id int); /* trailing */ -- and more
/* comment between ; statements */ ;
SELECT 1 /* inline ; */ + 2; -- done
/**/;/***/;
/* unbalanced close */ */
