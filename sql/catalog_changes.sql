--
-- catalog_changes: what ALTER FUNCTION, roles, collations and unusual
-- functions do to caches: never a crash, never a silent wrong value.
--
CREATE SCHEMA cc;

-- 1. The fill's strictness, as it is at each call, whatever was done to
-- the accessor.  A strict C fill must never see a NULL (length(NULL) here
-- would crash the server).
SELECT atomiccache.create_cache('cc.tlen', 'pg_catalog.length(text)');
SELECT proisstrict AS accessor_strict FROM pg_proc WHERE oid = 'cc.tlen(text)'::regprocedure;
ALTER FUNCTION cc.tlen(text) CALLED ON NULL INPUT;
SELECT cc.tlen(NULL) IS NULL AS null_gives_null, cc.tlen('abc');
SELECT atomiccache.contains('cc.tlen', NULL::text) AS null_never_cached;
-- an accessor cannot be made STRICT: it follows its fill
ALTER FUNCTION cc.tlen(text) STRICT;
-- the other direction: the fill changes, the accessor follows at once
CREATE FUNCTION cc.nullable(k integer) RETURNS text
LANGUAGE sql AS $$ SELECT coalesce(k::text, 'null key') $$;
SELECT atomiccache.create_cache('cc.nul', 'cc.nullable(integer)');
SELECT cc.nul(NULL);
ALTER FUNCTION cc.nullable(integer) STRICT;
SELECT cc.nul(NULL) IS NULL AS strict_now;
ALTER FUNCTION cc.nullable(integer) CALLED ON NULL INPUT;
SELECT cc.nul(NULL);
-- memoize: the function is the accessor (never STRICT), its original
-- body keeps the strictness; unmemoize gives it back
CREATE FUNCTION cc.sq(k integer) RETURNS integer
LANGUAGE sql STRICT AS $$ SELECT k * k $$;
SELECT atomiccache.memoize('cc.sq');
SELECT cc.sq(NULL) IS NULL AS null_gives_null, cc.sq(3);
SELECT p.proname, p.proisstrict FROM pg_proc p
 WHERE p.pronamespace = 'cc'::regnamespace AND p.proname LIKE 'sq%' ORDER BY 1;
ALTER FUNCTION cc.sq(integer) STRICT;
SELECT atomiccache.unmemoize('cc.sq');
SELECT proisstrict FROM pg_proc WHERE oid = 'cc.sq(integer)'::regprocedure;

-- 5. A privilege error says something about the caller, not the key: it
-- is never cached for the others.
CREATE ROLE regress_ac_cc;
GRANT USAGE ON SCHEMA cc TO regress_ac_cc;
CREATE TABLE cc.secret_t (k integer, v text);
INSERT INTO cc.secret_t VALUES (1, 'classified');
CREATE FUNCTION cc.read_secret(k integer) RETURNS text
LANGUAGE sql AS $$ SELECT v FROM cc.secret_t WHERE secret_t.k = read_secret.k $$;
SELECT atomiccache.create_cache('cc.sec', 'cc.read_secret(integer)');
SET ROLE regress_ac_cc;
\set VERBOSITY sqlstate
SELECT cc.sec(1);
\set VERBOSITY default
RESET ROLE;
SELECT atomiccache.contains('cc.sec', 1) AS error_cached, cc.sec(1);
SELECT fills, fill_errors FROM atomiccache.caches WHERE name = 'cc.sec';

-- 9. TTLs: work as written up to 100 years, else 22023; never wrap around
\set VERBOSITY sqlstate
SELECT atomiccache.create_cache('cc.t1', 'cc.nullable(integer)', ttl => '1000 years');
SELECT atomiccache.create_cache('cc.t1', 'cc.nullable(integer)', ttl => '213504 days');
SELECT atomiccache.create_cache('cc.t1', 'cc.nullable(integer)', ttl => '18446744073709552 microseconds');
SELECT atomiccache.create_cache('cc.t1', 'cc.nullable(integer)', ttl => '178000000 years');
SELECT atomiccache.create_cache('cc.t1', 'cc.nullable(integer)', ttl => '1 month -40 days');
SELECT atomiccache.memoize('cc.nullable', ttl => '101 years');
SELECT atomiccache.memoize('cc.nullable', ttl => '1200 months 1 day');
\set VERBOSITY default
SELECT atomiccache.create_cache('cc.t1', 'cc.nullable(integer)', ttl => '1000 years');
SELECT atomiccache.create_cache('cc.t1', 'cc.nullable(integer)', ttl => '100 years');
SELECT cc.t1(7), atomiccache.contains('cc.t1', 7) AS cached;
SELECT key, state, expires_at > now() + interval '99 years' AS far,
       expires_at < now() + interval '101 years' AS not_too_far
  FROM atomiccache.entries('cc.t1');

