SELECT $$;$$; SELECT $a$$b$ $b$$a$; SELECT $1; SELECT $_x$ ok $_x$; SELECT $$$$; SELECT $ab$ $AB$ $ab$;
