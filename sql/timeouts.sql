--
-- timeouts: the longest loops a user can start from SQL stop at a cancel
-- (here statement_timeout), and leave the caches whole: entries() and the
-- caches view over a cache of 200,000 entries, and a statement filling
-- keys one after another.
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
