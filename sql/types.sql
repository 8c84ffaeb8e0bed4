--
-- types: keys and values of many types; NULL keys, NULL values, STRICT
--
-- Each fill counts its runs with nextval('typ_fills'); "fills" below is
-- the number of fills since the previous \gset.
--
CREATE SEQUENCE typ_fills;
CREATE FUNCTION typ_count() RETURNS bigint
LANGUAGE sql AS $$ SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM typ_fills $$;

-- integer, bigint, smallint, boolean, double precision, numeric
CREATE FUNCTION typ_f_int(k integer) RETURNS integer
LANGUAGE sql AS $$ SELECT k * 10 + 0 * nextval('typ_fills')::integer $$;
CREATE FUNCTION typ_f_big(k bigint) RETURNS bigint
LANGUAGE sql AS $$ SELECT k * 10 + 0 * nextval('typ_fills') $$;
CREATE FUNCTION typ_f_small(k smallint) RETURNS smallint
LANGUAGE sql AS $$ SELECT (k * 10 + 0 * nextval('typ_fills'))::smallint $$;
CREATE FUNCTION typ_f_bool(k boolean) RETURNS boolean
LANGUAGE sql AS $$ SELECT NOT k FROM (SELECT nextval('typ_fills')) n $$;
CREATE FUNCTION typ_f_float(k double precision) RETURNS double precision
LANGUAGE sql AS $$ SELECT k / 4 + 0 * nextval('typ_fills') $$;
-- the fill can tell 1.0 from 1.00: it shows the scale
CREATE FUNCTION typ_f_num(k numeric) RETURNS text
LANGUAGE sql AS $$ SELECT k::text || ' scale ' || scale(k) || ' #' || nextval('typ_fills') $$;
SELECT atomiccache.create_cache('typ_int', 'typ_f_int(integer)');
SELECT atomiccache.create_cache('typ_big', 'typ_f_big(bigint)');
SELECT atomiccache.create_cache('typ_small', 'typ_f_small(smallint)');
SELECT atomiccache.create_cache('typ_bool', 'typ_f_bool(boolean)');
SELECT atomiccache.create_cache('typ_float', 'typ_f_float(double precision)');
SELECT atomiccache.create_cache('typ_num', 'typ_f_num(numeric)');
SELECT typ_count() AS before \gset
SELECT typ_int(-7), typ_int(2147483647 / 10), typ_big(9000000000000000), typ_small(3::smallint),
       typ_bool(true), typ_bool(false), typ_float(1.5), typ_float('-0');
SELECT typ_int(-7), typ_int(2147483647 / 10), typ_big(9000000000000000), typ_small(3::smallint),
       typ_bool(true), typ_bool(false), typ_float(1.5), typ_float('-0');
SELECT typ_count() - :before AS fills;
-- 0 and -0 are equal doubles but not binary-identical: two keys
SELECT typ_count() AS before \gset
SELECT typ_float(0), typ_float('-0');
SELECT typ_count() - :before AS fills;
-- numeric: 1.0 and 1.00 are different keys, 1.0 twice is one key
SELECT typ_count() AS before \gset
SELECT typ_num(1.0), typ_num(1.00), typ_num(1.0), typ_num(1.00);
SELECT typ_count() - :before AS fills;
SELECT atomiccache.contains('typ_num', 1.0) AS "1.0",
       atomiccache.contains('typ_num', 1.00) AS "1.00",
       atomiccache.contains('typ_num', 1.000) AS "1.000",
       atomiccache.contains('typ_num', 1) AS "1";

