
# Copyright (c) atomiccache contributors
#
# test/t/200_versions.pl -- what depends on the PostgreSQL version (README
# Compatibility): from 17 on, the control block is found through the DSM
# registry (the main shared memory holds nothing of ours) and a backend
# sleeping on another's fill shows the wait event "AtomicCacheFill"; on
# 15 and 16, the control block is a named struct of the main shared memory
# and the wait event is the generic "Extension".

use strict;
use warnings FATAL => 'all';

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use AtomicCacheTest;

my $node = ac_new_node('versions');
my $version = $node->safe_psql('postgres', 'SHOW server_version_num');
my $registry = $version >= 170000;
ac_create_slow_fill($node, 'slow');

is($node->safe_psql('postgres', 'SELECT slow(1)'),
	'value of 1 from fill 1', 'a cache works');
is( $node->safe_psql(
		'postgres',
		q{SELECT count(*) FROM pg_shmem_allocations WHERE name = 'atomiccache'}),
	$registry ? '0' : '1',
	$registry
	? "PostgreSQL $version: nothing of ours in the main shared memory (DSM registry)"
	: "PostgreSQL $version: the control block is in the main shared memory");

# one filler blocked on the advisory lock, one waiter sleeping on its fill
my $ctl = ac_session($node);
my $filler = ac_session($node);
my $waiter = ac_session($node);
$ctl->query_safe('SELECT pg_advisory_lock(1)');
ac_launch($filler, 'SELECT slow(2)');
ac_poll($node,
	q{SELECT count(*) = 1 FROM pg_stat_activity
	   WHERE wait_event_type = 'Lock' AND query LIKE 'SELECT slow(2)%'},
	'the filler blocks inside its fill');
ac_launch($waiter, 'SELECT slow(2) AS w');
my $event = $registry ? 'AtomicCacheFill' : 'Extension';
ac_poll($node,
	qq{SELECT count(*) = 1 FROM pg_stat_activity
	    WHERE wait_event_type = 'Extension' AND wait_event = '$event'
	      AND query LIKE 'SELECT slow(2) AS w%'},
	"the waiter shows the wait event $event");
$ctl->query_safe('SELECT pg_advisory_unlock(1)');
my ($out) = ac_finish($filler);
like($out, qr/value of 2 from fill 2/, 'the filler gets its value');
($out) = ac_finish($waiter);
like($out, qr/value of 2 from fill 2/, 'the waiter gets the same value');

$_->quit for ($ctl, $filler, $waiter);
$node->stop;
done_testing();
