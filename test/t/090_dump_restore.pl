
# Copyright (c) atomiccache contributors
#
# test/t/090_dump_restore.pl -- pg_dump / pg_restore of a database with
# caches restores working caches, empty (SPEC.md, Privileges).

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
});

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
		'SELECT name, accessor, fill, ttl, entries FROM atomiccache.caches ORDER BY name'),
	"fib|fib(integer)|fib_uncached(integer)||0\n"
	  . "shop.price|shop.price(integer)|price_fill(integer)|00:05:00|0",
	'the caches are restored, empty');

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
# with their old ids and are live (counted), memoized functions included
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
	SELECT name, entries > 0, hits > 0 FROM atomiccache.caches ORDER BY name}),
	"832040|3.0|3.0\nfib|t|t\nshop.price|t|t",
	'the caches restored over themselves fill, hit and are counted');

$node->stop;
done_testing();
