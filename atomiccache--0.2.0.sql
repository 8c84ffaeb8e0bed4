/* atomiccache--0.2.0.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION atomiccache" to load this file. \quit

-- Everybody may call the functions of the extension.  Nobody but its
-- owner may create objects in its schema: what is there was made by the
-- extension (see src/registry.c).
GRANT USAGE ON SCHEMA atomiccache TO PUBLIC;

-- The registry: each cache is a function of schema atomiccache, named as
-- the cache, taking one argument of this type (which no other function
-- takes), whose SQL-standard body names the accessor and the fill
-- function (so that both depend on it, and pg_dump restores it):
--   atomiccache.squares(atomiccache.cache, OUT accessor regprocedure,
--       OUT fill regprocedure, OUT ttl interval, OUT memoized boolean
--       [, OUT per_role boolean])
-- Only create_cache and memoize make them; drop_cache and unmemoize drop
-- them.
CREATE TYPE atomiccache.cache AS ();

CREATE FUNCTION atomiccache.create_cache(name text, fill regprocedure,
                                         ttl interval DEFAULT NULL,
                                         per_role boolean DEFAULT false)
RETURNS regprocedure
AS 'MODULE_PATHNAME', 'atomiccache_create_cache'
LANGUAGE C VOLATILE;

CREATE FUNCTION atomiccache.drop_cache(name text)
RETURNS void
AS 'MODULE_PATHNAME', 'atomiccache_drop_cache'
LANGUAGE C VOLATILE;

CREATE FUNCTION atomiccache.memoize(fn regprocedure, ttl interval DEFAULT NULL,
                                    per_role boolean DEFAULT false)
RETURNS regprocedure
AS 'MODULE_PATHNAME', 'atomiccache_memoize'
LANGUAGE C VOLATILE;

CREATE FUNCTION atomiccache.unmemoize(fn regprocedure)
RETURNS void
AS 'MODULE_PATHNAME', 'atomiccache_unmemoize'
LANGUAGE C VOLATILE;

CREATE FUNCTION atomiccache.contains(cache text, VARIADIC key "any")
RETURNS boolean
AS 'MODULE_PATHNAME', 'atomiccache_contains'
LANGUAGE C VOLATILE;

CREATE FUNCTION atomiccache.contains(cache text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'atomiccache_contains'
LANGUAGE C VOLATILE;

CREATE FUNCTION atomiccache.invalidate(cache text, VARIADIC key "any")
RETURNS boolean
AS 'MODULE_PATHNAME', 'atomiccache_invalidate'
LANGUAGE C VOLATILE;

CREATE FUNCTION atomiccache.invalidate(cache text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'atomiccache_invalidate'
LANGUAGE C VOLATILE;

CREATE FUNCTION atomiccache.invalidate_all(cache text)
RETURNS void
AS 'MODULE_PATHNAME', 'atomiccache_invalidate_all'
LANGUAGE C VOLATILE;

CREATE FUNCTION atomiccache.set(cache text, VARIADIC args "any")
RETURNS void
AS 'MODULE_PATHNAME', 'atomiccache_set'
LANGUAGE C VOLATILE;

CREATE FUNCTION atomiccache.set(cache text)
RETURNS void
AS 'MODULE_PATHNAME', 'atomiccache_set'
LANGUAGE C VOLATILE;

CREATE FUNCTION atomiccache.reset_stats(cache text DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'atomiccache_reset_stats'
LANGUAGE C VOLATILE;

-- Per-cache figures of this database, summed from shared memory.
CREATE FUNCTION atomiccache._stats(
    OUT uid bigint, OUT entries bigint, OUT bytes bigint,
    OUT hits bigint, OUT misses bigint, OUT fills bigint,
    OUT fill_errors bigint, OUT waits bigint, OUT evictions bigint,
    OUT expirations bigint, OUT invalidations bigint,
    OUT fill_time_total double precision, OUT fill_time_max double precision,
    OUT uncached bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'atomiccache_stats'
LANGUAGE C VOLATILE STRICT;

-- The definitions of the caches of this database, read from the catalog.
CREATE FUNCTION atomiccache._caches(
    OUT name text, OUT accessor regprocedure, OUT fill regprocedure,
    OUT ttl interval, OUT uid bigint, OUT memoized boolean,
    OUT per_role boolean)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'atomiccache_caches'
LANGUAGE C STABLE STRICT;

CREATE VIEW atomiccache.caches AS
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
GRANT SELECT ON atomiccache.caches TO PUBLIC;

-- The shared memory of all caches of the server together.
CREATE FUNCTION atomiccache.memory(
    OUT limit_bytes bigint, OUT used_bytes bigint, OUT peak_bytes bigint,
    OUT entries bigint, OUT buckets bigint, OUT fixed_bytes bigint)
RETURNS record
AS 'MODULE_PATHNAME', 'atomiccache_memory'
LANGUAGE C VOLATILE;

-- The entries of one cache, for inspection (owner, superuser,
-- pg_read_all_stats).
CREATE FUNCTION atomiccache.entries(cache text)
RETURNS TABLE (key text, state text, bytes bigint,
               filled_at timestamptz, expires_at timestamptz, role regrole)
AS 'MODULE_PATHNAME', 'atomiccache_entries'
LANGUAGE C VOLATILE;

-- A dropped definition (DROP FUNCTION ... CASCADE of a fill or an
-- accessor, DROP SCHEMA, DROP OWNED) drops its cache at commit; see
-- ac_events_sql_drop in src/events.c.
CREATE FUNCTION atomiccache._on_sql_drop()
RETURNS event_trigger
AS 'MODULE_PATHNAME', 'atomiccache_on_sql_drop'
LANGUAGE C;

CREATE EVENT TRIGGER atomiccache_sql_drop ON sql_drop
    EXECUTE FUNCTION atomiccache._on_sql_drop();

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
COMMENT ON TYPE atomiccache.cache IS
    'The argument type of the definition functions of caches (one per cache, in this schema)';
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
COMMENT ON FUNCTION atomiccache._caches() IS
    'The definitions of the caches of this database (behind the view caches)';
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

-- a fresh installation: forget what an earlier one left in shared memory
SELECT atomiccache._forget_database();
