COPY books (id, title) FROM stdin;
1	First; book
2	Second
\.
SELECT 1;