-- 4. The collation of the call is part of the key: the fill may answer
-- differently under two collations.
CREATE FUNCTION cc.low(t text) RETURNS text LANGUAGE sql AS $$ SELECT lower(t) $$;
SELECT atomiccache.create_cache('cc.lowc', 'cc.low(text)');
SELECT cc.lowc('I' COLLATE "tr-x-icu") AS turkish, cc.lowc('I' COLLATE "C") AS c;
SELECT cc.lowc('I' COLLATE "tr-x-icu") AS turkish_hit, cc.lowc('I' COLLATE "C") AS c_hit;
CREATE COLLATION cc.ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE FUNCTION cc.is_a(t text) RETURNS boolean LANGUAGE sql AS $$ SELECT t = 'a' $$;
SELECT atomiccache.create_cache('cc.isa', 'cc.is_a(text)');
SELECT cc.isa('A' COLLATE cc.ci) AS ci, cc.isa('A' COLLATE "C") AS c;
SELECT atomiccache.contains('cc.isa', 'A' COLLATE cc.ci) AS ci_cached,
       atomiccache.contains('cc.isa', 'A' COLLATE "POSIX") AS posix_cached;
SELECT fills, hits FROM atomiccache.caches WHERE name = 'cc.lowc';
-- keys of types without collation do not depend on it
SELECT atomiccache.contains('cc.nul', NULL::integer) AS int_key_found;

-- 7. Unusual functions: work, or a clean error
CREATE FUNCTION cc.outp(k integer, OUT r integer) LANGUAGE sql AS $$ SELECT k + 1 $$;
SELECT atomiccache.create_cache('cc.o', 'cc.outp');
SELECT cc.o(5), cc.o(k => 5);
CREATE FUNCTION cc.inout(INOUT k integer) LANGUAGE sql AS $$ SELECT k + 1 $$;
CREATE FUNCTION cc.var(VARIADIC a integer[]) RETURNS integer
LANGUAGE sql AS $$ SELECT array_length(a, 1) $$;
\set VERBOSITY sqlstate
SELECT atomiccache.memoize('cc.outp');
SELECT atomiccache.memoize('cc.inout');
SELECT atomiccache.memoize('cc.var');
SELECT atomiccache.create_cache('cc.v', 'cc.var');
\set VERBOSITY default
SELECT atomiccache.memoize('cc.outp');
SELECT atomiccache.create_cache('cc.v', 'cc.var');
-- defaults are kept, by create_cache and by memoize
CREATE FUNCTION cc.def(k integer, m integer DEFAULT 10) RETURNS integer
LANGUAGE sql AS $$ SELECT k * m $$;
SELECT atomiccache.create_cache('cc.d', 'cc.def');
SELECT cc.d(2), cc.d(2, 3);
SELECT atomiccache.memoize('cc.def');
SELECT cc.def(2), cc.def(2, 3);
-- overloads can both be memoized: the second gets its signature as name
CREATE FUNCTION cc.ov(k integer) RETURNS text LANGUAGE sql AS $$ SELECT 'int ' || k $$;
CREATE FUNCTION cc.ov(k text) RETURNS text LANGUAGE sql AS $$ SELECT 'text ' || k $$;
SELECT atomiccache.memoize('cc.ov(integer)'), atomiccache.memoize('cc.ov(text)');
SELECT cc.ov(1), cc.ov('x'), cc.ov(1), cc.ov('x');
SELECT name, accessor, fill, hits FROM atomiccache.caches
 WHERE accessor::text LIKE 'cc.ov%' ORDER BY 1;
