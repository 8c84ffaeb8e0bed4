--
-- errors: every error of the README's SQLSTATE table
--
-- The SQLSTATE alone is shown (VERBOSITY sqlstate) where the point is the
-- code; a few messages are shown in full where the wording matters.
--
CREATE FUNCTION err_fill(k integer) RETURNS text
LANGUAGE sql AS $$ SELECT 'v' || k $$;
SELECT atomiccache.create_cache('err_c', 'err_fill(integer)');
SELECT err_c(1);

\set VERBOSITY sqlstate

-- unknown cache: undefined_object (42704)
SELECT atomiccache.contains('err_nope', 1);
SELECT atomiccache.contains('err_nope');
SELECT atomiccache.invalidate('err_nope', 1);
SELECT atomiccache.invalidate('err_nope');
SELECT atomiccache.invalidate_all('err_nope');
SELECT atomiccache.drop_cache('err_nope');
SELECT atomiccache.reset_stats('err_nope');
-- names are case-sensitive strings, not identifiers
SELECT atomiccache.contains('ERR_C', 1);
SELECT atomiccache.contains('"err_c"', 1);

-- wrong arity or uncoercible key: datatype_mismatch (42804)
SELECT atomiccache.contains('err_c');
SELECT atomiccache.contains('err_c', 1, 2);
SELECT atomiccache.contains('err_c', point(0, 0));
SELECT atomiccache.contains('err_c', 'abc'::text);
SELECT atomiccache.contains('err_c', VARIADIC ARRAY[1, 2]);
SELECT atomiccache.contains('err_c', VARIADIC NULL::integer[]);
SELECT atomiccache.invalidate('err_c');
SELECT atomiccache.invalidate('err_c', 1, 2);
SELECT atomiccache.invalidate('err_c', point(0, 0));
-- a value that does not convert is the cast's own error
SELECT atomiccache.contains('err_c', 'abc');

-- fill functions that cannot be fills: invalid_function_definition (42P13)
CREATE FUNCTION err_setof(k integer) RETURNS SETOF integer
LANGUAGE sql AS $$ SELECT k $$;
CREATE PROCEDURE err_proc(k integer) LANGUAGE sql AS $$ SELECT k $$;
CREATE AGGREGATE err_agg(integer) (sfunc = int4pl, stype = integer);
CREATE FUNCTION err_void(k integer) RETURNS void
LANGUAGE sql AS $$ SELECT $$;
CREATE FUNCTION err_trig() RETURNS trigger
LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE FUNCTION err_record(k integer) RETURNS record
LANGUAGE sql AS $$ SELECT k, k $$;
CREATE FUNCTION err_out(k integer, OUT a integer, OUT b integer)
LANGUAGE sql AS $$ SELECT k, k $$;
CREATE FUNCTION err_poly(k anyelement) RETURNS text
LANGUAGE sql AS $$ SELECT k::text $$;
CREATE FUNCTION err_poly2(k anycompatible, j integer) RETURNS integer
LANGUAGE sql AS $$ SELECT j $$;
SELECT atomiccache.create_cache('err_x', 'err_setof(integer)');
SELECT atomiccache.create_cache('err_x', 'err_proc(integer)');
SELECT atomiccache.create_cache('err_x', 'err_agg(integer)');
SELECT atomiccache.create_cache('err_x', 'max(integer)');
SELECT atomiccache.create_cache('err_x', 'row_number()');
SELECT atomiccache.create_cache('err_x', 'err_void(integer)');
SELECT atomiccache.create_cache('err_x', 'err_trig()');
SELECT atomiccache.create_cache('err_x', 'internal_in(cstring)');
SELECT atomiccache.create_cache('err_x', 'err_record(integer)');
SELECT atomiccache.create_cache('err_x', 'err_out(integer)');
SELECT atomiccache.create_cache('err_x', 'err_poly(anyelement)');
SELECT atomiccache.create_cache('err_x', 'err_poly2(anycompatible,integer)');
SELECT atomiccache.create_cache('err_x', 'int4in(cstring)');
SELECT atomiccache.memoize('err_setof(integer)');
SELECT atomiccache.memoize('err_proc(integer)');
SELECT atomiccache.memoize('err_agg(integer)');
SELECT atomiccache.memoize('row_number()');
SELECT atomiccache.memoize('err_void(integer)');
SELECT atomiccache.memoize('err_trig()');
SELECT atomiccache.memoize('internal_in(cstring)');
SELECT atomiccache.memoize('err_record(integer)');
SELECT atomiccache.memoize('err_out(integer)');
SELECT atomiccache.memoize('err_poly(anyelement)');
SELECT atomiccache.memoize('err_poly2(anycompatible,integer)');
-- nothing was created by the failed calls
SELECT count(*) AS caches FROM atomiccache.caches WHERE name <> 'err_c';
SELECT count(*) AS functions FROM pg_proc
 WHERE proname LIKE 'err\_x%' OR proname LIKE 'err\_%\_uncached';
