--
-- inspect: atomiccache.memory() and atomiccache.entries(cache)
--
CREATE FUNCTION insp_fill(k int) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    IF k = 13 THEN
        RAISE EXCEPTION 'unlucky %', k USING ERRCODE = 'P0013';
    END IF;
    RETURN repeat('v', k);
END $$;
SELECT atomiccache.create_cache('insp', 'insp_fill(int)', ttl => '1 hour');
SELECT insp(1), insp(10), insp(NULL);
SELECT insp(13);

-- one row per entry: key as text, state, bytes, times
SELECT key, state, bytes > 0 AS has_bytes,
       filled_at BETWEEN now() - interval '1 minute' AND clock_timestamp() AS filled_recently,
       expires_at - filled_at BETWEEN interval '59 minutes' AND interval '61 minutes' AS ttl_ok
  FROM atomiccache.entries('insp') ORDER BY key;

-- a multi-argument key is shown as a row
CREATE FUNCTION insp2_fill(a int, b text) RETURNS int LANGUAGE sql AS 'SELECT a + length(b)';
SELECT atomiccache.create_cache('insp2', 'insp2_fill(int, text)');
SELECT insp2(1, 'abc'), insp2(2, NULL);
SELECT key, state, expires_at FROM atomiccache.entries('insp2') ORDER BY key;

-- invalidate_all empties the listing at once
SELECT atomiccache.invalidate_all('insp2');
SELECT count(*) FROM atomiccache.entries('insp2');

-- the memory of all caches together
SELECT limit_bytes = pg_size_bytes(current_setting('atomiccache.memory_limit')) AS limit_is_setting,
       used_bytes > 0 AND used_bytes <= limit_bytes AS used_within_limit,
       peak_bytes >= used_bytes AS peak_ok,
       entries >= 4 AS has_entries,
       buckets >= 2048 AS has_buckets,
       fixed_bytes > 0 AS has_fixed
  FROM atomiccache.memory();

-- the view's bytes are the entries' bytes
SELECT c.bytes = (SELECT sum(bytes) FROM atomiccache.entries('insp') WHERE state IN ('ready', 'error')) AS bytes_match
  FROM atomiccache.caches c WHERE c.name = 'insp';

-- keys are shown only to the owner, superusers and pg_read_all_stats
CREATE ROLE regress_ac_insp_nobody;
CREATE ROLE regress_ac_insp_stats IN ROLE pg_read_all_stats;
\set VERBOSITY sqlstate
SET ROLE regress_ac_insp_nobody;
SELECT count(*) FROM atomiccache.entries('insp');
RESET ROLE;
\set VERBOSITY default
SET ROLE regress_ac_insp_nobody;
SELECT count(*) FROM atomiccache.entries('insp');
RESET ROLE;
SET ROLE regress_ac_insp_stats;
SELECT count(*) FROM atomiccache.entries('insp');
RESET ROLE;
\set VERBOSITY sqlstate
SELECT * FROM atomiccache.entries('no_such_cache');
SELECT * FROM atomiccache.entries(NULL);
\set VERBOSITY default

-- a value larger than the memory limit is returned, uncached, and counted
ALTER SYSTEM SET atomiccache.memory_limit = '1MB';
SELECT pg_reload_conf();
SELECT pg_sleep(0.2);
SHOW atomiccache.memory_limit;
CREATE FUNCTION insp_huge_fill(k int) RETURNS text LANGUAGE sql AS $$ SELECT repeat('h', 2000000 + k) $$;
SELECT atomiccache.create_cache('insp_huge', 'insp_huge_fill(int)');
SELECT length(insp_huge(1)) AS len, length(insp_huge(1)) AS len_again;
SELECT atomiccache.contains('insp_huge', 1) AS cached;
SELECT hits, misses, fills, uncached FROM atomiccache.caches WHERE name = 'insp_huge';
SELECT used_bytes <= limit_bytes AS within_limit FROM atomiccache.memory();
ALTER SYSTEM RESET atomiccache.memory_limit;
SELECT pg_reload_conf();
SELECT pg_sleep(0.2);
SELECT atomiccache.drop_cache('insp_huge');
DROP FUNCTION insp_huge_fill(int);

-- what an entry takes (README, Design: "An entry in 64 bytes"): an int ->
-- int entry is 64 bytes; a text key has an image of its collation, a
-- NULL flag, a 4-byte length and its bytes (9 + n), the entry is MAXALIGNed,
-- and a text value adds its own bytes; a key image of 65,535 bytes or
-- more (n >= 65,526) is stored after its 4-byte length, and works as any
-- other (hit, contains, invalidate)
CREATE FUNCTION insp_ii_fill(k int) RETURNS int LANGUAGE sql AS 'SELECT k + 1';
SELECT atomiccache.create_cache('insp_ii', 'insp_ii_fill(int)');
SELECT insp_ii(41) AS filled;
SELECT key, bytes FROM atomiccache.entries('insp_ii');
CREATE FUNCTION insp_tt_fill(k text) RETURNS text LANGUAGE sql AS 'SELECT length(k)::text';
SELECT atomiccache.create_cache('insp_tt', 'insp_tt_fill(text)');
SELECT insp_tt('abc') AS short, insp_tt(repeat('k', 65525)) AS below,
       insp_tt(repeat('k', 65526)) AS at, insp_tt(repeat('k', 100000)) AS above;
SELECT length(key) AS key_len, bytes FROM atomiccache.entries('insp_tt') ORDER BY 1;
SELECT insp_tt(repeat('k', 100000)) AS hit,
       atomiccache.contains('insp_tt', repeat('k', 100000)) AS contained,
       atomiccache.contains('insp_tt', repeat('k', 99999) || 'j') AS other_not;
SELECT hits, misses FROM atomiccache.caches WHERE name = 'insp_tt';
SELECT atomiccache.invalidate('insp_tt', repeat('k', 100000)) AS invalidated,
       atomiccache.contains('insp_tt', repeat('k', 100000)) AS gone,
       atomiccache.contains('insp_tt', repeat('k', 65526)) AS other_kept;
SELECT atomiccache.drop_cache('insp_ii');
SELECT atomiccache.drop_cache('insp_tt');
DROP FUNCTION insp_ii_fill(int);
DROP FUNCTION insp_tt_fill(text);

SELECT atomiccache.drop_cache('insp');
SELECT atomiccache.drop_cache('insp2');
DROP FUNCTION insp_fill(int);
DROP FUNCTION insp2_fill(int, text);
DROP ROLE regress_ac_insp_nobody;
DROP ROLE regress_ac_insp_stats;