SELECT atomiccache.unmemoize('cc.ov(integer)'), atomiccache.unmemoize('cc.ov(text)');
-- names that need quoting
CREATE SCHEMA "Odd Schema";
CREATE FUNCTION "Odd Schema"."Fill Me"(k integer) RETURNS integer
LANGUAGE sql AS $$ SELECT k $$;
SELECT atomiccache.create_cache('"Odd Schema"."Cache Me"', '"Odd Schema"."Fill Me"');
SELECT "Odd Schema"."Cache Me"(4);
SELECT atomiccache.memoize('"Odd Schema"."Fill Me"(integer)');
SELECT "Odd Schema"."Fill Me"(4);

-- 11. An IMMUTABLE function an index, a constraint or a generated column
-- relies on cannot be memoized (it would become STABLE)
CREATE FUNCTION cc.imm(k integer) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$ SELECT k + 1 $$;
CREATE TABLE cc.ti (k integer);
CREATE INDEX ti_imm ON cc.ti (cc.imm(k));
CREATE FUNCTION cc.imm2(k integer) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$ SELECT k + 2 $$;
CREATE TABLE cc.tg (k integer, g integer GENERATED ALWAYS AS (cc.imm2(k)) STORED);
CREATE FUNCTION cc.imm3(k integer) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$ SELECT k + 3 $$;
CREATE TABLE cc.tc (k integer CHECK (cc.imm3(k) > 0));
\set VERBOSITY sqlstate
SELECT atomiccache.memoize('cc.imm');
SELECT atomiccache.memoize('cc.imm2');
SELECT atomiccache.memoize('cc.imm3');
\set VERBOSITY default
SELECT atomiccache.memoize('cc.imm');
SELECT atomiccache.memoize('cc.imm2');
-- the index can still be rebuilt
REINDEX INDEX cc.ti_imm;
-- an IMMUTABLE function nothing relies on can be (it becomes STABLE)
CREATE FUNCTION cc.imm4(k integer) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$ SELECT k + 4 $$;
SELECT atomiccache.memoize('cc.imm4');
SELECT provolatile FROM pg_proc WHERE oid = 'cc.imm4(integer)'::regprocedure;

-- 3. A fill replaced by CREATE OR REPLACE, or altered, invalidates its
-- caches (at commit; test/t/160_fill_replaced.pl shows other sessions)
CREATE FUNCTION cc.price(k integer) RETURNS text LANGUAGE sql AS $$ SELECT 'old ' || k $$;
SELECT atomiccache.create_cache('cc.pr', 'cc.price(integer)');
SELECT cc.pr(1), cc.pr(2);
CREATE OR REPLACE FUNCTION cc.price(k integer) RETURNS text LANGUAGE sql AS $$ SELECT 'new ' || k $$;
SELECT cc.pr(1), cc.pr(2), atomiccache.contains('cc.pr', 3) AS three;
ALTER FUNCTION cc.price(integer) VOLATILE;
SELECT atomiccache.contains('cc.pr', 1) AS after_alter;
-- any change of the fill's catalog row starts a new key space (the key
-- has the row's version), a GRANT on it too: a refill, nothing worse
SELECT cc.pr(1);
GRANT EXECUTE ON FUNCTION cc.price(integer) TO PUBLIC;
SELECT atomiccache.contains('cc.pr', 1) AS after_grant;
-- a GRANT on the accessor does not change the fill
SELECT cc.pr(1);
GRANT EXECUTE ON FUNCTION cc.pr(integer) TO PUBLIC;
SELECT atomiccache.contains('cc.pr', 1) AS after_grant_on_accessor;
-- the transaction that changes the fill sees its new definition, but
-- publishes nothing of it; rolled back, the change still invalidates
-- (whatever that transaction may have filled goes)
SELECT cc.pr(5);
BEGIN;
CREATE OR REPLACE FUNCTION cc.price(k integer) RETURNS text LANGUAGE sql AS $$ SELECT 'newer ' || k $$;
SELECT cc.pr(5), cc.pr(6);
SELECT atomiccache.contains('cc.pr', 5) AS published_5,
       atomiccache.contains('cc.pr', 6) AS published_6;
