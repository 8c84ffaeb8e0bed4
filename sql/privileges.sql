--
-- privileges: a memoized function and its original body (fn_uncached)
-- have one set of privileges and one owner, whatever the order of GRANT,
-- REVOKE and ALTER FUNCTION ... OWNER; the function is the one to GRANT
-- on.  Also: functions named as DROP FUNCTION names them.
--
CREATE ROLE regress_ac_clerk;
CREATE ROLE regress_ac_boss;
CREATE FUNCTION payroll(k integer) RETURNS integer
LANGUAGE sql AS $$ SELECT k * 1000 $$;
SELECT atomiccache.memoize('payroll(integer)');

-- (the cache's definition, atomiccache.payroll(atomiccache.cache), is
-- never run: its privileges are left alone, its owner is the function's)
CREATE FUNCTION rights() RETURNS TABLE (fn text, clerk boolean, boss boolean, owner name)
LANGUAGE sql AS $$
    SELECT p.oid::regprocedure::text,
           CASE WHEN p.pronamespace <> 'atomiccache'::regnamespace
                THEN has_function_privilege('regress_ac_clerk', p.oid, 'EXECUTE') END,
           CASE WHEN EXISTS (SELECT FROM pg_roles WHERE rolname = 'regress_ac_boss')
                 AND p.pronamespace <> 'atomiccache'::regnamespace
                THEN has_function_privilege('regress_ac_boss', p.oid, 'EXECUTE') END,
           pg_get_userbyid(p.proowner)
      FROM pg_proc p WHERE p.proname IN ('payroll', 'payroll_uncached')
     ORDER BY 1
$$;
SELECT * FROM rights();

-- REVOKE after memoize reaches the original body
REVOKE EXECUTE ON FUNCTION payroll(integer) FROM PUBLIC;
SELECT * FROM rights();
SET ROLE regress_ac_clerk;
SELECT payroll(2);
SELECT payroll_uncached(2);
RESET ROLE;

-- GRANT to one role reaches it too
GRANT EXECUTE ON FUNCTION payroll(integer) TO regress_ac_boss;
SELECT * FROM rights();
SET ROLE regress_ac_boss;
SELECT payroll(2), payroll_uncached(2);
RESET ROLE;

-- a GRANT on the original body alone is undone: payroll decides
GRANT EXECUTE ON FUNCTION payroll_uncached(integer) TO regress_ac_clerk;
SELECT * FROM rights();

-- the owner follows too
ALTER FUNCTION payroll(integer) OWNER TO regress_ac_boss;
SELECT * FROM rights();
REASSIGN OWNED BY regress_ac_boss TO CURRENT_USER;
SELECT * FROM rights();

-- DROP ROLE sees the privileges of both (shared dependencies)
GRANT EXECUTE ON FUNCTION payroll(integer) TO regress_ac_boss;
SELECT * FROM rights();
DROP ROLE regress_ac_boss;
REVOKE EXECUTE ON FUNCTION payroll(integer) FROM regress_ac_boss;
DROP ROLE regress_ac_boss;
SELECT fn, clerk, owner FROM rights();

-- unmemoize gives the function its privileges as they are now
SELECT atomiccache.unmemoize('payroll');
SELECT p.oid::regprocedure, p.proacl IS NOT NULL AS has_acl,
       has_function_privilege('regress_ac_clerk', p.oid, 'EXECUTE') AS clerk
  FROM pg_proc p WHERE p.proname LIKE 'payroll%';

-- functions named as DROP FUNCTION names them
CREATE FUNCTION named_fill(k integer) RETURNS integer
LANGUAGE sql AS $$ SELECT k + 1 $$;
SELECT atomiccache.create_cache('named_a', 'named_fill');
SELECT atomiccache.create_cache('named_b', 'named_fill(integer)');
SELECT atomiccache.create_cache('named_c', fill => 'public.named_fill', ttl => '1 hour');
SELECT atomiccache.create_cache('named_d', 'named_fill'::regproc::regprocedure);
SELECT name, fill, ttl FROM atomiccache.caches WHERE name LIKE 'named%' ORDER BY 1;
SELECT named_a(1), named_b(1), named_c(1), named_d(1);
CREATE FUNCTION named_fill(k text) RETURNS text
LANGUAGE sql AS $$ SELECT k || '!' $$;
\set VERBOSITY sqlstate
SELECT atomiccache.create_cache('named_e', 'named_fill');
SELECT atomiccache.create_cache('named_e', 'no_such_fill');
SELECT atomiccache.create_cache('named_e', 'no_such_fill(integer)');
SELECT atomiccache.memoize('named_fill');
\set VERBOSITY default
SELECT atomiccache.create_cache('named_e', 'named_fill');
SELECT atomiccache.create_cache('named_e', 'no_such_fill');
SELECT atomiccache.create_cache('named_e', 'no_such_fill(integer)');
SELECT atomiccache.memoize('named_fill(text)');
SELECT named_fill('x'), named_fill('x');
SELECT atomiccache.unmemoize('named_fill(text)');
SELECT atomiccache.drop_cache(name) FROM atomiccache.caches WHERE name LIKE 'named%';
DROP FUNCTION named_fill(integer), named_fill(text);
DROP FUNCTION rights();
DROP FUNCTION payroll(integer);
DROP ROLE regress_ac_clerk;
