
# Copyright (c) atomiccache contributors
#
# test/t/240_ddl_while_waiting.pl -- what others do to a cache while a fill
# runs and 4 sessions wait for it: invalidate, invalidate_all, drop_cache,
# DROP EXTENSION ... CASCADE, CREATE OR REPLACE of the fill; and a fill that
# invalidates its own key (40P01 for all: it waits for its own fill).  Each case ends with every session's statement
# done (no hang), a value or a clear error everywhere (never a crash, an
# internal error or a lost connection), and a cache that works after (made
# again after a drop).

use strict;
use warnings FATAL => 'all';

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use AtomicCacheTest;

my $node = ac_new_node('ddlwait', conf => "log_min_messages = warning\n");
ac_create_slow_fill($node, 'g');

my $ctl = ac_session($node);
my $filler = ac_session($node);
my @w = map { ac_session($node) } 1 .. 4;
my $actor = ac_session($node);
my $key = 0;

# A fill of $cache($k) blocked on the advisory lock, and the 4 waiters
# sleeping on it.
sub block_fill
{
	my ($name, $cache, $k) = @_;
	$ctl->query_safe('SELECT pg_advisory_lock(1)');
	ac_launch($filler, "SELECT $cache($k)");
	$node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%$cache($k)%'"
	) or die "$name: the filler did not reach its fill";
	ac_launch($_, "SELECT $cache($k)") for @w;
	$node->poll_query_until('postgres',
		"SELECT count(*) = 4 FROM pg_stat_activity WHERE wait_event_type = 'Extension' AND query LIKE '%$cache($k)%'"
	) or die "$name: the waiters did not sleep";
	return;
}

# A fill of g(k) blocked, 4 sessions waiting for it, $action launched in
# another session; then the fill goes on.  Returns the outcomes of the
# filler, the waiters and the actor.
sub run_case
{
	my ($name, $action, $actor_waits) = @_;
	my $k = ++$key;
	block_fill($name, 'g', $k);
	ac_launch($actor, $action =~ s/K/$k/gr);
	my $act;
	if ($actor_waits eq 'yes')
	{
		# it sleeps on the fill like a waiter
		$node->poll_query_until('postgres',
			"SELECT wait_event_type = 'Extension' FROM pg_stat_activity WHERE pid = $actor->{ac_pid}")
		  or die "$name: the action does not wait for the fill";
	}
	elsif ($actor_waits eq 'no')
	{
		# it is done while the fill is still blocked
		my ($o, $e) = ac_finish($actor);
		$act = { out => $o, err => ac_error($e), before_fill => 1 };
	}
	else
	{
		# it may wait for a lock or go through: give it time to do either
		sleep 1;
	}
	$ctl->query_safe('SELECT pg_advisory_unlock(1)');
	my @out;
	for my $s ($filler, @w)
	{
		my ($o, $e) = ac_finish($s);
		push @out, { out => $o, err => ac_error($e) };
	}
	if (!$act)
	{
		my ($o, $e) = ac_finish($actor);
		$act = { out => $o, err => ac_error($e) };
	}
	return ($k, @out, $act);
}

# an outcome: a value of key $k, or an error whose SQLSTATE is in @ok
sub clean
{
	my ($r, $k, @ok) = @_;
	return 1 if !$r->{err}{sqlstate} && $r->{out} =~ /^value of $k from fill \d+$/;
	return 1 if $r->{err}{sqlstate} && grep { $_ eq $r->{err}{sqlstate} } @ok;
	return 0;
}

sub describe
{
	return join ', ',
	  map { $_->{err}{sqlstate} ? "error $_->{err}{sqlstate} $_->{err}{message}" : "'$_->{out}'" } @_;
}

# invalidate: waits for the fill, removes its result; every reader gets it
{
	my ($k, $f, @rest) = run_case('invalidate', q{SELECT atomiccache.invalidate('g', K)}, 'yes');
	my $act = pop @rest;
	ok((grep { clean($_, $k) } $f, @rest) == 5, 'invalidate while 4 wait: every reader gets a value')
	  or diag describe($f, @rest);
	my %v = map { $_->{out} => 1 } $f, @rest;
	is(scalar(keys %v), 1, 'invalidate while 4 wait: one value, one fill');
	is($act->{out}, 't', 'invalidate returns true once the fill is done');
	is($node->safe_psql('postgres', "SELECT atomiccache.contains('g', $k)"),
		'f', 'invalidate: the entry is gone after');
	like($node->safe_psql('postgres', "SELECT g($k)"), qr/^value of $k from fill \d+$/,
		'invalidate: the key fills again');
}

# invalidate_all: does not wait; every reader gets a value of the key
{
	my ($k, $f, @rest) = run_case('invalidate_all', q{SELECT atomiccache.invalidate_all('g')}, 'no');
	my $act = pop @rest;
	ok((grep { clean($_, $k) } $f, @rest) == 5, 'invalidate_all while 4 wait: every reader gets a value')
	  or diag describe($f, @rest);
	ok(!$act->{err}{sqlstate} && $act->{before_fill},
		'invalidate_all raised nothing, and returned while the fill was blocked');
	my $v = $node->safe_psql('postgres', "SELECT g($k)");
	is($node->safe_psql('postgres', "SELECT g($k)"), $v,
		'invalidate_all: the key fills and hits after');
}

