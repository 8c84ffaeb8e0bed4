--
-- api: the SQL API of atomiccache on its simplest cases
--
-- Every fill counts its runs with nextval() of a sequence, so the tests
-- can tell a hit (no fill) from a miss (one fill).
--
CREATE SEQUENCE api_fills;
CREATE FUNCTION api_fill(k integer) RETURNS text
LANGUAGE sql AS $$ SELECT 'v' || k || '#' || nextval('api_fills') $$;

-- create_cache returns the accessor, a function named after the cache
-- with the fill's argument and result types
SELECT atomiccache.create_cache('api_c', 'api_fill(integer)');
SELECT 'api_c(integer)'::regprocedure AS accessor,
       pg_get_function_result('api_c(integer)'::regprocedure) AS result,
       pg_get_function_arguments('api_c(integer)'::regprocedure) AS arguments;

-- the accessor fills on a miss and serves a hit without filling
SELECT api_c(1);
SELECT api_c(1);
SELECT api_c(2);
SELECT last_value AS fills FROM api_fills;
-- in a FROM clause and with a column as argument
SELECT k, api_c(k) FROM generate_series(1, 3) k ORDER BY k;
SELECT last_value AS fills FROM api_fills;

-- contains: true/false, and never fills
SELECT atomiccache.contains('api_c', 1) AS c1,
       atomiccache.contains('api_c', 3) AS c3,
       atomiccache.contains('api_c', 4) AS c4,
       atomiccache.contains('api_c', NULL::integer) AS cnull;
SELECT last_value AS fills FROM api_fills;
-- key arguments coerced to the key type
SELECT atomiccache.contains('api_c', 1::smallint) AS from_smallint,
       atomiccache.contains('api_c', '1') AS from_unknown;
-- implicit casts only, as in a call of the accessor: bigint and numeric
-- are not integer keys (12.5 is never rounded into key 13)
SELECT atomiccache.contains('api_c', 1::bigint) AS from_bigint;
SELECT atomiccache.invalidate('api_c', 12.5);
-- an untyped literal gets the input function's own error
\set VERBOSITY sqlstate
SELECT atomiccache.contains('api_c', 'twelve');
\set VERBOSITY default
SELECT atomiccache.contains('api_c', 'twelve');
-- a key array given with VARIADIC
SELECT atomiccache.contains('api_c', VARIADIC ARRAY[2]) AS variadic_array;
-- uncoercible type and wrong arity: datatype_mismatch
\set VERBOSITY sqlstate
SELECT atomiccache.contains('api_c', point(1, 2));
SELECT atomiccache.contains('api_c', 1, 2);
SELECT atomiccache.contains('api_c');
\set VERBOSITY default
SELECT atomiccache.contains('api_c', point(1, 2));
SELECT atomiccache.contains('api_c', 1, 2);

-- bigint, text and numeric keys: coercion from other types
CREATE FUNCTION api_fill_big(k bigint) RETURNS text
LANGUAGE sql AS $$ SELECT 'b' || k || '#' || nextval('api_fills') $$;
CREATE FUNCTION api_fill_text(k text) RETURNS text
LANGUAGE sql AS $$ SELECT 't' || k || '#' || nextval('api_fills') $$;
CREATE FUNCTION api_fill_num(k numeric) RETURNS text
LANGUAGE sql AS $$ SELECT 'n' || k || '#' || nextval('api_fills') $$;
SELECT atomiccache.create_cache('api_big', 'api_fill_big(bigint)');
SELECT atomiccache.create_cache('api_text', 'api_fill_text(text)');
SELECT atomiccache.create_cache('api_num', 'api_fill_num(numeric)');
SELECT api_big(5), api_text('abc'), api_num(7);
SELECT atomiccache.contains('api_big', 5) AS int_to_bigint,
       atomiccache.contains('api_big', 6) AS other_bigint,
       atomiccache.contains('api_text', 'abc') AS unknown_to_text,
       atomiccache.contains('api_text', 'abc'::varchar) AS varchar_to_text,
       atomiccache.contains('api_text', 'abd') AS other_text,
       atomiccache.contains('api_num', 7) AS int_to_numeric,
       atomiccache.contains('api_num', 7.0) AS other_numeric;
