# Copyright (c) atomiccache contributors
#
# test/t/130_upgrade.pl -- ALTER EXTENSION atomiccache UPDATE from every
# older version gives the objects of a fresh install (same members, same
# definitions, privileges, comments and event trigger settings), and the
# caches made under the older version keep working.

use strict;
use warnings FATAL => 'all';

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('upgrade');
$node->init;
$node->start;

# Everything that makes up the installed extension, as text.
my $objects = q{
	WITH m AS (
		SELECT d.classid, d.objid FROM pg_catalog.pg_depend d
		 WHERE d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass
		   AND d.deptype = 'e'
		   AND d.refobjid = (SELECT e.oid FROM pg_catalog.pg_extension e
		                      WHERE e.extname = 'atomiccache'))
	SELECT pg_catalog.pg_describe_object(m.classid, m.objid, 0) AS object,
	       coalesce(pg_catalog.obj_description(m.objid,
	                  (SELECT c.relname FROM pg_catalog.pg_class c
	                    WHERE c.oid = m.classid)), '-') AS comment,
	       CASE m.classid
	         WHEN 'pg_catalog.pg_proc'::pg_catalog.regclass THEN
	           (SELECT pg_catalog.pg_get_functiondef(p.oid) || coalesce(p.proacl::text, '')
	              FROM pg_catalog.pg_proc p WHERE p.oid = m.objid)
	         WHEN 'pg_catalog.pg_class'::pg_catalog.regclass THEN
	           (SELECT c.relkind::text || coalesce(c.relacl::text, '') ||
	                   CASE c.relkind WHEN 'v' THEN pg_catalog.pg_get_viewdef(c.oid)
	                   ELSE (SELECT string_agg(a.attname || ' ' ||
	                                pg_catalog.format_type(a.atttypid, a.atttypmod) ||
	                                ' ' || a.attnotnull, ', ' ORDER BY a.attnum)
	                           FROM pg_catalog.pg_attribute a
	                          WHERE a.attrelid = c.oid AND a.attnum > 0
	                            AND NOT a.attisdropped) ||
	                        (SELECT coalesce(string_agg(pg_catalog.pg_get_constraintdef(k.oid), ', '
	                                                    ORDER BY k.conname), '')
	                           FROM pg_catalog.pg_constraint k WHERE k.conrelid = c.oid)
	                   END
	              FROM pg_catalog.pg_class c WHERE c.oid = m.objid)
	         WHEN 'pg_catalog.pg_event_trigger'::pg_catalog.regclass THEN
	           (SELECT t.evtevent || ' ' || t.evtenabled::text || ' ' ||
	                   coalesce(t.evttags::text, '') || ' ' || t.evtfoid::pg_catalog.regproc
	              FROM pg_catalog.pg_event_trigger t WHERE t.oid = m.objid)
	         ELSE '' END AS definition
	  FROM m
	UNION ALL
	SELECT 'schema ' || n.nspname, coalesce(pg_catalog.obj_description(n.oid, 'pg_namespace'), '-'),
	       coalesce(n.nspacl::text, '')
	  FROM pg_catalog.pg_namespace n WHERE n.nspname = 'atomiccache'
	ORDER BY 1, 3};

$node->safe_psql('postgres', 'CREATE DATABASE fresh');
$node->safe_psql('fresh', 'CREATE EXTENSION atomiccache');
my $fresh = $node->safe_psql('fresh', $objects);
my $default = $node->safe_psql('fresh',
	q{SELECT extversion FROM pg_extension WHERE extname = 'atomiccache'});

my @older = split /\n/,
  $node->safe_psql(
	'postgres', qq{
	SELECT version FROM pg_available_extension_versions
	 WHERE name = 'atomiccache' AND version <> '$default'
	 ORDER BY string_to_array(version, '.')::int[]});
ok(@older > 0, 'there are older versions to update from: ' . join(', ', @older));

