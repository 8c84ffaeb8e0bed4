
# Copyright (c) atomiccache contributors
#
# test/t/070_hit_nolock.pl -- a hit takes no LWLock and no contended
# spinlock.
#
# gdb attaches to one backend and counts the calls of LWLockAcquire,
# LWLockConditionalAcquire, LWLockAcquireOrWait and s_lock (the slow path of
# every spinlock) while the backend runs N hits of warm keys, then prints
# the counts when the backend calls pg_backend_pid().  Run with N = 100 and
# N = 100000: if the hit path took any of these, the second count would be
# larger by at least 99900.  The counts must be equal up to a small
# constant (the statement's own planning and catalog access).

use strict;
use warnings FATAL => 'all';

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run ();

if (system('gdb --version >/dev/null 2>&1') != 0)
{
	# gdb is installed by test/setup.sh; its absence is a set-up failure
	BAIL_OUT('gdb is needed by this test');
}

my $node = PostgreSQL::Test::Cluster->new('nolock');
$node->init;
$node->start;
$node->safe_psql(
	'postgres', q{
	CREATE EXTENSION atomiccache;
	CREATE FUNCTION sq(i int) RETURNS bigint LANGUAGE sql AS 'SELECT i::bigint * i';
	CREATE FUNCTION txt(i int) RETURNS text LANGUAGE sql AS $$SELECT repeat('x', 100) || i$$;
	SELECT atomiccache.create_cache('sqc', 'sq(int)');
	SELECT atomiccache.create_cache('txtc', 'txt(int)', ttl => '1 hour');
});

my $s = $node->background_psql('postgres');
my $pid = $s->query_safe('SELECT pg_backend_pid()');
chomp $pid;

# warm: fill the keys, map every DSA segment in this backend
$s->query_safe(
	'SELECT count(sqc(i % 100)), count(txtc(i % 100)) FROM generate_series(1, 1000) i');

sub counted_run
{
	my ($n) = @_;
	my $cmds = "$PostgreSQL::Test::Utils::tmp_check/gdb_$n.cmd";
	open my $fh, '>', $cmds or die $!;
	print $fh <<"EOF";
set pagination off
set confirm off
set \$lw = 0
set \$sl = 0
break LWLockAcquire
commands
silent
set \$lw = \$lw + 1
continue
end
break LWLockConditionalAcquire
commands
silent
set \$lw = \$lw + 1
continue
end
break LWLockAcquireOrWait
commands
silent
set \$lw = \$lw + 1
continue
end
break s_lock
commands
silent
set \$sl = \$sl + 1
continue
end
break pg_backend_pid
commands
silent
printf "COUNTS lwlock=%d spin=%d\\n", \$lw, \$sl
detach
quit
end
printf "ATTACHED\\n"
continue
EOF
	close $fh;

	my ($out, $err) = ('', '');
	my $gdb = IPC::Run::start([ 'gdb', '-nx', '-q', '-batch', '-p', $pid, '-x', $cmds ],
		'>', \$out, '2>', \$err,
		IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
	# wait until gdb has attached and set its breakpoints
	$gdb->pump until $out =~ /ATTACHED/;
	# a control: reading a table takes buffer LWLocks, so the breakpoints
	# are shown to fire
	$s->query_safe('SELECT count(*) FROM pg_class');
	$s->query_safe(
		"SELECT count(sqc(i % 100)) + count(txtc(i % 100)) FROM generate_series(1, $n) i");
	$s->query_safe('SELECT pg_backend_pid()');
	$gdb->finish;
	$out =~ /COUNTS lwlock=(\d+) spin=(\d+)/
	  or die "gdb did not report counts: $out $err";
	return ($1, $2);
}

my ($lw_small, $sl_small) = counted_run(100);
my ($lw_big, $sl_big) = counted_run(100000);
note "N=100: $lw_small LWLock acquisitions, $sl_small spinlock waits";
note "N=100000: $lw_big LWLock acquisitions, $sl_big spinlock waits";

ok($lw_small > 0 && $lw_big > 0, 'the breakpoints fire (control query)');
ok($lw_big - $lw_small < 50,
	"200000 hits take no LWLock (N=100: $lw_small, N=100000: $lw_big)");
ok($sl_big - $sl_small < 50,
	"200000 hits enter no spinlock slow path ($sl_small vs $sl_big)");

# the hits really were hits
my $stats = $node->safe_psql('postgres',
	"SELECT sum(fills), sum(hits) >= 200200 FROM atomiccache.caches");
is($stats, '200|t', 'all calls after the warm-up were hits');

$s->quit;
$node->stop;
done_testing();
