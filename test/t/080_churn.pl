
# Copyright (c) atomiccache contributors
#
# test/t/080_churn.pl -- many backends filling, reading, invalidating and
# evicting at once with memory full.
#
# The cache's values are a checkable function of their key: 100 times the
# md5 of the key (3200 bytes).  The working set (5000 keys, ~17 MB) is four
# times atomiccache.memory_limit (4 MB), so most misses evict.  pgbench
# runs 8 clients for AC_CHURN_SECONDS (default 20) seconds; every
# transaction calls the accessor once and checks the value (a wrong value
# divides by zero and aborts the client), and some also invalidate their
# key or the whole cache.  A poller watches the bytes in use meanwhile.
#
# Checks: no client fails or hangs, every value read is right, the bytes in
# use never pass the limit, entries were evicted, and the counters add up:
# hits + misses = accessor calls.

use strict;
use warnings FATAL => 'all';

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run ();
use Time::HiRes ();

my $seconds = $ENV{AC_CHURN_SECONDS} // 20;
my $limit = 4 * 1024 * 1024;

my $node = PostgreSQL::Test::Cluster->new('churn');
$node->init;
$node->append_conf('postgresql.conf',
	"max_connections = 40\natomiccache.memory_limit = '4MB'\n");
$node->start;
$node->safe_psql(
	'postgres', q{
	CREATE EXTENSION atomiccache;
	CREATE FUNCTION val(k int) RETURNS text LANGUAGE sql
		AS $$ SELECT repeat(md5(k::text), 100) $$;
	SELECT atomiccache.create_cache('valc', 'val(int)');
	CREATE SEQUENCE calls;
	-- a second cache whose fill fails for some keys: errors churn too
	CREATE FUNCTION sometimes(k int) RETURNS text LANGUAGE plpgsql AS $$
	BEGIN
		IF k % 7 = 0 THEN
			RAISE EXCEPTION 'key % is unlucky', k USING ERRCODE = 'P0042';
		END IF;
		RETURN repeat(md5(k::text), 50);
	END $$;
	SELECT atomiccache.create_cache('somc', 'sometimes(int)', ttl => '2 seconds');
	CREATE FUNCTION check_somc(k int) RETURNS int LANGUAGE plpgsql AS $$
	BEGIN
		IF atomiccache.contains('somc', k) THEN NULL; END IF;
		PERFORM 1 / (somc(k) = repeat(md5(k::text), 50))::int;
		RETURN 1;
	EXCEPTION WHEN SQLSTATE 'P0042' THEN
		IF k % 7 <> 0 THEN RAISE 'wrong error for key %', k; END IF;
		RETURN 0;
	END $$;
});

my $script = "$PostgreSQL::Test::Utils::tmp_check/churn.sql";
open my $fh, '>', $script or die $!;
print $fh <<'EOF';
\set k random(1, 5000)
\set r random(1, 1000)
SELECT nextval('calls'), 1 / (valc(:k) = repeat(md5(:k::text), 100))::int;
\if :r <= 50
SELECT atomiccache.invalidate('valc', :k::int);
\elif :r = 51
SELECT atomiccache.invalidate_all('valc');
\elif :r <= 200
SELECT check_somc(:k);
\endif
EOF
close $fh;

my ($out, $err) = ('', '');
my $pgbench = IPC::Run::start(
	[
		'pgbench', '-n', '-M', 'prepared', '-c', '8', '-j', '2',
		'-T', $seconds, '-f', $script,
		'-h', $node->host, '-p', $node->port, 'postgres'
	],
	'>', \$out, '2>', \$err,
	IPC::Run::timeout($seconds + $PostgreSQL::Test::Utils::timeout_default));

# watch the bytes in use while the clients run
my $max_used = 0;
my $samples = 0;
while ($pgbench->pumpable)
{
	my $used = $node->safe_psql('postgres',
		'SELECT used_bytes FROM atomiccache.memory()');
	$max_used = $used if $used > $max_used;
	$samples++;
	Time::HiRes::usleep(200_000);
	$pgbench->pump_nb;
}
my $ok = $pgbench->finish;
ok($ok, 'pgbench finished without a failed client') or diag($err);

$out =~ /number of transactions actually processed: (\d+)/
  or die "no transaction count in pgbench output: $out $err";
my $xacts = $1;
note "$xacts transactions in $seconds s, $samples samples of memory";
ok($xacts > 1000, "the clients did real work ($xacts transactions)");

my ($used, $peak, $lim) = split /\|/, $node->safe_psql('postgres',
	'SELECT used_bytes, peak_bytes, limit_bytes FROM atomiccache.memory()');
is($lim, $limit, 'memory_limit is 4MB');
ok($max_used <= $limit, "bytes in use never above the limit while sampled (max $max_used)");
ok($peak <= $limit, "peak bytes $peak <= limit $limit");
ok($peak > $limit * 0.8, "memory was really full (peak $peak)");
note "peak bytes $peak of $limit";

my ($hits, $misses, $fills, $evictions, $invalidations) = split /\|/,
  $node->safe_psql('postgres',
	"SELECT hits, misses, fills, evictions, invalidations FROM atomiccache.caches WHERE name = 'valc'");
note "valc: hits $hits, misses $misses, fills $fills, evictions $evictions, invalidations $invalidations";
note "atomiccache.caches after the churn:\n"
  . $node->safe_psql(
	'postgres',
	'SELECT name, entries, bytes, hits, misses, fills, fill_errors, waits,
	        evictions, expirations, invalidations, uncached
	   FROM atomiccache.caches ORDER BY name',
	extra_params => [ '-P', 'format=aligned', '-P', 'tuples_only=off' ]);
# pgbench may stop a client after its first statement when time is up, so
# the calls are counted by a sequence in the calling statement itself
my $calls = $node->safe_psql('postgres', 'SELECT last_value FROM calls');
is($hits + $misses, $calls, "hits + misses = accessor calls ($calls)");
ok($evictions > 0, "entries were evicted ($evictions)");
ok($fills <= $misses && $fills > 0, 'every fill comes from a miss');
ok($invalidations > 0, 'invalidations were counted');

# after the storm, every key still reads right, through the cache
my $wrong = $node->safe_psql('postgres',
	'SELECT count(*) FROM generate_series(1, 5000) k WHERE valc(k) <> repeat(md5(k::text), 100)');
is($wrong, '0', 'all 5000 keys read right after the churn');
my $entries = $node->safe_psql('postgres',
	"SELECT entries > 0 AND bytes <= $limit FROM atomiccache.caches WHERE name = 'valc'");
is($entries, 't', 'the cache holds entries within the limit');

# nothing is left reserved or waiting
my $stuck = $node->safe_psql('postgres',
	"SELECT count(*) FROM atomiccache.entries('valc') WHERE state IN ('filling', 'abandoned')");
is($stuck, '0', 'no fill left in progress or abandoned');

$node->stop;
done_testing();
