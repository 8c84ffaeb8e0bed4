# Copyright (c) atomiccache contributors
#
# test/t/100_removers.pl -- two backends that remove the same entry: only
# one of them removes it, whatever the order (src/table.c,
# ac_entry_remove).
#
# The removers are invalidate, a lookup that finds an expired entry, the
# garbage sweep that runs before each fill, and eviction.  For every pair
# (A, B), backend A is stopped with gdb at its test point (src/table.h:
# once it found the entry, by a lookup or a walk, before it swaps the
# state),
# backend B removes the same entry meanwhile, then A goes on.  Each case
# ends with:
#   - A's statement done, without error;
#   - the entry counted out once (invalidations + expirations + evictions
#     of the cache = 1);
#   - the bytes in use equal to the bytes of the entries still linked, and
#     memory().entries equal to their number, once retired entries are
#     reclaimed (an entry retired twice would be freed twice);
#   - a cache that still fills and hits;
#   - every session ended.
# Before the fix, A = invalidate removed the entry a second time (REMOVED ->
# REMOVED), made a cycle of the retired stack and hung in ac_reclaim.

use strict;
use warnings FATAL => 'all';

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time sleep);
use FindBin;
use lib $FindBin::RealBin;
use AtomicCacheTest;

if (system('gdb --version >/dev/null 2>&1') != 0)
{
	# gdb is installed by test/setup.sh; its absence is a set-up failure
	BAIL_OUT('gdb is needed by this test');
}

# test points of src/table.h
my %point = (invalidate => 1, get => 2, sweep => 3, evict => 4);
my $TTL = 3;    # seconds: entry e lives while A is being stopped

# 1 MB: values of 600 kB leave room for one, so a second one evicts
my $node = ac_new_node('removers',
	conf => "atomiccache.memory_limit = '1MB'\nlog_min_messages = warning\n");
$node->safe_psql(
	'postgres', qq{
	CREATE FUNCTION big(k int) RETURNS text LANGUAGE sql
		AS \$\$ SELECT repeat('x', 600000) || k \$\$;
	CREATE FUNCTION small(k int) RETURNS int LANGUAGE sql AS 'SELECT k';
	SELECT atomiccache.create_cache('c', 'big(int)', ttl => '$TTL seconds');
	SELECT atomiccache.create_cache('o', 'small(int)', ttl => '1 hour');
});

# What each remover runs; it removes the entry of c(1) when it is there
# (and, for get and sweep, expired).
my %statement = (
	invalidate => q{SELECT atomiccache.invalidate('c', 1)},
	get => q{SELECT length(c(1))},
	# the sweep runs on misses while there may be garbage: each fill of o
	# (a TTL cache) adds one entry to visit, so the 300 fills sweep 8
	# entries each, round the whole index many times
	sweep => q{SELECT count(o(i)) FROM generate_series(1001, 1300) i},
	# a second 600 kB value does not fit: eviction
	evict => q{SELECT length(c(2))},);

sub counted_out
{
	return $node->safe_psql(
		'postgres', q{
		SELECT invalidations + expirations + evictions
		  FROM atomiccache.caches WHERE name = 'c'});
}

for my $ra (qw(invalidate get sweep evict))
{
	for my $rb (qw(invalidate get sweep evict))
	{
		my $case = "A=$ra stopped, B=$rb";

		# fresh shared memory: no entry but the ones of this case
		$node->restart;
		$node->safe_psql('postgres', 'SELECT length(c(1))');
		my $filled = time;
		my $e_expired = 0;
		my $expire = sub {
			my $left = $filled + $TTL + 0.3 - time;
			sleep($left) if $left > 0;
			$e_expired = 1;
		};
		# the sweep removes garbage only: e must have expired
		$expire->() if $ra eq 'sweep';

		my $s = ac_session($node);
		chomp(my $pid = $s->{ac_pid});
		$s->query_safe("LOAD 'atomiccache'");
		my $g = ac_gdb_stop_at($pid, $point{$ra});
		ac_launch($s, $statement{$ra});
		ac_gdb_wait_stopped($g, $s);

		# B removes the entry while A holds a pointer to it.  B's lookup
		# must see e expired, or surely live (else wait until it expired).
		$expire->()
		  if $rb eq 'get' || $rb eq 'sweep' || time > $filled + $TTL - 1;
		my $b_sql = $statement{$rb};
		$b_sql =~ s/1001, 1300/2001, 2300/;    # other keys than A's
		$b_sql =~ s/c\(2\)/c(3)/;
		$node->safe_psql('postgres', $b_sql);
		# invalidate counts only entries it removed unexpired
		my $count = ($rb eq 'invalidate' && $e_expired) ? '0' : '1';
		is( $node->safe_psql(
				'postgres', q{
			SELECT count(*) FROM atomiccache.entries('c')
			 WHERE key = '1' AND state IN ('ready', 'expired')}),
			'0',
			"$case: B removed the entry");
		is(counted_out(), $count, "$case: B counted it ($count)");

		ac_gdb_release($g);
		my ($out, $err) = ac_finish($s);
		is($err, '', "$case: A's statement ends without error");
		is($out, 'f', "$case: A's invalidate finds nothing left to remove")
		  if $ra eq 'invalidate';
		is(counted_out(), $count, "$case: A did not count it again");
		$s->quit;

		# retired entries reclaimed (invalidate ends with a reclaim; no
		# reader is left), then the books must balance
		$node->safe_psql('postgres', q{SELECT atomiccache.invalidate('o', -1)});
		my ($used, $linked, $n, $nlinked) = split /\|/,
		  $node->safe_psql(
			'postgres', q{
			SELECT m.used_bytes, (SELECT coalesce(sum(bytes), 0) FROM
			                        (SELECT bytes FROM atomiccache.entries('c')
			                         UNION ALL
			                         SELECT bytes FROM atomiccache.entries('o')) x),
			       m.entries, (SELECT count(*) FROM
			                     (SELECT 1 FROM atomiccache.entries('c')
			                      UNION ALL
			                      SELECT 1 FROM atomiccache.entries('o')) y)
			  FROM atomiccache.memory() m});
		is("$used|$n", "$linked|$nlinked",
			"$case: bytes and entries in use match the entries linked");

		my $before = $node->safe_psql('postgres',
			q{SELECT hits + 1, fills + 1 FROM atomiccache.caches WHERE name = 'o'});
		is($node->safe_psql('postgres', 'SELECT o(7), o(7)'),
			'7|7', "$case: values after");
		is( $node->safe_psql(
				'postgres',
				q{SELECT hits, fills FROM atomiccache.caches WHERE name = 'o'}),
			$before,
			"$case: the cache still fills, then hits");
		ok( $node->poll_query_until(
				'postgres', q{
			SELECT count(*) = 0 FROM pg_stat_activity
			 WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()}),
			"$case: every session ended");
	}
}

$node->stop;
done_testing();