\set VERBOSITY default
SELECT atomiccache.create_cache('err_x', 'err_setof(integer)');
SELECT atomiccache.create_cache('err_x', 'err_proc(integer)');
SELECT atomiccache.create_cache('err_x', 'err_void(integer)');
SELECT atomiccache.memoize('err_poly(anyelement)');
\set VERBOSITY sqlstate

-- ttl zero or negative: invalid_parameter_value (22023)
SELECT atomiccache.create_cache('err_x', 'err_fill(integer)', interval '0');
SELECT atomiccache.create_cache('err_x', 'err_fill(integer)', interval '-1 second');
SELECT atomiccache.create_cache('err_x', 'err_fill(integer)', interval '1 day -86400 seconds');
SELECT atomiccache.create_cache('err_x', 'err_fill(integer)', interval '-1 month');
SELECT atomiccache.memoize('err_fill(integer)', interval '0');
SELECT atomiccache.memoize('err_fill(integer)', interval '-5 minutes');
SELECT count(*) AS caches FROM atomiccache.caches WHERE name <> 'err_c';

-- name already taken: duplicate_object (42710)
SELECT atomiccache.create_cache('err_c', 'err_fill(integer)');
-- the accessor's name and signature clash with an existing function
CREATE FUNCTION err_clash(k integer) RETURNS integer
LANGUAGE sql AS $$ SELECT k $$;
SELECT atomiccache.create_cache('err_clash', 'err_fill(integer)');
-- (a function of that name with other arguments is an overload, no clash)
CREATE FUNCTION err_over(k text) RETURNS text
LANGUAGE sql AS $$ SELECT k $$;
SELECT atomiccache.create_cache('err_over', 'err_fill(integer)');
SELECT err_over(3), err_over('three');
SELECT atomiccache.drop_cache('err_over');
SELECT err_over('still here');
-- memoize twice
CREATE FUNCTION err_memo(k integer) RETURNS integer
LANGUAGE sql AS $$ SELECT k * 2 $$;
SELECT atomiccache.memoize('err_memo(integer)');
SELECT atomiccache.memoize('err_memo(integer)');
-- memoize the accessor of a cache
SELECT atomiccache.memoize('err_c(integer)');
-- a cache already has the memoized function's name: the new cache is
-- named after the function's qualified signature instead
CREATE FUNCTION err_c(k text) RETURNS text
LANGUAGE sql AS $$ SELECT k $$;
SELECT atomiccache.memoize('err_c(text)');
DROP FUNCTION err_c(text) CASCADE;
-- the fill function's name (name_uncached) is taken
CREATE FUNCTION err_m2(k integer) RETURNS integer
LANGUAGE sql AS $$ SELECT k $$;
CREATE FUNCTION err_m2_uncached(k integer) RETURNS integer
LANGUAGE sql AS $$ SELECT k $$;
SELECT atomiccache.memoize('err_m2(integer)');