ROLLBACK;
SELECT atomiccache.contains('cc.pr', 5) AS after_rollback, cc.pr(5), cc.pr(6);
-- the same with a savepoint rolled back
BEGIN;
SAVEPOINT s1;
CREATE OR REPLACE FUNCTION cc.price(k integer) RETURNS text LANGUAGE sql AS $$ SELECT 'newest ' || k $$;
SELECT cc.pr(5);
ROLLBACK TO s1;
SELECT cc.pr(5);
COMMIT;

-- 6. CREATE OR REPLACE of a memoized function ends its memoization
-- cleanly: the new body stands, the original body and the cache go
CREATE FUNCTION cc.mg(k integer) RETURNS integer LANGUAGE sql AS $$ SELECT k + 1 $$;
SELECT atomiccache.memoize('cc.mg');
SELECT cc.mg(1);
CREATE OR REPLACE FUNCTION cc.mg(k integer) RETURNS integer LANGUAGE sql AS $$ SELECT k + 100 $$;
SELECT cc.mg(1);
SELECT count(*) AS cache_left FROM atomiccache.caches WHERE name = 'mg';
SELECT to_regprocedure('cc.mg_uncached(integer)') AS body_left;
\set VERBOSITY sqlstate
SELECT atomiccache.unmemoize('cc.mg');
\set VERBOSITY default
-- the same for the accessor of a cache
SELECT atomiccache.create_cache('cc.acc2', 'cc.price(integer)');
CREATE OR REPLACE FUNCTION cc.acc2(k integer) RETURNS text LANGUAGE sql AS $$ SELECT 'mine' $$;
SELECT cc.acc2(1), (SELECT count(*) FROM atomiccache.caches WHERE name = 'cc.acc2') AS cache_left;
-- the original body cannot be dropped without the function (fn depends
-- on it); a DROP ... CASCADE that reaches it drops both
CREATE TABLE cc.stock (k integer);
INSERT INTO cc.stock VALUES (1), (1), (2);
CREATE FUNCTION cc.instock(k integer) RETURNS bigint
BEGIN ATOMIC SELECT count(*) FROM cc.stock s WHERE s.k = instock.k; END;
SELECT atomiccache.memoize('cc.instock');
SELECT cc.instock(1);
DROP FUNCTION cc.instock_uncached(integer);
DROP TABLE cc.stock;
DROP TABLE cc.stock CASCADE;
SELECT to_regprocedure('cc.instock(integer)') AS fn,
       to_regprocedure('cc.instock_uncached(integer)') AS body,
       (SELECT count(*) FROM atomiccache.caches WHERE name = 'instock') AS cache;

-- 8. The owner of a cache is its accessor's owner
CREATE ROLE regress_ac_bob;
CREATE FUNCTION cc.own_fill(k integer) RETURNS integer LANGUAGE sql AS $$ SELECT k $$;
GRANT EXECUTE ON FUNCTION cc.own_fill(integer) TO regress_ac_bob;
SELECT atomiccache.create_cache('cc.own', 'cc.own_fill(integer)');
SELECT cc.own(1);
ALTER FUNCTION cc.own(integer) OWNER TO regress_ac_bob;
SET ROLE regress_ac_bob;
SELECT atomiccache.invalidate('cc.own', 1) AS bob_may;
RESET ROLE;
CREATE ROLE regress_ac_alice;
GRANT regress_ac_bob TO regress_ac_alice;
ALTER FUNCTION cc.own(integer) OWNER TO regress_ac_alice;
SET ROLE regress_ac_bob;
SELECT atomiccache.invalidate('cc.own', 1) AS bob_may_not;
RESET ROLE;
-- REASSIGN OWNED (no event trigger sees it) moves the cache too
REASSIGN OWNED BY regress_ac_alice TO regress_ac_cc;
SELECT cc.own(1);
SET ROLE regress_ac_alice;
SELECT atomiccache.drop_cache('cc.own');
RESET ROLE;
SET ROLE regress_ac_cc;
SELECT atomiccache.invalidate('cc.own', 1) AS new_owner_may;
RESET ROLE;
-- the definition went to the new owner with the accessor
SELECT p.proowner::regrole FROM pg_proc p
 WHERE p.oid = 'atomiccache."cc.own"(atomiccache.cache)'::regprocedure;
