--
-- drops: what DROP commands do to caches, and to whose objects; what
-- memoize and create_cache refuse; names memoize gives
--
SET client_min_messages = notice;
CREATE ROLE regress_ac_dave;
CREATE ROLE regress_ac_erin;
CREATE SCHEMA drops_d AUTHORIZATION regress_ac_dave;
CREATE SCHEMA drops_e AUTHORIZATION regress_ac_erin;

-- dave drops his cache's definition by hand: his accessor stays, and says
-- its cache is gone
SET ROLE regress_ac_dave;
CREATE FUNCTION drops_d.df(n int) RETURNS int LANGUAGE sql STABLE AS 'SELECT n + 1';
SELECT atomiccache.create_cache('drops_d.dc', 'drops_d.df(int)');
DROP FUNCTION atomiccache."drops_d.dc"(atomiccache.cache);
SELECT drops_d.dc(1);
RESET ROLE;

-- erin's DROP ... CASCADE of her fill drops her accessor with her cache,
-- and nothing of dave's
SET ROLE regress_ac_erin;
CREATE FUNCTION drops_e.ef(n int) RETURNS int LANGUAGE sql STABLE AS 'SELECT n + 2';
SELECT atomiccache.create_cache('drops_e.ec', 'drops_e.ef(int)');
SELECT drops_e.ec(1);
DROP FUNCTION drops_e.ef(int) CASCADE;
RESET ROLE;
SELECT to_regprocedure('drops_d.dc(int)') AS daves_accessor,
       to_regprocedure('drops_e.ec(int)') AS erins_accessor;

-- an accessor a view uses stays, with a warning, when its fill goes
CREATE FUNCTION drops_f(n int) RETURNS int LANGUAGE sql STABLE AS 'SELECT n * 3';
SELECT atomiccache.create_cache('drops_v', 'drops_f(int)');
CREATE VIEW drops_view AS SELECT drops_v(2) AS v;
DROP FUNCTION drops_f(int) CASCADE;
SELECT * FROM drops_view;
DROP VIEW drops_view;
DROP FUNCTION drops_v(int);

-- ALTER TABLE ... DROP COLUMN ... CASCADE reaches a fill whose body reads
-- the column, its cache's definition, and then the accessor
CREATE TABLE drops_t (k int, v text);
INSERT INTO drops_t VALUES (1, 'one');
CREATE FUNCTION drops_tv(n int) RETURNS text LANGUAGE sql STABLE
BEGIN ATOMIC SELECT v FROM drops_t WHERE k = n; END;
SELECT atomiccache.create_cache('drops_tc2', 'drops_tv(int)');
SELECT drops_tc2(1);
ALTER TABLE drops_t DROP COLUMN v CASCADE;
SELECT to_regprocedure('drops_tc2(int)') AS accessor,
       (SELECT count(*) FROM atomiccache.caches WHERE name = 'drops_tc2') AS caches;
DROP TABLE drops_t;

-- memoize refuses a function of an extension (atomiccache's own here)
SELECT atomiccache.memoize('atomiccache.contains(text)');

-- a fill that depends on a temporary object is refused: it would go
-- with the session, without its cache
CREATE TEMP TABLE drops_tt (k int, v text);
CREATE FUNCTION drops_tf(n int) RETURNS text LANGUAGE sql STABLE
BEGIN ATOMIC SELECT v FROM drops_tt WHERE k = n; END;
\set VERBOSITY default
SELECT atomiccache.create_cache('drops_tc', 'drops_tf(int)');
SELECT atomiccache.memoize('drops_tf(int)');
DROP FUNCTION drops_tf(int);
DROP TABLE drops_tt;

-- memoize never makes the function LEAKPROOF (its original body can be
-- replaced), and unmemoize gives the attribute back
CREATE FUNCTION drops_lp(t text) RETURNS boolean LANGUAGE sql IMMUTABLE
AS 'SELECT t IS NOT NULL';
ALTER FUNCTION drops_lp(text) LEAKPROOF;
SELECT atomiccache.memoize('drops_lp(text)');
SELECT proname, proleakproof FROM pg_proc
 WHERE proname IN ('drops_lp', 'drops_lp_uncached')
   AND pronamespace = 'public'::regnamespace ORDER BY 1;
SELECT atomiccache.unmemoize('drops_lp(text)');
SELECT proname, proleakproof FROM pg_proc WHERE proname = 'drops_lp';
DROP FUNCTION drops_lp(text);

-- the second overload of a function with a long signature gets the
-- function's name and OID as its cache's name
CREATE SCHEMA drops_billing;
CREATE FUNCTION drops_billing.price(k int) RETURNS int LANGUAGE sql AS 'SELECT k';
CREATE FUNCTION drops_billing.price(k int, at timestamptz, cur varchar)
RETURNS int LANGUAGE sql AS 'SELECT k';
SELECT atomiccache.memoize('drops_billing.price(int)');
SELECT atomiccache.memoize('drops_billing.price(int, timestamptz, varchar)');
SELECT name = 'price#' || 'drops_billing.price(int, timestamptz, varchar)'::regprocedure::oid
       AS named_by_oid
  FROM atomiccache.caches WHERE accessor::text LIKE 'drops_billing.price(integer,%';
SELECT drops_billing.price(1), drops_billing.price(1, now(), 'eur');
SET client_min_messages = warning;
DROP SCHEMA drops_billing CASCADE;
RESET client_min_messages;

-- a function taking atomiccache.cache has no place outside its schema
CREATE FUNCTION drops_mine(c atomiccache.cache) RETURNS int LANGUAGE sql AS 'SELECT 1';

-- drop_cache and reset_stats of a cache that does not exist (and of one
-- another transaction drops meanwhile: test/t/190_ddl_concurrency.pl)
SELECT atomiccache.drop_cache('drops_none');
SELECT atomiccache.reset_stats('drops_none');

-- clean up
DROP FUNCTION drops_d.dc(int);
DROP SCHEMA drops_d CASCADE;
DROP SCHEMA drops_e CASCADE;
DROP ROLE regress_ac_dave;
DROP ROLE regress_ac_erin;
