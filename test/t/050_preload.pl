
# Copyright (c) atomiccache contributors
#
# With atomiccache in shared_preload_libraries: caches work, single flight
# holds under a stampede of 8 sessions, and atomiccache.memory_limit can be
# changed with ALTER SYSTEM and a reload, without a restart.

use strict;
use warnings FATAL => 'all';

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use AtomicCacheTest;

my $nsessions = 8;

my $node = ac_new_node('preload',
	conf => "shared_preload_libraries = 'atomiccache'\n");

is($node->safe_psql('postgres', 'SHOW shared_preload_libraries'),
	'atomiccache', 'the library is preloaded');

ac_create_slow_fill($node);
is( $node->safe_psql(
		'postgres', "SELECT atomiccache.create_cache('slow', 'slow_fill(int)')"),
	'slow(integer)',
	'create_cache returns the accessor');
is($node->safe_psql('postgres', 'SELECT slow(1)'),
	'value of 1 from fill 1', 'the accessor fills');
is($node->safe_psql('postgres', 'SELECT slow(1)'),
	'value of 1 from fill 1', 'and then hits');
is($node->safe_psql('postgres', "SELECT atomiccache.contains('slow', 1)"),
	't', 'contains() sees the entry');

# --- a stampede of 8 sessions -----------------------------------------------

my $ctl = ac_session($node);
my @sessions = map { ac_session($node) } 1 .. $nsessions;

$ctl->query_safe('SELECT pg_advisory_lock(1)');
ac_launch($sessions[0], 'SELECT slow(2);');
ac_poll($node,
	"SELECT count(*) = 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%slow(2)%'",
	'one session is inside the fill');
ac_launch($_, 'SELECT slow(2);') for @sessions[ 1 .. $#sessions ];
ac_poll($node,
	"SELECT count(*) = @{[$nsessions - 1]} FROM pg_stat_activity WHERE wait_event_type = 'Extension' AND query LIKE '%slow(2)%'",
	'the other ' . ($nsessions - 1) . ' sleep on it');
$ctl->query_safe('SELECT pg_advisory_unlock(1)');
my $i = 0;
for my $s (@sessions)
{
	my ($out, $err) = ac_finish($s);
	is($out, 'value of 2 from fill 2', "session $i gets the single fill's value");
	$i++;
}
is(ac_fills($node, 'fills'), 2, 'the stampede ran one fill');
cmp_ok(
	$node->safe_psql(
		'postgres', "SELECT waits FROM atomiccache.caches WHERE name = 'slow'"),
	'>=',
	$nsessions - 1,
	'atomiccache.caches counts the waits');

# --- atomiccache.memory_limit without restart --------------------------------

is( $node->safe_psql(
		'postgres',
		"SELECT context FROM pg_settings WHERE name = 'atomiccache.memory_limit'"),
	'sighup',
	'atomiccache.memory_limit can change at reload');
my $old = $node->safe_psql('postgres', 'SHOW atomiccache.memory_limit');
my $new = $old eq '32MB' ? '48MB' : '32MB';
my $started = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');

$node->safe_psql('postgres',
	"ALTER SYSTEM SET atomiccache.memory_limit = '$new'");
$node->safe_psql('postgres', 'SELECT pg_reload_conf()');
ac_poll($node, "SELECT current_setting('atomiccache.memory_limit') = '$new'",
	"a new session sees atomiccache.memory_limit = $new");
ac_poll($node,
	"SELECT setting::bigint * 1024 = pg_size_bytes('$new') FROM pg_settings WHERE name = 'atomiccache.memory_limit' AND NOT pending_restart",
	'pg_settings shows the new limit, with no restart pending');
# An idle backend rereads the configuration before the command after the one
# during which the reload signal arrived.
$sessions[0]->query_safe('SELECT 1');
is($sessions[0]->query_safe('SHOW atomiccache.memory_limit'),
	$new, 'an existing session sees the new limit too');
is($node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()'),
	$started, 'the server was not restarted');

is($sessions[1]->query_safe('SELECT slow(2)'),
	'value of 2 from fill 2', 'entries survive the reload');
is($sessions[1]->query_safe('SELECT slow(3)'),
	'value of 3 from fill 3', 'and the caches go on filling');

# The lowered limit bounds the cache at once.
$node->safe_psql('postgres',
	"ALTER SYSTEM SET atomiccache.memory_limit = '4MB'");
$node->safe_psql('postgres', 'SELECT pg_reload_conf()');
ac_poll($node, "SELECT current_setting('atomiccache.memory_limit') = '4MB'",
	'the limit is lowered to 4MB');
$node->safe_psql(
	'postgres', q{
	CREATE FUNCTION big_fill(k int) RETURNS text LANGUAGE sql
		AS $$ SELECT repeat(md5(k::text), 32768) $$;
	SELECT atomiccache.create_cache('big', 'big_fill(int)');
});
my $bigs = $node->safe_psql(
	'postgres', q{
	SELECT count(*) FILTER (WHERE big(k) = repeat(md5(k::text), 32768))
	  FROM generate_series(1, 12) k, generate_series(1, 2) pass});
is($bigs, 24, '12 values of 1MB each are served right under a 4MB limit');
my ($bytes, $evictions) = split /\|/, $node->safe_psql('postgres',
	"SELECT sum(bytes), sum(evictions) FROM atomiccache.caches");
cmp_ok($bytes, '<=', 4 * 1024 * 1024, 'the caches hold at most 4MB');
cmp_ok($evictions, '>', 0, 'entries were evicted to make room');
note("under a 4MB limit: $bytes bytes cached, $evictions evictions");

$node->safe_psql('postgres', 'ALTER SYSTEM RESET atomiccache.memory_limit');
$node->safe_psql('postgres', 'SELECT pg_reload_conf()');
ac_poll($node, "SELECT current_setting('atomiccache.memory_limit') = '$old'",
	"after ALTER SYSTEM RESET the limit is back to $old");

$_->quit for $ctl, @sessions;
$node->stop;
done_testing();
