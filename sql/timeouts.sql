--
-- timeouts: the longest loops a user can start from SQL stop at a cancel
-- (here statement_timeout), and leave the caches whole: entries() and the
-- caches view over a cache of 200,000 entries, and a statement filling
-- keys one after another.  At the end, the walk of nested row types (no
-- cancel there: it is shown to visit each type once).
--
CREATE FUNCTION cancel_fill(k int) RETURNS int LANGUAGE sql AS 'SELECT k';
SELECT atomiccache.create_cache('cancel_big', 'cancel_fill');
SELECT count(cancel_big(i)) FROM generate_series(1, 200000) i;
SELECT entries FROM atomiccache.caches WHERE name = 'cancel_big';

\set VERBOSITY sqlstate
SET statement_timeout = '10ms';
-- a scan of the index (one read section per partition, a check between)
SELECT count(*) FROM atomiccache.entries('cancel_big');
SELECT count(*) FROM generate_series(1, 50) g, LATERAL atomiccache.entries('cancel_big');
-- the caches view scans the index too (atomiccache._stats)
SELECT count(*) FROM generate_series(1, 500) g,
       LATERAL (SELECT entries FROM atomiccache.caches WHERE name = 'cancel_big' OFFSET 0) c;
-- fills one after another
SELECT count(cancel_big(i)) FROM generate_series(200001, 100000000) i;
RESET statement_timeout;
\set VERBOSITY default

-- all there, and usable: what the cancelled fills published stays
SELECT entries >= 200000 AS all_there, fills - entries <= 1 AS one_fill_each
  FROM atomiccache.caches WHERE name = 'cancel_big';
SELECT count(*) = (SELECT entries FROM atomiccache.caches WHERE name = 'cancel_big')
  FROM atomiccache.entries('cancel_big') WHERE state = 'ready';
SELECT cancel_big(7), cancel_big(7), atomiccache.contains('cancel_big', 7);

SELECT atomiccache.drop_cache('cancel_big');
DROP FUNCTION cancel_fill(int);

--
-- Row types nested: 20 columns of a type of 20 columns, four deep.  The
-- layout of a cache's types (cacheinfo.c, type_layout) and the event
-- trigger's check of an ALTER TYPE (events.c, type_uses) walk each row
-- type once, between columns a chance to be cancelled: 80 columns here,
-- not every path (20^4); 200 columns four deep would be 1.6e9 lookups at
-- each load of the definition.  (PostgreSQL's own CREATE TYPE checks
-- every path: 96 s for that shape.)  An ALTER TYPE deep inside changes
-- the layout: the entry of the old one is not read (a second fill).
--
DO $$
DECLARE
	d int;
BEGIN
	FOR d IN 1 .. 4 LOOP
		EXECUTE format('CREATE TYPE nest%s AS (%s)', d,
			(SELECT string_agg(format('c%s %s', i,
				CASE WHEN d = 1 THEN 'int' ELSE 'nest' || (d - 1) END), ', ')
			   FROM generate_series(1, 20) i));
	END LOOP;
END $$;
CREATE FUNCTION nest_fill(k int) RETURNS nest4 LANGUAGE sql
	AS 'SELECT NULL::nest4';
SELECT atomiccache.create_cache('nest_cache', 'nest_fill');
SELECT nest_cache(1) IS NULL, nest_cache(1) IS NULL;
ALTER TYPE nest1 ADD ATTRIBUTE extra int CASCADE;
SELECT nest_cache(1) IS NULL;
SELECT fills, hits FROM atomiccache.caches WHERE name = 'nest_cache';
SELECT atomiccache.drop_cache('nest_cache');
DROP FUNCTION nest_fill(int);
DROP TYPE nest4, nest3, nest2, nest1;
