
# Copyright (c) atomiccache contributors
#
# test/t/190_ddl_concurrency.pl -- DDL of caches and of their functions in
# two sessions at once: each waits for the other where it must, and ends
# with the right outcome or a clear error, never an internal one
# ("tuple concurrently updated", "cache lookup failed"); DDL on other
# functions never waits for a transaction that touched a cache.

use strict;
use warnings FATAL => 'all';

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use AtomicCacheTest;

my $node = ac_new_node('ddlconc');
$node->safe_psql(
	'postgres', q{
	CREATE ROLE regress_bob;
	CREATE FUNCTION f(k int) RETURNS int LANGUAGE sql AS 'SELECT k + 1';
	CREATE FUNCTION fib(n int) RETURNS numeric LANGUAGE sql
		AS 'SELECT CASE WHEN n < 2 THEN n::numeric ELSE fib(n - 1) + fib(n - 2) END';
	SELECT atomiccache.memoize('fib(int)');
	ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO regress_bob;
	SELECT atomiccache.create_cache('dp', 'f(int)');
	SELECT atomiccache.create_cache('zc', 'f(int)');
});

my $a = ac_session($node);
my $b = ac_session($node);
$_->query_safe('SET client_min_messages = warning') for ($a, $b);

# 1. GRANT/REVOKE on a memoized function and on its original body at once
# (pg_restore -j does this): the second waits for the first, then both
# apply, and the two functions end with the same privileges
$a->query_safe('BEGIN');
$a->query_safe('REVOKE EXECUTE ON FUNCTION fib(int) FROM PUBLIC');
ac_launch($b, 'REVOKE EXECUTE ON FUNCTION fib_uncached(int) FROM PUBLIC');
ac_poll($node,
	q{SELECT count(*) = 1 FROM pg_stat_activity
	   WHERE wait_event_type = 'Lock' AND query LIKE 'REVOKE%fib_uncached%'},
	'a REVOKE on the original body waits for one on the function');
$a->query_safe('COMMIT');
my ($out, $err) = ac_finish($b);
is($err, '', 'then it runs, without error');
is( $node->safe_psql(
		'postgres', q{
	SELECT p.proacl::text FROM pg_proc p WHERE p.oid = 'fib(int)'::regprocedure
	UNION ALL
	SELECT p.proacl::text FROM pg_proc p WHERE p.oid = 'fib_uncached(int)'::regprocedure}),
	"{postgres=X/postgres}\n{postgres=X/postgres}",
	'both functions end with the same privileges');

# 2. DDL on other functions does not wait for a transaction that made a
# function (nothing of a cache is written by either)
$a->query_safe('BEGIN');
$a->query_safe(q{CREATE FUNCTION u1() RETURNS int LANGUAGE sql AS 'SELECT 1'});
ac_launch($b, q{CREATE FUNCTION u2() RETURNS int LANGUAGE sql AS 'SELECT 2'});
($out, $err) = ac_finish($b);
is($err, '', 'CREATE FUNCTION does not wait for another open CREATE FUNCTION');
$a->query_safe('COMMIT');

# 3. drop_cache of one cache in two sessions: the second waits, then says
# the cache does not exist
$a->query_safe('BEGIN');
$a->query_safe(q{SELECT atomiccache.drop_cache('zc')});
ac_launch($b, q{SELECT atomiccache.drop_cache('zc')});
ac_poll($node,
	q{SELECT count(*) = 1 FROM pg_stat_activity
	   WHERE wait_event_type = 'Lock' AND query LIKE '%drop_cache%'},
	'a second drop_cache of one cache waits for the first');
$a->query_safe('COMMIT');
($out, $err) = ac_finish($b);
is(ac_error($err)->{sqlstate}, '42704', 'then it gets 42704, not an internal error');

# 4. drop_cache while another transaction drops the fill with CASCADE
$node->safe_psql('postgres',
	q{CREATE FUNCTION yf(k int) RETURNS int LANGUAGE sql AS 'SELECT k';
	  SELECT atomiccache.create_cache('yc', 'yf(int)')});
$a->query_safe('BEGIN');
$a->query_safe('DROP FUNCTION yf(int) CASCADE');
ac_launch($b, q{SELECT atomiccache.drop_cache('yc')});
ac_poll($node,
	q{SELECT count(*) = 1 FROM pg_stat_activity
	   WHERE wait_event_type = 'Lock' AND query LIKE '%drop_cache%'},
	'drop_cache waits for a DROP ... CASCADE of the fill');
$a->query_safe('COMMIT');
($out, $err) = ac_finish($b);
is(ac_error($err)->{sqlstate}, '42704', 'then it gets 42704');

# 5. unmemoize in two sessions: the second waits, then says the function
# is not memoized
$node->safe_psql('postgres',
	q{CREATE FUNCTION mz(k int) RETURNS int LANGUAGE sql AS 'SELECT k';
	  SELECT atomiccache.memoize('mz(int)')});