SELECT atomiccache.drop_cache('cc.own');
DROP ROLE regress_ac_alice;

-- accessors are never IMMUTABLE nor PARALLEL SAFE
SELECT atomiccache.create_cache('cc.vol', 'cc.own_fill(integer)');
ALTER FUNCTION cc.vol(integer) IMMUTABLE;
ALTER FUNCTION cc.vol(integer) PARALLEL SAFE;
SELECT provolatile, proparallel FROM pg_proc WHERE oid = 'cc.vol(integer)'::regprocedure;

-- temporary functions cannot make a cache (they go with the session)
CREATE FUNCTION pg_temp.tfill(k integer) RETURNS integer LANGUAGE sql AS $$ SELECT k $$;
\set VERBOSITY sqlstate
SELECT atomiccache.create_cache('cc.tmp', 'pg_temp.tfill(integer)');
SELECT atomiccache.create_cache('pg_temp.tmp', 'cc.own_fill(integer)');
SELECT atomiccache.memoize('pg_temp.tfill(integer)');
\set VERBOSITY default
SELECT atomiccache.create_cache('cc.tmp', 'pg_temp.tfill(integer)');

-- errors of the caller's session (class 42: a table its search_path does
-- not show) are not cached for the others
CREATE TABLE cc.stock2 (k integer, n integer);
INSERT INTO cc.stock2 VALUES (1, 100);
CREATE FUNCTION cc.qty(k integer) RETURNS integer LANGUAGE plpgsql AS $$
BEGIN RETURN (SELECT n FROM stock2 WHERE stock2.k = qty.k); END $$;
SELECT atomiccache.create_cache('cc.q', 'cc.qty(integer)');
\set VERBOSITY sqlstate
SELECT cc.q(1);
\set VERBOSITY default
SET search_path = cc, public;
SELECT cc.q(1);
RESET search_path;
SELECT fill_errors FROM atomiccache.caches WHERE name = 'cc.q';

-- 2. A type a cache uses changes: no value of the old layout is ever
-- served again (ALTER TYPE, ALTER TABLE of a row type, ALTER DOMAIN)
CREATE TYPE cc.pair AS (a integer, b integer);
CREATE FUNCTION cc.mkpair(k integer) RETURNS cc.pair LANGUAGE sql AS $$ SELECT ROW(k, k * 10)::cc.pair $$;
SELECT atomiccache.create_cache('cc.pairs', 'cc.mkpair(integer)');
SELECT cc.pairs(1);
ALTER TYPE cc.pair ALTER ATTRIBUTE b TYPE bigint;
SELECT atomiccache.contains('cc.pairs', 1) AS old_layout_cached;
SELECT cc.pairs(1), pg_typeof((cc.pairs(1)).b);
CREATE TABLE cc.keep (p cc.pair);
INSERT INTO cc.keep SELECT cc.pairs(2);
SELECT * FROM cc.keep;
-- the row type of a table
CREATE TABLE cc.item (id integer, name text);
INSERT INTO cc.item VALUES (1, 'one');
CREATE FUNCTION cc.get_item(k integer) RETURNS cc.item LANGUAGE sql AS $$ SELECT * FROM cc.item WHERE id = k $$;
SELECT atomiccache.create_cache('cc.items', 'cc.get_item(integer)');
SELECT cc.items(1);
ALTER TABLE cc.item ALTER COLUMN id TYPE bigint;
SELECT atomiccache.contains('cc.items', 1) AS old_layout_cached;
SELECT cc.items(1);
-- a domain gets a constraint the cached value violates
CREATE DOMAIN cc.small AS integer;
CREATE FUNCTION cc.mksmall(k integer) RETURNS cc.small LANGUAGE sql AS $$ SELECT k * 100 $$;
SELECT atomiccache.create_cache('cc.smalls', 'cc.mksmall(integer)');
SELECT cc.smalls(5);
ALTER DOMAIN cc.small ADD CONSTRAINT under_100 CHECK (VALUE < 100);
SELECT atomiccache.contains('cc.smalls', 5) AS violating_cached;
\set VERBOSITY sqlstate
SELECT cc.smalls(5);
\set VERBOSITY default
-- a domain over that domain: the constraint added below it counts too
CREATE DOMAIN cc.small2 AS integer;
CREATE DOMAIN cc.smaller AS cc.small2;
CREATE FUNCTION cc.mksmaller(k integer) RETURNS cc.smaller LANGUAGE sql AS $$ SELECT k * 100 $$;
SELECT atomiccache.create_cache('cc.smallers', 'cc.mksmaller(integer)');
SELECT cc.smallers(5);
ALTER DOMAIN cc.small2 ADD CONSTRAINT under_100 CHECK (VALUE < 100);
SELECT atomiccache.contains('cc.smallers', 5) AS violating_cached;
\set VERBOSITY sqlstate
SELECT cc.smallers(5);
\set VERBOSITY default
-- row types nested deeper than the layout check sees (8 levels): the
-- values are computed at each call, never stored (README, Semantics)
-- (an array of a base type down there is no level: still stored)
DO $$
BEGIN
	CREATE TYPE cc.deep0 AS (x integer);
	CREATE TYPE cc.deepa0 AS (x integer[]);
	FOR d IN 1 .. 9 LOOP
		EXECUTE format('CREATE TYPE cc.deep%s AS (inner_row cc.deep%s)', d, d - 1);
		EXECUTE format('CREATE TYPE cc.deepa%s AS (inner_row cc.deepa%s)', d, d - 1);
	END LOOP;
