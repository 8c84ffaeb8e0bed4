/* atomiccache--0.1.0--0.2.0.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION atomiccache UPDATE TO '0.2.0'" to load this file. \quit

-- create_cache and memoize take per_role (keys that include the calling
-- role); entries() shows the role of each entry.  The three functions are
-- made again (their signatures change); the privileges a DBA gave or took
-- on the old ones are kept (proacl carried over in a setting of this
-- transaction: a GRANT here would count as the extension's own).
SELECT pg_catalog.set_config('atomiccache_update.' OPERATOR(pg_catalog.||) f.k,
           coalesce((SELECT p.proacl::pg_catalog.text FROM pg_catalog.pg_proc p
                      WHERE p.oid OPERATOR(pg_catalog.=) f.fn::pg_catalog.regprocedure), ''),
           true)
  FROM (VALUES ('create_cache', 'atomiccache.create_cache(text, regprocedure, interval)'),
               ('memoize', 'atomiccache.memoize(regprocedure, interval)'),
               ('entries', 'atomiccache.entries(text)')) f(k, fn);
DROP FUNCTION atomiccache.create_cache(text, regprocedure, interval);
DROP FUNCTION atomiccache.memoize(regprocedure, interval);
DROP FUNCTION atomiccache.entries(text);

CREATE FUNCTION atomiccache.create_cache(name text, fill regprocedure,
                                         ttl interval DEFAULT NULL,
                                         per_role boolean DEFAULT false)
RETURNS regprocedure
AS 'MODULE_PATHNAME', 'atomiccache_create_cache'
LANGUAGE C VOLATILE;

CREATE FUNCTION atomiccache.memoize(fn regprocedure, ttl interval DEFAULT NULL,
                                    per_role boolean DEFAULT false)
RETURNS regprocedure
AS 'MODULE_PATHNAME', 'atomiccache_memoize'
LANGUAGE C VOLATILE;

CREATE FUNCTION atomiccache.entries(cache text)
RETURNS TABLE (key text, state text, bytes bigint,
               filled_at timestamptz, expires_at timestamptz, role regrole)
AS 'MODULE_PATHNAME', 'atomiccache_entries'
LANGUAGE C VOLATILE;

-- Fill functions and memoized functions named as DROP FUNCTION names them:
-- 'f(integer)', or 'f' alone when only one function has that name.  A
-- string literal goes to these (text is the preferred type of an untyped
-- literal); a regprocedure value to the originals.
CREATE FUNCTION atomiccache.create_cache(name text, fill text,
                                         ttl interval DEFAULT NULL,
                                         per_role boolean DEFAULT false)
RETURNS regprocedure
AS 'MODULE_PATHNAME', 'atomiccache_create_cache_named'
LANGUAGE C VOLATILE;

CREATE FUNCTION atomiccache.memoize(fn text, ttl interval DEFAULT NULL,
                                    per_role boolean DEFAULT false)
RETURNS regprocedure
AS 'MODULE_PATHNAME', 'atomiccache_memoize_named'
LANGUAGE C VOLATILE;

CREATE FUNCTION atomiccache.unmemoize(fn text)
RETURNS void
AS 'MODULE_PATHNAME', 'atomiccache_unmemoize_named'
LANGUAGE C VOLATILE;

-- The privileges the old functions had, on the new ones; the variants that
-- name functions by text (new) get those of their regprocedure twins, so a
-- REVOKE of create_cache or memoize covers both ways of calling them.
UPDATE pg_catalog.pg_proc p
   SET proacl = pg_catalog.current_setting('atomiccache_update.' OPERATOR(pg_catalog.||) f.k)::pg_catalog.aclitem[]
  FROM (VALUES ('create_cache', 'atomiccache.create_cache(text, regprocedure, interval, boolean)'),
               ('create_cache', 'atomiccache.create_cache(text, text, interval, boolean)'),
               ('memoize', 'atomiccache.memoize(regprocedure, interval, boolean)'),
               ('memoize', 'atomiccache.memoize(text, interval, boolean)'),
               ('entries', 'atomiccache.entries(text)')) f(k, fn)
 WHERE p.oid OPERATOR(pg_catalog.=) f.fn::pg_catalog.regprocedure
   AND pg_catalog.current_setting('atomiccache_update.' OPERATOR(pg_catalog.||) f.k) OPERATOR(pg_catalog.<>) '';

-- Keeps the caches consistent with the catalog they were made from (see
-- ac_events_ddl_end in src/events.c): an accessor replaced by CREATE OR
-- REPLACE ends its cache, accessors are never STRICT, a cache's owner is
-- its accessor's, the original body of a memoized function keeps the
-- privileges and the owner of the function itself, and a change of a
-- fill function or of a type a cache uses invalidates the cache at commit.
-- (REASSIGN OWNED and DROP OWNED, which event triggers cannot see, treat
-- fn and fn_uncached alike: same owner, same ACL.)
CREATE FUNCTION atomiccache._on_ddl_end()
RETURNS event_trigger
AS 'MODULE_PATHNAME', 'atomiccache_on_ddl_end'
LANGUAGE C;

CREATE EVENT TRIGGER atomiccache_ddl_end ON ddl_command_end
    WHEN TAG IN ('CREATE FUNCTION', 'ALTER FUNCTION', 'ALTER ROUTINE',
                 'GRANT', 'REVOKE', 'ALTER TYPE', 'ALTER DOMAIN',
                 'ALTER TABLE', 'ALTER FOREIGN TABLE', 'CREATE VIEW',
                 'ALTER VIEW', 'ALTER MATERIALIZED VIEW')
    EXECUTE FUNCTION atomiccache._on_ddl_end();

-- The sql_drop trigger in C: a dropped accessor drops its cache, and the
-- original body of a memoized function cannot be dropped alone.  Nothing
-- runs as another role any more.
CREATE OR REPLACE FUNCTION atomiccache._on_sql_drop()
RETURNS event_trigger
AS 'MODULE_PATHNAME', 'atomiccache_on_sql_drop'
LANGUAGE C;

-- Before a DROP, remember the caches (so that the sql_drop trigger knows
-- the accessor of a definition a cascade drops); before a GRANT, REVOKE
-- or ALTER of functions, lock the caches they belong to (the ddl_end
-- trigger copies privileges between the functions of one cache).  See
-- ac_events_ddl_start in src/events.c.
CREATE FUNCTION atomiccache._on_ddl_start()
RETURNS event_trigger
AS 'MODULE_PATHNAME', 'atomiccache_on_ddl_start'
LANGUAGE C;

CREATE EVENT TRIGGER atomiccache_ddl_start ON ddl_command_start
    WHEN TAG IN ('DROP FUNCTION', 'DROP ROUTINE', 'DROP PROCEDURE',
                 'DROP SCHEMA', 'DROP OWNED', 'DROP TABLE', 'DROP VIEW',
                 'DROP MATERIALIZED VIEW', 'DROP FOREIGN TABLE',
                 'DROP TYPE', 'DROP DOMAIN', 'DROP SEQUENCE',
                 'DROP COLLATION', 'DROP OPERATOR', 'DROP AGGREGATE',
                 'DROP TEXT SEARCH CONFIGURATION', 'DROP TEXT SEARCH DICTIONARY',
                 'DROP LANGUAGE', 'DROP TRANSFORM', 'DROP CAST',
                 'DROP SERVER', 'DROP FOREIGN DATA WRAPPER', 'DROP EXTENSION',
                 'ALTER TABLE', 'ALTER FOREIGN TABLE', 'ALTER TYPE',
                 'GRANT', 'REVOKE', 'ALTER FUNCTION', 'ALTER ROUTINE')
    EXECUTE FUNCTION atomiccache._on_ddl_start();

-- The event triggers fire under session_replication_role = replica too.
ALTER EVENT TRIGGER atomiccache_sql_drop ENABLE ALWAYS;
ALTER EVENT TRIGGER atomiccache_ddl_end ENABLE ALWAYS;
ALTER EVENT TRIGGER atomiccache_ddl_start ENABLE ALWAYS;

-- Entries left in shared memory by an earlier installation in this
-- database (DROP EXTENSION, then CREATE EXTENSION) become garbage: the
-- install script calls this once.
CREATE FUNCTION atomiccache._forget_database()
RETURNS void
AS 'MODULE_PATHNAME', 'atomiccache_forget_database'
LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION atomiccache._forget_database() FROM PUBLIC;

COMMENT ON SCHEMA atomiccache IS
    'atomiccache: cross-session result caches in shared memory';
COMMENT ON FUNCTION atomiccache.create_cache(text, regprocedure, interval, boolean) IS
    'Create a cache filled by a function, and its accessor function';
COMMENT ON FUNCTION atomiccache.create_cache(text, text, interval, boolean) IS
    'Create a cache filled by a function named as DROP FUNCTION names it, and its accessor function';
COMMENT ON FUNCTION atomiccache.drop_cache(text) IS
    'Drop a cache, its accessor and its entries';
COMMENT ON FUNCTION atomiccache.memoize(regprocedure, interval, boolean) IS
    'Make a function go through a cache of its own (same name and OID); returns its original body';
COMMENT ON FUNCTION atomiccache.memoize(text, interval, boolean) IS
    'Make a function named as DROP FUNCTION names it go through a cache of its own; returns its original body';
COMMENT ON FUNCTION atomiccache.unmemoize(regprocedure) IS
    'Give a memoized function its original body back and drop its cache';
COMMENT ON FUNCTION atomiccache.unmemoize(text) IS
    'Give a memoized function (named as DROP FUNCTION names it) its original body back';
COMMENT ON FUNCTION atomiccache.contains(text, VARIADIC "any") IS
    'Is there a ready, unexpired entry for this key?  Never fills, never waits';
COMMENT ON FUNCTION atomiccache.contains(text) IS
    'Is there a ready, unexpired entry for the key of a cache without arguments?';
COMMENT ON FUNCTION atomiccache.invalidate(text, VARIADIC "any") IS
    'Remove the entry of this key (after a fill in progress); true if one was removed';
COMMENT ON FUNCTION atomiccache.invalidate(text) IS
    'Remove the entry of a cache without arguments';
COMMENT ON FUNCTION atomiccache.invalidate_all(text) IS
    'Make every entry of a cache absent at once';
COMMENT ON FUNCTION atomiccache.set(text, VARIADIC "any") IS
    'Always refused: values come from the fill function';
COMMENT ON FUNCTION atomiccache.set(text) IS
    'Always refused: values come from the fill function';
COMMENT ON FUNCTION atomiccache.reset_stats(text) IS
    'Zero the counters of a cache, or of every cache the caller owns';
COMMENT ON FUNCTION atomiccache._stats() IS
    'The figures of the caches of this database (behind the view caches)';
COMMENT ON VIEW atomiccache.caches IS
    'One row per cache of this database: definition, entries, bytes and counters';
COMMENT ON FUNCTION atomiccache.memory() IS
    'The shared memory of all caches of the server';
COMMENT ON FUNCTION atomiccache.entries(text) IS
    'The entries of a cache (its owner, superusers and pg_read_all_stats only)';
COMMENT ON FUNCTION atomiccache._on_sql_drop() IS
    'Internal: the sql_drop event trigger that forgets dropped caches';
COMMENT ON FUNCTION atomiccache._forget_database() IS
    'Internal: called by the install script; entries of an earlier installation become garbage';
COMMENT ON FUNCTION atomiccache._on_ddl_start() IS
    'Internal: the ddl_command_start event trigger that remembers caches before a DROP and locks them before a GRANT';
COMMENT ON FUNCTION atomiccache._on_ddl_end() IS
    'Internal: the ddl_command_end event trigger that keeps caches consistent with the catalog';

-- Accessors apply their fill's strictness, as the fill is at each call:
-- none of them is STRICT itself any more.
UPDATE pg_catalog.pg_proc p SET proisstrict = false
 WHERE p.proisstrict
   AND p.oid OPERATOR(pg_catalog.=) ANY (ARRAY(
       SELECT r.accessor::pg_catalog.oid FROM atomiccache.registry r));

-- The registry moves from a table to the catalog: one definition
-- function per cache (see src/registry.c), made from each row by
-- _migrate_registry, which also gives the accessors the dependencies of
-- 0.2.0.  The caches come back empty.
CREATE TYPE atomiccache.cache AS ();
COMMENT ON TYPE atomiccache.cache IS
    'The argument type of the definition functions of caches (one per cache, in this schema)';

CREATE FUNCTION atomiccache._caches(
    OUT name text, OUT accessor regprocedure, OUT fill regprocedure,
    OUT ttl interval, OUT uid bigint, OUT memoized boolean,
    OUT per_role boolean)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'atomiccache_caches'
LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION atomiccache._caches() IS
    'The definitions of the caches of this database (behind the view caches)';

CREATE FUNCTION atomiccache._migrate_registry()
RETURNS void
AS 'MODULE_PATHNAME', 'atomiccache_migrate_registry'
LANGUAGE C;
SELECT atomiccache._migrate_registry();
DROP FUNCTION atomiccache._migrate_registry();

-- per_role is the last column: the view is replaced, not made again, so
-- that its privileges and the views over it stay
CREATE OR REPLACE VIEW atomiccache.caches AS
SELECT r.name, r.accessor, r.fill, r.ttl,
       coalesce(s.entries, 0) AS entries,
       coalesce(s.bytes, 0) AS bytes,
       coalesce(s.hits, 0) AS hits,
       coalesce(s.misses, 0) AS misses,
       coalesce(s.fills, 0) AS fills,
       coalesce(s.fill_errors, 0) AS fill_errors,
       coalesce(s.waits, 0) AS waits,
       coalesce(s.evictions, 0) AS evictions,
       coalesce(s.expirations, 0) AS expirations,
       coalesce(s.invalidations, 0) AS invalidations,
       coalesce(s.uncached, 0) AS uncached,
       coalesce(s.fill_time_total, 0) AS fill_time_total_ms,
       coalesce(s.fill_time_max, 0) AS fill_time_max_ms,
       r.per_role
  FROM atomiccache._caches() r
  LEFT JOIN atomiccache._stats() s ON s.uid = r.uid;

ALTER EXTENSION atomiccache DROP TABLE atomiccache.registry;
DROP TABLE atomiccache.registry;
DROP FUNCTION atomiccache._forget(bigint);
