--
-- ddl: what DROP FUNCTION, DROP EXTENSION and ownership do to caches
--
CREATE SEQUENCE ddl_fills;
CREATE FUNCTION ddl_fill(k integer) RETURNS text
LANGUAGE sql AS $$ SELECT k || '#' || nextval('ddl_fills') $$;

-- the cache's definition depends on the accessor and on the fill
-- function; the accessor goes with the extension
SELECT atomiccache.create_cache('ddl_a', 'ddl_fill(integer)');
SELECT pg_describe_object(classid, objid, objsubid) AS object,
       pg_describe_object(refclassid, refobjid, refobjsubid) AS depends_on,
       deptype
  FROM pg_depend
 WHERE classid = 'pg_proc'::regclass
   AND objid IN ('ddl_a(integer)'::regprocedure,
                 'atomiccache.ddl_a(atomiccache.cache)'::regprocedure)
 ORDER BY 1, 2;

-- an accessor is not dropped alone: DROP FUNCTION needs CASCADE, which
-- drops the cache
SELECT ddl_a(1);
DROP FUNCTION ddl_a(integer);
DROP FUNCTION ddl_a(integer) CASCADE;
SELECT count(*) AS caches FROM atomiccache.caches WHERE name = 'ddl_a';
SELECT atomiccache.contains('ddl_a', 1);
-- and the name is free again; the new cache does not see the old entries
SELECT atomiccache.create_cache('ddl_a', 'ddl_fill(integer)');
SELECT atomiccache.contains('ddl_a', 1) AS old_entry;
SELECT last_value AS before FROM ddl_fills \gset
SELECT ddl_a(1) = '1#' || :before + 1 AS refilled;

-- dropping the fill function needs CASCADE, which drops the accessor
-- and the cache
DROP FUNCTION ddl_fill(integer);
DROP FUNCTION ddl_fill(integer) CASCADE;
SELECT count(*) AS caches FROM atomiccache.caches;
SELECT to_regprocedure('ddl_a(integer)') AS accessor;

-- DROP SCHEMA ... CASCADE drops the accessors in it
CREATE FUNCTION ddl_fill(k integer) RETURNS text
LANGUAGE sql AS $$ SELECT k || '#' || nextval('ddl_fills') $$;
CREATE SCHEMA ddl_s;
SELECT atomiccache.create_cache('ddl_s.ddl_b', 'ddl_fill(integer)');
SELECT ddl_s.ddl_b(1) IS NOT NULL AS filled;
DROP SCHEMA ddl_s;
DROP SCHEMA ddl_s CASCADE;
SELECT count(*) AS caches FROM atomiccache.caches;

-- ALTER FUNCTION ... RENAME of an accessor: the cache keeps its name
SELECT atomiccache.create_cache('ddl_r', 'ddl_fill(integer)');
SELECT ddl_r(7) IS NOT NULL AS filled;
ALTER FUNCTION ddl_r(integer) RENAME TO ddl_r2;
SELECT name, accessor FROM atomiccache.caches WHERE name = 'ddl_r';
SELECT atomiccache.contains('ddl_r', 7) AS still_cached;
SELECT last_value AS before FROM ddl_fills \gset
SELECT ddl_r2(7) IS NOT NULL AS hit;
SELECT last_value - :before AS fills FROM ddl_fills;
SELECT atomiccache.drop_cache('ddl_r');
SELECT to_regprocedure('ddl_r2(integer)') AS accessor;