-- unmemoize of a function that is not memoized: undefined_object (42704)
SELECT atomiccache.unmemoize('err_fill(integer)');
SELECT atomiccache.unmemoize('err_c(integer)');
SELECT atomiccache.unmemoize('err_memo(integer)');
SELECT atomiccache.unmemoize('err_memo(integer)');

-- NULL arguments: null_value_not_allowed (22004)
SELECT atomiccache.create_cache(NULL, 'err_fill(integer)');
SELECT atomiccache.create_cache('err_x', NULL);
SELECT atomiccache.contains(NULL, 1);
SELECT atomiccache.contains(NULL);
SELECT atomiccache.invalidate(NULL, 1);
SELECT atomiccache.invalidate_all(NULL);
SELECT atomiccache.drop_cache(NULL);
SELECT atomiccache.memoize(NULL);
SELECT atomiccache.unmemoize(NULL);
-- an empty name: invalid_parameter_value (22023)
SELECT atomiccache.create_cache('', 'err_fill(integer)');
-- a schema that does not exist: invalid_schema_name (3F000)
SELECT atomiccache.create_cache('err_no_schema.err_x', 'err_fill(integer)');
SELECT count(*) AS caches FROM atomiccache.caches WHERE name <> 'err_c';

-- set: always feature_not_supported (0A000)
SELECT atomiccache.set('err_c', 1);
SELECT atomiccache.set('err_c');
SELECT atomiccache.set(NULL);

--
-- privileges: insufficient_privilege (42501)
--
CREATE ROLE regress_ac_owner;
CREATE ROLE regress_ac_other;
CREATE SCHEMA err_s AUTHORIZATION regress_ac_owner;
GRANT USAGE ON SCHEMA err_s TO regress_ac_other;
CREATE FUNCTION err_s.secret(k integer) RETURNS text
LANGUAGE sql AS $$ SELECT 'secret' || k $$;
REVOKE EXECUTE ON FUNCTION err_s.secret(integer) FROM PUBLIC;
ALTER FUNCTION err_s.secret(integer) OWNER TO regress_ac_owner;
CREATE FUNCTION err_s.open(k integer) RETURNS text
LANGUAGE sql AS $$ SELECT 'open' || k $$;

