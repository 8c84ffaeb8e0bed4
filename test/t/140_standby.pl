# Copyright (c) atomiccache contributors
#
# test/t/140_standby.pl -- a hot standby serves caches of its own: the
# accessors, memoized functions, contains, invalidate, invalidate_all,
# reset_stats and the view work there, with entries filled on the standby
# and independent of the primary's; the DDL functions fail with 25006.

use strict;
use warnings FATAL => 'all';

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->start;
$primary->safe_psql(
	'postgres', q{
	CREATE EXTENSION atomiccache;
	CREATE FUNCTION where_filled(k int) RETURNS text LANGUAGE sql
		AS $$ SELECT k || CASE WHEN pg_is_in_recovery() THEN ' on the standby'
		                       ELSE ' on the primary' END $$;
	SELECT atomiccache.create_cache('w', 'where_filled(int)');
	CREATE FUNCTION fib(n int) RETURNS numeric LANGUAGE sql
		AS $$ SELECT CASE WHEN n < 2 THEN n::numeric ELSE fib(n - 1) + fib(n - 2) END $$;
	SELECT atomiccache.memoize('fib(int)');
	SELECT w(1);
});
$primary->backup('b');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'b', has_streaming => 1);
$standby->start;
$primary->wait_for_catchup($standby);

is($standby->safe_psql('postgres', 'SELECT pg_is_in_recovery()'),
	't', 'the standby is in recovery');
is( $standby->safe_psql(
		'postgres', q{
	SELECT atomiccache.contains('w', 1), w(1), w(1), atomiccache.contains('w', 1)}),
	'f|1 on the standby|1 on the standby|t',
	"the standby fills its own entries, not the primary's");
is($primary->safe_psql('postgres', 'SELECT w(1)'),
	'1 on the primary', 'the primary keeps its own');
is( $standby->safe_psql(
		'postgres', q{SELECT entries, hits, fills FROM atomiccache.caches WHERE name = 'w'}),
	'1|1|1', 'the view shows the standby\'s entries and counters');
is( $standby->safe_psql(
		'postgres', q{
	SELECT fib(30), (SELECT fills FROM atomiccache.caches WHERE name = 'fib')}),
	'832040|31', 'a memoized function goes through the standby\'s cache');
is( $standby->safe_psql(
		'postgres', q{
	SELECT atomiccache.invalidate('w', 1), atomiccache.contains('w', 1)}),
	't|f', 'invalidate works on the standby');
$standby->safe_psql('postgres',
	q{SELECT atomiccache.invalidate_all('fib'), atomiccache.reset_stats()});
is( $standby->safe_psql(
		'postgres', q{SELECT name, entries, hits FROM atomiccache.caches ORDER BY 1}),
	"fib|0|0\nw|0|0", 'invalidate_all and reset_stats work on the standby');

# DDL: 25006 with a message that says why
for my $ddl (
	q{SELECT atomiccache.create_cache('w2', 'where_filled(int)')},
	q{SELECT atomiccache.drop_cache('w')},
	q{SELECT atomiccache.memoize('where_filled(int)')},
	q{SELECT atomiccache.unmemoize('fib(int)')})
{
	my ($ret, $out, $err) = $standby->psql('postgres',
		"\\set VERBOSITY verbose\n$ddl");
	like($err, qr/ERROR:  25006: cannot execute atomiccache\.\w+\(\) during recovery/,
		"$ddl: 25006 on the standby");
}

# caches made and dropped on the primary appear and go on the standby
$primary->safe_psql('postgres',
	q{SELECT atomiccache.create_cache('w2', 'where_filled(int)'),
	         atomiccache.drop_cache('w')});
$primary->wait_for_catchup($standby);
is( $standby->safe_psql(
		'postgres', q{SELECT w2(5), string_agg(name, ',' ORDER BY name) FROM atomiccache.caches}),
	'5 on the standby|fib,w2', 'DDL on the primary reaches the standby');

$standby->stop;
$primary->stop;
done_testing();
