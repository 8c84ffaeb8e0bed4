--
-- security: the statements atomiccache runs for itself resolve nothing
-- through a search_path that a role controls.  A hostile role plants
-- look-alike operators (= and <>, for every pair of types the extension's
-- statements compare) and look-alike functions in her own schema and in
-- public; every planted object logs the role it runs as.  Then every entry
-- point is called by her (with her schema first in search_path) and by a
-- superuser (with the default search_path, which has public); no planted
-- object may ever run as another role than hers.
--
CREATE ROLE regress_ac_mallory;
CREATE SCHEMA regress_mallory AUTHORIZATION regress_ac_mallory;
CREATE SCHEMA regress_mallory2 AUTHORIZATION regress_ac_mallory;
-- as on servers set up before PostgreSQL 15, everybody may create in public
GRANT CREATE ON SCHEMA public TO regress_ac_mallory;
CREATE TABLE public.regress_ran (who name, what text);
GRANT INSERT, SELECT ON public.regress_ran TO PUBLIC;

SET ROLE regress_ac_mallory;
CREATE FUNCTION regress_mallory.spy(what text) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO public.regress_ran
    VALUES (pg_catalog."current_user"(), what)
$$;
GRANT EXECUTE ON FUNCTION regress_mallory.spy(text) TO PUBLIC;
GRANT USAGE ON SCHEMA regress_mallory TO PUBLIC;

-- operators that give the right answer, after logging who runs them
DO $plant$
DECLARE
    s text;
    t record;
    op text;
    n int := 0;
BEGIN
    FOREACH s IN ARRAY ARRAY['regress_mallory', 'public'] LOOP
        FOR t IN SELECT * FROM (VALUES
                ('text', 'text'), ('name', 'name'), ('name', 'text'),
                ('text', 'name'), ('bigint', 'bigint'), ('integer', 'bigint'),
                ('bigint', 'integer'), ('oid', 'oid'),
                ('regprocedure', 'oid'), ('oid', 'regprocedure'),
                ('regprocedure', 'regprocedure'), ('regproc', 'oid'),
                ('oid', 'regproc'), ('regclass', 'oid'), ('oid', 'regclass'),
                ('regrole', 'oid'), ('oid', 'regrole'),
                ('boolean', 'boolean'), ('interval', 'interval'))
                AS v(l, r) LOOP
            FOREACH op IN ARRAY ARRAY['=', '<>'] LOOP
                n := n + 1;
                EXECUTE format(
                    'CREATE FUNCTION %I.regress_op%s(%s, %s) RETURNS boolean'
                    ' LANGUAGE plpgsql AS $f$ BEGIN'
                    ' PERFORM regress_mallory.spy(%L);'
                    ' RETURN $1::pg_catalog.text OPERATOR(pg_catalog.%s) $2::pg_catalog.text;'
                    ' END $f$',
                    s, n, t.l, t.r,
                    format('%s.%s(%s, %s)', s, op, t.l, t.r), op);
                EXECUTE format(
                    'CREATE OPERATOR %I.%s (LEFTARG = %s, RIGHTARG = %s,'
                    ' FUNCTION = %I.regress_op%s)',
                    s, op, t.l, t.r, s, n);
            END LOOP;
        END LOOP;
        -- look-alikes of the functions the extension's statements call
        EXECUTE format(
            'CREATE FUNCTION %I.pg_event_trigger_dropped_objects('
            ' OUT classid oid, OUT objid oid, OUT objsubid int)'
            ' RETURNS SETOF record LANGUAGE plpgsql AS $f$ BEGIN'
            ' PERFORM regress_mallory.spy(%L); END $f$', s,
            s || '.pg_event_trigger_dropped_objects()');
        EXECUTE format(
            'CREATE FUNCTION %I._forget(bigint) RETURNS void'
            ' LANGUAGE sql AS $f$ SELECT regress_mallory.spy(%L) $f$', s,
            s || '._forget(bigint)');
        EXECUTE format(
            'CREATE FUNCTION %I.texteq(text, text) RETURNS boolean'
            ' LANGUAGE sql AS $f$ SELECT regress_mallory.spy(%L) IS NULL $f$',
            s, s || '.texteq()');
        EXECUTE format(
            'CREATE FUNCTION %I.oideq(oid, oid) RETURNS boolean'
            ' LANGUAGE sql AS $f$ SELECT regress_mallory.spy(%L) IS NULL $f$',
            s, s || '.oideq()');
    END LOOP;
