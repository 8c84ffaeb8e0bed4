--
-- hostile: unusual and hostile input.  Every type of pg_type with an
-- input function (base types, arrays, ranges, multiranges, enums,
-- domains, composite types) as a key and as a value, through an identity
-- fill: fill, hit, contains, invalidate, NULL, entries().  Each works or
-- fails with a clear SQLSTATE, and no backend crashes.  Then: expanded
-- arrays from PL/pgSQL, 1 MB keys, NULL in every argument position.
--
CREATE SCHEMA hostile;
CREATE TABLE hostile.outcome (typ regtype, outcome text);

-- the first of these literals the type accepts, or NULL
CREATE FUNCTION hostile.sample(t regtype) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    lit text;
    ok boolean;
BEGIN
    FOREACH lit IN ARRAY ARRAY['1', 't', 'a', '0', '{}', '(0,0)', '(1,1),(0,0)',
        '<(0,0),1>', '{1,2,3}', '[1,2)', '{[1,2)}', '0/0', '2000-01-01',
        '12:00', '1 day', '127.0.0.1', '08:00:2b:01:02:03',
        '08:00:2b:01:02:03:04:05', '00000000-0000-0000-0000-000000000000',
        '{"a": 1}', '<a/>', 'a & b', 'a:1', '$.a', '(0,1)', '1 2', '()',
        '(1)', '(,)', '(,,)', 'x', 'pg_catalog', 'simple', 'postgres',
        'pg_class', 'int4', 'now', '10:20:10,14,15', '=', 'ok']
    LOOP
        BEGIN
            EXECUTE format('SELECT %L::%s IS NOT NULL', lit, t) INTO ok;
            IF ok THEN
                RETURN lit;
            END IF;
        EXCEPTION WHEN OTHERS THEN
            NULL;
        END;
    END LOOP;
    RETURN NULL;
END $$;

-- one type through a cache; its outcome
CREATE FUNCTION hostile.try(t regtype) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    lit text := hostile.sample(t);
    n text := 'h' || t::oid;
    stage text := 'fill function';
    r text;
    b boolean;
BEGIN
    IF lit IS NULL THEN
        RETURN 'no sample';
    END IF;
    BEGIN
        EXECUTE format('CREATE FUNCTION hostile.%I(k %s) RETURNS %s LANGUAGE sql AS %L',
                       n || '_fill', t, t, 'SELECT k');
        stage := 'create_cache';
        PERFORM atomiccache.create_cache('hostile.' || n,
                                         format('hostile.%I(%s)', n || '_fill', t));
        stage := 'fill';
        EXECUTE format('SELECT hostile.%I(%L::%s)::text = %L::%s::text',
                       n, lit, t, lit, t) INTO b;
        IF NOT b THEN RETURN 'wrong value at fill'; END IF;
        stage := 'hit';
        EXECUTE format('SELECT hostile.%I(%L::%s)::text = %L::%s::text',
                       n, lit, t, lit, t) INTO b;
        IF NOT b THEN RETURN 'wrong value at hit'; END IF;
        -- a hit, not a second fill (the value came out of the cache)
        SELECT c.hits = 1 AND c.fills = 1 INTO b
          FROM atomiccache.caches c WHERE c.name = 'hostile.' || n;
        IF NOT b THEN RETURN 'not a hit'; END IF;
        stage := 'contains';
        EXECUTE format('SELECT atomiccache.contains(%L, %L::%s)', 'hostile.' || n, lit, t) INTO b;
        IF NOT b THEN RETURN 'not contained'; END IF;
        stage := 'entries';
        EXECUTE format('SELECT count(*) = 1 AND bool_and(key IS NOT NULL) FROM atomiccache.entries(%L)',
                       'hostile.' || n) INTO b;
        IF NOT b THEN RETURN 'entries() wrong'; END IF;
        stage := 'invalidate';
        EXECUTE format('SELECT atomiccache.invalidate(%L, %L::%s)', 'hostile.' || n, lit, t) INTO b;
        IF NOT b THEN RETURN 'not invalidated'; END IF;
        EXECUTE format('SELECT atomiccache.contains(%L, %L::%s)', 'hostile.' || n, lit, t) INTO b;
        IF b THEN RETURN 'still contained'; END IF;
        stage := 'NULL key';
        EXECUTE format('SELECT hostile.%I(NULL::%s) IS NULL', n, t) INTO b;
        IF NOT b THEN RETURN 'NULL gave a value'; END IF;
        stage := 'drop_cache';
        PERFORM atomiccache.drop_cache('hostile.' || n);
        EXECUTE format('DROP FUNCTION hostile.%I(%s)', n || '_fill', t);
        RETURN 'ok';
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS r = RETURNED_SQLSTATE;
        RETURN 'error ' || r || ' at ' || stage;
    END;