\set VERBOSITY sqlstate
SELECT atomiccache.contains('api_big', point(1, 2));
SELECT atomiccache.contains('api_num', 'abc'::text);
\set VERBOSITY default

-- invalidate: true when an entry was removed, then false
SELECT atomiccache.invalidate('api_c', 1) AS first, atomiccache.invalidate('api_c', 1) AS second;
SELECT atomiccache.invalidate('api_c', 99) AS missing;
SELECT atomiccache.contains('api_c', 1) AS c1, atomiccache.contains('api_c', 2) AS c2;
SELECT last_value AS fills FROM api_fills \gset before_
SELECT api_c(1) = 'v1#' || :before_fills + 1 AS refilled;
SELECT api_c(1) = 'v1#' || :before_fills + 1 AS hit;
-- coerced key for invalidate too
SELECT atomiccache.invalidate('api_big', 5) AS int_to_bigint;

-- invalidate_all: every entry absent at once; the next call refills
SELECT atomiccache.invalidate_all('api_c');
SELECT k, atomiccache.contains('api_c', k) FROM generate_series(1, 3) k ORDER BY k;
SELECT last_value AS fills FROM api_fills \gset before_
SELECT api_c(2) = 'v2#' || :before_fills + 1 AS refilled;
SELECT atomiccache.contains('api_c', 2) AS c2, atomiccache.contains('api_c', 3) AS c3;

-- set: always feature_not_supported, with a hint
SELECT atomiccache.set('api_c', 1, 'x');
SELECT atomiccache.set('api_c');
SELECT atomiccache.set('no_such_cache', 1);

-- a zero-argument fill function
CREATE FUNCTION api_fill0() RETURNS bigint
LANGUAGE sql AS $$ SELECT nextval('api_fills') * 0 + 42 $$;
SELECT atomiccache.create_cache('api_zero', 'api_fill0()');
SELECT atomiccache.contains('api_zero') AS before;
SELECT last_value AS fills FROM api_fills \gset before_
SELECT api_zero(), api_zero();
SELECT last_value - :before_fills AS new_fills FROM api_fills;
SELECT atomiccache.contains('api_zero') AS after;
SELECT atomiccache.invalidate('api_zero') AS first, atomiccache.invalidate('api_zero') AS second;
SELECT atomiccache.contains('api_zero') AS after_invalidate;
\set VERBOSITY sqlstate
SELECT atomiccache.contains('api_zero', 1);
\set VERBOSITY default

-- schema-qualified cache names; otherwise the first schema of search_path
CREATE SCHEMA api_s1;
CREATE SCHEMA api_s2;
SELECT atomiccache.create_cache('api_s1.api_q', 'api_fill(integer)');
SET search_path = api_s2, public;
SELECT atomiccache.create_cache('api_p', 'api_fill(integer)');
RESET search_path;
SELECT p.oid::regprocedure AS accessor, n.nspname
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE p.proname IN ('api_q', 'api_p') AND n.nspname <> 'atomiccache'
 ORDER BY 1::text;
-- each cache is defined by a function of schema atomiccache named as it
SELECT p.oid::regprocedure AS definition, d.accessor, d.fill
  FROM pg_proc p, atomiccache.api_p(NULL) d
 WHERE p.oid = 'atomiccache.api_p(atomiccache.cache)'::regprocedure;
SELECT left(api_s1.api_q(1), 3) AS q, left(api_s2.api_p(1), 3) AS p;
-- the cache is known by the name it was created with
SELECT atomiccache.contains('api_s1.api_q', 1) AS qualified;
SELECT atomiccache.contains('api_p', 1) AS unqualified;

-- the view: one row per cache, exact counts
SELECT name, accessor, fill, ttl FROM atomiccache.caches ORDER BY name;
SELECT atomiccache.create_cache('api_st', 'api_fill(integer)');
SELECT name, entries, hits, misses, fills, fill_errors, waits, evictions,
       expirations, invalidations, bytes > 0 AS has_bytes
  FROM atomiccache.caches WHERE name = 'api_st';
SELECT left(api_st(1), 2), left(api_st(2), 2), left(api_st(1), 2);
SELECT name, entries, hits, misses, fills, fill_errors, waits, evictions,
       expirations, invalidations, bytes > 0 AS has_bytes,
       fill_time_total_ms >= fill_time_max_ms AS times_ok
  FROM atomiccache.caches WHERE name = 'api_st';
