
# Copyright (c) atomiccache contributors
#
# Single flight under a stampede: many backends ask for one cold key at once;
# exactly one runs the fill, all the others sleep on it (wait_event_type
# 'Extension') and get its value.  The same for a fill that raises an error:
# every backend gets that error, with its SQLSTATE, message, detail and hint,
# and the fill runs once.

use strict;
use warnings FATAL => 'all';

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use AtomicCacheTest;

my $nsessions = 16;
my $nwaiters = $nsessions - 1;

my $node = ac_new_node('stampede');

# The fills count themselves, then block until the test releases advisory
# lock 1.  The value names the fill that produced it.
$node->safe_psql(
	'postgres', q{
	CREATE SEQUENCE ok_fills;
	CREATE SEQUENCE err_fills;
	CREATE FUNCTION ok_fill(k int) RETURNS text LANGUAGE plpgsql AS $$
	DECLARE n bigint := nextval('ok_fills');
	BEGIN
		PERFORM pg_advisory_xact_lock_shared(1);
		RETURN format('value of %s from fill %s', k, n);
	END $$;
	CREATE FUNCTION err_fill(k int) RETURNS text LANGUAGE plpgsql AS $$
	BEGIN
		PERFORM nextval('err_fills');
		PERFORM pg_advisory_xact_lock_shared(1);
		RAISE EXCEPTION USING ERRCODE = 'AC042',
			MESSAGE = format('no value for key %s', k),
			DETAIL = 'The fill looked everywhere.',
			HINT = 'Try another key.';
	END $$;
	SELECT atomiccache.create_cache('stampede_ok', 'ok_fill(int)');
	SELECT atomiccache.create_cache('stampede_err', 'err_fill(int)');
});

my $ctl = ac_session($node);
my @sessions = map { ac_session($node) } 1 .. $nsessions;

# Run $sql in every session: the first becomes the filler and blocks on the
# advisory lock; the others must all sleep on its fill.
sub stampede
{
	my ($sql, $like) = @_;

	$ctl->query_safe('SELECT pg_advisory_lock(1)');
	ac_launch($sessions[0], $sql);
	ac_poll($node,
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '$like'",
		"the first session is inside the fill, blocked on the advisory lock");
	ac_launch($_, $sql) for @sessions[ 1 .. $#sessions ];
	ac_poll($node,
		"SELECT count(*) = $nwaiters FROM pg_stat_activity WHERE wait_event_type = 'Extension' AND query LIKE '$like'",
		"$nwaiters sessions sleep on the fill (wait_event_type Extension)");
	is(ac_count_waiting($node, 'Lock', $like),
		1, 'still exactly one session inside the fill');
	$ctl->query_safe('SELECT pg_advisory_unlock(1)');
	return map { [ ac_finish($_) ] } @sessions;
}

# --- a value ---------------------------------------------------------------

my @results = stampede('SELECT stampede_ok(7);', '%stampede_ok(7)%');
my $expected = 'value of 7 from fill 1';
is(scalar(grep { $_->[0] eq $expected } @results),
	$nsessions, "all $nsessions sessions got the value of the single fill");
is(scalar(grep { $_->[1] eq '' } @results), $nsessions, 'and no errors');
is(ac_fills($node, 'ok_fills'), 1, 'the fill ran exactly once');

my ($waits, $fills, $entries) = split /\|/, $node->safe_psql('postgres',
	"SELECT waits, fills, entries FROM atomiccache.caches WHERE name = 'stampede_ok'");
cmp_ok($waits, '>=', $nwaiters,
	"atomiccache.caches counts at least $nwaiters waits");
is($fills, 1, 'atomiccache.caches counts one fill');
is($entries, 1, 'atomiccache.caches counts one entry');

is($sessions[5]->query_safe('SELECT stampede_ok(7)'),
	$expected, 'a later call is a hit');
is(ac_fills($node, 'ok_fills'), 1, 'a hit does not fill');

# --- an error --------------------------------------------------------------

@results = stampede('SELECT stampede_err(7);', '%stampede_err(7)%');
my $i = 0;
for my $r (@results)
{
	my $e = ac_error($r->[1]);
	my $who = $i == 0 ? 'the filler' : "waiter $i";
	$i++;
	is_deeply(
		$e,
		{
			sqlstate => 'AC042',
			message => 'no value for key 7',
			detail => 'The fill looked everywhere.',
			hint => 'Try another key.'
		},
		"$who got the fill's error with its SQLSTATE, message, detail and hint"
	) or diag($r->[1]);
	is($r->[0], '', "$who got no value");
}
is(ac_fills($node, 'err_fills'), 1, 'the failing fill ran exactly once');
($waits, my $fill_errors) = split /\|/, $node->safe_psql('postgres',
	"SELECT waits, fill_errors FROM atomiccache.caches WHERE name = 'stampede_err'");
cmp_ok($waits, '>=', $nwaiters, "the failing fill had $nwaiters waiters");
is($fill_errors, 1, 'atomiccache.caches counts one fill error');

# The error is cached like a value: a later call gets it without a fill.
ac_launch($sessions[3], 'SELECT stampede_err(7);');
my (undef, $err) = ac_finish($sessions[3]);
is(ac_error($err)->{sqlstate}, 'AC042', 'a later call gets the cached error');
is(ac_fills($node, 'err_fills'), 1, 'the cached error is not filled again');

$_->quit for $ctl, @sessions;
$node->stop;
done_testing();
