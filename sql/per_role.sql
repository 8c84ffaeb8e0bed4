--
-- per_role: a fill runs as the calling role, under its row-level
-- security, so two roles may rightly get two values for one key.  A cache
-- made with per_role => true keys its entries by the calling role
-- (current_user, after SET ROLE too); an ordinary cache shares one value.
--
CREATE ROLE regress_ac_alice;
CREATE ROLE regress_ac_bob;
CREATE TABLE docs (owner name, kind int, body text);
INSERT INTO docs VALUES ('regress_ac_alice', 1, 'a1'), ('regress_ac_alice', 1, 'a2'),
                        ('regress_ac_bob', 1, 'b1'), ('regress_ac_bob', 2, 'b2');
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON docs USING (owner = current_user);
GRANT SELECT ON docs TO regress_ac_alice, regress_ac_bob;
CREATE SEQUENCE doc_fills;
GRANT USAGE ON SEQUENCE doc_fills TO regress_ac_alice, regress_ac_bob;
-- what the calling role may see of one kind, and the fill's number
CREATE FUNCTION doc_list(k int) RETURNS text LANGUAGE sql AS $$
    SELECT coalesce(string_agg(body, ',' ORDER BY body), '-') || ' #' || nextval('doc_fills')
      FROM docs WHERE kind = k
$$;
SELECT atomiccache.create_cache('docs_by_role', 'doc_list', per_role => true);
SELECT atomiccache.create_cache('docs_shared', 'doc_list');
SELECT name, per_role FROM atomiccache.caches ORDER BY name;

-- each role fills its own entry, and hits it again
SET ROLE regress_ac_alice;
SELECT docs_by_role(1), docs_by_role(1), docs_by_role(2);
SET ROLE regress_ac_bob;
SELECT docs_by_role(1), docs_by_role(1), docs_by_role(2);
SET ROLE regress_ac_alice;
SELECT docs_by_role(1);
SELECT atomiccache.contains('docs_by_role', 1), atomiccache.contains('docs_by_role', 3);
RESET ROLE;
-- the superuser is a role too: its own entry (RLS does not apply to it)
SELECT docs_by_role(1), atomiccache.contains('docs_by_role', 2);
SELECT name, entries, hits, misses, fills FROM atomiccache.caches
 WHERE name = 'docs_by_role';
-- (the superuser shown as "me": its name depends on the installation)
SELECT key, state,
       CASE WHEN role = current_user::regrole THEN 'me' ELSE role::text END AS role
  FROM atomiccache.entries('docs_by_role') ORDER BY 3, 1;

-- an ordinary cache gives the first filler's value to every role: that is
-- what per_role is for
SET ROLE regress_ac_alice;
SELECT docs_shared(1);
SET ROLE regress_ac_bob;
SELECT docs_shared(1);
RESET ROLE;
SELECT key, role FROM atomiccache.entries('docs_shared');

-- invalidate(key) removes the key's entry of every role (the data behind
-- it changed for all); one invalidation counted
UPDATE docs SET body = 'a1*' WHERE body = 'a1';
SELECT atomiccache.invalidate('docs_by_role', 1);
SELECT key, role FROM atomiccache.entries('docs_by_role') ORDER BY role::text, key;
SELECT invalidations FROM atomiccache.caches WHERE name = 'docs_by_role';
SELECT atomiccache.invalidate('docs_by_role', 1);
SET ROLE regress_ac_alice;
SELECT docs_by_role(1);
SET ROLE regress_ac_bob;
SELECT docs_by_role(1);
RESET ROLE;

-- a SECURITY DEFINER function runs as its owner: the owner's entry
CREATE FUNCTION alice_view(k int) RETURNS text LANGUAGE sql SECURITY DEFINER
    AS $$ SELECT docs_by_role(k) $$;
ALTER FUNCTION alice_view(int) OWNER TO regress_ac_alice;
SET ROLE regress_ac_bob;
SELECT alice_view(1), docs_by_role(1);
RESET ROLE;

-- invalidate_all removes every role's entries
SELECT atomiccache.invalidate_all('docs_by_role');
SELECT count(*) FROM atomiccache.entries('docs_by_role');

-- memoize(..., per_role => true)
CREATE FUNCTION my_kinds() RETURNS text LANGUAGE sql AS $$
    SELECT coalesce(string_agg(DISTINCT kind::text, ','), '-') || ' #' || nextval('doc_fills')
      FROM docs
$$;
GRANT EXECUTE ON FUNCTION my_kinds() TO PUBLIC;
SELECT atomiccache.memoize('my_kinds', per_role => true);
SET ROLE regress_ac_alice;
SELECT my_kinds(), my_kinds();
SET ROLE regress_ac_bob;
SELECT my_kinds(), my_kinds();
RESET ROLE;
SELECT name, per_role, memoized FROM atomiccache._caches() WHERE name LIKE 'my_kinds%';

-- bad input (22004)
\set VERBOSITY sqlstate
SELECT atomiccache.create_cache('docs_null', 'doc_list', per_role => NULL);
SELECT atomiccache.memoize('doc_list', NULL, NULL);
\set VERBOSITY default

-- the definition of a per_role cache (read, never run)
SELECT pg_get_function_arguments('atomiccache.docs_by_role(atomiccache.cache)'::regprocedure);
SELECT pg_get_function_arguments('atomiccache.docs_shared(atomiccache.cache)'::regprocedure);

-- in one transaction, a SQL fill planned for one role is planned again for
-- the next: the plan made as the table's owner (no row-level security)
-- never serves alice
INSERT INTO docs VALUES ('regress_ac_alice', 3, 'a3'), ('regress_ac_bob', 3, 'b3');
BEGIN;
SELECT docs_by_role(3);
SET LOCAL ROLE regress_ac_alice;
SELECT docs_by_role(3);
SET LOCAL ROLE regress_ac_bob;
SELECT docs_by_role(3), docs_by_role(3);
COMMIT;

-- a fill that changes the role (SET ROLE in it) computed another role's
-- view: returned, never cached (counted uncached)
CREATE FUNCTION role_hopper(k int) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('role', 'regress_ac_bob', true);
    RETURN doc_list(k);
END $$;
SELECT atomiccache.create_cache('hopper', 'role_hopper', per_role => true);
BEGIN;
SELECT hopper(3);
SELECT current_user;
ROLLBACK;
SELECT entries, uncached FROM atomiccache.caches WHERE name = 'hopper';
SELECT atomiccache.drop_cache('hopper');
DROP FUNCTION role_hopper(int);

SELECT atomiccache.unmemoize('my_kinds');
SELECT atomiccache.drop_cache('docs_by_role');
SELECT atomiccache.drop_cache('docs_shared');
DROP FUNCTION alice_view(int);
DROP FUNCTION doc_list(int);
DROP FUNCTION my_kinds();
DROP TABLE docs;
DROP SEQUENCE doc_fills;
DROP ROLE regress_ac_alice;
DROP ROLE regress_ac_bob;
