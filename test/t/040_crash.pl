
# Copyright (c) atomiccache contributors
#
# A backend killed with SIGKILL in the middle of a fill: the postmaster
# restarts the server (restart_after_crash), the sessions waiting for that
# fill lose their connection instead of hanging, the caches come back empty
# (their definitions are catalog rows and survive), and the accessor fills
# again.

use strict;
use warnings FATAL => 'all';

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use AtomicCacheTest;

# PostgreSQL::Test::Cluster turns restart_after_crash off.
my $node = ac_new_node('crash', conf => "restart_after_crash = on\n");

ac_create_slow_fill($node, 'slow', 'slow_too');

my $before = $node->safe_psql('postgres', 'SELECT slow(1)');
is($before, 'value of 1 from fill 1', 'key 1 is filled before the crash');
is($node->safe_psql('postgres', "SELECT atomiccache.contains('slow', 1)"),
	't', 'key 1 is cached before the crash');

my $ctl = ac_session($node);
my $filler = ac_session($node);
my @waiters = map { ac_session($node) } 1 .. 3;

$ctl->query_safe('SELECT pg_advisory_lock(1)');
ac_launch($filler, 'SELECT slow(2);');
ac_poll($node,
	"SELECT count(*) = 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%slow(2)%'",
	'a session is inside the fill of key 2');
ac_launch($_, 'SELECT slow(2);') for @waiters;
ac_poll($node,
	"SELECT count(*) = 3 FROM pg_stat_activity WHERE wait_event_type = 'Extension' AND query LIKE '%slow(2)%'",
	'three sessions sleep on that fill');

my $pid = $node->safe_psql('postgres',
	"SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%slow(2)%'"
);
is($pid, $filler->{ac_pid}, 'the filler is the backend blocked on the lock');
ok(kill('KILL', $pid), 'the filler is killed with SIGKILL');

# Every other backend is killed by the postmaster: the waiters' psql report
# the lost connection and exit.
my $i = 1;
for my $w (@waiters)
{
	my $err = ac_wait_dead($w);
	like(
		$err,
		qr/server closed the connection unexpectedly|connection to server was lost|terminating connection because of crash of another server process/,
		"waiter $i lost its connection instead of hanging");
	$i++;
}
ac_wait_dead($filler);
# The controlling session was idle; its psql is still running.
eval { $ctl->quit; };

ok($node->poll_query_until('postgres', 'SELECT 1', '1'),
	'the server restarted after the crash');
ok($node->log_contains('(?:server process|client backend) .* was terminated by signal 9'),
	'the server log records the crash');

is( $node->safe_psql('postgres',
		"SELECT count(*) FROM pg_extension WHERE extname = 'atomiccache'"),
	'1', 'the extension is still installed');
is( $node->safe_psql(
		'postgres',
		'SELECT string_agg(format(\'%s %s %s\', name, entries, fills), \',\' ORDER BY name) FROM atomiccache.caches'
	),
	'slow 0 0,slow_too 0 0',
	'the caches are still defined, empty and with fresh counters');
is($node->safe_psql('postgres', "SELECT atomiccache.contains('slow', 1)"),
	'f', 'key 1 is no longer cached');
is($node->safe_psql('postgres', "SELECT atomiccache.contains('slow', 2)"),
	'f', 'key 2 is not cached');

# The sequence may jump ahead after crash recovery (its WAL is logged 32
# values in advance): compare fill numbers, not absolute counts.
my $after = $node->safe_psql('postgres', 'SELECT slow(1)');
like($after, qr/^value of 1 from fill \d+$/, 'the accessor works again');
isnt($after, $before, 'key 1 was filled again');
is($node->safe_psql('postgres', 'SELECT slow(1)'),
	$after, 'and then served from the cache');
my $v2 = $node->safe_psql('postgres', 'SELECT slow(2)');
like($v2, qr/^value of 2 from fill \d+$/, 'the key of the killed fill can be filled');
is($node->safe_psql('postgres', 'SELECT slow(2)'), $v2, 'and is cached');
is( $node->safe_psql(
		'postgres',
		"SELECT format('%s %s %s', entries, fills, hits) FROM atomiccache.caches WHERE name = 'slow'"
	),
	'2 2 2',
	'atomiccache.caches counts the new entries, fills and hits');

# Single flight works after the restart, too.
$ctl = ac_session($node);
$filler = ac_session($node);
my $waiter = ac_session($node);
$ctl->query_safe('SELECT pg_advisory_lock(1)');
ac_launch($filler, 'SELECT slow_too(3);');
ac_poll($node,
	"SELECT count(*) = 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%slow_too(3)%'",
	'after the restart: a session is inside a fill');
ac_launch($waiter, 'SELECT slow_too(3);');
ac_poll($node,
	"SELECT count(*) = 1 FROM pg_stat_activity WHERE wait_event_type = 'Extension' AND query LIKE '%slow_too(3)%'",
	'after the restart: another sleeps on it');
$ctl->query_safe('SELECT pg_advisory_unlock(1)');
my ($o1) = ac_finish($filler);
my ($o2) = ac_finish($waiter);
like($o1, qr/^value of 3 from fill \d+$/, 'after the restart: the filler gets its value');
is($o2, $o1, 'after the restart: the waiter gets the same value');

$_->quit for $ctl, $filler, $waiter;
$node->stop;
done_testing();