-- text, varchar, bytea, uuid, timestamptz, date, interval, jsonb
CREATE FUNCTION typ_f_text(k text) RETURNS text
LANGUAGE sql AS $$ SELECT upper(k) || '#' || nextval('typ_fills') $$;
CREATE FUNCTION typ_f_varchar(k varchar(10)) RETURNS varchar
LANGUAGE sql AS $$ SELECT (k || '!')::varchar || (0 * nextval('typ_fills')) $$;
CREATE FUNCTION typ_f_bytea(k bytea) RETURNS bytea
LANGUAGE sql AS $$ SELECT k || '\xff'::bytea || (0 * nextval('typ_fills'))::text::bytea $$;
CREATE FUNCTION typ_f_uuid(k uuid) RETURNS uuid
LANGUAGE sql AS $$ SELECT md5(k::text || nextval('typ_fills') * 0)::uuid $$;
CREATE FUNCTION typ_f_tstz(k timestamptz) RETURNS timestamptz
LANGUAGE sql AS $$ SELECT k + interval '1 day' * (1 + 0 * nextval('typ_fills')) $$;
CREATE FUNCTION typ_f_date(k date) RETURNS interval
LANGUAGE sql AS $$ SELECT (k - date '2000-01-01') * interval '1 hour' + 0 * nextval('typ_fills') * interval '1 s' $$;
CREATE FUNCTION typ_f_jsonb(k jsonb) RETURNS jsonb
LANGUAGE sql AS $$ SELECT k || jsonb_build_object('n', 0 * nextval('typ_fills')) $$;
SELECT atomiccache.create_cache('typ_text', 'typ_f_text(text)');
SELECT atomiccache.create_cache('typ_varchar', 'typ_f_varchar(varchar)');
SELECT atomiccache.create_cache('typ_bytea', 'typ_f_bytea(bytea)');
SELECT atomiccache.create_cache('typ_uuid', 'typ_f_uuid(uuid)');
SELECT atomiccache.create_cache('typ_tstz', 'typ_f_tstz(timestamptz)');
SELECT atomiccache.create_cache('typ_date', 'typ_f_date(date)');
SELECT atomiccache.create_cache('typ_jsonb', 'typ_f_jsonb(jsonb)');
SET TimeZone = 'UTC';
SELECT typ_count() AS before \gset
SELECT typ_text('abc'), typ_text(''), typ_text('héllo wörld');
SELECT typ_text('abc'), typ_text(''), typ_text('héllo wörld');
SELECT typ_varchar('abc'), typ_varchar('abc');
SELECT typ_bytea('\x0001'), typ_bytea('\x0001'), typ_bytea(''), typ_bytea('');
SELECT typ_uuid('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'), typ_uuid('A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11');
SELECT typ_tstz('2024-02-29 12:00:00+00'), typ_tstz('2024-02-29 14:00:00+02');
SELECT typ_date('2000-01-03'), typ_date('2000-01-03');
SELECT typ_jsonb('{"a": 1}'), typ_jsonb('{ "a" : 1 }');
SELECT typ_count() - :before AS fills;
SELECT atomiccache.contains('typ_text', 'abc') AS text,
       atomiccache.contains('typ_text', 'ABC') AS text_other_case,
       atomiccache.contains('typ_varchar', 'abc') AS varchar,
       atomiccache.contains('typ_bytea', '\x0001'::bytea) AS bytea,
       atomiccache.contains('typ_uuid', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid) AS uuid,
       atomiccache.contains('typ_tstz', '2024-02-29 13:00:00+01'::timestamptz) AS tstz,
       atomiccache.contains('typ_date', '2000-01-03'::date) AS date;
RESET TimeZone;

-- arrays, as keys and values
CREATE FUNCTION typ_f_arr(k integer[]) RETURNS text[]
LANGUAGE sql AS $$
    SELECT array_append(array_agg(x::text ORDER BY x), '#' || nextval('typ_fills'))
      FROM unnest(k) x
$$;
SELECT atomiccache.create_cache('typ_arr', 'typ_f_arr(integer[])');
SELECT typ_count() AS before \gset
SELECT typ_arr(ARRAY[3, 1, 2]), typ_arr(ARRAY[3, 1, 2]);
SELECT typ_arr(ARRAY[1, 2, 3]);
SELECT typ_arr(ARRAY[]::integer[]), typ_arr('{}');
SELECT typ_arr(ARRAY[NULL, 1]), typ_arr(ARRAY[NULL, 1]);
SELECT typ_arr('[0:1]={7,8}'), typ_arr('{7,8}');
SELECT typ_count() - :before AS fills;
SELECT atomiccache.contains('typ_arr', ARRAY[3, 1, 2]) AS same,
       atomiccache.contains('typ_arr', ARRAY[2, 1, 3]) AS other,
       atomiccache.contains('typ_arr', '{7,8}'::integer[]) AS dims;

