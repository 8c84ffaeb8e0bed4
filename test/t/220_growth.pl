
# Copyright (c) atomiccache contributors
#
# test/t/220_growth.pl -- the index grows and shrinks online while 8
# clients fill, read and invalidate, and memory_limit is raised from 4MB
# to 256MB and lowered again by reloads.
#
# The cache's values are a checkable function of their key (7k + 1): a
# wrong value divides by zero and aborts its pgbench client.  Keys are
# drawn from 2,000,000, so while the limit is 256MB every miss adds an
# entry and the partitions double their buckets again and again; once it
# is 4MB again, the fills evict and the partitions halve them.  A poller
# samples atomiccache.memory() every 100 ms.
#
# Checks: no client fails, every value right (during and after), the bytes
# in use within the limit in force at every sample (after the lowering,
# within the higher one until the fills have evicted), the index grown to
# many times its first size and shrunk again, every key still right after.
# Not timed: the counts of transactions are reported, not judged.

use strict;
use warnings FATAL => 'all';

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run ();
use FindBin;
use lib $FindBin::RealBin;
use AtomicCacheTest;
use Time::HiRes ();

my $seconds = $ENV{AC_GROWTH_SECONDS} // 24;
my $small = 4 * 1024 * 1024;
my $big = 256 * 1024 * 1024;

my $node = ac_new_node('growth', conf => "atomiccache.memory_limit = '4MB'\n");
$node->safe_psql(
	'postgres', q{
	CREATE FUNCTION f(k bigint) RETURNS bigint LANGUAGE sql IMMUTABLE
		AS $$ SELECT k * 7 + 1 $$;
	SELECT atomiccache.create_cache('c', 'f(bigint)');
	SELECT c(0);
});
my $first_buckets =
  $node->safe_psql('postgres', 'SELECT buckets FROM atomiccache.memory()');

my $script = "$PostgreSQL::Test::Utils::tmp_check/growth.sql";
open my $fh, '>', $script or die $!;
print $fh <<'EOF';
\set k random(1, 2000000)
\set r random(1, 1000)
SELECT 1 / (c(:k) = :k * 7 + 1)::int;
\if :r <= 10
SELECT atomiccache.invalidate('c', :k::bigint);
\endif
EOF
close $fh;

sub set_limit
{
	my ($limit) = @_;
	$node->safe_psql('postgres',
		"LOAD 'atomiccache'; ALTER SYSTEM SET atomiccache.memory_limit = '$limit'; SELECT pg_reload_conf();"
	);
}

my ($out, $err) = ('', '');
my $pgbench = IPC::Run::start(
	[
		'pgbench', '-n', '-M', 'prepared', '-c', '8', '-j', '2',
		'-T', $seconds, '-f', $script,
		'-h', $node->host, '-p', $node->port, 'postgres'
	],
	'>', \$out, '2>', \$err,
	IPC::Run::timeout($seconds + $PostgreSQL::Test::Utils::timeout_default));

# raise the limit after 2 s, lower it again at 2/3 of the run
my $t0 = Time::HiRes::time();
my ($raised, $lowered) = (0, 0);
my $allowed = $small;    # see the loop
my ($samples, $over, $max_buckets, $max_used_big) = (0, 0, 0, 0);
my $last_buckets = 0;
while ($pgbench->pumpable)
{
	my $t = Time::HiRes::time() - $t0;
	if (!$raised && $t >= 2)
	{
		set_limit('256MB');
		$raised = 1;
		$allowed = $big;
	}
	if (!$lowered && $t >= $seconds * 2 / 3)
	{
		set_limit('4MB');
		$lowered = 1;
	}
	my ($used, $limit, $buckets) = split /\|/, $node->safe_psql('postgres',
		'SELECT used_bytes, limit_bytes, buckets FROM atomiccache.memory()');
	$samples++;
	# the limit in force, or the one before it until the fills have
	# evicted down to the lowered one; from then on, the lowered one
	$allowed = $small if $lowered && $used <= $small;
	$over++ if $used > $allowed;
	$max_buckets = $buckets if $buckets > $max_buckets;
	$max_used_big = $used if $raised && !$lowered && $used > $max_used_big;
	$last_buckets = $buckets;
	Time::HiRes::usleep(100_000);
	$pgbench->pump_nb;
}
my $ok = $pgbench->finish;
ok($ok, 'pgbench finished without a failed client (every value right)')
  or diag($err);
$out =~ /number of transactions actually processed: (\d+)/
  or die "no transaction count in pgbench output: $out $err";
note "$1 transactions in $seconds s, $samples samples";
is($over, 0, "the bytes in use never above the limit ($samples samples)");
note "buckets: first $first_buckets, most $max_buckets, last $last_buckets; "
  . "most bytes while 256MB: $max_used_big";
ok($max_buckets >= 16 * $first_buckets,
	"the index grew ($first_buckets -> $max_buckets buckets)");
ok($max_used_big > 4 * $small, "the raised limit was used ($max_used_big bytes)");

# the fills that follow evict down to the lowered limit, and the index
# shrinks with the entries
$node->safe_psql('postgres',
	'SELECT count(c(k)) FROM generate_series(1, 30000) k');
my ($used, $entries, $buckets) = split /\|/, $node->safe_psql('postgres',
	'SELECT used_bytes, entries, buckets FROM atomiccache.memory()');
ok($used <= $small, "within 4MB again ($used bytes, $entries entries)");
ok($buckets * 4 <= $max_buckets,
	"the index shrank ($max_buckets -> $buckets buckets for $entries entries)");
ok($buckets <= 2 * $entries + $first_buckets,
	"at most two buckets an entry after the shrink");

my $wrong = $node->safe_psql('postgres',
	'SELECT count(*) FROM generate_series(1, 30000) k WHERE c(k) <> k * 7 + 1');
is($wrong, '0', 'every key reads right after');
my $stuck = $node->safe_psql('postgres',
	"SELECT count(*) FROM atomiccache.entries('c') WHERE state IN ('filling', 'abandoned')");
is($stuck, '0', 'no fill left in progress or abandoned');

$node->stop;
done_testing();
