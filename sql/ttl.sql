--
-- ttl: entries expire ttl after their fill finished; NULL never expires
--
-- Margins are at least 2x: a 1 s TTL is checked well inside it (at once)
-- and well after it (after 2.5 s).
--
CREATE SEQUENCE ttl_fills;
CREATE FUNCTION ttl_fill(k integer) RETURNS text
LANGUAGE sql AS $$ SELECT 'v' || k || '#' || nextval('ttl_fills') $$;
SELECT atomiccache.create_cache('ttl_short', 'ttl_fill(integer)', interval '1 second');
SELECT atomiccache.create_cache('ttl_never', 'ttl_fill(integer)');
SELECT atomiccache.create_cache('ttl_long', 'ttl_fill(integer)', interval '1 hour');
SELECT name, ttl FROM atomiccache.caches ORDER BY name;

SELECT ttl_short(1), ttl_never(1), ttl_long(1);
SELECT ttl_short(1), ttl_never(1), ttl_long(1);
SELECT atomiccache.contains('ttl_short', 1) AS short,
       atomiccache.contains('ttl_never', 1) AS never,
       atomiccache.contains('ttl_long', 1) AS long;

SELECT pg_sleep(2.5);

-- the 1 s entry has expired: contains says so without filling
SELECT atomiccache.contains('ttl_short', 1) AS short,
       atomiccache.contains('ttl_never', 1) AS never,
       atomiccache.contains('ttl_long', 1) AS long;
SELECT last_value AS fills FROM ttl_fills;
-- and the next call refills it; the others are hits
SELECT ttl_short(1), ttl_never(1), ttl_long(1);
SELECT last_value AS fills FROM ttl_fills;
SELECT atomiccache.contains('ttl_short', 1) AS short;
SELECT ttl_short(1);
SELECT name, entries, hits, misses, fills, expirations
  FROM atomiccache.caches ORDER BY name;

-- an expired entry is not removed by invalidate (it was not there)
SELECT ttl_short(2);
SELECT pg_sleep(2.5);
SELECT atomiccache.invalidate('ttl_short', 2) AS removed;

-- cached errors expire with the same TTL
CREATE FUNCTION ttl_fail(k integer) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM nextval('ttl_fills');
    RAISE EXCEPTION 'no value for %', k USING ERRCODE = 'invalid_parameter_value';
END
$$;
SELECT atomiccache.create_cache('ttl_err', 'ttl_fail(integer)', interval '1 second');
SELECT last_value AS fills FROM ttl_fills \gset before_
SELECT ttl_err(1);
SELECT ttl_err(1);
SELECT atomiccache.contains('ttl_err', 1) AS cached_error;
SELECT last_value - :before_fills AS new_fills FROM ttl_fills;
SELECT pg_sleep(2.5);
SELECT atomiccache.contains('ttl_err', 1) AS cached_error;
SELECT ttl_err(1);
SELECT last_value - :before_fills AS new_fills FROM ttl_fills;
SELECT name, hits, misses, fills, fill_errors, expirations
  FROM atomiccache.caches WHERE name = 'ttl_err';

-- the ttl of a cache shows in its definition as given
SELECT atomiccache.create_cache('ttl_odd', 'ttl_fill(integer)', interval '1 day 2 hours 3.5 seconds');
SELECT name, ttl FROM atomiccache.caches WHERE name = 'ttl_odd';

-- clean up
SELECT atomiccache.drop_cache(name) FROM atomiccache.caches ORDER BY name;
DROP FUNCTION ttl_fill(integer), ttl_fail(integer);
DROP SEQUENCE ttl_fills;
