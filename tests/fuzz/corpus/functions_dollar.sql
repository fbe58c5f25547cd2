CREATE OR REPLACE FUNCTION touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now(); -- not a statement end;
    RETURN NEW;
END;
$$;
CREATE FUNCTION f2(x int) RETURNS text AS $body$
DECLARE s text := $q$it's; fine$q$;
BEGIN
    EXECUTE 'UPDATE t SET a = 1; DELETE FROM t';
    RETURN s || $$nested$$;
END
$body$ LANGUAGE plpgsql STABLE;
CREATE TRIGGER books_touch BEFORE UPDATE ON books FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
DO $do$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'app') THEN CREATE ROLE app; END IF; END $do$;
CREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC INSERT INTO t VALUES (1); INSERT INTO t VALUES (2); END;
