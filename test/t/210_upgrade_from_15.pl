
# Copyright (c) atomiccache contributors
#
# test/t/210_upgrade_from_15.pl -- pg_upgrade from PostgreSQL 15 to 18 of a
# cluster with caches, a memoized function and a view over an accessor:
# the upgrade succeeds (--check first), and afterwards the accessor, the
# memoized function and the view work, and DROP FUNCTION of a fill is
# still refused without CASCADE.
#
# Run by the test command on PostgreSQL 18 only, when it has the old side:
# AC_UPGRADE_FROM names a 15 installation with atomiccache installed (a
# 15.18 built from Debian 12's source package: test/pgbuild.sh says why
# not the packaged 15.20).  18's initdb turns data checksums on by
# default; the new cluster is made without them, as the 15 one is.

use strict;
use warnings FATAL => 'all';

use Cwd;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $from = $ENV{AC_UPGRADE_FROM}
  or BAIL_OUT('AC_UPGRADE_FROM is not set: test/run.sh sets it on PostgreSQL 18');

my $old = PostgreSQL::Test::Cluster->new('old', install_path => $from);
$old->init;
$old->start;
like($old->safe_psql('postgres', 'SELECT version()'),
	qr/^PostgreSQL 15\./, 'the old cluster runs PostgreSQL 15');
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
$new->init(extra => ['--no-data-checksums']);
$old->stop;

my $oldbin = $old->config_data('--bindir');
my $newbin = $new->config_data('--bindir');
my @upgrade = (
	"$newbin/pg_upgrade", '--no-sync',
	'-d', $old->data_dir, '-D', $new->data_dir,
	'-b', $oldbin, '-B', $newbin,
	'-s', $new->host,
	'-p', $old->port, '-P', $new->port);

# pg_upgrade writes its scripts into the current directory
my $cwd = getcwd();
chdir $PostgreSQL::Test::Utils::tmp_check;
command_ok([ @upgrade, '--check' ],
	'pg_upgrade --check from 15 to 18 accepts a cluster with caches');
command_ok(\@upgrade, 'pg_upgrade from 15 to 18');
chdir $cwd;

$new->start;
like($new->safe_psql('app', 'SELECT version()'),
	qr/^PostgreSQL 18\./, 'the new cluster runs PostgreSQL 18');
is( $new->safe_psql(
		'app', 'SELECT name, accessor, fill, ttl FROM atomiccache.caches ORDER BY name'),
	$before, 'the caches are there after the upgrade');
is( $new->safe_psql(
		'app', q{
	SELECT p, f FROM shop.v;
	SELECT fib(30), shop.price(2), shop.price(2);
	SELECT name, fills, hits > 0 FROM atomiccache.caches ORDER BY name}),
	"4.5|144\n832040|3.0|3.0\nfib|31|t\nshop.price|2|t",
	'on 18 the view works, and the caches fill once, then hit');

for my $d (
	'DROP FUNCTION price_fill(int)',
	'DROP FUNCTION fib_uncached(int)',
	'DROP FUNCTION shop.price(int)',
	'DROP EXTENSION atomiccache')
{
	my ($ret, $stdout, $stderr) =
	  $new->psql('app', "\\set VERBOSITY sqlstate\nBEGIN;\n$d;\nROLLBACK;");
	like($stderr, qr/2BP01/, "after the upgrade, $d still needs CASCADE");
}

$new->stop;
done_testing();
