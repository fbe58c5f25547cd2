INSERT INTO t VALUES (E'it\'s; a \n newline', 'plain ''quoted''; text', U&'d\0061t\+000061');
INSERT INTO t VALUES (B'1010', X'1F', N'national', $$dollar; string$$, $a$ $$ $a$);
SELECT E'\\', E'\x41\101\u00e9', 'multi'
'line continuation';
SELECT 'a' || E'\';
