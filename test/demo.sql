-- test/demo.sql -- the README examples, run by test/demo.sh
-- (psql -a echoes each statement before its result)

CREATE EXTENSION atomiccache;

-- 1. A cache in front of an expensive function --------------------------

CREATE FUNCTION expensive_computation(n int) RETURNS int
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_sleep(1);        -- stands for a slow query or remote call
    RETURN n * n;
END
$$;

-- The accessor expensive(int) is created next to it; entries live 2 s.
SELECT atomiccache.create_cache('expensive', 'expensive_computation(int)',
                                ttl => '2 seconds');

\timing on
SELECT expensive(12);           -- miss: runs the fill, about 1 s
SELECT expensive(12);           -- hit: instant
\timing off

SELECT atomiccache.contains('expensive', 12);   -- key in cache
SELECT atomiccache.contains('expensive', 13);   -- never filled

SELECT atomiccache.invalidate('expensive', 12); -- true: an entry went
SELECT atomiccache.contains('expensive', 12);

\timing on
SELECT expensive(12);           -- filled again, about 1 s
\timing off

SELECT pg_sleep(3);             -- longer than the 2 s TTL
SELECT atomiccache.contains('expensive', 12);   -- expired

SELECT name, ttl, entries, hits, misses, fills
  FROM atomiccache.caches;

-- 2. Values come only from the fill function -----------------------------

\set ON_ERROR_STOP 0
SELECT atomiccache.set('expensive', 12, 145);
\set ON_ERROR_STOP 1
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- 3. memoize: a recursive function, cached in place ----------------------

CREATE FUNCTION fib(n int) RETURNS numeric
LANGUAGE sql AS $$
    SELECT CASE WHEN n < 2 THEN n::numeric ELSE fib(n - 1) + fib(n - 2) END
$$;

-- fib keeps its name and OID; its recursive calls now go through the
-- cache, so fib(100) takes 101 fills instead of ~10^21 calls.
SELECT atomiccache.memoize('fib(int)');

\timing on
SELECT fib(100);
\timing off

SELECT name, entries, hits, misses, fills
  FROM atomiccache.caches
 WHERE name = 'fib';

SELECT fib(90);                 -- a hit: no new fill

SELECT name, entries, hits, fills
  FROM atomiccache.caches
 WHERE name = 'fib';

-- 4. Dropping ------------------------------------------------------------

SELECT atomiccache.unmemoize('fib(int)');
SELECT fib(20);                 -- the plain SQL function again
SELECT atomiccache.drop_cache('expensive');

SELECT name FROM atomiccache.caches;