# CREATE OR REPLACE of the fill, committed while 4 wait: the readers of
# that fill get its value; once committed, the next call fills with the
# new definition (README, Semantics: it invalidates the cache at commit)
{
	my ($k, $f, @rest) = run_case('replace', q{
		CREATE OR REPLACE FUNCTION slow_fill(k int) RETURNS text LANGUAGE plpgsql AS $$
		DECLARE n bigint := nextval('fills');
		BEGIN
			PERFORM pg_advisory_xact_lock_shared(1);
			RETURN format('new value of %s from fill %s', k, n);
		END $$}, 'maybe');
	my $act = pop @rest;
	ok(!$act->{err}{sqlstate}, 'CREATE OR REPLACE of the fill while 4 wait')
	  or diag describe($act);
	ok((grep { clean($_, $k) } $f, @rest) == 5,
		'CREATE OR REPLACE while 4 wait: the readers of the old fill get its value')
	  or diag describe($f, @rest);
	like($node->safe_psql('postgres', "SELECT g($k)"), qr/^new value of $k from fill \d+$/,
		'CREATE OR REPLACE: the next call fills with the new definition');
	$node->safe_psql('postgres', q{
		CREATE OR REPLACE FUNCTION slow_fill(k int) RETURNS text LANGUAGE plpgsql AS $$
		DECLARE n bigint := nextval('fills');
		BEGIN
			PERFORM pg_advisory_xact_lock_shared(1);
			RETURN format('value of %s from fill %s', k, n);
		END $$});
}

# drop_cache while 4 wait: each reader gets a value or "cache does not
# exist"; the cache can be made again and works
{
	my ($k, $f, @rest) = run_case('drop_cache', q{SELECT atomiccache.drop_cache('g')}, 'maybe');
	my $act = pop @rest;
	ok(!$act->{err}{sqlstate}, 'drop_cache while 4 wait raised nothing') or diag describe($act);
	ok((grep { clean($_, $k, '42704', '42883') } $f, @rest) == 5,
		'drop_cache while 4 wait: each reader gets a value or 42704/42883')
	  or diag describe($f, @rest);
	is($node->safe_psql('postgres', q{SELECT count(*) FROM atomiccache.caches}), '0',
		'drop_cache: the cache is gone');
	$node->safe_psql('postgres', q{SELECT atomiccache.create_cache('g', 'slow_fill(int)')});
	my $v = $node->safe_psql('postgres', "SELECT g($k)");
	is($node->safe_psql('postgres', "SELECT g($k)"), $v, 'drop_cache: made again, it fills and hits');
}

# DROP EXTENSION atomiccache CASCADE while 4 wait
{
	my ($k, $f, @rest) = run_case('drop extension', q{DROP EXTENSION atomiccache CASCADE}, 'maybe');
	my $act = pop @rest;
	ok(!$act->{err}{sqlstate}, 'DROP EXTENSION while 4 wait raised nothing') or diag describe($act);
	ok((grep { clean($_, $k, '42704', '42883', '3F000') } $f, @rest) == 5,
		'DROP EXTENSION while 4 wait: each reader gets a value or a clear error')
	  or diag describe($f, @rest);
	$node->safe_psql('postgres', q{
		CREATE EXTENSION atomiccache;
		SELECT atomiccache.create_cache('g', 'slow_fill(int)');
	});
	my $v = $node->safe_psql('postgres', "SELECT g($k)");
	like($v, qr/^value of $k from fill \d+$/, 'DROP EXTENSION: made again, the key fills');
	is($node->safe_psql('postgres', "SELECT g($k)"), $v, 'and hits');
}

# a fill that invalidates its own key, with 4 waiting
{
	$node->safe_psql('postgres', q{
		CREATE FUNCTION self_inval(k int) RETURNS text LANGUAGE plpgsql AS $$
		DECLARE n bigint := nextval('fills');
		BEGIN
			PERFORM pg_advisory_xact_lock_shared(1);
			PERFORM atomiccache.invalidate('s', k);
			RETURN format('value of %s from fill %s', k, n);
		END $$;
		SELECT atomiccache.create_cache('s', 'self_inval(int)');
	});
	my $k = ++$key;
	block_fill('self invalidation', 's', $k);
	$ctl->query_safe('SELECT pg_advisory_unlock(1)');
	my @r = map { my ($o, $e) = ac_finish($_); { out => $o, err => ac_error($e) } } ($filler, @w);
	# it waits for its own fill: 40P01, as a fill asking for its own key
	# (README, Semantics); each waiter takes the fill over and gets the same
	ok((grep { ($_->{err}{sqlstate} // '') eq '40P01' } @r) == 5,
		'a fill that invalidates its own key: no hang, 40P01 for the filler and every waiter')
	  or diag describe(@r);
	note('outcomes: ' . describe(@r));
	my ($rc, $v, $err) = $node->psql('postgres', "SELECT s(-$k)");
	ok($rc != 0 && $err =~ /recursive fill of the same key in cache "s"/,
		'alone too, such a fill gets 40P01');
	like($node->safe_psql('postgres', "SELECT g(-$k)"), qr/^value of -$k from fill \d+$/,
		'the other cache still fills');
}

is($node->safe_psql('postgres',
	"SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Extension'"),
	'0', 'nobody is left waiting');

$_->quit for ($ctl, $filler, @w, $actor);
$node->stop;
done_testing();
