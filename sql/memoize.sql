--
-- memoize: a function keeps its name, OID, signature and privileges, and
-- every call of it, its own recursive calls included, goes through a cache
--
CREATE SEQUENCE memo_fills;
CREATE FUNCTION memo_count() RETURNS bigint
LANGUAGE sql AS $$ SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM memo_fills $$;

-- a recursive SQL fib: 1,346,268 calls for fib(30) without a cache
CREATE FUNCTION fib(n integer) RETURNS bigint
LANGUAGE sql AS $$
    SELECT CASE WHEN n < 2 THEN n ELSE fib(n - 1) + fib(n - 2) END
$$;
SELECT fib(10);
CREATE VIEW memo_fib_view AS SELECT n, fib(n) AS f FROM generate_series(0, 5) n;
SELECT 'fib(integer)'::regprocedure::oid AS fib_oid \gset
SELECT pg_get_functiondef('fib(integer)'::regprocedure) AS def_before \gset

SELECT atomiccache.memoize('fib(integer)');
-- same OID, same signature
SELECT 'fib(integer)'::regprocedure::oid = :fib_oid AS same_oid,
       pg_get_function_arguments(:fib_oid) AS arguments,
       pg_get_function_result(:fib_oid) AS result;
SELECT name, accessor, fill, ttl FROM atomiccache.caches WHERE name = 'fib';
-- fib(30) fills each of fib(0) .. fib(30) exactly once
SELECT fib(30);
SELECT name, entries, fills, fill_errors FROM atomiccache.caches WHERE name = 'fib';
SELECT fib(30), fib(29), fib(0);
SELECT name, entries, fills FROM atomiccache.caches WHERE name = 'fib';
SELECT atomiccache.contains('fib', 30) AS c30, atomiccache.contains('fib', 31) AS c31;
-- the fill function is the original body, callable as fib_uncached
SELECT fib_uncached(12);
SELECT pg_get_function_arguments('fib_uncached'::regproc) AS arguments,
       pg_get_function_result('fib_uncached'::regproc) AS result;
-- a view that calls fib still works, through the cache
SELECT * FROM memo_fib_view ORDER BY n;
SELECT name, entries, fills FROM atomiccache.caches WHERE name = 'fib';
-- beyond what is cached: fib(35) needs 5 new fills only
SELECT fib(35);
SELECT name, entries, fills FROM atomiccache.caches WHERE name = 'fib';
-- from another function, and in PL/pgSQL
CREATE FUNCTION memo_caller(n integer) RETURNS bigint
LANGUAGE sql AS $$ SELECT fib(n) * 2 $$;
DO $$ BEGIN RAISE NOTICE 'fib(40) = %', fib(40); END $$;
SELECT memo_caller(40);
SELECT name, entries, fills FROM atomiccache.caches WHERE name = 'fib';
-- invalidate and invalidate_all work on a memoized function's cache
SELECT atomiccache.invalidate('fib', 40) AS removed;
SELECT fib(40);
SELECT atomiccache.invalidate_all('fib');
SELECT atomiccache.reset_stats('fib');
SELECT fib(30);
SELECT name, entries, hits, misses, fills FROM atomiccache.caches WHERE name = 'fib';

-- a recursive PL/pgSQL function counting its runs
CREATE FUNCTION memo_pl(n integer) RETURNS numeric
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM nextval('memo_fills');
    IF n < 2 THEN
        RETURN n;
    END IF;
    RETURN memo_pl(n - 1) + memo_pl(n - 2);
END
$$;
SELECT memo_count() AS before \gset
SELECT memo_pl(15);
SELECT memo_count() - :before AS runs_uncached;
SELECT atomiccache.memoize('memo_pl(integer)');
SELECT memo_count() AS before \gset
SELECT memo_pl(15);
SELECT memo_count() - :before AS runs;
SELECT memo_pl(100);
SELECT memo_count() - :before AS runs;
SELECT memo_pl(100);
SELECT memo_count() - :before AS runs;

-- memoize with a ttl
CREATE FUNCTION memo_ttl(k integer) RETURNS text
LANGUAGE sql AS $$ SELECT k || '#' || nextval('memo_fills') $$;
SELECT atomiccache.memoize('memo_ttl(integer)', interval '1 second');
SELECT name, ttl FROM atomiccache.caches WHERE name = 'memo_ttl';
SELECT memo_count() AS before \gset
SELECT memo_ttl(1) = '1#' || :before + 1 AS filled;
SELECT memo_ttl(1) = '1#' || :before + 1 AS hit;
SELECT pg_sleep(2.5);
SELECT atomiccache.contains('memo_ttl', 1) AS still_there;
SELECT memo_ttl(1) = '1#' || :before + 2 AS refilled;

-- unmemoize restores the original body, keeps the OID, drops the cache
-- and the fill function
SELECT atomiccache.unmemoize('fib(integer)');
SELECT 'fib(integer)'::regprocedure::oid = :fib_oid AS same_oid;
SELECT pg_get_functiondef('fib(integer)'::regprocedure) = :'def_before' AS same_definition;
SELECT pg_get_functiondef('fib(integer)'::regprocedure);
SELECT to_regprocedure('fib_uncached(integer)') AS fill_function;
SELECT count(*) AS caches FROM atomiccache.caches WHERE name = 'fib';
SELECT fib(20);
SELECT * FROM memo_fib_view ORDER BY n;
SELECT atomiccache.contains('fib', 20);
SELECT atomiccache.unmemoize('memo_pl(integer)');
SELECT memo_count() AS before \gset
SELECT memo_pl(10);
SELECT memo_pl(10);
SELECT memo_count() - :before AS runs_uncached;
-- drop_cache of a memoized function's cache is unmemoize
SELECT atomiccache.drop_cache('memo_ttl');
SELECT to_regprocedure('memo_ttl(integer)') AS function_kept,
       to_regprocedure('memo_ttl_uncached(integer)') AS fill_function;