END
$plant$;

-- her own fill functions and caches, called with her schema first
SET search_path = regress_mallory, pg_catalog;
CREATE FUNCTION regress_mallory.mfill(k integer) RETURNS text
LANGUAGE sql AS $$ SELECT 'm' || k $$;
CREATE FUNCTION regress_mallory.mm(k integer) RETURNS integer
LANGUAGE sql AS $$ SELECT k * 2 $$;
SELECT atomiccache.create_cache('regress_mallory.mc', 'regress_mallory.mfill(integer)');
SELECT regress_mallory.mc(1), regress_mallory.mc(1);
SELECT atomiccache.contains('regress_mallory.mc', 1);
SELECT atomiccache.invalidate('regress_mallory.mc', 1);
SELECT atomiccache.invalidate_all('regress_mallory.mc');
SELECT atomiccache.reset_stats('regress_mallory.mc');
SELECT atomiccache.reset_stats();
SELECT count(*) FROM atomiccache.entries('regress_mallory.mc');
SELECT limit_bytes > 0 AS has_limit FROM atomiccache.memory();
SELECT atomiccache.set('regress_mallory.mc', 1);
SELECT atomiccache.memoize('regress_mallory.mm(integer)');
SELECT regress_mallory.mm(4), regress_mallory.mm(4);
SELECT atomiccache.unmemoize('regress_mallory.mm(integer)');
SELECT atomiccache.memoize('regress_mallory.mm(integer)');
SELECT atomiccache.drop_cache('mm');
SELECT atomiccache.drop_cache('regress_mallory.mc');
-- DROP FUNCTION of an accessor, DROP ... CASCADE, DROP SCHEMA ... CASCADE
SELECT atomiccache.create_cache('regress_mallory.mc', 'regress_mallory.mfill(integer)');
DROP FUNCTION regress_mallory.mc(integer) CASCADE;
SELECT atomiccache.create_cache('regress_mallory.mc', 'regress_mallory.mfill(integer)');
-- she owns her cache's definition, but cannot change what it says,
-- move it, or make another: CREATE OR REPLACE, RENAME and SET SCHEMA
-- into atomiccache need CREATE there, and it cannot leave the schema;
-- the attributes she may change are never used (the body is read, never
-- run)
CREATE OR REPLACE FUNCTION atomiccache."regress_mallory.mc"(atomiccache.cache,
    OUT accessor regprocedure, OUT fill regprocedure, OUT ttl interval,
    OUT memoized boolean)
LANGUAGE sql BEGIN ATOMIC SELECT 'regress_mallory.mc(int)'::regprocedure,
    'pg_catalog.abs(int)'::regprocedure, NULL::interval, false; END;
CREATE FUNCTION atomiccache.forged(atomiccache.cache) RETURNS int
LANGUAGE sql RETURN 1;
ALTER FUNCTION atomiccache."regress_mallory.mc"(atomiccache.cache) RENAME TO other;
ALTER FUNCTION atomiccache."regress_mallory.mc"(atomiccache.cache) SET SCHEMA regress_mallory;
ALTER FUNCTION atomiccache."regress_mallory.mc"(atomiccache.cache)
    SECURITY DEFINER SET search_path = regress_mallory VOLATILE;
SELECT regress_mallory.mc(5);
SELECT fill FROM atomiccache.caches
 WHERE name OPERATOR(pg_catalog.=) 'regress_mallory.mc'::text;
