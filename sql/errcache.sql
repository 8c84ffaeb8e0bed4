--
-- errcache: errors of the fill function are cached like values (same
-- SQLSTATE, message, detail, hint); transient errors are not
--
CREATE SEQUENCE ec_fills;
CREATE FUNCTION ec_count() RETURNS bigint
LANGUAGE sql AS $$ SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM ec_fills $$;

-- ec_try(sql): run sql, return what it raised (or 'ok'); OTHERS does not
-- cover query_canceled, which is named too
CREATE FUNCTION ec_try(sql text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    st text; msg text; det text; hnt text;
BEGIN
    EXECUTE sql;
    RETURN 'ok';
EXCEPTION WHEN OTHERS OR query_canceled THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
        det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
    RETURN format('%s | %s | %s | %s', st, msg, det, hnt);
END
$$;

-- a fill that fails for odd keys, with SQLSTATE, DETAIL and HINT
CREATE FUNCTION ec_fill(k integer) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    n bigint := nextval('ec_fills');
BEGIN
    IF k % 2 = 1 THEN
        RAISE EXCEPTION 'odd key %', k
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('Key %s is odd.', k),
                  HINT = 'Use an even key.';
    END IF;
    RETURN 'v' || k;
END
$$;
SELECT atomiccache.create_cache('ec_c', 'ec_fill(integer)');

-- the first call runs the fill; the second raises the same error without it
SELECT ec_count() AS before \gset
SELECT ec_try('SELECT ec_c(1)') AS first;
SELECT ec_try('SELECT ec_c(1)') AS second;
SELECT ec_count() - :before AS fills;
-- as psql shows it (the replayed error has no PL/pgSQL context)
\set VERBOSITY sqlstate
SELECT ec_c(1);
\set VERBOSITY default
SELECT ec_c(1);
SELECT ec_count() - :before AS fills;
-- without the context, the filled and the cached error look the same
\set SHOW_CONTEXT never
SELECT ec_c(5);
SELECT ec_c(5);
\set SHOW_CONTEXT errors
SELECT ec_count() - :before AS fills;
-- a cached error counts for contains; other keys are unaffected
SELECT atomiccache.contains('ec_c', 1) AS cached_error,
       atomiccache.contains('ec_c', 3) AS other_odd;
SELECT ec_c(2), ec_c(2);
SELECT ec_try('SELECT ec_c(3)') AS three;
SELECT ec_count() - :before AS fills;
SELECT name, entries, hits, misses, fills, fill_errors
  FROM atomiccache.caches WHERE name = 'ec_c';

-- invalidate removes the cached error: the next call runs the fill again
SELECT atomiccache.invalidate('ec_c', 1) AS removed;
SELECT atomiccache.contains('ec_c', 1) AS cached_error;
SELECT ec_count() AS before \gset
SELECT ec_try('SELECT ec_c(1)') AS again;
SELECT ec_try('SELECT ec_c(1)') AS cached_again;
SELECT ec_count() - :before AS fills;
-- invalidate_all too
SELECT atomiccache.invalidate_all('ec_c');
SELECT ec_try('SELECT ec_c(1)') AS after_invalidate_all;
SELECT ec_count() - :before AS fills;

-- an error raised by the executor (division by zero) in a SQL fill,
-- and the default SQLSTATE of RAISE (P0001), and a custom one
CREATE FUNCTION ec_div(k integer) RETURNS integer
LANGUAGE sql AS $$ SELECT (100 / k)::integer + 0 * nextval('ec_fills')::integer $$;
SELECT atomiccache.create_cache('ec_d', 'ec_div(integer)');
CREATE FUNCTION ec_raise(code text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM nextval('ec_fills');
    IF code = 'P0001' THEN
        RAISE EXCEPTION 'plain raise';
    END IF;
    RAISE EXCEPTION 'raise with %', code USING ERRCODE = code;
END
$$;
SELECT atomiccache.create_cache('ec_r', 'ec_raise(text)');
SELECT ec_count() AS before \gset
SELECT ec_try('SELECT ec_d(0)') AS first, ec_try('SELECT ec_d(0)') AS second;
SELECT ec_d(4), ec_d(4);
SELECT ec_try($$SELECT ec_r('P0001')$$) AS first, ec_try($$SELECT ec_r('P0001')$$) AS second;
SELECT ec_try($$SELECT ec_r('AB123')$$) AS first, ec_try($$SELECT ec_r('AB123')$$) AS second;
SELECT ec_try($$SELECT ec_r('23505')$$) AS first, ec_try($$SELECT ec_r('23505')$$) AS second;
SELECT ec_count() - :before AS fills;

-- transient errors are never cached: the fill runs on every call
SELECT ec_count() AS before \gset
SELECT code, ec_try(format('SELECT ec_r(%L)', code)) AS first,
       atomiccache.contains('ec_r', code) AS cached
  FROM unnest(ARRAY['40001', '40P01', '55P03', '57014', '57P01', '53200',
                    '53100', '08006', '58030', 'XX000', '25006']) code
 ORDER BY code;
SELECT ec_count() - :before AS fills;
SELECT code, ec_try(format('SELECT ec_r(%L)', code)) AS second,
       atomiccache.contains('ec_r', code) AS cached
  FROM unnest(ARRAY['40001', '40P01', '55P03', '57014', '57P01', '53200',
                    '53100', '08006', '58030', 'XX000', '25006']) code
 ORDER BY code;
SELECT ec_count() - :before AS fills;
-- (not transient: other codes of class 40 and 55)
SELECT code, ec_try(format('SELECT ec_r(%L)', code)) AS first,
       ec_try(format('SELECT ec_r(%L)', code)) AS second,
       atomiccache.contains('ec_r', code) AS cached
  FROM unnest(ARRAY['40000', '55006']) code ORDER BY code;
SELECT name, fills, fill_errors FROM atomiccache.caches WHERE name = 'ec_r';

-- a fill that asks its own cache for its own key: 40P01 at once, not
-- cached; other keys of the same cache may be asked for
CREATE FUNCTION ec_self(k integer) RETURNS integer
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM nextval('ec_fills');
    IF k > 0 THEN
        RETURN ec_s(k - 1) + 1;
    END IF;
    RETURN ec_s(k);
END
$$;
SELECT atomiccache.create_cache('ec_s', 'ec_self(integer)');
SELECT ec_count() AS before \gset
\set VERBOSITY sqlstate
SELECT ec_s(0);
\set VERBOSITY default
SELECT ec_try('SELECT ec_s(0)') AS second;
SELECT ec_count() - :before AS fills;
SELECT atomiccache.contains('ec_s', 0) AS cached;
-- the same through other keys: 3 -> 2 -> 1 -> 0 -> 0
SELECT ec_try('SELECT ec_s(3)') AS via_other_keys;
SELECT k, atomiccache.contains('ec_s', k) AS cached FROM generate_series(0, 3) k ORDER BY k;
-- and a fill that catches the recursion error may still return a value
CREATE FUNCTION ec_catch(k integer) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM nextval('ec_fills');
    RETURN ec_k(k);
EXCEPTION WHEN deadlock_detected THEN
    RETURN 'caught ' || SQLSTATE;
END
$$;
SELECT atomiccache.create_cache('ec_k', 'ec_catch(integer)');
SELECT ec_count() AS before \gset
SELECT ec_k(1), ec_k(1);
SELECT ec_count() - :before AS fills;
SELECT atomiccache.contains('ec_k', 1) AS cached;

-- an error deep in a recursion that goes through query loops (the inner
-- calls' state lives in the loops' memory, freed by the abort) is cached
-- at every level, and the backend goes on working
CREATE FUNCTION ec_deep(n int) RETURNS int LANGUAGE plpgsql AS $$
DECLARE r record; s int := 0;
BEGIN
    IF n <= 0 THEN RAISE EXCEPTION 'bottom reached'; END IF;
    FOR r IN SELECT ec_deepc(n - 1) AS v LOOP s := s + r.v; END LOOP;
    RETURN s;
END $$;
SELECT atomiccache.create_cache('ec_deepc', 'ec_deep(int)');
\set VERBOSITY terse
SELECT ec_deepc(3);
SELECT ec_deepc(3);
\set VERBOSITY default
SELECT name, entries, fills, fill_errors FROM atomiccache.caches WHERE name = 'ec_deepc';
SELECT atomiccache.invalidate_all('ec_deepc');
SELECT 1 AS still_working;

-- clean up
SELECT atomiccache.drop_cache(name) FROM atomiccache.caches ORDER BY name;
DROP FUNCTION ec_fill(integer), ec_div(integer), ec_raise(text),
    ec_self(integer), ec_catch(integer), ec_try(text), ec_count(),
    ec_deep(integer);
DROP SEQUENCE ec_fills;
