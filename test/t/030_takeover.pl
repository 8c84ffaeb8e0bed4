
# Copyright (c) atomiccache contributors
#
# Take-over: when the filler of a key is cancelled, times out, is terminated
# or fails with a transient error (40001) while other sessions wait for it,
# its reservation is released, one waiter runs the fill again and every
# waiter returns that value; nothing hangs.  A waiter that is cancelled or
# times out does not disturb the fill.

use strict;
use warnings FATAL => 'all';

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use AtomicCacheTest;

my $node = ac_new_node('takeover');

# tk(k) counts its fills in sequence fills_k, then blocks on advisory lock 1.
# flaky(k) fails with a serialization failure on its first fill only.
$node->safe_psql(
	'postgres', q{
	DO $$ BEGIN
		FOR k IN 1..5 LOOP EXECUTE format('CREATE SEQUENCE fills_%s', k); END LOOP;
	END $$;
	CREATE FUNCTION tk_fill(k int) RETURNS text LANGUAGE plpgsql AS $$
	DECLARE n bigint := nextval(format('fills_%s', k)::regclass);
	BEGIN
		PERFORM pg_advisory_xact_lock_shared(1);
		RETURN format('value of %s from fill %s', k, n);
	END $$;
	SELECT atomiccache.create_cache('tk', 'tk_fill(int)');

	CREATE SEQUENCE flaky_fills;
	CREATE FUNCTION flaky_fill(k int) RETURNS text LANGUAGE plpgsql AS $$
	DECLARE n bigint := nextval('flaky_fills');
	BEGIN
		PERFORM pg_advisory_xact_lock_shared(1);
		IF n = 1 THEN
			RAISE EXCEPTION USING ERRCODE = 'serialization_failure',
				MESSAGE = 'could not serialize the first fill';
		END IF;
		RETURN format('value of %s from fill %s', k, n);
	END $$;
	SELECT atomiccache.create_cache('flaky', 'flaky_fill(int)');
});

my $ctl = ac_session($node);
my $filler = ac_session($node);
my @waiters = map { ac_session($node) } 1 .. 3;

sub in_lock
{
	my ($like) = @_;
	return ac_count_waiting($node, 'Lock', $like);
}

sub in_wait
{
	my ($like) = @_;
	return ac_count_waiting($node, 'Extension', $like);
}

# The filler runs $sql and blocks inside the fill on advisory lock 1; then
# every waiter runs $sql and sleeps on that fill.
sub start_fill
{
	my ($sql, $like, @w) = @_;
	my $n = scalar @w;

	$ctl->query_safe('SELECT pg_advisory_lock(1)');
	ac_launch($filler, $sql);
	ac_poll($node,
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '$like'",
		"the filler of $sql is inside the fill");
	ac_launch($_, $sql) for @w;
	ac_poll($node,
		"SELECT count(*) = $n FROM pg_stat_activity WHERE wait_event_type = 'Extension' AND query LIKE '$like'",
		"$n waiters sleep on the fill of $sql");
	return;
}

# After the filler is gone: one waiter takes the fill over (it blocks on the
# advisory lock in its turn), the others sleep on it; then release the lock
# and check that every waiter returns the value of the second fill.
sub check_takeover
{
	my ($what, $like, $seq, $expected) = @_;

	ac_poll($node,
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '$like'",
		"$what: a waiter took the fill over");
	is(in_wait($like), 2, "$what: the other waiters sleep on the new fill");
	is(ac_fills($node, $seq), 2, "$what: the fill started a second time");
	$ctl->query_safe('SELECT pg_advisory_unlock(1)');
	my $i = 1;
	for my $w (@waiters)
	{
		my ($out, $err) = ac_finish($w);
		is($out, $expected, "$what: waiter $i returns the value of the second fill");
		is($err, '', "$what: waiter $i got no error");
		$i++;
	}
	is(ac_fills($node, $seq), 2, "$what: two fills in all");
	return;
}

# --- the filler is cancelled -------------------------------------------------

start_fill('SELECT tk(1);', '%tk(1)%', @waiters);
$node->safe_psql('postgres', "SELECT pg_cancel_backend($filler->{ac_pid})");
my ($out, $err) = ac_finish($filler);
my $e = ac_error($err);
is($e->{sqlstate}, '57014', 'cancel: the filler gets the cancel error');
like($e->{message}, qr/canceling statement due to user request/,
	'cancel: with its message');
check_takeover('cancel', '%tk(1)%', 'fills_1', 'value of 1 from fill 2');
is($filler->query_safe('SELECT tk(1)'),
	'value of 1 from fill 2', 'cancel: the cancelled session now gets a hit');