for my $v (@older)
{
	my $db = 'from_' . ($v =~ s/\./_/gr);
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	# The caches an installation of version $v made: the library serves
	# the newest version only, so the catalog rows that $v's create_cache
	# and memoize wrote are written here as they wrote them.
	$node->safe_psql(
		$db, qq{
		CREATE EXTENSION atomiccache VERSION '$v';
		CREATE SEQUENCE fills;
		CREATE FUNCTION f(k int) RETURNS text LANGUAGE sql
			AS \$\$ SELECT k || '#' || nextval('fills') \$\$;
		CREATE FUNCTION fib(n int) RETURNS numeric LANGUAGE c VOLATILE
			AS '\$libdir/atomiccache', 'atomiccache_accessor';
		CREATE FUNCTION fib_uncached(n int) RETURNS numeric LANGUAGE sql
			AS \$\$ SELECT CASE WHEN n < 2 THEN n::numeric ELSE fib(n - 1) + fib(n - 2) END \$\$;
		CREATE FUNCTION sf(k int) RETURNS int LANGUAGE sql STRICT AS 'SELECT k';
		CREATE FUNCTION c(k int) RETURNS text LANGUAGE c VOLATILE
			AS '\$libdir/atomiccache', 'atomiccache_accessor';
		CREATE FUNCTION s(k int) RETURNS int LANGUAGE c STRICT IMMUTABLE
			AS '\$libdir/atomiccache', 'atomiccache_accessor';
		INSERT INTO atomiccache.registry (name, uid, accessor, fill, ttl, owner, memoized)
		VALUES ('c', 101, 'c(int)', 'f(int)', NULL, current_user::regrole, false),
		       ('fib', 102, 'fib(int)', 'fib_uncached(int)', NULL, current_user::regrole, true),
		       ('s', 103, 's(int)', 'sf(int)', '1 hour', current_user::regrole, false);
		INSERT INTO pg_depend (classid, objid, objsubid, refclassid, refobjid, refobjsubid, deptype)
		SELECT 'pg_proc'::regclass, a::regprocedure, 0, 'pg_proc'::regclass, f::regprocedure, 0, 'n'
		  FROM (VALUES ('c(int)', 'f(int)'), ('s(int)', 'sf(int)')) v(a, f)
		UNION ALL
		SELECT 'pg_proc'::regclass, a::regprocedure, 0, 'pg_extension'::regclass,
		       (SELECT oid FROM pg_extension WHERE extname = 'atomiccache'), 0, 'n'
		  FROM (VALUES ('c(int)'), ('s(int)'), ('fib(int)')) v(a)
		UNION ALL
		SELECT 'pg_proc'::regclass, 'fib_uncached(int)'::regprocedure, 0,
		       'pg_proc'::regclass, 'fib(int)'::regprocedure, 0, 'a';
	});
	$node->safe_psql($db, 'ALTER EXTENSION atomiccache UPDATE');
	is($node->safe_psql($db, $objects),
		$fresh, "$v updated to $default: the objects of a fresh install");

	# the caches made before the update keep working
	is( $node->safe_psql(
			$db, q{
		SELECT c(1), fib(20), fib(30),
		       (SELECT fills FROM atomiccache.caches WHERE name = 'c')}),
		'1#1|6765|832040|1',
		"$v: caches made before the update still hit and fill");
	is( $node->safe_psql(
			$db, q{
		SELECT proisstrict, s(NULL) IS NULL, s(4) FROM pg_proc
		 WHERE oid = 's(int)'::regprocedure}),
		'f|t|4', "$v: accessors are no longer STRICT, and apply their fill's");
	my ($r, $o, $e) = $node->psql($db, 'DROP FUNCTION fib_uncached(int)');
	like($e,
		qr/function atomiccache.fib\(atomiccache.cache\) depends on function fib_uncached\(integer\)/,
		"$v: the original body of a memoized function cannot be dropped alone");
	($r, $o, $e) = $node->psql($db, 'DROP FUNCTION f(int)');
	like($e,
		qr/function atomiccache.c\(atomiccache.cache\) depends on function f\(integer\)/,
		"$v: nor the fill function of a cache");
	is( $node->safe_psql(
			$db, q{
		SELECT string_agg(pg_describe_object(classid, objid, 0) || ' -> ' ||
		                  pg_describe_object(refclassid, refobjid, 0) || ' ' || deptype::text,
		                  ', ' ORDER BY objid::regprocedure::text)
		  FROM pg_depend
		 WHERE classid = 'pg_proc'::regclass
		   AND objid IN ('c(int)'::regprocedure, 'fib(int)'::regprocedure,
		                 'fib_uncached(int)'::regprocedure)
		   AND refobjid <> 'public'::regnamespace}),
		'function c(integer) -> extension atomiccache x, '
		  . 'function fib(integer) -> extension atomiccache x',
		"$v: the accessors have the dependencies of a fresh install");
	is( $node->safe_psql(
			$db, q{SELECT name, ttl, memoized FROM atomiccache._caches() ORDER BY 1}),
		"c||f\nfib||t\ns|01:00:00|f",
		"$v: the definitions say what the registry said");
	$node->safe_psql($db,
		q{SELECT atomiccache.unmemoize('fib(int)'), atomiccache.drop_cache('c'),
		         atomiccache.drop_cache('s')});
	is( $node->safe_psql(
			$db, q{SELECT count(*) FROM atomiccache.caches}),
		'0', "$v: and can be dropped");
}