END $$;

-- an enum, a domain with a constraint, a composite type, a range of it
CREATE TYPE hostile.mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN hostile.pos AS int CHECK (VALUE > 0);
CREATE TYPE hostile.pair AS (a int, b text);
CREATE TYPE hostile.floatrange AS RANGE (subtype = float8);

INSERT INTO hostile.outcome
SELECT t.oid::regtype, hostile.try(t.oid::regtype)
  FROM pg_type t
 WHERE t.typisdefined AND t.typtype IN ('b', 'r', 'm', 'e', 'd', 'c')
   AND t.typinput <> 0 AND t.typname NOT LIKE 'pg_toast%'
   AND (t.typtype <> 'c' OR t.typnamespace = 'hostile'::regnamespace
        OR t.typname IN ('pg_class', 'pg_proc', 'pg_attribute'))
 ORDER BY t.oid;

-- every type was tried; enough of them went all the way
SELECT count(*) > 300 AS many_types, count(*) FILTER (WHERE outcome = 'ok') > 250 AS most_ok
  FROM hostile.outcome;
-- the ones made here all work
SELECT typ, outcome FROM hostile.outcome
 WHERE typ::text LIKE 'hostile.%' OR typ::text LIKE '%pg_class%' ORDER BY typ::text;
-- and every outcome that is not "ok" is one of these (none so far)
SELECT typ, outcome FROM hostile.outcome
 WHERE outcome NOT IN ('ok', 'no sample') ORDER BY typ::text;
-- no cache or fill function of the loop is left behind
SELECT count(*) FROM atomiccache.caches WHERE name LIKE 'hostile.%';

-- expanded arrays: PL/pgSQL builds an array in place (an expanded object)
-- and passes it as a key; a fill returns one
CREATE FUNCTION hostile.arr_fill(a int[]) RETURNS int[] LANGUAGE plpgsql AS $$
DECLARE r int[] := '{}';
BEGIN
    FOR i IN 1 .. coalesce(array_length(a, 1), 0) LOOP
        r := r || (a[i] * 2);
    END LOOP;
    RETURN r;
END $$;
SELECT atomiccache.create_cache('hostile.arr', 'hostile.arr_fill');
CREATE FUNCTION hostile.arr_calls() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    a int[] := '{}';
    first int[];
    second int[];
BEGIN
    FOR i IN 1 .. 100 LOOP
        a[i] := i;
    END LOOP;
    first := hostile.arr(a);
    second := hostile.arr(a);
    RETURN format('%s %s %s %s', array_length(first, 1), first[100], first = second,
                  atomiccache.contains('hostile.arr', a));
END $$;
SELECT hostile.arr_calls();
SELECT hostile.arr(ARRAY(SELECT generate_series(1, 100)))
     = ARRAY(SELECT 2 * generate_series(1, 100)) AS same_key_from_a_flat_array;
SELECT hits, misses FROM atomiccache.caches WHERE name = 'hostile.arr';