# --- the filler's statement_timeout fires ---------------------------------

$filler->query_safe("SET statement_timeout = '3s'");
start_fill('SELECT tk(2);', '%tk(2)%', @waiters);
is(in_lock('%tk(2)%'), 1,
	'statement_timeout: the waiters were asleep before the filler timed out');
($out, $err) = ac_finish($filler);
$e = ac_error($err);
is($e->{sqlstate}, '57014', 'statement_timeout: the filler times out');
like($e->{message}, qr/canceling statement due to statement timeout/,
	'statement_timeout: with its message');
$filler->query_safe('RESET statement_timeout');
check_takeover('statement_timeout', '%tk(2)%', 'fills_2',
	'value of 2 from fill 2');

# --- the filler is terminated ------------------------------------------------

start_fill('SELECT tk(3);', '%tk(3)%', @waiters);
$node->safe_psql('postgres', "SELECT pg_terminate_backend($filler->{ac_pid})");
$err = ac_wait_dead($filler);
like($err, qr/FATAL:\s+57P01:\s+terminating connection due to administrator command/,
	'terminate: the filler\'s backend is terminated');
check_takeover('terminate', '%tk(3)%', 'fills_3', 'value of 3 from fill 2');
$filler = ac_session($node);

# --- a waiter times out or is cancelled -------------------------------------

my ($w1, $w2, $w3) = @waiters;
start_fill('SELECT tk(4);', '%tk(4)%', $w2, $w3);
$w1->query_safe("SET statement_timeout = '500ms'");
ac_launch($w1, 'SELECT tk(4);');
($out, $err) = ac_finish($w1);
$e = ac_error($err);
is($e->{sqlstate}, '57014', 'waiter timeout: the waiter times out');
like($e->{message}, qr/canceling statement due to statement timeout/,
	'waiter timeout: with its message');
$w1->query_safe('RESET statement_timeout');
is(in_lock('%tk(4)%'), 1, 'waiter timeout: the filler is still in its fill');
is(in_wait('%tk(4)%'), 2, 'waiter timeout: the other waiters still sleep');

ac_launch($w1, 'SELECT tk(4);');
ac_poll($node,
	"SELECT count(*) = 3 FROM pg_stat_activity WHERE wait_event_type = 'Extension' AND query LIKE '%tk(4)%'",
	'waiter cancel: the waiter sleeps on the fill again');
$node->safe_psql('postgres', "SELECT pg_cancel_backend($w1->{ac_pid})");
($out, $err) = ac_finish($w1);
$e = ac_error($err);
is($e->{sqlstate}, '57014', 'waiter cancel: the waiter is cancelled');
like($e->{message}, qr/canceling statement due to user request/,
	'waiter cancel: with its message');
is(in_lock('%tk(4)%'), 1, 'waiter cancel: the filler is still in its fill');
is(in_wait('%tk(4)%'), 2, 'waiter cancel: the other waiters still sleep');
is(ac_fills($node, 'fills_4'), 1, 'no second fill was started');

$ctl->query_safe('SELECT pg_advisory_unlock(1)');
for my $s ($filler, $w2, $w3)
{
	($out, $err) = ac_finish($s);
	is($out, 'value of 4 from fill 1',
		'waiter timeout and cancel: the fill and its other waiters complete');
}
is($w1->query_safe('SELECT tk(4)'),
	'value of 4 from fill 1', 'the waiter that gave up now gets a hit');
is(ac_fills($node, 'fills_4'), 1, 'one fill in all');

# --- the fill fails with a transient error ----------------------------------

start_fill('SELECT flaky(5);', '%flaky(5)%', @waiters);
$ctl->query_safe('SELECT pg_advisory_unlock(1)');
($out, $err) = ac_finish($filler);
$e = ac_error($err);
is($e->{sqlstate}, '40001', 'transient: the filler gets the serialization failure');
is($e->{message}, 'could not serialize the first fill',
	'transient: with its message');
my $i = 1;
for my $w (@waiters)
{
	($out, $err) = ac_finish($w);
	is($out, 'value of 5 from fill 2',
		"transient: waiter $i returns the value of the second fill");
	is($err, '', "transient: waiter $i did not get the transient error");
	$i++;
}
is(ac_fills($node, 'flaky_fills'), 2, 'transient: two fills in all');
is($filler->query_safe('SELECT flaky(5)'),
	'value of 5 from fill 2', 'transient: the error was not cached');
is(ac_fills($node, 'flaky_fills'), 2, 'transient: still two fills');

$_->quit for $ctl, $filler, @waiters;
$node->stop;
done_testing();