# A DBA's changes to the functions and the view the update makes again or
# replaces survive it, and a view over atomiccache.caches does not stop it.
$node->safe_psql('postgres', 'CREATE DATABASE dba_changes');
$node->safe_psql(
	'dba_changes', q{
	CREATE EXTENSION atomiccache VERSION '0.1.0';
	CREATE ROLE regress_ac_dba_user;
	CREATE ROLE regress_ac_dba_other;
	REVOKE EXECUTE ON FUNCTION atomiccache.create_cache(text, regprocedure, interval) FROM PUBLIC;
	REVOKE EXECUTE ON FUNCTION atomiccache.memoize(regprocedure, interval) FROM PUBLIC;
	GRANT EXECUTE ON FUNCTION atomiccache.memoize(regprocedure, interval) TO regress_ac_dba_user;
	REVOKE EXECUTE ON FUNCTION atomiccache.entries(text) FROM PUBLIC;
	REVOKE SELECT ON atomiccache.caches FROM PUBLIC;
	CREATE VIEW mon AS SELECT name, hits FROM atomiccache.caches;
	ALTER EXTENSION atomiccache UPDATE;
});
is( $node->safe_psql(
		'dba_changes', q{
	SELECT has_function_privilege('regress_ac_dba_user',
	           'atomiccache.create_cache(text, regprocedure, interval, boolean)', 'EXECUTE'),
	       has_function_privilege('regress_ac_dba_user',
	           'atomiccache.create_cache(text, text, interval, boolean)', 'EXECUTE'),
	       has_function_privilege('regress_ac_dba_user',
	           'atomiccache.memoize(regprocedure, interval, boolean)', 'EXECUTE'),
	       has_function_privilege('regress_ac_dba_other',
	           'atomiccache.memoize(regprocedure, interval, boolean)', 'EXECUTE'),
	       has_function_privilege('regress_ac_dba_other',
	           'atomiccache.memoize(text, interval, boolean)', 'EXECUTE'),
	       has_function_privilege('regress_ac_dba_user', 'atomiccache.entries(text)', 'EXECUTE'),
	       has_table_privilege('regress_ac_dba_user', 'atomiccache.caches', 'SELECT'),
	       (SELECT count(*) FROM mon)}),
	'f|f|t|f|f|f|f|0',
	'the update keeps the privileges a DBA changed, and a view over caches');

$node->stop;
done_testing();