-- composite types, as key and as value
CREATE TYPE typ_pair AS (a integer, b text);
CREATE FUNCTION typ_f_comp(k typ_pair) RETURNS typ_pair
LANGUAGE sql AS $$ SELECT ROW(k.a * 2, coalesce(k.b, '') || '#' || nextval('typ_fills'))::typ_pair $$;
SELECT atomiccache.create_cache('typ_comp', 'typ_f_comp(typ_pair)');
SELECT typ_count() AS before \gset
SELECT typ_comp(ROW(1, 'x')), typ_comp(ROW(1, 'x')::typ_pair);
SELECT (typ_comp(ROW(1, 'x'))).b, (typ_comp(ROW(1, 'x'))).a;
SELECT typ_comp(ROW(1, NULL)), typ_comp(ROW(1, NULL));
SELECT * FROM typ_comp(ROW(2, 'y'));
SELECT typ_count() - :before AS fills;
SELECT atomiccache.contains('typ_comp', ROW(1, 'x')::typ_pair) AS same,
       atomiccache.contains('typ_comp', ROW(1, 'z')::typ_pair) AS other;
-- a composite key in a table column
CREATE TABLE typ_tab (p typ_pair);
INSERT INTO typ_tab VALUES (ROW(1, 'x')), (ROW(3, 'w'));
SELECT typ_count() AS before \gset
SELECT p, typ_comp(p) FROM typ_tab ORDER BY (p).a;
SELECT typ_count() - :before AS fills;

-- domains and enums
CREATE DOMAIN typ_pos AS integer CHECK (VALUE > 0);
CREATE TYPE typ_color AS ENUM ('red', 'green', 'blue');
CREATE FUNCTION typ_f_dom(k typ_pos) RETURNS typ_pos
LANGUAGE sql AS $$ SELECT (k + 0 * nextval('typ_fills'))::typ_pos $$;
CREATE FUNCTION typ_f_enum(k typ_color) RETURNS typ_color
LANGUAGE sql AS $$ SELECT (enum_range(k, NULL))[2 + 0 * nextval('typ_fills')] $$;
SELECT atomiccache.create_cache('typ_dom', 'typ_f_dom(typ_pos)');
SELECT atomiccache.create_cache('typ_enum', 'typ_f_enum(typ_color)');
SELECT pg_get_function_arguments('typ_dom'::regproc) AS dom_args,
       pg_get_function_result('typ_dom'::regproc) AS dom_result,
       pg_get_function_result('typ_enum'::regproc) AS enum_result;
SELECT typ_count() AS before \gset
SELECT typ_dom(5), typ_dom(5), typ_enum('red'), typ_enum('red'), typ_enum('green');
SELECT typ_count() - :before AS fills;
SELECT atomiccache.contains('typ_dom', 5) AS dom_from_int,
       atomiccache.contains('typ_enum', 'red'::typ_color) AS enum,
       atomiccache.contains('typ_enum', 'red') AS enum_from_unknown,
       atomiccache.contains('typ_enum', 'blue') AS enum_absent;
-- the domain's check still applies to the argument
SELECT typ_dom(-1);
SELECT atomiccache.contains('typ_dom', -1);
SELECT atomiccache.contains('typ_enum', 'purple');

-- a 1 MB value: stored and served intact
CREATE FUNCTION typ_f_big_text(k integer) RETURNS text
LANGUAGE sql AS $$
    SELECT v FROM (SELECT nextval('typ_fills')) n,
        (SELECT string_agg(md5((k * 100000 + i)::text), '') AS v
           FROM generate_series(1, 32768) i) s
