
# Copyright (c) atomiccache contributors
#
# A wait cycle between fills in two sessions (A fills c1[k], which asks
# c2[k]; B fills c2[k], which asks c1[k]) is detected at once: one session
# gets a deadlock error (40P01), which is not cached, so the other takes the
# aborted fill over and completes.  Nothing hangs.

use strict;
use warnings FATAL => 'all';

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
use AtomicCacheTest;

my $rounds = 5;
my $node = ac_new_node('deadlock');

# f1(k) and f2(k) count their fills of key k in sequences f1_k and f2_k,
# wait on an advisory lock (lock 10 for f1 and 20 for f2 when k = 1, lock 30
# for both otherwise), then, on their first fill of k only, ask the other
# cache for k.  So a cycle can only be formed by the first fills, and a
# fill taken over after a deadlock completes.
$node->safe_psql(
	'postgres', qq{
	DO \$\$ BEGIN
		FOR k IN 1..@{[$rounds + 1]} LOOP
			EXECUTE format('CREATE SEQUENCE f1_%s', k);
			EXECUTE format('CREATE SEQUENCE f2_%s', k);
		END LOOP;
	END \$\$;
	CREATE FUNCTION f1(k int) RETURNS text LANGUAGE plpgsql AS \$\$
	DECLARE n bigint := nextval(format('f1_%s', k)::regclass);
	BEGIN
		PERFORM pg_advisory_xact_lock_shared(CASE WHEN k = 1 THEN 10 ELSE 30 END);
		IF n = 1 THEN
			RETURN format('a%s/', n) || c2(k);
		END IF;
		RETURN format('a%s', n);
	END \$\$;
	CREATE FUNCTION f2(k int) RETURNS text LANGUAGE plpgsql AS \$\$
	DECLARE n bigint := nextval(format('f2_%s', k)::regclass);
	BEGIN
		PERFORM pg_advisory_xact_lock_shared(CASE WHEN k = 1 THEN 20 ELSE 30 END);
		IF n = 1 THEN
			RETURN format('b%s/', n) || c1(k);
		END IF;
		RETURN format('b%s', n);
	END \$\$;
});
# The accessors must exist before the fills that call them are planned.
$node->safe_psql(
	'postgres', q{
	SELECT atomiccache.create_cache('c1', 'f1(int)');
	SELECT atomiccache.create_cache('c2', 'f2(int)');
});

my $ctl = ac_session($node);
my $a = ac_session($node);
my $b = ac_session($node);

sub in_state
{
	my ($type, $like) = @_;
	return "SELECT count(*) = 1 FROM pg_stat_activity WHERE wait_event_type = '$type' AND query LIKE '$like'";
}

# Check the outcome of a cycle on key $k between session $n1, which asked
# c1[k], and session $n2, which asked c2[k]: exactly one of them got the
# deadlock error, the other completed with the value that taking over the
# victim's fill gives; both caches then serve those values without filling.
sub check_outcome
{
	my ($what, $k, $elapsed, $n1, $n2, $out1, $err1, $out2, $err2) = @_;
	my $state1 = ac_error($err1)->{sqlstate} // 'none';
	my $state2 = ac_error($err2)->{sqlstate} // 'none';
	my ($victim, $c1, $c2, $f1, $f2);

	if ($state1 eq '40P01' && $state2 ne '40P01')
	{
		($victim, $c1, $c2, $f1, $f2) = ($n1, 'a2', 'b1/a2', 2, 1);
		is($out2, $c2, "$what: $n2 takes over $n1\'s fill of c1[$k] and completes");
		is($err2, '', "$what: $n2 gets no error");
		like(ac_error($err1)->{message}, qr/deadlock/, "$what: $n1\'s error says deadlock");
	}
	elsif ($state2 eq '40P01' && $state1 ne '40P01')
	{
		($victim, $c1, $c2, $f1, $f2) = ($n2, 'a1/b2', 'b2', 1, 2);
		is($out1, $c1, "$what: $n1 takes over $n2\'s fill of c2[$k] and completes");
		is($err1, '', "$what: $n1 gets no error");
		like(ac_error($err2)->{message}, qr/deadlock/, "$what: $n2\'s error says deadlock");
	}
	else
	{
		fail("$what: exactly one of $n1 and $n2 gets a deadlock error");
		diag("$n1: out=$out1 err=$err1\n$n2: out=$out2 err=$err2");
		return;
	}
	pass("$what: exactly one session ($victim) gets a deadlock error");
	cmp_ok($elapsed, '<', 5, "$what: the deadlock is resolved at once");
	note("$what: resolved in $elapsed s");
	is(ac_fills($node, "f1_$k"), $f1, "$what: c1[$k] was filled $f1 time(s)");
	is(ac_fills($node, "f2_$k"), $f2, "$what: c2[$k] was filled $f2 time(s)");
	is($node->safe_psql('postgres', "SELECT c1($k) || ' ' || c2($k)"),
		"$c1 $c2", "$what: the deadlock error was not cached; both keys hold values");
	is(ac_fills($node, "f1_$k") + ac_fills($node, "f2_$k"),
		3, "$what: those were hits");
	return $victim;
}

# --- ordered: A waits first, then B closes the cycle ------------------------

$ctl->query_safe('SELECT pg_advisory_lock(10), pg_advisory_lock(20)');
ac_launch($a, 'SELECT c1(1);');
ac_poll($node, in_state('Lock', '%c1(1)%'), 'A is inside its fill of c1[1]');
ac_launch($b, 'SELECT c2(1);');
ac_poll($node, in_state('Lock', '%c2(1)%'), 'B is inside its fill of c2[1]');
$ctl->query_safe('SELECT pg_advisory_unlock(10)');
ac_poll($node, in_state('Extension', '%c1(1)%'),
	'A asks c2[1] and sleeps on B\'s fill');

my $start = time;
$ctl->query_safe('SELECT pg_advisory_unlock(20)');
my @r = (ac_finish($a), ac_finish($b));
check_outcome('ordered', 1, time - $start, 'A', 'B', @r);

# --- racing: both ask at the same moment ------------------------------------

my %victims;
for my $k (2 .. $rounds + 1)
{
	# alternate the roles, so that each session is sometimes the victim
	my ($s1, $s2, $n1, $n2) = $k % 2 ? ($b, $a, 'B', 'A') : ($a, $b, 'A', 'B');

	$ctl->query_safe('SELECT pg_advisory_lock(30)');
	ac_launch($s1, "SELECT c1($k);");
	ac_launch($s2, "SELECT c2($k);");
	ac_poll($node,
		"SELECT count(*) = 2 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ~ 'c[12]\\($k\\)'",
		"round $k: $n1 and $n2 are inside their fills of c1[$k] and c2[$k]");
	$start = time;
	$ctl->query_safe('SELECT pg_advisory_unlock(30)');
	@r = (ac_finish($s1), ac_finish($s2));
	my $v = check_outcome("racing round $k", $k, time - $start, $n1, $n2, @r);
	$victims{$v}++ if defined $v;
}
note('victims in the racing rounds: ',
	join(', ', map { "$_: $victims{$_}" } sort keys %victims));

$_->quit for $ctl, $a, $b;
$node->stop;
done_testing();
