
# Copyright (c) atomiccache contributors
#
# invalidate() of a key whose fill is in progress waits for that fill to
# finish (sleeping like a waiter, wait_event_type 'Extension'), then removes
# its result and returns true; the readers that slept on that fill still
# return its value, and the next call fills again.  invalidate_all()
# does not wait for fills in progress.

use strict;
use warnings FATAL => 'all';

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
use AtomicCacheTest;

my $node = ac_new_node('invalidate');

ac_create_slow_fill($node, 'slow');

my $ctl = ac_session($node);
my $filler = ac_session($node);
my @readers = map { ac_session($node) } 1 .. 4;
my $inval = ac_session($node);

# --- invalidate() during a fill --------------------------------------------

$ctl->query_safe('SELECT pg_advisory_lock(1)');
ac_launch($filler, 'SELECT slow(1);');
ac_poll($node,
	"SELECT count(*) = 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%slow(1)%'",
	'the filler is inside the fill');
ac_launch($_, 'SELECT slow(1);') for @readers;
ac_launch($inval, "SELECT atomiccache.invalidate('slow', 1);");
ac_poll($node,
	"SELECT count(*) = 1 FROM pg_stat_activity WHERE wait_event_type = 'Extension' AND query LIKE '%invalidate(''slow'', 1)%'",
	'invalidate() sleeps on the fill in progress (wait_event_type Extension)');
ac_poll($node,
	"SELECT count(*) = 4 FROM pg_stat_activity WHERE wait_event_type = 'Extension' AND query LIKE '%SELECT slow(1)%'",
	'four readers sleep on the same fill');
$inval->{run}->pump_nb;
is($inval->{stdout}, '', 'invalidate() has not returned while the fill runs');
is(ac_fills($node, 'fills'), 1, 'one fill so far');

$ctl->query_safe('SELECT pg_advisory_unlock(1)');
my ($out, $err) = ac_finish($filler);
is($out, 'value of 1 from fill 1', 'the filler gets its value');
# README, Semantics: callers that find a fill in progress sleep, then return the filled
# value -- even when an invalidate() waiting on the same fill removes it.
my $i = 1;
for my $r (@readers)
{
	($out, $err) = ac_finish($r);
	is($out, 'value of 1 from fill 1',
		"reader $i, which slept on the fill, returns its value");
	$i++;
}
($out, $err) = ac_finish($inval);
is($out, 't', 'invalidate() returns true: it removed the finished fill\'s result');
is($err, '', 'invalidate() raised nothing');

is($node->safe_psql('postgres', "SELECT atomiccache.contains('slow', 1)"),
	'f', 'the key is absent after invalidate()');
is($node->safe_psql('postgres', 'SELECT slow(1)'),
	'value of 1 from fill 2', 'the next call fills again');
is(ac_fills($node, 'fills'), 2, 'two fills in all');
is($node->safe_psql('postgres', "SELECT atomiccache.invalidate('slow', 1)"),
	't', 'invalidate() of a ready key returns true');
is($node->safe_psql('postgres', "SELECT atomiccache.invalidate('slow', 1)"),
	'f', 'invalidate() of an absent key returns false');
is($node->safe_psql('postgres', "SELECT invalidations FROM atomiccache.caches WHERE name = 'slow'"),
	2, 'atomiccache.caches counts two invalidations');

# --- invalidate_all() during a fill ----------------------------------------

is($node->safe_psql('postgres', 'SELECT slow(3)'),
	'value of 3 from fill 3', 'key 3 is filled');
$ctl->query_safe('SELECT pg_advisory_lock(1)');
ac_launch($filler, 'SELECT slow(2);');
ac_poll($node,
	"SELECT count(*) = 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%slow(2)%'",
	'a fill of key 2 is in progress');

my $start = time;
my ($ret, $stdout, $stderr) = $node->psql('postgres',
	"SELECT atomiccache.invalidate_all('slow')",
	timeout => $PostgreSQL::Test::Utils::timeout_default);
my $elapsed = time - $start;
is($ret, 0, 'invalidate_all() returns while the fill is still blocked')
  or diag($stderr);
cmp_ok($elapsed, '<', 10, 'invalidate_all() did not wait for the fill');
is(ac_count_waiting($node, 'Lock', '%slow(2)%'),
	1, 'the fill of key 2 is still in progress');
is($node->safe_psql('postgres', "SELECT atomiccache.contains('slow', 3)"),
	'f', 'the ready key 3 is gone at once');

$ctl->query_safe('SELECT pg_advisory_unlock(1)');
($out, $err) = ac_finish($filler);
is($out, 'value of 2 from fill 4',
	'the fill that invalidate_all() overtook returns its value to its caller');
is($node->safe_psql('postgres', "SELECT atomiccache.contains('slow', 2)"),
	'f', 'but its result, begun before invalidate_all(), is not visible');
is($node->safe_psql('postgres', 'SELECT slow(3)'),
	'value of 3 from fill 5', 'key 3 is filled again');
is(ac_fills($node, 'fills'), 5, 'five fills in all');

$_->quit for $ctl, $filler, $inval, @readers;
$node->stop;
done_testing();