END $$;
CREATE FUNCTION cc.mkdeep(k integer) RETURNS cc.deep9 LANGUAGE sql
	AS $$ SELECT NULL::cc.deep9 $$;
CREATE FUNCTION cc.mkdeep7(k integer) RETURNS cc.deep7 LANGUAGE sql
	AS $$ SELECT NULL::cc.deep7 $$;
CREATE FUNCTION cc.mkdeeparr(k integer) RETURNS cc.deepa8 LANGUAGE sql
	AS $$ SELECT NULL::cc.deepa8 $$;
SELECT atomiccache.create_cache('cc.deeps', 'cc.mkdeep(integer)');
SELECT atomiccache.create_cache('cc.deeps7', 'cc.mkdeep7(integer)');
SELECT atomiccache.create_cache('cc.deepsarr', 'cc.mkdeeparr(integer)');
SELECT cc.deeps(1) IS NULL, cc.deeps(1) IS NULL, cc.deeps7(1) IS NULL, cc.deeps7(1) IS NULL,
       cc.deepsarr(1) IS NULL, cc.deepsarr(1) IS NULL;
SELECT name, hits, misses, fills, uncached, entries FROM atomiccache.caches
 WHERE name IN ('cc.deeps', 'cc.deeps7', 'cc.deepsarr') ORDER BY name;
SELECT atomiccache.drop_cache(c)
  FROM unnest(ARRAY['cc.deeps', 'cc.deeps7', 'cc.deepsarr', 'cc.smallers']) c;
DROP FUNCTION cc.mkdeep(integer), cc.mkdeep7(integer), cc.mkdeeparr(integer),
	cc.mksmaller(integer);
DROP TYPE cc.deep9, cc.deep8, cc.deep7, cc.deep6, cc.deep5, cc.deep4, cc.deep3,
	cc.deep2, cc.deep1, cc.deep0;
DROP TYPE cc.deepa9, cc.deepa8, cc.deepa7, cc.deepa6, cc.deepa5, cc.deepa4,
	cc.deepa3, cc.deepa2, cc.deepa1, cc.deepa0;
