
# Copyright (c) atomiccache contributors
#
# test/t/180_pg_upgrade.pl -- pg_upgrade of a cluster with caches, a
# memoized function and a view over an accessor (same major version; the
# caches live in the catalog, so pg_upgrade's --check accepts them):
# afterwards the caches are there, empty, they fill and hit, the view
# works, and every DROP that needed CASCADE still does (2BP01).

use strict;
use warnings FATAL => 'all';

use Cwd;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $old = PostgreSQL::Test::Cluster->new('old');
$old->init;
$old->start;
$old->safe_psql('postgres', 'CREATE DATABASE app');
$old->safe_psql(
	'app', q{
	CREATE EXTENSION atomiccache;
	CREATE SEQUENCE fills;
	CREATE FUNCTION price_fill(k int) RETURNS numeric LANGUAGE plpgsql AS $$
	BEGIN PERFORM nextval('fills'); RETURN k * 1.5; END $$;
	CREATE SCHEMA shop;
	SELECT atomiccache.create_cache('shop.price', 'price_fill(int)', ttl => '5 minutes');
	CREATE FUNCTION fib(n int) RETURNS numeric LANGUAGE sql
		AS $$ SELECT CASE WHEN n < 2 THEN n::numeric ELSE fib(n - 1) + fib(n - 2) END $$;
	SELECT atomiccache.memoize('fib(int)');
	CREATE VIEW shop.v AS SELECT shop.price(3) AS p, fib(12) AS f;
	SELECT * FROM shop.v;
});
my $before = $old->safe_psql('app',
	'SELECT name, accessor, fill, ttl FROM atomiccache.caches ORDER BY name');

my $new = PostgreSQL::Test::Cluster->new('new');
$new->init;
$old->stop;

my $bindir = $old->config_data('--bindir');
my @upgrade = (
	"$bindir/pg_upgrade", '--no-sync',
	'-d', $old->data_dir, '-D', $new->data_dir,
	'-b', $bindir, '-B', $bindir,
	'-s', $new->host,
	'-p', $old->port, '-P', $new->port);

# pg_upgrade writes its scripts into the current directory
my $cwd = getcwd();
chdir $PostgreSQL::Test::Utils::tmp_check;
command_ok([ @upgrade, '--check' ],
	'pg_upgrade --check accepts a cluster with caches');
command_ok(\@upgrade, 'pg_upgrade of a cluster with caches');
chdir $cwd;

$new->start;
is( $new->safe_psql(
		'app', 'SELECT name, accessor, fill, ttl FROM atomiccache.caches ORDER BY name'),
	$before, 'the caches are there after the upgrade');
is( $new->safe_psql(
		'app', q{
	SELECT p, f FROM shop.v;
	SELECT fib(30), shop.price(2), shop.price(2);
	SELECT name, fills, hits > 0 FROM atomiccache.caches ORDER BY name}),
	"4.5|144\n832040|3.0|3.0\nfib|31|t\nshop.price|2|t",
	'after the upgrade the view works, and the caches fill once, then hit');

for my $d (
	'DROP FUNCTION price_fill(int)',
	'DROP FUNCTION fib_uncached(int)',
	'DROP FUNCTION shop.price(int)',
	'DROP FUNCTION fib(int)',
	'DROP SCHEMA shop',
	'DROP EXTENSION atomiccache')
{
	my ($ret, $stdout, $stderr) =
	  $new->psql('app', "\\set VERBOSITY sqlstate\nBEGIN;\n$d;\nROLLBACK;");
	like($stderr, qr/2BP01/, "after the upgrade, $d still needs CASCADE");
}

is( $new->safe_psql(
		'app', q{
	DROP VIEW shop.v;
	SELECT atomiccache.unmemoize('fib(int)'), atomiccache.drop_cache('shop.price');
	SELECT count(*) FROM atomiccache.caches;
	SELECT fib(20)}),
	"|\n0\n6765",
	'the upgraded caches can be dropped, and fib has its body back');

$new->stop;
done_testing();
