
# Copyright (c) atomiccache contributors
#
# test/t/090_dump_restore.pl -- pg_dump / pg_restore of a database with
# caches restores working caches, empty, with their dependencies: after a
# restore (custom and plain format, into a new database), accessors,
# memoized functions and views over them work, and every DROP that needed
# CASCADE before the dump still does (2BP01).

use strict;
use warnings FATAL => 'all';

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('dump');
$node->init;
$node->start;
$node->safe_psql(
	'postgres', q{
	CREATE EXTENSION atomiccache;
	CREATE SEQUENCE fills;
	CREATE FUNCTION price_fill(k int) RETURNS numeric LANGUAGE plpgsql AS $$
	BEGIN PERFORM nextval('fills'); RETURN k * 1.5; END $$;
	CREATE SCHEMA shop;
	SELECT atomiccache.create_cache('shop.price', 'price_fill(int)', ttl => '5 minutes');
	CREATE FUNCTION fib(n int) RETURNS numeric LANGUAGE sql
		AS $$ SELECT CASE WHEN n < 2 THEN n::numeric ELSE fib(n - 1) + fib(n - 2) END $$;
	SELECT atomiccache.memoize('fib(int)');
	SELECT shop.price(2), fib(30);
	CREATE VIEW shop.v AS SELECT shop.price(3) AS p, fib(12) AS f;
	CREATE ROLE regress_ac_r1;
	GRANT USAGE ON SCHEMA shop TO regress_ac_r1;
	CREATE FUNCTION who(k int) RETURNS text LANGUAGE sql
		AS $$ SELECT current_user || ':' || k $$;
	SELECT atomiccache.create_cache('shop.who', 'who(int)', per_role => true);
});

# Each of these needs CASCADE while the caches exist.
my @drops = (
	'DROP FUNCTION price_fill(int)',
	'DROP FUNCTION fib_uncached(int)',
	'DROP FUNCTION shop.price(int)',
	'DROP FUNCTION fib(int)',
	'DROP SCHEMA shop',
	'DROP EXTENSION atomiccache');

sub refusals
{
	my ($db) = @_;
	my @out;
	for my $d (@drops)
	{
		my ($ret, $stdout, $stderr) = $node->psql($db,
			"\\set VERBOSITY sqlstate\nBEGIN;\n$d;\nROLLBACK;");
		push @out, "$d: " . ($stderr =~ /2BP01/ ? 'refused' : "ALLOWED $stderr");
	}
	return join("\n", @out);
}
my $refused = join("\n", map { "$_: refused" } @drops);
is(refusals('postgres'), $refused, 'before the dump, every DROP needs CASCADE');

my $dump = "$PostgreSQL::Test::Utils::tmp_check/dump.custom";
$node->command_ok(
	[ 'pg_dump', '-Fc', '-f', $dump, '-d', $node->connstr('postgres') ],
	'pg_dump of a database with caches');
$node->safe_psql('postgres', 'CREATE DATABASE restored');
$node->command_ok(
	[
		'pg_restore', '--exit-on-error', '-d',
		$node->connstr('restored'), $dump
	],
	'pg_restore of it');

is( $node->safe_psql(
		'restored',
		'SELECT name, accessor, fill, ttl, per_role, entries FROM atomiccache.caches ORDER BY name'),
	"fib|fib(integer)|fib_uncached(integer)||f|0\n"
	  . "shop.price|shop.price(integer)|price_fill(integer)|00:05:00|f|0\n"
	  . "shop.who|shop.who(integer)|who(integer)||t|0",
	'the caches are restored, empty, per_role kept');

is( $node->safe_psql(
		'restored', q{
	SET ROLE regress_ac_r1;
	SELECT shop.who(1);
	RESET ROLE;
	SELECT shop.who(1) = current_user || ':1', shop.who(1) = current_user || ':1',
	       (SELECT entries FROM atomiccache.caches WHERE name = 'shop.who')}),
	"regress_ac_r1:1\nt|t|2",
	'the restored per_role cache keys its entries by role');

is( $node->safe_psql(
		'restored', q{
	SELECT atomiccache.contains('shop.price', 2),
	       shop.price(2), shop.price(2),
	       (SELECT fills FROM atomiccache.caches WHERE name = 'shop.price')}),
	'f|3.0|3.0|1',
	'the restored accessor fills once, then hits');

is( $node->safe_psql(
		'restored', q{
	SELECT fib(30), (SELECT fills FROM atomiccache.caches WHERE name = 'fib')}),
	'832040|31',
	'the restored memoized function goes through its cache');
is($node->safe_psql('restored', 'SELECT p, f FROM shop.v'),
	'4.5|144', 'the restored view over the accessors works');
is(refusals('restored'), $refused,
	'after pg_restore, every DROP still needs CASCADE');