DROP DOMAIN cc.smaller, cc.small2;
-- an array of the composite type, and a key of it
CREATE FUNCTION cc.pairsum(p cc.pair[]) RETURNS bigint LANGUAGE sql AS $$ SELECT sum(x.a + x.b) FROM unnest(p) x $$;
SELECT atomiccache.create_cache('cc.sums', 'cc.pairsum(cc.pair[])');
SELECT cc.sums(ARRAY[ROW(1, 2)::cc.pair]);
ALTER TYPE cc.pair ADD ATTRIBUTE c integer;
SELECT atomiccache.contains('cc.sums', ARRAY[ROW(1, 2, NULL)::cc.pair]) AS cached;
SELECT cc.sums(ARRAY[ROW(1, 2, 3)::cc.pair]);
-- a foreign table's row type
CREATE FOREIGN DATA WRAPPER regress_ac_fdw;
CREATE SERVER regress_ac_srv FOREIGN DATA WRAPPER regress_ac_fdw;
CREATE FOREIGN TABLE cc.ft (a integer, b text) SERVER regress_ac_srv;
CREATE FUNCTION cc.mkft(n integer) RETURNS cc.ft LANGUAGE sql AS $$ SELECT n, 'v' || n $$;
SELECT atomiccache.create_cache('cc.fts', 'cc.mkft(integer)');
SELECT cc.fts(1);
ALTER FOREIGN TABLE cc.ft ALTER COLUMN a TYPE text;
SELECT atomiccache.contains('cc.fts', 1) AS old_layout_cached;
SELECT cc.fts(1);
-- a change the event trigger does not see for the cache (an ALTER TABLE
-- that recurses to a child table, an ALTER TYPE ... CASCADE of a typed
-- table): the key carries the layout of the types, so the value of the
-- old layout is never read (on 18 it was read wrong, or crashed)
CREATE TABLE cc.lp (a integer, b text);
CREATE TABLE cc.lc () INHERITS (cc.lp);
CREATE FUNCTION cc.mklc(n integer) RETURNS cc.lc LANGUAGE plpgsql STABLE AS
$$ DECLARE r cc.lc; BEGIN r.a := n; r.b := n; RETURN r; END $$;
SELECT atomiccache.create_cache('cc.clc', 'cc.mklc(integer)');
SELECT cc.clc(1), cc.clc(7);
ALTER TABLE cc.lp ALTER COLUMN a TYPE text;
SELECT atomiccache.contains('cc.clc', 1) AS old_layout_cached;
SELECT cc.clc(1), cc.clc(7);
SELECT atomiccache.contains('cc.clc', 1) AS new_layout_cached;
CREATE TYPE cc.tct AS (a integer, b text);
CREATE TABLE cc.tt OF cc.tct;
CREATE FUNCTION cc.mktt(n integer) RETURNS cc.tt LANGUAGE plpgsql STABLE AS
$$ DECLARE r cc.tt; BEGIN r.a := n; r.b := n; RETURN r; END $$;
SELECT atomiccache.create_cache('cc.ctt', 'cc.mktt(integer)');
SELECT cc.ctt(7);
ALTER TYPE cc.tct ALTER ATTRIBUTE a TYPE text CASCADE;
SELECT atomiccache.contains('cc.ctt', 7) AS old_layout_cached;
SELECT cc.ctt(7);
SELECT atomiccache.drop_cache('cc.clc'), atomiccache.drop_cache('cc.ctt');
DROP FUNCTION cc.mklc(integer), cc.mktt(integer);
DROP TABLE cc.lc, cc.lp, cc.tt;
DROP TYPE cc.tct;
-- a change of another type leaves them alone
SELECT cc.items(1) IS NOT NULL AS filled;
CREATE TYPE cc.other AS (x integer);
ALTER TYPE cc.other ADD ATTRIBUTE y integer;
SELECT atomiccache.contains('cc.items', 1) AS still_cached;

-- 10. An accessor cannot be dropped alone: its cache's definition
-- depends on it.  A definition dropped while event triggers do not fire
-- leaves an accessor that says its cache is gone; once that is dropped
-- too, the name can be used again
SELECT atomiccache.create_cache('cc.gone', 'cc.own_fill(integer)');
DROP FUNCTION cc.gone(integer);
ALTER EVENT TRIGGER atomiccache_sql_drop DISABLE;
DROP FUNCTION atomiccache."cc.gone"(atomiccache.cache);
ALTER EVENT TRIGGER atomiccache_sql_drop ENABLE ALWAYS;
SELECT atomiccache.contains('cc.gone', 1);
SELECT cc.gone(3);
SELECT atomiccache.create_cache('cc.gone', 'cc.own_fill(integer)');
DROP FUNCTION cc.gone(integer);
SELECT atomiccache.create_cache('cc.gone', 'cc.own_fill(integer)');
SELECT cc.gone(3);