DROP FUNCTION regress_mallory.mfill(integer) CASCADE;
CREATE FUNCTION regress_mallory2.f(k integer) RETURNS integer
LANGUAGE sql AS $$ SELECT k $$;
SELECT atomiccache.create_cache('regress_mallory2.c', 'regress_mallory2.f(integer)');
SELECT regress_mallory2.c(1);
DROP SCHEMA regress_mallory2 CASCADE;
-- a cache a superuser will use
CREATE FUNCTION regress_mallory.mfill(k integer) RETURNS text
LANGUAGE sql AS $$ SELECT 'm' || k $$;
SELECT atomiccache.create_cache('regress_mallory.mc', 'regress_mallory.mfill(integer)');
RESET search_path;
RESET ROLE;

-- a superuser, in a new session, with the default search_path ("$user",
-- public), where her look-alikes wait
\c
SHOW search_path;
SELECT regress_mallory.mc(2), regress_mallory.mc(2);
CREATE FUNCTION regress_su_fill(k integer) RETURNS integer
LANGUAGE sql AS $$ SELECT k + 100 $$;
CREATE FUNCTION regress_su_m(k integer) RETURNS integer
LANGUAGE sql AS $$ SELECT k + 200 $$;
SELECT atomiccache.create_cache('regress_su', 'regress_su_fill(integer)');
SELECT regress_su(1), regress_su(1);
SELECT atomiccache.contains('regress_su', 1),
       atomiccache.contains('regress_mallory.mc', 2);
SELECT atomiccache.invalidate('regress_su', 1),
       atomiccache.invalidate('regress_mallory.mc', 2);
SELECT atomiccache.invalidate_all('regress_su');
SELECT atomiccache.reset_stats('regress_su');
SELECT atomiccache.reset_stats();
SELECT count(*) FROM atomiccache.entries('regress_mallory.mc');
SELECT limit_bytes > 0 AS has_limit FROM atomiccache.memory();
SELECT atomiccache.set('regress_su', 1);
SELECT atomiccache.memoize('regress_su_m(integer)');
SELECT regress_su_m(1), regress_su_m(1);
SELECT atomiccache.unmemoize('regress_su_m(integer)');
SELECT atomiccache.memoize('regress_su_m(integer)');
SELECT atomiccache.drop_cache('regress_su_m');
SELECT atomiccache.drop_cache('regress_su');
SELECT atomiccache.create_cache('regress_su', 'regress_su_fill(integer)');
DROP FUNCTION regress_su(integer) CASCADE;
SELECT atomiccache.create_cache('regress_su', 'regress_su_fill(integer)');
DROP FUNCTION regress_su_fill(integer) CASCADE;
CREATE SCHEMA regress_su_s;
CREATE FUNCTION regress_su_s.f(k integer) RETURNS integer
LANGUAGE sql AS $$ SELECT k $$;
SELECT atomiccache.create_cache('regress_su_s.c', 'regress_su_s.f(integer)');
SELECT regress_su_s.c(1);
DROP SCHEMA regress_su_s CASCADE;
SELECT atomiccache.drop_cache('regress_mallory.mc');
-- and the view
SELECT count(*) >= 0 AS listed FROM atomiccache.caches;

-- nothing she planted ran as anybody but her (read with a search_path of
-- pg_catalog only: the superuser's own comparisons must not run them)
SET search_path = pg_catalog;
SELECT who, what FROM public.regress_ran
 WHERE who OPERATOR(pg_catalog.<>) 'regress_ac_mallory'::pg_catalog.name
 ORDER BY 1, 2;
SELECT count(*) AS ran_as_her FROM public.regress_ran;
RESET search_path;

-- clean up
DROP TABLE public.regress_ran;
REVOKE CREATE ON SCHEMA public FROM regress_ac_mallory;
DROP OWNED BY regress_ac_mallory;
DROP ROLE regress_ac_mallory;
DROP FUNCTION regress_su_m(integer);