-- 1 MB keys, text and bytea: one entry each, hit, contains, invalidate
CREATE FUNCTION hostile.len_fill(t text) RETURNS int LANGUAGE sql AS 'SELECT length(t)';
CREATE FUNCTION hostile.blen_fill(b bytea) RETURNS int LANGUAGE sql AS 'SELECT length(b)';
SELECT atomiccache.create_cache('hostile.len', 'hostile.len_fill');
SELECT atomiccache.create_cache('hostile.blen', 'hostile.blen_fill');
SELECT hostile.len(repeat('x', 1048576)), hostile.len(repeat('x', 1048576)),
       hostile.len(repeat('x', 1048575) || 'y'),
       atomiccache.contains('hostile.len', repeat('x', 1048576)),
       atomiccache.invalidate('hostile.len', repeat('x', 1048576)),
       atomiccache.contains('hostile.len', repeat('x', 1048576)),
       atomiccache.contains('hostile.len', repeat('x', 1048575) || 'y');
SELECT hostile.blen(decode(repeat('ab', 1048576), 'hex')),
       hostile.blen(decode(repeat('ab', 1048576), 'hex')),
       atomiccache.contains('hostile.blen', decode(repeat('ab', 1048576), 'hex'));
SELECT name, entries, hits, misses FROM atomiccache.caches
 WHERE name IN ('hostile.len', 'hostile.blen') ORDER BY name;

-- NULL in every argument position: each a key of its own
CREATE FUNCTION hostile.three_fill(a int, b text, c date) RETURNS text
LANGUAGE sql AS $$ SELECT format('%s|%s|%s', a, b, c) $$;
SELECT atomiccache.create_cache('hostile.three', 'hostile.three_fill');
SELECT hostile.three(NULL, 'b', '2000-01-01'), hostile.three(1, NULL, '2000-01-01'),
       hostile.three(1, 'b', NULL), hostile.three(NULL, NULL, NULL),
       hostile.three(NULL, NULL, NULL);
SELECT atomiccache.contains('hostile.three', NULL::int, 'b', '2000-01-01'::date),
       atomiccache.contains('hostile.three', 1, NULL::text, '2000-01-01'::date),
       atomiccache.contains('hostile.three', 1, 'b', NULL::date),
       atomiccache.contains('hostile.three', NULL::int, NULL::text, NULL::date),
       atomiccache.contains('hostile.three', 1, 'b', '2000-01-01'::date);
SELECT atomiccache.invalidate('hostile.three', 1, NULL::text, '2000-01-01'::date),
       atomiccache.contains('hostile.three', 1, NULL::text, '2000-01-01'::date);
SELECT entries, hits, misses FROM atomiccache.caches WHERE name = 'hostile.three';
SELECT key FROM atomiccache.entries('hostile.three') ORDER BY key;

-- names that need quoting, in a schema that needs quoting
CREATE SCHEMA "Hostile Schema";
CREATE FUNCTION "Hostile Schema"."Fill ""q"" ;--"(k int) RETURNS int LANGUAGE sql AS 'SELECT k + 1';
SELECT atomiccache.create_cache('"Hostile Schema"."Cache ""q"" ;--"',
                                '"Hostile Schema"."Fill ""q"" ;--"');
SELECT "Hostile Schema"."Cache ""q"" ;--"(1), "Hostile Schema"."Cache ""q"" ;--"(1);
SELECT name, hits, misses FROM atomiccache.caches WHERE name LIKE '%Hostile%';
SELECT atomiccache.drop_cache('"Hostile Schema"."Cache ""q"" ;--"');
DROP SCHEMA "Hostile Schema" CASCADE;

-- a TTL of 1000 years is refused (22023), not overflowed; 100 years works
\set VERBOSITY sqlstate
SELECT atomiccache.create_cache('hostile.ttl', 'hostile.len_fill', ttl => '1000 years');
SELECT atomiccache.create_cache('hostile.ttl', 'hostile.len_fill', ttl => '-1 second');
SELECT atomiccache.create_cache('hostile.ttl', 'hostile.len_fill', ttl => '0');
\set VERBOSITY default
SELECT atomiccache.create_cache('hostile.ttl', 'hostile.len_fill', ttl => '100 years');
SELECT hostile.ttl('a'), (SELECT expires_at > now() + interval '99 years'
                            FROM atomiccache.entries('hostile.ttl'));

SET client_min_messages = warning;
DROP SCHEMA hostile CASCADE;
RESET client_min_messages;
