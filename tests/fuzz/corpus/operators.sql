SELECT 1 <@ '[1,2]'::int4range, 'a' ~* 'A', 2 ^ 3, |/ 9, @-5, 'x' !~~ 'y', a->>'k', b #> '{a,b}' FROM t;
SELECT 1 -- c
-2;
SELECT 1 /* c */ /2;