SELECT memo_count() AS before \gset
SELECT memo_ttl(1) = '1#' || :before + 1 AS runs_again,
       memo_ttl(1) = '1#' || :before + 2 AS and_again;
-- and it can be memoized again
SELECT atomiccache.memoize('memo_ttl(integer)');
SELECT memo_count() AS before \gset
SELECT memo_ttl(2) = memo_ttl(2) AS cached;
SELECT memo_count() - :before AS runs;
SELECT atomiccache.unmemoize('memo_ttl(integer)');

-- the attributes of the function are kept, but a memoized function is
-- at most STABLE (an IMMUTABLE one could be folded into plans and never
-- see an invalidation); unmemoize restores them all
CREATE FUNCTION memo_attr(a integer, b text DEFAULT 'dflt') RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT a || b $$;
COMMENT ON FUNCTION memo_attr(integer, text) IS 'a comment';
SELECT atomiccache.memoize('memo_attr(integer,text)');
SELECT memo_attr(1), memo_attr(b => 'x', a => 2), memo_attr(NULL) IS NULL AS strict;
SELECT p.provolatile, p.proisstrict, p.proparallel, p.pronargdefaults,
       pg_get_function_arguments(p.oid) AS arguments,
       obj_description(p.oid, 'pg_proc') AS comment
  FROM pg_proc p WHERE p.oid = 'memo_attr(integer,text)'::regprocedure;
SELECT atomiccache.unmemoize('memo_attr(integer,text)');
SELECT p.provolatile, p.proisstrict, p.proparallel, p.pronargdefaults,
       pg_get_function_arguments(p.oid) AS arguments,
       obj_description(p.oid, 'pg_proc') AS comment
  FROM pg_proc p WHERE p.oid = 'memo_attr(integer,text)'::regprocedure;

-- privileges on the memoized function are kept, and GRANT/REVOKE on it
-- after memoize take effect
CREATE ROLE regress_ac_memo;
CREATE FUNCTION memo_priv(k integer) RETURNS integer
LANGUAGE sql AS $$ SELECT k * 3 $$;
REVOKE EXECUTE ON FUNCTION memo_priv(integer) FROM PUBLIC;
SELECT has_function_privilege('regress_ac_memo', 'memo_priv(integer)', 'EXECUTE') AS before;
SELECT atomiccache.memoize('memo_priv(integer)');
SELECT has_function_privilege('regress_ac_memo', 'memo_priv(integer)', 'EXECUTE') AS memoized,
       has_function_privilege('regress_ac_memo', 'memo_priv_uncached(integer)', 'EXECUTE') AS fill;
SET ROLE regress_ac_memo;
SELECT memo_priv(1);
RESET ROLE;
GRANT EXECUTE ON FUNCTION memo_priv(integer) TO regress_ac_memo;
SELECT has_function_privilege('regress_ac_memo', 'memo_priv(integer)', 'EXECUTE') AS granted;
SELECT memo_priv(2);
SET ROLE regress_ac_memo;
SELECT memo_priv(1) AS miss, memo_priv(2) AS hit;
RESET ROLE;
REVOKE EXECUTE ON FUNCTION memo_priv(integer) FROM regress_ac_memo;
SET ROLE regress_ac_memo;
SELECT memo_priv(2);
RESET ROLE;
GRANT EXECUTE ON FUNCTION memo_priv(integer) TO regress_ac_memo;
SELECT atomiccache.unmemoize('memo_priv(integer)');
SELECT has_function_privilege('regress_ac_memo', 'memo_priv(integer)', 'EXECUTE') AS after_unmemoize,
       has_function_privilege('public', 'memo_priv(integer)', 'EXECUTE') AS public;

-- an error caught inside the fill (a PL/pgSQL EXCEPTION block) must not
-- free the outer call's state while its fill still runs
CREATE FUNCTION memo_safe_int(t text) RETURNS int LANGUAGE plpgsql IMMUTABLE AS
  $$ BEGIN RETURN t::int; EXCEPTION WHEN others THEN RETURN NULL; END $$;
CREATE FUNCTION memo_walk(n int) RETURNS int LANGUAGE sql AS
  $$ SELECT CASE WHEN n <= 0 THEN 0 ELSE coalesce(memo_safe_int('x'), 1) + memo_walk(n - 1) END $$;
SELECT atomiccache.memoize('memo_walk(int)');
SELECT memo_walk(5), memo_walk(7);
SELECT name, entries, fills FROM atomiccache.caches WHERE name = 'memo_walk';
SELECT atomiccache.unmemoize('memo_walk(int)');
DROP FUNCTION memo_walk(int), memo_safe_int(text);

-- clean up
SELECT count(*) AS caches_left FROM atomiccache.caches;
DROP VIEW memo_fib_view;
DROP FUNCTION fib(integer), memo_caller(integer), memo_pl(integer),
    memo_ttl(integer), memo_attr(integer, text), memo_priv(integer),
    memo_count();
DROP SEQUENCE memo_fills;
DROP ROLE regress_ac_memo;