SELECT atomiccache.invalidate('api_st', 2);
SELECT atomiccache.invalidate_all('api_st');
SELECT name, entries, hits, misses, fills, invalidations
  FROM atomiccache.caches WHERE name = 'api_st';
-- contains does not count as a hit or a miss
SELECT atomiccache.contains('api_st', 1), atomiccache.contains('api_st', 5);
SELECT name, hits, misses, fills FROM atomiccache.caches WHERE name = 'api_st';

-- reset_stats(name) zeroes that cache's counters only
SELECT left(api_st(1), 2), left(api_st(1), 2);
SELECT name, hits, misses, fills, invalidations FROM atomiccache.caches
 WHERE name IN ('api_st', 'api_c') ORDER BY name;
SELECT atomiccache.reset_stats('api_st');
SELECT name, entries, hits, misses, fills, invalidations FROM atomiccache.caches
 WHERE name IN ('api_st', 'api_c') ORDER BY name;
-- counting goes on after a reset
SELECT left(api_st(1), 2);
SELECT name, hits, misses, fills FROM atomiccache.caches WHERE name = 'api_st';
-- reset_stats() zeroes every cache
SELECT atomiccache.reset_stats();
SELECT name, hits, misses, fills, fill_errors, invalidations
  FROM atomiccache.caches ORDER BY name;

-- drop_cache: accessor and definition are gone
SELECT atomiccache.drop_cache('api_st');
SELECT api_st(1);
SELECT count(*) FROM atomiccache.caches WHERE name = 'api_st';
SELECT count(*) FROM pg_proc WHERE proname = 'api_st';
SELECT atomiccache.contains('api_st', 1);
-- the name can be used again, and the new cache starts empty
SELECT atomiccache.create_cache('api_st', 'api_fill(integer)');
SELECT atomiccache.contains('api_st', 1) AS old_entry_visible;
SELECT name, entries, hits, misses, fills FROM atomiccache.caches WHERE name = 'api_st';

-- not transactional: a value filled in a transaction that rolls back
-- stays cached, and so does an invalidation
BEGIN;
SELECT left(api_st(7), 2);
ROLLBACK;
SELECT atomiccache.contains('api_st', 7) AS kept_after_rollback;
BEGIN;
SELECT atomiccache.invalidate('api_st', 7);
ROLLBACK;
SELECT atomiccache.contains('api_st', 7) AS invalidated_for_good;

-- create_cache and drop_cache are transactional DDL
BEGIN;
SELECT atomiccache.create_cache('api_tx', 'api_fill(integer)');
SELECT left(api_tx(1), 2);
ROLLBACK;
SELECT to_regprocedure('api_tx(integer)') AS accessor,
       (SELECT count(*) FROM atomiccache.caches WHERE name = 'api_tx') AS caches;
SELECT atomiccache.create_cache('api_tx', 'api_fill(integer)');
SELECT atomiccache.contains('api_tx', 1) AS entry_of_rolled_back_cache;
SELECT last_value AS fills FROM api_fills \gset before_
SELECT left(api_tx(1), 2), left(api_tx(1), 2);
SELECT last_value - :before_fills AS new_fills FROM api_fills;
-- a drop_cache rolled back leaves a working cache
BEGIN;
SELECT atomiccache.drop_cache('api_tx');
ROLLBACK;
SELECT name, accessor FROM atomiccache.caches WHERE name = 'api_tx';
SELECT last_value AS fills FROM api_fills \gset before_
SELECT left(api_tx(2), 2), left(api_tx(2), 2);
SELECT last_value - :before_fills AS new_fills FROM api_fills;
SELECT atomiccache.contains('api_tx', 2) AS cached;
-- and its entries and counters are still reported
SELECT name, entries >= 1 AS has_entries, hits >= 1 AS counts_hits,
       fills >= 1 AS counts_fills
  FROM atomiccache.caches WHERE name = 'api_tx';

-- clean up
SELECT atomiccache.drop_cache(name) FROM atomiccache.caches ORDER BY name;
SELECT count(*) AS caches_left FROM atomiccache.caches;
DROP SCHEMA api_s1, api_s2;
DROP FUNCTION api_fill(integer), api_fill_big(bigint), api_fill_text(text),
    api_fill_num(numeric), api_fill0();
DROP SEQUENCE api_fills;
