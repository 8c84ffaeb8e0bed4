
# Copyright (c) atomiccache contributors
#
# test/t/250_interleavings.pl -- the index's orders, forced: a backend is
# stopped with gdb at a test point of src/table.h, where an argument of
# the head comment of src/table.c (or src/evict.c) depends on an order,
# while other backends act; then it goes on.
#
# Keys are placed, not guessed: the test learns where keys 1..8192 live
# (partition, inner hash, start bucket: atomiccache_test_places, a function
# of test builds that the test declares itself) and then fills, for most
# cases, the keys of one partition P that give the shape it needs (16 or
# 32 buckets, a sentinel in the upper segment, a bucket not linked yet),
# and gdb's conditions on the point's arguments (partition, bucket,
# so_key) stop the backend there.  A partition grows past 2 entries a
# bucket and halves below 1 per 2.  The cases of the reclaimer, the
# backlog, the hit and the pinned waiter need no partition: they stop at
# the first such point of the statement.
#
#  case                    stopped (point)              meanwhile
#  ----------------------  ---------------------------  ----------------------------------
#  lookup x shrink         lookup on an upper sentinel  P's other keys removed: P halves,
#                          (FIND_START)                 reclaims; the lookup still hits
#  lookup x grow           lookup with the old mask     P doubles, links the key's bucket
#                          (FIND_MASK)
#  lookup x insert         lookup on its start sentinel another backend fills the key
#  insert x insert         reservation made (RESERVE)   another backend fills the key
#  insert under the lock   entry about to be linked     hits in P; an insert of the key
#                          (LINK, entry)                waits on the lock
#  link x lookups          a sentinel about to be       hits in P
#                          linked (LINK, bucket)
#  grow x lookup, insert   new mask published, lock     hits in P; an insert waits
#                          held (GROW)
#  grow x grow             segment allocated (GROW_     another backend grows P
#                          BEGIN)
#  shrink x everything     lock let go, segment not     hits, inserts past the growth
#                          retired (SHRINK)             threshold (no growth), reclaims
#  remove x insert         CAS won, entry linked        the key looked up and filled
#                          (MARKED)                     again
#  remove x shrink         (MARKED)                     P halves around the entry
#  remove x grow           (MARKED)                     P doubles around the entry
#  retire x reclaimers     unlinked, epoch read         removals and reclaims
#                          (RETIRE)
#  reclaim x reader,       epoch advanced, list not     a lookup stopped on an entry
#  remover                 taken (RECLAIM_ADVANCED)     that is then removed
#  backlog x everything    reclaimer with a backlog     inserts, removals, hits
#                          (RECLAIM_BACKLOG)
#  hit x eviction          hit decided, value not       the entry evicted, reclaims
#                          copied (HIT)
#  eviction x grow         eviction on an entry of P    P doubles
#                          (EVICT_CANDIDATE)
#  eviction x shrink       eviction on an entry of P's  P halves
#                          upper half (EVICT_CANDIDATE)
#  old mask x shrink       lookup with the mask of 32   P halves: the lookup finds no
#                          buckets (FIND_MASK)          segment, starts from the ancestor
#  lookup on an entry x    lookup on entry e1, its      e1 and e2 after it removed,
#  its removal             next unread (FIND_STEP)      reclaims; the walk goes through
#  pinned waiter x         waiter woke, pinned, no      the entry removed, reclaims: kept
#  removal                 read section (WOKEN)         on a list, not freed
#  eviction's removal x    eviction's CAS won, entry    the key filled again and hit
#  insert                  linked (MARKED)
#
# (Every pair of removers is test/t/100_removers.pl; every remover goes
# through ac_entry_remove from its CAS on, where MARKED and RETIRE are.
# Not forced here: a reclaimer that advances no epoch (a backlog left)
# while a segment is retired needs 8,192 entries retired at once; the
# assertion in reclaim_segments guards it: 220_growth failed on it when
# that bug was put back.)
# Each case checks
# what its argument promises while the backend is stopped (what was
# freed, what a lookup sees, who waits) and ends with: the stopped
# statement's right result, the counters, the bytes in use equal to those
# of the entries and segments linked once reclaimed, every partition's
# shape whole (buckets, segments, counts), the values of every entry
# right (hits), a new key that fills and hits, and no backend left.

use strict;
use warnings FATAL => 'all';

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use AtomicCacheTest;
use Time::HiRes ();

if (system('gdb --version >/dev/null 2>&1') != 0)
{
	# gdb is installed by test/setup.sh; its absence is a set-up failure
	BAIL_OUT('gdb is needed by this test');
}

# test points of src/table.h
my %TP = (
	get_found => 2,
	evict => 4,
	find_mask => 7,
	find_start => 8,
	reserve => 9,
	link => 10,
	grow_begin => 11,
	grow => 12,
	shrink => 13,
	marked => 14,
	retire => 15,
	advanced => 16,
	backlog => 17,
	hit => 18,
	woken => 19,
	find_step => 20);
my $BIG = 400000;    # bytes of a value of cache b

my $node = ac_new_node('interleavings',
	conf => "log_min_messages = warning\natomiccache.memory_limit = '64MB'\n");
$node->safe_psql(
	'postgres', qq{
	CREATE FUNCTION f(k int) RETURNS bigint LANGUAGE sql
		AS 'SELECT k::bigint * 7 + 1';
	CREATE FUNCTION big(k int) RETURNS text LANGUAGE sql
		AS \$\$ SELECT repeat(chr(65 + k % 26), $BIG) \$\$;
	SELECT atomiccache.create_cache('c', 'f(int)');
	SELECT atomiccache.create_cache('b', 'big(int)');
	CREATE FUNCTION t_places(cache text, OUT key text, OUT part int,
		OUT inner_hash bigint, OUT start_bucket int) RETURNS SETOF record
		AS 'atomiccache', 'atomiccache_test_places' LANGUAGE C STRICT;
	CREATE FUNCTION t_partitions(OUT part int, OUT buckets int,
		OUT entries int, OUT linked int, OUT segments int, OUT mapped int,
		OUT segment_bytes bigint) RETURNS SETOF record
		AS 'atomiccache', 'atomiccache_test_partitions' LANGUAGE C;
	CREATE FUNCTION t_epoch() RETURNS bigint
		AS 'atomiccache', 'atomiccache_test_epoch' LANGUAGE C;
});
# cache s: slow_fill(k), held on an advisory lock (AtomicCacheTest)
ac_create_slow_fill($node, 's');