-- a memoized function dropped with DROP FUNCTION ... CASCADE drops its
-- cache; its original body stays, a plain function that works (neither
-- can be dropped alone: the cache's definition depends on both)
CREATE FUNCTION ddl_m(k integer) RETURNS integer
LANGUAGE sql AS $$ SELECT k + 1 $$;
SELECT atomiccache.memoize('ddl_m(integer)');
SELECT ddl_m(1);
DROP FUNCTION ddl_m_uncached(integer);
DROP FUNCTION ddl_m(integer);
DROP FUNCTION ddl_m(integer) CASCADE;
SELECT ddl_m_uncached(1) AS body_works,
       (SELECT count(*) FROM atomiccache.caches) AS caches;
DROP FUNCTION ddl_m_uncached(integer);

-- a non-superuser with EXECUTE on the fill and CREATE on the schema
-- can create a cache, and owns the accessor
CREATE ROLE regress_ac_ddl;
CREATE SCHEMA ddl_u;
GRANT USAGE, CREATE ON SCHEMA ddl_u TO regress_ac_ddl;
GRANT USAGE ON SEQUENCE ddl_fills TO regress_ac_ddl;
SET ROLE regress_ac_ddl;
SELECT atomiccache.create_cache('ddl_u.ddl_own', 'ddl_fill(integer)');
SELECT ddl_u.ddl_own(1) IS NOT NULL AS filled;
SELECT atomiccache.contains('ddl_u.ddl_own', 1) AS cached;
SELECT name, accessor, fill, entries, fills FROM atomiccache.caches ORDER BY name;
RESET ROLE;
SELECT c.name, pg_get_userbyid(p.proowner) AS accessor_owner,
       pg_get_userbyid(d.proowner) AS definition_owner
  FROM atomiccache.caches c
  JOIN pg_proc p ON p.oid = c.accessor
  JOIN pg_proc d ON d.oid = (SELECT uid FROM atomiccache._caches() WHERE name = c.name)
 ORDER BY c.name;
-- nobody but the extension writes in its schema
SET ROLE regress_ac_ddl;
CREATE FUNCTION atomiccache.ddl_forged(atomiccache.cache) RETURNS int
LANGUAGE sql RETURN 1;
RESET ROLE;
-- the extension's event trigger does not get in the way of a
-- non-superuser's own DROP commands
SET ROLE regress_ac_ddl;
CREATE TABLE ddl_u.ddl_t (a integer);
CREATE FUNCTION ddl_u.ddl_f() RETURNS integer LANGUAGE sql AS $$ SELECT 1 $$;
DROP TABLE ddl_u.ddl_t;
DROP FUNCTION ddl_u.ddl_f();
-- the owner may drop the accessor like any function of theirs (with
-- CASCADE, which drops the cache's definition, which they own)
SELECT atomiccache.invalidate('ddl_u.ddl_own', 1) AS removed;
DROP FUNCTION ddl_u.ddl_own(integer) CASCADE;
SELECT count(*) AS caches FROM atomiccache.caches;
SELECT atomiccache.create_cache('ddl_u.ddl_own', 'ddl_fill(integer)');
SELECT atomiccache.drop_cache('ddl_u.ddl_own');
RESET ROLE;

-- DROP EXTENSION needs CASCADE while caches exist; CASCADE drops the
-- accessors (memoized functions too; their original bodies stay)
SELECT atomiccache.create_cache('ddl_x', 'ddl_fill(integer)');
CREATE FUNCTION ddl_m(k integer) RETURNS integer
LANGUAGE sql AS $$ SELECT k + 1 $$;
SELECT atomiccache.memoize('ddl_m(integer)');
SELECT ddl_x(1) IS NOT NULL AS filled, ddl_m(1);
\set VERBOSITY terse
DROP EXTENSION atomiccache;
DROP EXTENSION atomiccache CASCADE;
\set VERBOSITY default
SELECT to_regprocedure('ddl_x(integer)') AS accessor,
       to_regprocedure('ddl_m(integer)') AS memoized,
       to_regprocedure('ddl_m_uncached(integer)') AS fill,
       to_regprocedure('ddl_fill(integer)') AS ddl_fill;
SELECT count(*) AS event_triggers FROM pg_event_trigger WHERE evtname LIKE 'atomiccache%';
DROP FUNCTION ddl_m_uncached(integer);
-- the extension comes back empty; old entries are unreachable
CREATE EXTENSION atomiccache;
SELECT count(*) AS caches FROM atomiccache.caches;
SELECT atomiccache.create_cache('ddl_x', 'ddl_fill(integer)');
SELECT atomiccache.contains('ddl_x', 1) AS old_entry;
SELECT last_value AS before FROM ddl_fills \gset
SELECT ddl_x(1) = '1#' || :before + 1 AS refilled;

-- a drop in a released savepoint survives a later rolled-back sibling:
-- the cache's shared descriptor is dropped at commit
SELECT atomiccache.create_cache('ddl_sp', 'ddl_fill(integer)');
SELECT ddl_sp(7) IS NOT NULL AS filled;
SELECT uid AS sp_uid FROM atomiccache._caches() WHERE name = 'ddl_sp' \gset
BEGIN;
SAVEPOINT a;
SELECT atomiccache.drop_cache('ddl_sp');
RELEASE a;
SAVEPOINT b;
SELECT 1 / 0;
ROLLBACK TO b;
COMMIT;
SELECT count(*) AS caches FROM atomiccache.caches WHERE name = 'ddl_sp';
SELECT count(*) AS live_descriptors FROM atomiccache._stats() WHERE uid = :sp_uid;
-- a prepared transaction cannot drop a cache
SELECT atomiccache.create_cache('ddl_pp', 'ddl_fill(integer)');
BEGIN;
SELECT atomiccache.drop_cache('ddl_pp');
\set VERBOSITY sqlstate
PREPARE TRANSACTION 'ddl_pp';
\set VERBOSITY default
SELECT count(*) AS still_there FROM atomiccache.caches WHERE name = 'ddl_pp';
SELECT atomiccache.drop_cache('ddl_pp');

-- clean up
SELECT atomiccache.drop_cache('ddl_x');
DROP SCHEMA ddl_u;
DROP FUNCTION ddl_fill(integer);
DROP SEQUENCE ddl_fills;
DROP ROLE regress_ac_ddl;