$a->query_safe('BEGIN');
$a->query_safe(q{SELECT atomiccache.unmemoize('mz(int)')});
ac_launch($b, q{SELECT atomiccache.unmemoize('mz(int)')});
ac_poll($node,
	q{SELECT count(*) = 1 FROM pg_stat_activity
	   WHERE wait_event_type = 'Lock' AND query LIKE '%unmemoize%'},
	'a second unmemoize waits for the first');
$a->query_safe('COMMIT');
($out, $err) = ac_finish($b);
is(ac_error($err)->{sqlstate}, '42704', 'then it gets 42704 (not memoized)');
is($node->safe_psql('postgres', 'SELECT mz(5), fib(20)'),
	'5|6765', 'the functions work');

# 6. a DROP ... CASCADE that waits for a create_cache in progress sees its
# cache when it runs: the accessor goes with the definition
$node->safe_psql('postgres',
	q{CREATE FUNCTION f2(k int) RETURNS int LANGUAGE sql AS 'SELECT k * 10'});
$a->query_safe('BEGIN');
$a->query_safe(q{SELECT atomiccache.create_cache('c2', 'f2(integer)')});
ac_launch($b, 'DROP FUNCTION f2(int) CASCADE');
ac_poll($node,
	q{SELECT count(*) = 1 FROM pg_stat_activity
	   WHERE wait_event_type = 'Lock' AND query LIKE 'DROP FUNCTION f2%'},
	'a DROP waits for the create_cache in progress');
$a->query_safe('COMMIT');
($out, $err) = ac_finish($b);
is($err, '', 'then it runs');
is( $node->safe_psql(
		'postgres', q{
	SELECT to_regprocedure('c2(int)') IS NULL,
	       (SELECT count(*) FROM atomiccache.caches WHERE name = 'c2')}),
	't|0', 'and drops the new cache with its accessor');

# 7. unmemoize and DROP ... CASCADE of the original body at once, while a
# third session holds a GRANT on the function: they queue, no deadlock
my $c = ac_session($node);
$c->query_safe('SET client_min_messages = warning');
$node->safe_psql('postgres',
	q{CREATE FUNCTION m4(k int) RETURNS int LANGUAGE sql AS 'SELECT k';
	  SELECT atomiccache.memoize('m4(int)')});
$c->query_safe('BEGIN');
$c->query_safe('GRANT EXECUTE ON FUNCTION m4(int) TO regress_bob');
ac_launch($a, q{SELECT atomiccache.unmemoize('m4(integer)')});
ac_poll($node,
	q{SELECT count(*) = 1 FROM pg_stat_activity
	   WHERE wait_event_type = 'Lock' AND query LIKE '%unmemoize%'},
	'unmemoize waits for the GRANT');
ac_launch($b, 'DROP FUNCTION m4_uncached(int) CASCADE');
ac_poll($node,
	q{SELECT count(*) = 1 FROM pg_stat_activity
	   WHERE wait_event_type = 'Lock' AND query LIKE 'DROP FUNCTION m4%'},
	'the DROP waits too');
$c->query_safe('COMMIT');
my ($out_a, $err_a) = ac_finish($a);
my ($out_b, $err_b) = ac_finish($b);
unlike($err_a . $err_b, qr/40P01|XX000/, 'neither deadlocks nor fails inside');
is( $node->safe_psql(
		'postgres', q{SELECT count(*) FROM atomiccache.caches WHERE name = 'm4'}),
	'0', 'the cache is gone either way');

# 8. memoize and a GRANT on the same function: the GRANT waits, then
# applies to the memoized function and its original body
$node->safe_psql('postgres',
	q{CREATE FUNCTION m1(k int) RETURNS int LANGUAGE sql AS 'SELECT k'});
$a->query_safe('BEGIN');
$a->query_safe(q{SELECT atomiccache.memoize('m1(integer)')});
ac_launch($b, 'GRANT EXECUTE ON FUNCTION m1(int) TO regress_bob');
ac_poll($node,
	q{SELECT count(*) = 1 FROM pg_stat_activity
	   WHERE wait_event_type = 'Lock' AND query LIKE 'GRANT%m1%'},
	'a GRANT waits for memoize of its function');
$a->query_safe('COMMIT');
($out, $err) = ac_finish($b);
is($err, '', 'then it runs, without error');
is( $node->safe_psql(
		'postgres', q{
	SELECT has_function_privilege('regress_bob', 'm1(int)', 'EXECUTE'),
	       has_function_privilege('regress_bob', 'm1_uncached(int)', 'EXECUTE')}),
	't|t', 'on the function and on its original body');

$a->quit;
$b->quit;
$c->quit;
$node->stop;
done_testing();