$$;
SELECT atomiccache.create_cache('typ_mb', 'typ_f_big_text(integer)');
SELECT typ_count() AS before \gset
SELECT length(typ_mb(1)) AS len, md5(typ_mb(1)) = md5(typ_big_text_check) AS same_md5
  FROM (SELECT string_agg(md5((100000 + i)::text), '') AS typ_big_text_check
          FROM generate_series(1, 32768) i) s;
SELECT length(typ_mb(1)) AS len, md5(typ_mb(1)) AS md5;
SELECT typ_count() - :before AS fills;
SELECT entries, bytes >= 1048576 AS holds_a_mb FROM atomiccache.caches WHERE name = 'typ_mb';
-- a 1 MB key too (compressed and toasted in the table, detoasted in the key)
CREATE FUNCTION typ_f_len(k text) RETURNS integer
LANGUAGE sql AS $$ SELECT length(k) + 0 * nextval('typ_fills')::integer $$;
SELECT atomiccache.create_cache('typ_len', 'typ_f_len(text)');
CREATE TABLE typ_long (t text);
INSERT INTO typ_long VALUES (repeat('x', 1048576));
SELECT typ_count() AS before \gset
SELECT typ_len(t) FROM typ_long;
SELECT typ_len(repeat('x', 1048576));
SELECT typ_count() - :before AS fills;
SELECT atomiccache.contains('typ_len', t) AS toasted, pg_column_size(t) < 1048576 AS compressed
  FROM typ_long;

-- NULL results are cached like any value
CREATE FUNCTION typ_f_null(k integer) RETURNS text
LANGUAGE sql AS $$ SELECT CASE WHEN nextval('typ_fills') > 0 THEN NULL END $$;
SELECT atomiccache.create_cache('typ_nullres', 'typ_f_null(integer)');
SELECT typ_count() AS before \gset
SELECT typ_nullres(1) IS NULL AS is_null;
SELECT typ_nullres(1) IS NULL AS is_null;
SELECT typ_count() - :before AS fills;
SELECT atomiccache.contains('typ_nullres', 1) AS cached;

-- a NULL key with a non-STRICT fill: cached, keyed by NULL
CREATE FUNCTION typ_f_nk(k integer) RETURNS text
LANGUAGE sql AS $$ SELECT coalesce(k::text, 'null') || '#' || nextval('typ_fills') $$;
SELECT atomiccache.create_cache('typ_nullkey', 'typ_f_nk(integer)');
SELECT typ_count() AS before \gset
SELECT typ_nullkey(NULL) = 'null#' || :before + 1 AS filled;
SELECT typ_nullkey(NULL) = 'null#' || :before + 1 AS hit;
SELECT typ_nullkey(0) = '0#' || :before + 2 AS zero_is_not_null;
SELECT typ_count() - :before AS fills;
SELECT atomiccache.contains('typ_nullkey', NULL::integer) AS null_key,
       atomiccache.contains('typ_nullkey', NULL) AS null_unknown,
       atomiccache.invalidate('typ_nullkey', NULL::integer) AS invalidated,
       atomiccache.contains('typ_nullkey', NULL::integer) AS after;

-- a STRICT fill with a NULL argument: NULL, without filling or caching
CREATE FUNCTION typ_f_strict(k integer, j text) RETURNS text
LANGUAGE sql STRICT AS $$ SELECT k || j || '#' || nextval('typ_fills') $$;
SELECT atomiccache.create_cache('typ_strict', 'typ_f_strict(integer,text)');
SELECT typ_count() AS before \gset
SELECT typ_strict(NULL, 'a') IS NULL AS n1, typ_strict(1, NULL) IS NULL AS n2,
       typ_strict(NULL, NULL) IS NULL AS n3;
SELECT typ_count() - :before AS fills;
SELECT atomiccache.contains('typ_strict', NULL::integer, 'a') AS c1,
       atomiccache.contains('typ_strict', 1, NULL::text) AS c2;
SELECT name, entries, hits, misses, fills FROM atomiccache.caches WHERE name = 'typ_strict';
SELECT typ_strict(1, 'a') = '1a#' || :before + 1 AS filled;
SELECT typ_count() - :before AS fills;