# a parallel restore (directory format, 2 jobs) runs the GRANTs and
# REVOKEs of a memoized function and of its original body at once: each
# restore succeeds and gives both the privileges of the source
$node->safe_psql('postgres', 'REVOKE EXECUTE ON FUNCTION fib(int) FROM PUBLIC');
my $dir = "$PostgreSQL::Test::Utils::tmp_check/dump.dir";
$node->command_ok(
	[ 'pg_dump', '-Fd', '-f', $dir, '-d', $node->connstr('postgres') ],
	'pg_dump, directory format');
for my $i (1 .. 4)
{
	$node->safe_psql('postgres', "CREATE DATABASE parallel_$i");
	$node->command_ok(
		[
			'pg_restore', '--exit-on-error', '-j', '2', '-d',
			$node->connstr("parallel_$i"), $dir
		],
		"pg_restore -j 2, run $i");
	is( $node->safe_psql(
			"parallel_$i", q{
		SELECT bool_or(has_function_privilege('pg_monitor', p.oid, 'EXECUTE'))
		  FROM pg_proc p WHERE p.proname IN ('fib', 'fib_uncached')
		   AND p.pronamespace = 'public'::regnamespace}),
		'f', "run $i: neither fib nor fib_uncached is executable by PUBLIC");
}
$node->safe_psql('postgres', 'GRANT EXECUTE ON FUNCTION fib(int) TO PUBLIC');

# --no-owner: everything belongs to the restoring superuser
$node->safe_psql('postgres', 'CREATE DATABASE restored_no_owner');
$node->command_ok(
	[
		'pg_restore', '--exit-on-error', '--no-owner', '-d',
		$node->connstr('restored_no_owner'), $dump
	],
	'pg_restore --no-owner of it');
is( $node->safe_psql(
		'restored_no_owner', q{
	SELECT p, f FROM shop.v;
	SELECT count(*) FROM atomiccache.caches}),
	"4.5|144\n3", 'the caches of a --no-owner restore work');
is(refusals('restored_no_owner'), $refused,
	'after a --no-owner restore, every DROP still needs CASCADE');

# plain format, into another new database
my $plain_new = "$PostgreSQL::Test::Utils::tmp_check/dump_new.sql";
$node->command_ok(
	[ 'pg_dump', '-f', $plain_new, '-d', $node->connstr('postgres') ],
	'pg_dump, plain');
$node->safe_psql('postgres', 'CREATE DATABASE restored_plain');
$node->command_ok(
	[
		'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', $plain_new,
		'-d', $node->connstr('restored_plain')
	],
	'the plain dump loads into a new database');
is( $node->safe_psql(
		'restored_plain', q{
	SELECT p, f FROM shop.v;
	SELECT fib(30), shop.price(2), shop.price(2);
	SELECT name, fills, hits > 0 FROM atomiccache.caches WHERE NOT per_role ORDER BY name}),
	"4.5|144\n832040|3.0|3.0\nfib|31|t\nshop.price|2|t",
	'the caches of the plain restore fill once, then hit; the view works');
is(refusals('restored_plain'), $refused,
	'after a plain restore, every DROP still needs CASCADE');

$node->safe_psql('restored', q{SELECT atomiccache.unmemoize('fib(int)')});
is($node->safe_psql('restored', 'SELECT fib(20)'),
	'6765', 'unmemoize works on the restored function');

# the original database is untouched by what happened in the copy
is( $node->safe_psql(
		'postgres',
		"SELECT entries FROM atomiccache.caches WHERE name = 'fib'"),
	'31',
	'entries are per database');

# restored over itself (--clean, in one transaction): the caches come back
# (new definitions, new ids) and are live (counted), memoized functions
# included
$node->command_ok(
	[
		'pg_restore', '--clean', '--if-exists', '--single-transaction',
		'--exit-on-error', '-d', $node->connstr('postgres'), $dump
	],
	'pg_restore --clean --single-transaction over the same database');
my $plain = "$PostgreSQL::Test::Utils::tmp_check/dump.sql";
$node->command_ok(
	[ 'pg_dump', '--clean', '-f', $plain, '-d', $node->connstr('postgres') ],
	'pg_dump --clean, plain');
$node->command_ok(
	[
		'psql', '-X', '-q', '-1', '-v', 'ON_ERROR_STOP=1', '-f', $plain,
		'-d', $node->connstr('postgres')
	],
	'the plain --clean dump loads in one transaction');
is( $node->safe_psql(
		'postgres', q{
	SELECT fib(30), shop.price(2), shop.price(2);
	SELECT name, entries > 0, hits > 0 FROM atomiccache.caches WHERE NOT per_role ORDER BY name}),
	"832040|3.0|3.0\nfib|t|t\nshop.price|t|t",
	'the caches restored over themselves fill, hit and are counted');

$node->stop;
done_testing();