-- an accessor called in parallel mode (the leader of a parallel plan)
-- loads its cache without taking a new snapshot
CREATE FUNCTION cc.ps(n integer) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT n * 3';
SELECT atomiccache.create_cache('cc.cps', 'cc.ps(integer)');
SELECT proparallel FROM pg_proc WHERE oid = 'cc.cps(integer)'::regprocedure;
\c
-- (force_parallel_mode is called debug_parallel_query from PostgreSQL 16)
SELECT set_config(CASE WHEN current_setting('server_version_num')::int >= 160000
                  THEN 'debug_parallel_query' ELSE 'force_parallel_mode' END,
                  'on', false) IS NOT NULL AS parallel_mode;
SELECT cc.cps(1), cc.cps(1);
RESET ALL;
-- a fill made PARALLEL UNSAFE (or VOLATILE) takes its accessor along
ALTER FUNCTION cc.ps(integer) PARALLEL UNSAFE VOLATILE;
SELECT provolatile, proparallel FROM pg_proc WHERE oid = 'cc.cps(integer)'::regprocedure;

-- arguments left to their defaults: one key with the same call written
-- out, and contains / invalidate take the defaults too
CREATE TABLE cc.src (n integer, v text);
INSERT INTO cc.src VALUES (1, 'old');
CREATE FUNCTION cc.h5(n integer, t text DEFAULT 'x') RETURNS text LANGUAGE sql
  AS $$ SELECT v || t FROM cc.src WHERE src.n = h5.n $$;
SELECT atomiccache.create_cache('cc.ch5', 'cc.h5(integer,text)');
SELECT cc.ch5(1), cc.ch5(1, 'x');
SELECT hits, fills FROM atomiccache.caches WHERE name = 'cc.ch5';
UPDATE cc.src SET v = 'new';
SELECT atomiccache.contains('cc.ch5', 1) AS by_default,
       atomiccache.invalidate('cc.ch5', 1, 'x') AS invalidated;
SELECT cc.ch5(1), cc.ch5(1, 'x');
-- a default with a COLLATE clause
CREATE FUNCTION cc.dc(n integer, t text DEFAULT 'y' COLLATE "C") RETURNS text
LANGUAGE sql AS $$ SELECT n || t $$;
SELECT atomiccache.create_cache('cc.dcc', 'cc.dc(integer,text)');
SELECT cc.dcc(1), atomiccache.contains('cc.dcc', 1) AS by_default;

-- a partition key or extended statistics rely on IMMUTABLE too
CREATE FUNCTION cc.pk(n integer) RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT n % 2 $$;
CREATE TABLE cc.pt (n integer) PARTITION BY LIST (cc.pk(n));
CREATE FUNCTION cc.sx(n integer) RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT n + 1 $$;
CREATE TABLE cc.st (n integer);
CREATE STATISTICS cc.st_sx ON (cc.sx(n)) FROM cc.st;
\set VERBOSITY sqlstate
SELECT atomiccache.memoize('cc.pk');
SELECT atomiccache.memoize('cc.sx');
\set VERBOSITY default

-- a fill that changes a type itself publishes nothing before the commit
CREATE TYPE cc.lay AS (x integer, y bigint);
CREATE FUNCTION cc.mklay(n integer) RETURNS cc.lay LANGUAGE plpgsql AS $f$
DECLARE r record;
BEGIN
  IF n = 1 THEN
    ALTER TYPE cc.lay ALTER ATTRIBUTE y TYPE text;
    EXECUTE 'SELECT 1, ''A''' INTO r;
    RETURN r;
  END IF;
  EXECUTE 'SELECT $1, $1::bigint' INTO r USING n;
  RETURN r;
END $f$;
SELECT atomiccache.create_cache('cc.clay', 'cc.mklay(integer)');
BEGIN;
SELECT cc.clay(1);
SELECT atomiccache.contains('cc.clay', 1) AS published;
ROLLBACK;
SELECT atomiccache.contains('cc.clay', 1) AS published_after_rollback;

DROP SCHEMA cc CASCADE;
DROP SERVER regress_ac_srv;
DROP FOREIGN DATA WRAPPER regress_ac_fdw;
DROP SCHEMA "Odd Schema" CASCADE;
DROP ROLE regress_ac_cc;
DROP ROLE regress_ac_bob;