# A statement of another session.  A time limit: a statement that hangs
# (a hit waiting on the lock a stopped backend holds, which no cancel
# ends) fails the test instead of hanging it.
sub q1
{
	return $node->safe_psql('postgres', $_[0],
		timeout => $PostgreSQL::Test::Utils::timeout_default);
}

sub arr
{
	return "'{" . join(',', @_) . "}'::int[]";
}

# x with its 32 bits reversed: an entry's so_key from its inner hash
sub reverse32
{
	return unpack('N', pack('B32', scalar reverse unpack('B32', pack('N', $_[0]))));
}

# key => [partition, inner hash, start bucket] of the entries of cache c
sub places
{
	my %p;
	for (split /\n/,
		q1(q{SELECT key, part, inner_hash, start_bucket FROM t_places('c')}))
	{
		my ($k, @v) = split /\|/;
		$p{$k} = \@v;
	}
	return \%p;
}

sub partition
{
	my ($p) = @_;
	my @v = split /\|/,
	  q1("SELECT buckets, entries, linked, segments, mapped, segment_bytes
	        FROM t_partitions() WHERE part = $p");
	my %h;
	@h{qw(buckets entries linked segments mapped segment_bytes)} = @v;
	return \%h;
}

sub shape
{
	my $h = partition($_[0]);
	return "$h->{buckets}|$h->{segments}|$h->{mapped}";
}

sub stats
{
	my ($cache) = @_;
	my %h;
	@h{qw(hits misses fills evictions invalidations entries uncached)} =
	  split /\|/,
	  q1("SELECT hits, misses, fills, evictions, invalidations, entries, uncached
	        FROM atomiccache.caches WHERE name = '$cache'");
	return \%h;
}

sub fill
{
	# a range as a range: the server's log stays readable
	return q1("SELECT count(c(i)) FROM generate_series($_[0], $_[-1]) i")
	  if $_[-1] - $_[0] == $#_;
	return q1('SELECT count(c(i)) FROM unnest(' . arr(@_) . ') i');
}

sub invalidate
{
	return q1("SELECT coalesce(sum(atomiccache.invalidate('c', i)::int), 0)
	             FROM unnest(" . arr(@_) . ') i');
}

# each invalidate ends with a reclaim; 4 free any backlog of this test
sub reclaim_all
{
	q1(q{SELECT atomiccache.invalidate('c', -1) FROM generate_series(1, 4)});
	return;
}

# bytes in use that no linked entry or mapped segment accounts for:
# retired entries not freed yet, segments allocated and not installed
sub unreclaimed
{
	return q1(
		q{SELECT m.used_bytes
		       - (SELECT coalesce(sum(bytes), 0) FROM atomiccache.entries('c'))
		       - (SELECT coalesce(sum(bytes), 0) FROM atomiccache.entries('b'))
		       - (SELECT coalesce(sum(bytes), 0) FROM atomiccache.entries('s'))
		       - (SELECT sum(segment_bytes) FROM t_partitions())
		    FROM atomiccache.memory() m});
}

sub bytes_of
{
	return q1("SELECT coalesce(sum(bytes), 0) FROM atomiccache.entries('c')
	            WHERE key::int = ANY (" . arr(@_) . ')');
}

# --- where keys 1..8192 live -------------------------------------------

fill(1 .. 8192);
my $learned = places();
is(scalar(keys %$learned), 8192, 'learned the places of 8192 keys');
# and the partitions of the values 1..3 of cache b, which the cases that
# evict keep out of their P
q1('SELECT length(b(k)) FROM generate_series(1, 3) k');
my %bplace = map { split /\|/ } split /\n/,
  q1(q{SELECT key, part FROM t_places('b')});
is(join(',', sort keys %bplace), '1,2,3', 'learned the partitions of cache b');
my %bpart = map { $_ => 1 } values %bplace;
q1(q{SELECT atomiccache.invalidate_all('b')});
my %kp;    # partition => its keys, ascending
push @{ $kp{ $learned->{$_}[0] } }, $_ for sort { $a <=> $b } keys %$learned;
sub inner { return $learned->{ $_[0] }[1]; }

# The partitions with at least 64 of the keys, in order; each case takes
# the next, so that no two cases share a partition's history.
my @parts = grep { @{ $kp{$_} } >= 64 } sort { $a <=> $b } keys %kp;
ok(@parts >= 24, 'enough partitions with 64 keys: ' . scalar(@parts));

sub next_partition
{
	my ($ok) = @_;
	while (@parts)
	{
		my $p = shift @parts;
		return $p if !$ok || $ok->($p, @{ $kp{$p} });
	}
	die 'no partition left with the shape wanted';
}

# For a partition's keys: a key whose lookup starts from a sentinel of
# the upper half once its first 40 keys are filled in order (P doubles at
# its 33rd; the 34th to 40th link the sentinels of their buckets), and
# those 40 keys.
sub upper_key
{
	my ($p, @keys) = @_;
	my @set = @keys[ 0 .. 39 ];
	my %linked = map { (inner($_) & 31) >= 16 ? ((inner($_) & 31) => 1) : () }
	  @set[ 33 .. 39 ];
	my ($k) = grep { $linked{ inner($_) & 31 } } @set;
	return ($k, @set);
}

# For a partition's keys: a key of its first 32 (16 buckets) whose bucket
# moves to the new half when P doubles, and whose new bucket's sentinel is
# linked by one of the next 32 (after the first of them, which makes P
# grow after its own insert); and those first 32 keys.
sub grow_key
{
	my ($p, @keys) = @_;
	my @first = @keys[ 0 .. 31 ];
	my %newb = map { (inner($_) & 31) => 1 } @keys[ 33 .. 63 ];
	my ($k) = grep { (inner($_) & 16) && $newb{ inner($_) & 31 } } @first;
	return ($k, @first);
}

# A fresh server (nothing in shared memory), the keys given filled in c;
# checks that they are where the test learned they would be (the hash of
# a key depends on its cache's slot and generation, the same after each
# restart when c is the first cache used).
my $case;

sub fresh
{
	my (%opt) = @_;
	my $limit = $opt{limit} // '64MB';

	$node->append_conf('postgresql.conf',
		"atomiccache.memory_limit = '$limit'\n");
	$node->restart;
	fill(@{ $opt{keys} });
	my $pl = places();
	my @wrong = grep {
		!$pl->{$_}
		  || $pl->{$_}[0] != $learned->{$_}[0]
		  || $pl->{$_}[1] != $learned->{$_}[1]
	} @{ $opt{keys} };
	is("@wrong", '', "$case: the keys are where they were learned");
	return $pl;
}

# Session A: its statement $sql stops at test point $point where $cond
# holds (ac_gdb_stop_at).  Returns the session, the gdb handle and the
# point's arguments.
sub stop_at
{
	my ($point, $cond, $sql) = @_;
	my $s = ac_session($node);
	$s->query_safe("LOAD 'atomiccache'");
	my $g = ac_gdb_stop_at($s->{ac_pid}, $TP{$point}, cond => $cond);
	ac_launch($s, $sql);
	ac_gdb_wait_stopped($g, $s);
	return ($s, $g, ac_gdb_stopped_args($g));
}

# Let A go on; its statement's output, and no error.
sub go_on
{
	my ($s, $g) = @_;
	ac_gdb_release($g);
	my ($out, $err) = ac_finish($s);
	is($err, '', "$case: the stopped statement ends without error");
	$s->quit;
	return $out;
}

# A background session whose statement waits on a partition's LWLock.
sub blocked_on_lock
{
	my ($sql) = @_;
	my $s = ac_session($node);
	ac_launch($s, $sql);
	my $waits =
	  "SELECT wait_event_type = 'LWLock' FROM pg_stat_activity WHERE pid = $s->{ac_pid}";
	ac_poll($node, $waits, "$case: the insert waits on the partition's lock");
	# and keeps waiting: not a passing wait on another lock
	my $samples = '';
	for (1 .. 3)
	{
		Time::HiRes::sleep(0.3);
		$samples .= q1($waits);
	}
	is($samples, 'ttt', "$case: the insert still waits");
	return $s;
}

sub finish_session
{
	my ($s) = @_;
	my ($out, $err) = ac_finish($s);
	is($err, '', "$case: the waiting statement ends without error");
	$s->quit;
	return $out;
}

my $new_key = 100000;

# What every case ends with.
sub end_checks
{
	ac_poll($node,
		q{SELECT count(*) = 0 FROM pg_stat_activity
		   WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()},
		"$case: no session left");
	reclaim_all();
	is(unreclaimed(), '0',
		"$case: the bytes in use are the entries' and segments' linked");
	is( q1(
			q{SELECT m.entries = (SELECT sum(entries) FROM t_partitions())
			     AND m.entries = (SELECT count(*) FROM atomiccache.entries('c'))
			                   + (SELECT count(*) FROM atomiccache.entries('b'))
			                   + (SELECT count(*) FROM atomiccache.entries('s'))
			    FROM atomiccache.memory() m}),
		't',
		"$case: the entries counted are the entries linked");
	is( q1(
			q{SELECT count(*) FROM t_partitions()
			   WHERE buckets <> 16 << segments OR segments <> mapped
			      OR linked > buckets OR linked < 1}),
		'0',
		"$case: every partition whole (buckets, segments, no retired segment left)");
	my $before = stats('c');
	is( q1(
			q{SELECT count(*) FILTER (WHERE c(key::int) <> key::int * 7 + 1)
			   FROM atomiccache.entries('c')}),
		'0',
		"$case: every entry's value right");
	my $after = stats('c');
	is($after->{fills}, $before->{fills}, "$case: and every one a hit");
	$new_key++;
	is(q1("SELECT c($new_key), c($new_key)"),
		($new_key * 7 + 1) . '|' . ($new_key * 7 + 1),
		"$case: a new key fills");
	my $last = stats('c');
	is( ($last->{fills} - $after->{fills}) . '|' . ($last->{hits} - $after->{hits}),
		'1|1', "$case: and hits");
	return;
}

# --- lookup x shrink ---------------------------------------------------
#
# A lookup stands on its start sentinel, in P's upper segment.  P's other
# entries are removed: P halves (the sentinel unlinked, the segment's
# pointer cleared, the segment retired) and reclaimers run.  Neither the
# removed entries nor the segment are freed while the lookup may reach
# them; the unlinked sentinel's next still leads to the key (a hit).
{
	$case = 'lookup x shrink';
	my ($p, $k, @set);
	$p = next_partition(sub { ($k, @set) = upper_key(@_); defined $k });
	my $pl = fresh(keys => \@set);
	is(shape($p), '32|1|1', "$case: P has 32 buckets");
	is($pl->{$k}[2], inner($k) & 31, "$case: the key starts from the upper half");
	my @others = grep { $_ != $k } @set;
	my $removed = bytes_of(@others);
	my $st = stats('c');

	my ($s, $g) = stop_at('find_start', "\$a == $p && \$b == $pl->{$k}[2]",
		"SELECT c($k)");
	is(invalidate(@others), 39, "$case: the other 39 entries removed");
	is(shape($p), '16|0|1',
		"$case: P halved; its segment retired, not freed");
	is(unreclaimed(), $removed,
		"$case: no removed entry freed while the lookup may reach it");
	is(go_on($s, $g), $k * 7 + 1, "$case: the lookup's value");
	my $now = stats('c');
	is( ($now->{hits} - $st->{hits}) . '|' . ($now->{fills} - $st->{fills}),
		'1|0', "$case: a hit, through the unlinked sentinel");
	reclaim_all();
	is(shape($p), '16|0|0', "$case: the segment freed after");
	fill(@others);
	is(shape($p), '32|1|1', "$case: P grows into its place again");
	end_checks();
}

# --- lookup x grow -----------------------------------------------------
#
# A lookup has read P's mask (16 buckets).  P doubles and the key's own
# bucket, in the new half, gets its sentinel.  The lookup goes on with the
# old mask, from the ancestor's sentinel, whose run holds the new bucket's:
# a hit.
{
	$case = 'lookup x grow';
	my ($p, $k, @first, @more);
	$p = next_partition(
		sub {
			($k, @first) = grow_key(@_);
			@more = @{ $kp{ $_[0] } }[ 32 .. 63 ];
			return defined $k;
		});
	fresh(keys => \@first);
	is(shape($p), '16|0|0', "$case: P has 16 buckets");
	my $st = stats('c');
	my ($s, $g, undef, $b) = stop_at('find_mask', "\$a == $p", "SELECT c($k)");
	is($b, inner($k) & 15, "$case: the lookup read the mask of 16 buckets");
	fill(@more);
	is(shape($p), '32|1|1', "$case: P doubled meanwhile");
	is(places()->{$k}[2], inner($k) & 31,
		"$case: the key's bucket, in the new half, is linked");
	is(go_on($s, $g), $k * 7 + 1, "$case: the lookup's value");
	my $now = stats('c');
	is( ($now->{hits} - $st->{hits}) . '|' . ($now->{fills} - $st->{fills}),
		'1|32', "$case: a hit (the 32 fills are the new keys')");
	end_checks();
}

# --- lookup x insert ---------------------------------------------------
#
# A lookup stands on its start sentinel; another backend fills the key
# (links its entry after that sentinel).  The lookup's next load sees it:
# one fill, one entry.
{
	$case = 'lookup x insert';
	my $p = next_partition();
	my @set = @{ $kp{$p} }[ 0 .. 9 ];
	my $k = $kp{$p}[10];
	fresh(keys => \@set);
	my $st = stats('c');
	my ($s, $g) = stop_at('find_start', "\$a == $p", "SELECT c($k)");
	is(q1("SELECT c($k)"), $k * 7 + 1, "$case: another backend fills the key");
	is(go_on($s, $g), $k * 7 + 1, "$case: the lookup's value");
	my $now = stats('c');
	is( ($now->{fills} - $st->{fills}) . '|' . ($now->{hits} - $st->{hits}),
		'1|1', "$case: one fill; the lookup found its entry");
	is(q1("SELECT count(*) FROM atomiccache.entries('c') WHERE key = '$k'"),
		'1', "$case: one entry for the key");
	end_checks();
}

# --- insert x insert ---------------------------------------------------
#
# A backend made its reservation (a PENDING entry, not linked); another
# fills the key first.  The first one's insert finds the live entry,
# frees its own and takes the value: one fill.
{
	$case = 'insert x insert';
	my $p = next_partition();
	my @set = @{ $kp{$p} }[ 0 .. 9 ];
	my $k = $kp{$p}[10];
	fresh(keys => \@set);
	my $st = stats('c');
	my ($s, $g) = stop_at('reserve', "\$a == $p", "SELECT c($k)");
	is(unreclaimed(), bytes_of($set[0]),
		"$case: the reservation is allocated, not linked");
	is(q1("SELECT c($k)"), $k * 7 + 1, "$case: another backend fills the key");
	is(go_on($s, $g), $k * 7 + 1, "$case: the reserving backend's value");
	my $now = stats('c');
	is( ($now->{fills} - $st->{fills}) . '|' . ($now->{misses} - $st->{misses}),
		'1|2', "$case: one fill, two misses");
	is(unreclaimed(), '0', "$case: the lost reservation freed");
	is(q1("SELECT count(*) FROM atomiccache.entries('c') WHERE key = '$k'"),
		'1', "$case: one entry for the key");
	end_checks();
}

# --- insert under the lock ---------------------------------------------
#
# A backend holds P's lock, its entry complete but not linked.  Hits in P
# go on (no lock); an insert of the same key waits on the lock, then finds
# the first backend's entry: one fill.
{
	$case = 'insert under the lock';
	my $p = next_partition();
	my @set = @{ $kp{$p} }[ 0 .. 9 ];
	my $k = $kp{$p}[10];
	fresh(keys => \@set);
	my $st = stats('c');
	my ($s, $g) = stop_at('link', "\$a == $p && \$b == 0", "SELECT c($k)");
	is( q1('SELECT count(*) FROM unnest(' . arr(@set) . ') i WHERE c(i) = i * 7 + 1'),
		'10', "$case: hits in P while its lock is held");
	is(stats('c')->{hits} - $st->{hits}, 10, "$case: they were hits");
	my $w = blocked_on_lock("SELECT c($k)");
	is(go_on($s, $g), $k * 7 + 1, "$case: the inserting backend's value");
	is(finish_session($w), $k * 7 + 1, "$case: the waiting backend's value");
	is(stats('c')->{fills} - $st->{fills}, 1, "$case: one fill");
	end_checks();
}

# --- link x lookups ----------------------------------------------------
#
# P just doubled: its upper sentinels are not linked.  A backend links one
# (complete, not yet in the list, P's lock held) while every key of P is
# looked up: all hit.  After, the keys of that bucket start from it.
{
	$case = 'link x lookups';
	my ($p, $k, $bucket, @set);
	$p = next_partition(
		sub {
			my ($p, @keys) = @_;
			@set = @keys[ 0 .. 32 ];
			my %held = map { (inner($_) & 31) => 1 } @set;
			# a key of the new half whose bucket holds keys already
			($k) = grep { (inner($_) & 31) >= 16 && $held{ inner($_) & 31 } }
			  @keys[ 33 .. $#keys ];
			return defined $k;
		});
	$bucket = inner($k) & 31;
	my $pl = fresh(keys => \@set);
	is(shape($p), '32|1|1', "$case: P doubled at its 33rd entry");
	is(scalar(grep { $pl->{$_}[2] >= 16 } @set),
		0, "$case: no sentinel of the new half linked");
	my $st = stats('c');
	my ($s, $g) =
	  stop_at('link', "\$a == $p && \$b == $bucket", "SELECT c($k)");
	is( q1('SELECT count(*) FROM unnest(' . arr(@set) . ') i WHERE c(i) = i * 7 + 1'),
		'33', "$case: every key of P hits while the sentinel is being linked");
	is(stats('c')->{hits} - $st->{hits}, 33, "$case: they were hits");
	is(go_on($s, $g), $k * 7 + 1, "$case: the inserting backend's value");
	$pl = places();
	my @mates = grep { (inner($_) & 31) == $bucket } @set, $k;
	is(join(',', map { $pl->{$_}[2] } @mates),
		join(',', ($bucket) x @mates),
		"$case: their lookups start from the new sentinel");
	end_checks();
}

# --- grow x lookup, insert ---------------------------------------------
#
# A backend doubled P (new mask published, lock held, no new sentinel
# linked).  Hits in P go on from the ancestors' sentinels; an insert waits
# on the lock.
{
	$case = 'grow x lookup, insert';
	my $p = next_partition();
	my @set = @{ $kp{$p} }[ 0 .. 31 ];
	my ($k, $k2) = @{ $kp{$p} }[ 32, 33 ];
	fresh(keys => \@set);
	is(shape($p), '16|0|0', "$case: P has 16 buckets");
	my $st = stats('c');
	my ($s, $g, undef, $nb) = stop_at('grow', "\$a == $p", "SELECT c($k)");
	is($nb, 32, "$case: the grower published 32 buckets");
	is( q1('SELECT count(*) FROM unnest(' . arr(@set) . ') i WHERE c(i) = i * 7 + 1'),
		'32', "$case: every key of P hits under the new mask");
	is(stats('c')->{hits} - $st->{hits}, 32, "$case: they were hits");
	my $w = blocked_on_lock("SELECT c($k2)");
	is(go_on($s, $g), $k * 7 + 1, "$case: the growing backend's value");
	is(finish_session($w), $k2 * 7 + 1, "$case: the waiting backend's value");
	is(shape($p), '32|1|1', "$case: P has 32 buckets");
	end_checks();
}

# --- grow x grow -------------------------------------------------------
#
# A backend allocated the segment to double P and has not taken the lock;
# another doubles P first.  The first finds the growth done and frees its
# segment.
{
	$case = 'grow x grow';
	my $p = next_partition();
	my @set = @{ $kp{$p} }[ 0 .. 31 ];
	my ($k, $k2) = @{ $kp{$p} }[ 32, 33 ];
	fresh(keys => \@set);
	my ($s, $g) = stop_at('grow_begin', "\$a == $p", "SELECT c($k)");
	is(q1("SELECT c($k2)"), $k2 * 7 + 1, "$case: another backend inserts");
	is(shape($p), '32|1|1', "$case: and doubles P");
	is(unreclaimed(), partition($p)->{segment_bytes},
		"$case: the first grower's segment is allocated, not installed");
	is(go_on($s, $g), $k * 7 + 1, "$case: the first grower's value");
	is(unreclaimed(), '0', "$case: its segment freed");
	is(shape($p), '32|1|1', "$case: P still has 32 buckets");
	end_checks();
}

# --- shrink x everything -----------------------------------------------
#
# A backend halved P and let go of the lock; the segment's pointer for
# lookups is cleared, the segment not retired.  Hits go on; P fills past
# the growth threshold but does not grow into the segment's place, still
# mapped; reclaimers leave it.  Once retired and reclaimed, P grows.
{
	$case = 'shrink x everything';
	my $p = next_partition();
	my @set = @{ $kp{$p} }[ 0 .. 39 ];
	fresh(keys => \@set);
	is(shape($p), '32|1|1', "$case: P has 32 buckets");
	my ($s, $g, undef, $half) = stop_at('shrink', "\$a == $p",
		    "SELECT sum(atomiccache.invalidate('c', i)::int) FROM unnest("
		  . arr(@set[ 0 .. 24 ])
		  . ') i');
	is($half, 16, "$case: P halved at 15 entries (its 25th removal)");
	is(shape($p), '16|0|1', "$case: the segment unreachable for lookups, mapped");
	my $st = stats('c');
	is( q1(
			'SELECT count(*) FROM unnest('
			  . arr(@set[ 25 .. 39 ])
			  . ') i WHERE c(i) = i * 7 + 1'),
		'15',
		"$case: the 15 left hit");
	is(stats('c')->{hits} - $st->{hits}, 15, "$case: they were hits");
	fill(@set[ 0 .. 24 ]);
	reclaim_all();
	is(partition($p)->{entries}, 40, "$case: P has 40 entries again");
	is(shape($p), '16|0|1',
		"$case: P did not grow into the segment's place, still mapped");
	is(go_on($s, $g), 25, "$case: the shrinking backend's invalidations");
	reclaim_all();
	is(shape($p), '16|0|0', "$case: the segment freed once retired");
	fill($kp{$p}[40]);
	is(shape($p), '32|1|1', "$case: then P grows");
	end_checks();
}

# --- remove x insert ---------------------------------------------------
#
# A remover won the CAS (REMOVED, still linked).  Lookups skip the entry;
# the key is filled again (a second entry of the key in the list, live)
# and hits.  The remover then unlinks its own entry, found by address, not
# by key.
{
	$case = 'remove x insert';
	my $p = next_partition();
	my @set = @{ $kp{$p} }[ 0 .. 9 ];
	my $k = $set[5];
	fresh(keys => \@set);
	my $st = stats('c');
	my ($s, $g) = stop_at('marked',
		"\$a == $p && \$b == " . reverse32(inner($k)),
		"SELECT atomiccache.invalidate('c', $k)");
	is(q1("SELECT c($k), c($k)"), ($k * 7 + 1) . '|' . ($k * 7 + 1),
		"$case: the key filled again, then a hit");
	my $now = stats('c');
	is( ($now->{fills} - $st->{fills}) . '|' . ($now->{hits} - $st->{hits}),
		'1|1', "$case: one fill, one hit");
	is(go_on($s, $g), 't', "$case: the remover removed the old entry");
	is(q1("SELECT c($k)"), $k * 7 + 1, "$case: the new entry");
	is(stats('c')->{fills} - $now->{fills}, 0, "$case: is still there (a hit)");
	is(stats('c')->{invalidations} - $st->{invalidations},
		1, "$case: one invalidation");
	end_checks();
}

# --- remove x shrink ---------------------------------------------------
#
# A remover won the CAS on an entry of P's upper half; P halves meanwhile
# (its bucket's sentinel, maybe the entry's predecessor, unlinked).  The
# remover finds the predecessor again from the new mask.
{
	$case = 'remove x shrink';
	my ($p, $k, @set);
	$p = next_partition(sub { ($k, @set) = upper_key(@_); defined $k });
	my $pl = fresh(keys => \@set);
	is($pl->{$k}[2], inner($k) & 31, "$case: the key starts from the upper half");
	my @others = (grep { $_ != $k } @set)[ 0 .. 24 ];
	my ($s, $g) = stop_at('marked',
		"\$a == $p && \$b == " . reverse32(inner($k)),
		"SELECT atomiccache.invalidate('c', $k)");
	is(invalidate(@others), 25, "$case: 25 others removed");
	is(shape($p), '16|0|1', "$case: P halved around the marked entry");
	is(go_on($s, $g), 't', "$case: the remover removed its entry");
	is(partition($p)->{entries}, 14, "$case: 14 entries left in P");
	is(q1("SELECT count(*) FROM atomiccache.entries('c') WHERE key = '$k'"),
		'0', "$case: the entry is gone");
	end_checks();
}

# --- remove x grow -----------------------------------------------------
#
# A remover won the CAS on an entry; P doubles and links the entry's new
# bucket's sentinel (before it in the list).  The remover finds the
# entry's predecessor from the new mask.
{
	$case = 'remove x grow';
	my ($p, $k, @first, @more);
	$p = next_partition(
		sub {
			($k, @first) = grow_key(@_);
			@more = @{ $kp{ $_[0] } }[ 32 .. 63 ];
			return defined $k;
		});
	fresh(keys => \@first);
	my ($s, $g) = stop_at('marked',
		"\$a == $p && \$b == " . reverse32(inner($k)),
		"SELECT atomiccache.invalidate('c', $k)");
	fill(@more);
	is(shape($p), '32|1|1', "$case: P doubled around the marked entry");
	my @mates = grep { (inner($_) & 31) == (inner($k) & 31) } @more[ 1 .. $#more ];
	is(places()->{ $mates[0] }[2],
		inner($k) & 31, "$case: the entry's new bucket is linked");
	is(go_on($s, $g), 't', "$case: the remover removed its entry");
	is(partition($p)->{entries}, 63, "$case: 63 entries left in P");
	end_checks();
}

# --- retire x reclaimers -----------------------------------------------
#
# A remover unlinked its entry and read the epoch r, and has not pushed it
# on r's list.  Reclaimers run: the epoch moves at most once past the
# remover's own (its read section), nothing is freed, and the late push
# is freed later.
{
	$case = 'retire x reclaimers';
	my $p = next_partition();
	my @set = @{ $kp{$p} }[ 0 .. 9 ];
	my $k = $set[0];
	my @elsewhere = grep { $learned->{$_}[0] != $p } 1 .. 30;
	fresh(keys => [ @set, @elsewhere ]);
	my $removed = bytes_of($k, @elsewhere[ 0 .. 4 ]);
	my ($s, $g, undef, $r) = stop_at('retire', "\$a == $p",
		"SELECT atomiccache.invalidate('c', $k)");
	is(invalidate(@elsewhere[ 0 .. 4 ]), 5, "$case: 5 other entries removed");
	reclaim_all();
	is(q1('SELECT t_epoch()'), $r + 1,
		"$case: the epoch moved once past the remover's, and no further");
	is(unreclaimed(), $removed, "$case: nothing removed was freed");
	is(go_on($s, $g), 't', "$case: the remover's result");
	reclaim_all();
	is(unreclaimed(), '0', "$case: all freed after");
	end_checks();
}

# --- reclaim x reader, remover -----------------------------------------
#
# A reclaimer advanced the epoch to E + 1 and has not taken list E - 1.
# A lookup starts (epoch E + 1) and stops on entry x; x is removed (on
# list E + 1).  The reclaimer goes on: it frees its own entry (list E, on
# its next advance) but not x, which the lookup may still read.
{
	$case = 'reclaim x reader, remover';
	my $p = next_partition();
	my @set = @{ $kp{$p} }[ 0 .. 9 ];
	my ($k, $x) = @set[ 0, 1 ];
	fresh(keys => \@set);
	my $xbytes = bytes_of($x);
	my $kbytes = bytes_of($k);
	my ($s, $g, $e1) = stop_at('advanced', undef,
		"SELECT atomiccache.invalidate('c', $k)");
	my ($d, $dg) = stop_at('get_found',
		"\$a == $p && \$b == " . reverse32(inner($x)), "SELECT c($x)");
	is(invalidate($x), 1, "$case: the entry the lookup holds is removed");
	is(unreclaimed(), $kbytes + $xbytes, "$case: neither is freed yet");
	is(go_on($s, $g), 't', "$case: the reclaimer's statement");
	is(q1('SELECT t_epoch()'), $e1 + 1,
		"$case: one more advance, then the lookup held the epoch");
	is(unreclaimed(), $xbytes,
		"$case: the reclaimer freed its entry, not the one the lookup holds");
	my $st = stats('c');
	is(go_on($d, $dg), $x * 7 + 1,
		"$case: the lookup saw the entry removed, and filled again");
	is(stats('c')->{fills} - $st->{fills}, 1, "$case: one fill");
	end_checks();
}

# --- backlog x everything ----------------------------------------------
#
# 4,999 entries retired while a reader held the epoch back: the next
# reclaimer frees 4,096 and leaves a backlog.  A reclaimer stops holding
# it; inserts, removals and hits go on (their reclaims skip: the lock is
# taken), and nothing is freed meanwhile.
{
	$case = 'backlog x everything';
	fresh(keys => [ 1 .. 5000 ]);
	my $per = bytes_of(2);
	my ($d, $dg) = stop_at('get_found', undef, 'SELECT c(1)');
	is( q1(
			q{SELECT sum(atomiccache.invalidate('c', i)::int)
			    FROM generate_series(2, 5000) i}),
		4999,
		"$case: 4,999 entries removed while a reader holds its epoch");
	is(go_on($d, $dg), 8, "$case: the reader's value");
	# a miss reclaims once (an invalidate twice)
	is(q1('SELECT c(9999)'), 9999 * 7 + 1, "$case: a miss");
	my $left = unreclaimed();
	is($left, 903 * $per, "$case: its reclaim freed 4,096, left a backlog");
	my ($s, $g) = stop_at('backlog', undef, 'SELECT c(9998)');
	is(fill(6001 .. 6100), 100, "$case: 100 inserts");
	is(invalidate(6001 .. 6050), 50, "$case: 50 removals");
	is(q1('SELECT c(1)'), 8, "$case: a hit");
	is(unreclaimed(), $left + 50 * $per, "$case: nothing freed meanwhile");
	is(go_on($s, $g), 9998 * 7 + 1, "$case: the reclaiming backend's value");
	end_checks();
}

# --- hit x eviction ----------------------------------------------------
#
# A hit has decided (READY, unexpired) and not copied the value.  The
# entry is evicted and reclaimers run: its value is not freed, and the
# hit copies it whole.
{
	$case = 'hit x eviction';
	fresh(keys => [ 1 .. 10 ], limit => '1MB');
	q1('SELECT length(b(1)), length(b(2))');
	my $held = q1(q{SELECT sum(bytes) FROM atomiccache.entries('b')});
	my ($s, $g) = stop_at('hit', undef, 'SELECT md5(b(1))');
	my $st = stats('b');
	q1('SELECT length(b(k)) FROM generate_series(3, 5) k');
	is( q1(q{SELECT count(*) FROM atomiccache.entries('b') WHERE key IN ('1', '2')}),
		'0', "$case: the entry, and the other value, evicted");
	is(stats('b')->{evictions} - $st->{evictions}, 2, "$case: counted");
	ok(unreclaimed() >= $held,
		"$case: neither value evicted is freed (the hit may read one)");
	is(go_on($s, $g), q1("SELECT md5(repeat('B', $BIG))"),
		"$case: the hit copied the whole value");
	end_checks();
}

# --- eviction x grow, eviction x shrink --------------------------------
#
# An eviction's walk stops on an entry of P (every entry's reference bit
# set: the walk's first round only takes second chances, so it reaches P
# before it evicts the values that make room).  P doubles, or halves, under
# it.  Every entry that left is counted once.
for my $change (qw(grow shrink))
{
	$case = "eviction x $change";
	my $p = next_partition(sub { !$bpart{ $_[0] } });
	my @set = @{ $kp{$p} }[ 0 .. ($change eq 'grow' ? 31 : 39) ];
	my @more = @{ $kp{$p} }[ 32 .. 63 ];
	my $pl = fresh(keys => \@set, limit => '1MB');
	q1('SELECT length(b(2)), length(b(3))');
	is( q1(q{SELECT string_agg(key || ':' || part, ',' ORDER BY key) FROM t_places('b')}),
		"2:$bplace{2},3:$bplace{3}",
		"$case: the values of b are where they were learned (not in P)");
	# reference bits set
	q1('SELECT length(b(2)), length(b(3))');
	fill(@set);
	my $c0 = stats('c');
	my $b0 = stats('b');
	# grow: any entry of P; shrink: one of its upper half (bit 4 of the
	# inner hash: bit 27 of the so_key)
	my $cond = "\$a == $p" . ($change eq 'shrink' ? ' && ($b & 0x8000000) != 0' : '');
	my ($s, $g, undef, $sokey) = stop_at('evict', $cond, 'SELECT length(b(1))');
	my ($victim) = grep { reverse32(inner($_)) == $sokey } @set;
	ok(defined $victim, "$case: the walk stopped on an entry of P");
	my ($added, $gone) = (0, 0);
	if ($change eq 'grow')
	{
		is(fill(@more), 32, "$case: 32 more entries in P");
		is(shape($p), '32|1|1', "$case: P doubled under the walk");
		$added = 32;
	}
	else
	{
		my @others = (grep { $_ != $victim } @set)[ 0 .. 24 ];
		is(invalidate(@others), 25, "$case: 25 other entries of P removed");
		is(shape($p), '16|0|1', "$case: P halved under the walk");
		$gone = 25;
	}
	is(go_on($s, $g), $BIG, "$case: the evicting backend's value");
	my $c1 = stats('c');
	my $b1 = stats('b');
	ok($c1->{evictions} + $b1->{evictions} > $c0->{evictions} + $b0->{evictions},
		"$case: it evicted");
	is( $c0->{entries} + $added - $gone - ($c1->{evictions} - $c0->{evictions}),
		$c1->{entries}, "$case: every entry of c that left counted once");
	is( $b0->{entries} +
		  ($b1->{fills} - $b0->{fills}) -
		  ($b1->{uncached} - $b0->{uncached}) -
		  ($b1->{evictions} - $b0->{evictions}),
		$b1->{entries}, "$case: every entry of b that left counted once");
	end_checks();
}

# --- lookup with the old mask x shrink ---------------------------------
#
# A lookup has read P's mask (32 buckets): its key's bucket is in the
# upper half.  P halves: the segment's pointer for lookups is cleared.  The
# lookup finds no segment there and starts from the ancestor: a hit.
{
	$case = 'old mask x shrink';
	my ($p, $k, @set);
	$p = next_partition(sub { ($k, @set) = upper_key(@_); defined $k });
	fresh(keys => \@set);
	my @others = (grep { $_ != $k } @set)[ 0 .. 24 ];
	my $st = stats('c');
	my ($s, $g, undef, $b) = stop_at('find_mask', "\$a == $p", "SELECT c($k)");
	is($b, inner($k) & 31, "$case: the lookup read the mask of 32 buckets");
	is(invalidate(@others), 25, "$case: 25 other entries removed");
	is(shape($p), '16|0|1', "$case: P halved meanwhile");
	is(go_on($s, $g), $k * 7 + 1, "$case: the lookup's value");
	my $now = stats('c');
	is( ($now->{hits} - $st->{hits}) . '|' . ($now->{fills} - $st->{fills}),
		'1|0', "$case: a hit, from the ancestor's sentinel");
	end_checks();
}

# --- lookup on an entry x its removal ----------------------------------
#
# A lookup stands on entry e1 of its run, its next unread; e1 and the
# entry after it, e2, are removed (unlinked: e1's next still leads to e2,
# e2's to the rest) and reclaimers run.  Neither is freed; the lookup
# walks on through both and hits its key.
{
	$case = 'lookup on an entry x its removal';
	my ($p, @run);
	$p = next_partition(
		sub {
			my ($p, @keys) = @_;
			# 32 keys, 16 buckets: every key starts from its bucket's
			# sentinel, the sentinels of its buckets being linked or not
			my %by;
			push @{ $by{ inner($_) & 15 } }, $_ for @keys[ 0 .. 31 ];
			for my $bucket (sort { $a <=> $b } keys %by)
			{
				next if @{ $by{$bucket} } < 3;
				@run = (sort { reverse32(inner($a)) <=> reverse32(inner($b)) }
					  @{ $by{$bucket} })[ 0 .. 2 ];
				return 1;
			}
			return 0;
		});
	my @set = @{ $kp{$p} }[ 0 .. 31 ];
	my $pl = fresh(keys => \@set);
	my ($e1, $e2, $k) = @run;
	is(join(',', map { $pl->{$_}[2] } @run),
		join(',', ($pl->{$k}[2]) x 3),
		"$case: the three keys start from the same sentinel");
	my $removed = bytes_of($e1, $e2);
	my $st = stats('c');
	my ($s, $g) = stop_at('find_step',
		"\$a == $p && \$b == " . reverse32(inner($e1)), "SELECT c($k)");
	is(invalidate($e1, $e2), 2, "$case: the entry and the next one removed");
	reclaim_all();
	is(unreclaimed(), $removed, "$case: neither is freed");
	is(go_on($s, $g), $k * 7 + 1, "$case: the lookup's value");
	my $now = stats('c');
	is( ($now->{hits} - $st->{hits}) . '|' . ($now->{fills} - $st->{fills}),
		'1|0', "$case: a hit, through the two unlinked entries");
	end_checks();
}

# --- pinned waiter x removal -------------------------------------------
#
# A waiter woke to the filled value and holds the entry by its pin only
# (no read section).  The entry is removed and reclaimers advance the
# epoch past every list: the pinned entry is kept, not freed, and the
# waiter copies its value.
{
	$case = 'pinned waiter x removal';
	fresh(keys => [ 1 .. 10 ]);
	my $h = ac_session($node);
	$h->query_safe('SELECT pg_advisory_lock(1)');
	my $f = ac_session($node);
	ac_launch($f, 'SELECT s(1)');
	ac_poll($node,
		"SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $f->{ac_pid}",
		"$case: the filler is inside its fill");
	my $w = ac_session($node);
	$w->query_safe("LOAD 'atomiccache'");
	my $wg = ac_gdb_stop_at($w->{ac_pid}, $TP{woken});
	ac_launch($w, 'SELECT s(1)');
	ac_poll($node,
		"SELECT wait_event_type = 'Extension' FROM pg_stat_activity WHERE pid = $w->{ac_pid}",
		"$case: the waiter sleeps on the fill");
	$h->query_safe('SELECT pg_advisory_unlock(1)');
	ac_gdb_wait_stopped($wg, $w);
	my ($fout, $ferr) = ac_finish($f);
	is($fout, 'value of 1 from fill 1', "$case: the filler's value");
	my $held = q1(q{SELECT sum(bytes) FROM atomiccache.entries('s')});
	my $e0 = q1('SELECT t_epoch()');
	is(q1(q{SELECT atomiccache.invalidate('s', 1)}), 't', "$case: the entry removed");
	reclaim_all();
	ok(q1('SELECT t_epoch()') >= $e0 + 3,
		"$case: the epoch advanced past every list (no reader held it)");
	is(unreclaimed(), $held, "$case: the pinned entry is not freed");
	is(go_on($w, $wg), 'value of 1 from fill 1', "$case: the waiter's value");
	reclaim_all();
	is(unreclaimed(), '0', "$case: freed once unpinned");
	$f->quit;
	$h->quit;
	end_checks();
}

# --- eviction's removal x insert ---------------------------------------
#
# Eviction won the CAS on an entry of P (REMOVED, still linked).  The key
# is asked for again: filled into a new entry, then a hit.  The eviction
# then unlinks its own entry, not the new one.
{
	$case = "eviction's removal x insert";
	my $p = next_partition(sub { !$bpart{ $_[0] } });
	fresh(keys => [ 1 .. 8192 ], limit => '1MB');
	# b(2) kept by its reference bit; c's entries, filled once, have none:
	# eviction takes them first, from partition 0 on
	q1('SELECT length(b(2)), length(b(2))');
	is( q1(
			qq{SELECT (SELECT sum(evictions) FROM atomiccache.caches) = 0
			      AND m.used_bytes + $BIG > m.limit_bytes
			     FROM atomiccache.memory() m}),
		't',
		"$case: all in, and a value more does not fit");
	my $c0 = stats('c');
	my ($s, $g, undef, $sokey) =
	  stop_at('marked', "\$a == $p", 'SELECT length(b(1))');
	my ($victim) = grep { reverse32(inner($_)) == $sokey } @{ $kp{$p} };
	ok(defined $victim, "$case: eviction is removing an entry of P");
	is(q1("SELECT c($victim), c($victim)"),
		($victim * 7 + 1) . '|' . ($victim * 7 + 1),
		"$case: the key filled again, then a hit");
	my $c1 = stats('c');
	is( ($c1->{fills} - $c0->{fills}) . '|' . ($c1->{hits} - $c0->{hits}),
		'1|1', "$case: one fill, one hit");
	is(go_on($s, $g), $BIG, "$case: the evicting backend's value");
	is(q1("SELECT state FROM atomiccache.entries('c') WHERE key = '$victim'"),
		'ready', "$case: the new entry is still there");
	my $c2 = stats('c');
	is( $c0->{entries} +
		  ($c2->{fills} - $c0->{fills}) -
		  ($c2->{evictions} - $c0->{evictions}),
		$c2->{entries}, "$case: every entry of c that left counted once");
	end_checks();
}

$node->stop;
done_testing();