-- several arguments: the key is the whole argument list
CREATE FUNCTION typ_f_multi(k integer, t text, b boolean) RETURNS text
LANGUAGE sql AS $$
    -- nextval first: PostgreSQL 18 folds a strict || with a NULL argument
    SELECT CASE WHEN nextval('typ_fills') > 0
                THEN k || t || b || '#' || currval('typ_fills') END $$;
SELECT atomiccache.create_cache('typ_multi', 'typ_f_multi(integer,text,boolean)');
SELECT typ_count() AS before \gset
SELECT typ_multi(1, 'a', true), typ_multi(1, 'a', true);
SELECT typ_multi(1, 'a', false), typ_multi(1, 'b', true), typ_multi(2, 'a', true);
SELECT typ_multi(1, NULL, true), typ_multi(1, NULL, true), typ_multi(NULL, NULL, NULL);
SELECT typ_count() - :before AS fills;
-- (12, '3') and (1, '23') must not collide
CREATE FUNCTION typ_f_pair2(k integer, t text) RETURNS text
LANGUAGE sql AS $$ SELECT k || '|' || t || '#' || nextval('typ_fills') $$;
SELECT atomiccache.create_cache('typ_pair2', 'typ_f_pair2(integer,text)');
CREATE FUNCTION typ_f_tt(a text, b text) RETURNS text
LANGUAGE sql AS $$
    SELECT CASE WHEN nextval('typ_fills') > 0
                THEN a || '|' || b || '#' || currval('typ_fills') END $$;
SELECT atomiccache.create_cache('typ_tt', 'typ_f_tt(text,text)');
SELECT typ_count() AS before \gset
SELECT left(typ_pair2(12, '3'), 4), left(typ_pair2(1, '23'), 4);
SELECT left(typ_tt('ab', 'c'), 4), left(typ_tt('a', 'bc'), 4), left(typ_tt('', 'abc'), 4),
       left(typ_tt('abc', ''), 4), left(typ_tt(NULL, 'abc'), 4), left(typ_tt('abc', NULL), 3);
SELECT typ_count() - :before AS fills;
SELECT atomiccache.contains('typ_multi', 1, 'a', true) AS yes,
       atomiccache.contains('typ_multi', 1, 'a', NULL::boolean) AS no,
       atomiccache.contains('typ_multi', 1::smallint, 'a'::varchar, true) AS coerced,
       atomiccache.contains('typ_multi', NULL::integer, NULL::text, NULL::boolean) AS all_null,
       atomiccache.contains('typ_pair2', 12, '3') AS pair;

-- the collation of the call is part of a text key (the fill may answer
-- differently under another collation): "C" is another key, filled once
SELECT typ_count() AS before \gset
SELECT typ_text('abc' COLLATE "C") ~ '^ABC#' AS filled;
SELECT typ_count() - :before AS fills;
SELECT typ_text('abc' COLLATE "C") ~ '^ABC#' AS hit;
SELECT typ_count() - :before AS fills;

-- clean up
SELECT atomiccache.drop_cache(name) FROM atomiccache.caches ORDER BY name;
DROP TABLE typ_tab, typ_long;
DROP FUNCTION typ_f_int(integer), typ_f_big(bigint), typ_f_small(smallint),
    typ_f_bool(boolean), typ_f_float(double precision), typ_f_num(numeric),
    typ_f_text(text), typ_f_varchar(varchar), typ_f_bytea(bytea),
    typ_f_uuid(uuid), typ_f_tstz(timestamptz), typ_f_date(date),
    typ_f_jsonb(jsonb), typ_f_arr(integer[]), typ_f_comp(typ_pair),
    typ_f_dom(typ_pos), typ_f_enum(typ_color), typ_f_big_text(integer),
    typ_f_len(text), typ_f_null(integer), typ_f_nk(integer),
    typ_f_strict(integer, text), typ_f_multi(integer, text, boolean),
    typ_f_pair2(integer, text), typ_f_tt(text, text), typ_count();
DROP TYPE typ_pair;
DROP DOMAIN typ_pos;
DROP TYPE typ_color;
DROP SEQUENCE typ_fills;