-- no EXECUTE on the fill function: cannot create_cache nor memoize
SET ROLE regress_ac_other;
SELECT atomiccache.create_cache('err_s.err_priv', 'err_s.secret(integer)');
-- no CREATE on the schema (err_s, nor public: PostgreSQL 15's default)
SELECT atomiccache.create_cache('err_s.err_priv', 'err_s.open(integer)');
SELECT atomiccache.create_cache('err_priv', 'err_s.open(integer)');
SELECT atomiccache.memoize('err_s.open(integer)');
RESET ROLE;
SELECT count(*) AS caches FROM atomiccache.caches WHERE name <> 'err_c';

-- the owner of the schema and of the fill may
SET ROLE regress_ac_owner;
SELECT atomiccache.create_cache('err_s.err_priv', 'err_s.secret(integer)');
SELECT err_s.err_priv(1);
RESET ROLE;
SELECT name, accessor, fill, pg_get_userbyid(p.proowner) AS accessor_owner
  FROM atomiccache.caches c JOIN pg_proc p ON p.oid = c.accessor
 WHERE name = 'err_s.err_priv';

-- another role: no EXECUTE on the fill, so no cached value either
SET ROLE regress_ac_other;
SELECT err_s.err_priv(1);
SELECT err_s.err_priv(2);
SELECT atomiccache.contains('err_s.err_priv', 1);
-- and no ownership of the cache
SELECT atomiccache.invalidate('err_s.err_priv', 1);
SELECT atomiccache.invalidate_all('err_s.err_priv');
SELECT atomiccache.drop_cache('err_s.err_priv');
SELECT atomiccache.reset_stats('err_s.err_priv');
RESET ROLE;

-- with EXECUTE on the fill, hits and misses are served
GRANT EXECUTE ON FUNCTION err_s.secret(integer) TO regress_ac_other;
SET ROLE regress_ac_other;
SELECT err_s.err_priv(1) AS hit, err_s.err_priv(2) AS miss;
SELECT atomiccache.contains('err_s.err_priv', 2);
-- still not the owner
SELECT atomiccache.invalidate('err_s.err_priv', 1);
SELECT atomiccache.invalidate_all('err_s.err_priv');
SELECT atomiccache.drop_cache('err_s.err_priv');
SELECT atomiccache.reset_stats('err_s.err_priv');
-- reset_stats() of all caches skips the ones the caller does not own
SELECT atomiccache.reset_stats();
RESET ROLE;
SELECT name, entries, hits, misses, fills FROM atomiccache.caches
 WHERE name = 'err_s.err_priv';

-- EXECUTE revoked again: neither hit nor miss
REVOKE EXECUTE ON FUNCTION err_s.secret(integer) FROM regress_ac_other;
SET ROLE regress_ac_other;
SELECT err_s.err_priv(1);
SELECT err_s.err_priv(3);
RESET ROLE;
SELECT atomiccache.contains('err_s.err_priv', 3) AS filled_for_other;

-- the owner may do everything; a member of the owner role too (the REVOKE
-- above made a new version of the fill: invalidate removes the key's entry
-- of the version before it too, so it returns true)
GRANT regress_ac_owner TO regress_ac_other;
SET ROLE regress_ac_other;
SELECT atomiccache.invalidate('err_s.err_priv', 1);
SELECT atomiccache.reset_stats('err_s.err_priv');
RESET ROLE;
REVOKE regress_ac_owner FROM regress_ac_other;
SET ROLE regress_ac_owner;
SELECT atomiccache.invalidate('err_s.err_priv', 2);
SELECT atomiccache.invalidate_all('err_s.err_priv');
SELECT atomiccache.drop_cache('err_s.err_priv');
RESET ROLE;

-- memoize by a non-owner of the function, unmemoize by a non-owner
CREATE FUNCTION err_s.mine(k integer) RETURNS integer
LANGUAGE sql AS $$ SELECT k + 1 $$;
ALTER FUNCTION err_s.mine(integer) OWNER TO regress_ac_owner;
GRANT CREATE ON SCHEMA err_s TO regress_ac_other;
SET ROLE regress_ac_other;
SELECT atomiccache.memoize('err_s.mine(integer)');
RESET ROLE;
SET ROLE regress_ac_owner;
SELECT atomiccache.memoize('err_s.mine(integer)');
SELECT err_s.mine(1);
RESET ROLE;
SET ROLE regress_ac_other;
SELECT atomiccache.unmemoize('err_s.mine(integer)');
SELECT atomiccache.drop_cache('mine');
RESET ROLE;
-- a superuser may
SELECT atomiccache.unmemoize('err_s.mine(integer)');
SELECT err_s.mine(1);

\set VERBOSITY default

-- clean up
SELECT atomiccache.drop_cache('err_c');
SELECT count(*) AS caches_left FROM atomiccache.caches;
DROP FUNCTION err_s.secret(integer), err_s.open(integer), err_s.mine(integer);
DROP SCHEMA err_s;
DROP FUNCTION err_fill(integer), err_setof(integer), err_void(integer),
    err_trig(), err_record(integer), err_out(integer), err_poly(anyelement),
    err_poly2(anycompatible, integer), err_clash(integer), err_over(text),
    err_memo(integer), err_m2(integer), err_m2_uncached(integer);
DROP PROCEDURE err_proc(integer);
DROP AGGREGATE err_agg(integer);
DROP ROLE regress_ac_owner;
DROP ROLE regress_ac_other;
