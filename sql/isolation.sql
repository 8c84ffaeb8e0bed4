--
-- isolation: the entries of one database are invisible from another, and
-- entries outlive the session that filled them
--
SELECT current_database() AS orig \gset
CREATE SEQUENCE iso_fills;
CREATE FUNCTION iso_fill(k integer) RETURNS text
LANGUAGE sql AS $$ SELECT k || '#' || nextval('iso_fills') $$;
SELECT atomiccache.create_cache('iso_c', 'iso_fill(integer)');
SELECT iso_c(1), iso_c(2), iso_c(1);
SELECT atomiccache.contains('iso_c', 1) AS c1, atomiccache.contains('iso_c', 3) AS c3;

-- another database, with a cache of the same name and fill
CREATE DATABASE regress_ac_other;
\c regress_ac_other
CREATE EXTENSION atomiccache;
SELECT count(*) AS caches FROM atomiccache.caches;
CREATE SEQUENCE iso_fills START 100;
CREATE FUNCTION iso_fill(k integer) RETURNS text
LANGUAGE sql AS $$ SELECT k || '#' || nextval('iso_fills') $$;
SELECT atomiccache.create_cache('iso_c', 'iso_fill(integer)');
SELECT atomiccache.contains('iso_c', 1) AS c1, atomiccache.contains('iso_c', 2) AS c2;
-- its own fills run
SELECT iso_c(1), iso_c(1), iso_c(3);
SELECT name, entries, hits, misses, fills FROM atomiccache.caches;
-- invalidate_all here does not touch the other database
SELECT atomiccache.invalidate_all('iso_c');
SELECT atomiccache.contains('iso_c', 1) AS c1;

\c :orig
-- the entries filled by the first session are still here; none of the
-- other database's
SELECT atomiccache.contains('iso_c', 1) AS c1, atomiccache.contains('iso_c', 2) AS c2,
       atomiccache.contains('iso_c', 3) AS c3;
SELECT iso_c(1), iso_c(2);
SELECT last_value AS fills FROM iso_fills;
SELECT name, entries, hits, misses, fills FROM atomiccache.caches;

-- dropping the other database (and its caches) leaves ours alone
\c regress_ac_other
SELECT iso_c(5);
\c :orig
DROP DATABASE regress_ac_other WITH (FORCE);
SELECT iso_c(1), iso_c(2), atomiccache.contains('iso_c', 5) AS c5;
SELECT last_value AS fills FROM iso_fills;

-- a cache dropped and created again under the same name starts empty
SELECT atomiccache.drop_cache('iso_c');
SELECT atomiccache.create_cache('iso_c', 'iso_fill(integer)');
SELECT atomiccache.contains('iso_c', 1) AS c1;
SELECT iso_c(1);

-- clean up
SELECT atomiccache.drop_cache('iso_c');
DROP FUNCTION iso_fill(integer);
DROP SEQUENCE iso_fills;
