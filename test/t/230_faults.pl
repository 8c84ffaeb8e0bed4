
# Copyright (c) atomiccache contributors
#
# test/t/230_faults.pl -- the fault matrix: every fault, at every phase of
# a fill, to the filler and to a waiter, with 1, 4 and 16 waiters.
#
#   fault   cancel (pg_cancel_backend), statement_timeout, terminate
#           (pg_terminate_backend), SIGKILL
#   phase   before: the filler holds the entry, its fill not called yet
#           (stopped by gdb at test point 5, src/table.h)
#           mid: inside the fill (blocked on an advisory lock)
#           after: the fill returned, its value not published yet (test
#           point 6)
#   target  the filler, or one of the waiters
#   waiters 1, 4, 16 (on PostgreSQL 15; 4 on other versions, to keep the
#           test command short: the code paths are the same)
#
# Each case checks:
#   - the filler stopped where the phase says (no fill counted before its
#     fill, one inside or after it);
#   - no hang: every statement ends (or its session dies, for terminate and
#     SIGKILL) within the time limit of a statement;
#   - the target gets its error (57014 "user request" for cancel, 57014
#     "statement timeout" for statement_timeout, 57P01 or a lost connection
#     for terminate), every other session the same value;
#   - the number of fills: one (the filler's) when a waiter is the target or
#     the filler's fill had returned, two when the filler was stopped inside
#     its fill (a waiter took it over), one or two before it;
#   - SIGKILL of any backend restarts the server (restart_after_crash):
#     every session ends, none hangs;
#   - a working cache: the key hits with that value (or, after a crash,
#     fills again), its entry is "ready", nobody is left waiting, and
#     another key fills and hits.

use strict;
use warnings FATAL => 'all';

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time sleep);
use AtomicCacheTest;

if (system('gdb --version >/dev/null 2>&1') != 0)
{
	BAIL_OUT('gdb is needed by this test');
}

# PostgreSQL::Test::Cluster turns restart_after_crash off.
my $node = ac_new_node('faults',
	conf => "restart_after_crash = on\nmax_connections = 40\nlog_min_messages = warning\n");
ac_create_slow_fill($node, 'f');

my @counts = $node->pg_version->major == 15 ? (1, 4, 16) : (4);
my %point = (before => 5, after => 6);

my ($ctl, $filler, @pool);

sub sessions
{
	$ctl = ac_session($node);
	$filler = filler_session();
	@pool = map { ac_session($node) } 1 .. $counts[-1];
	return;
}

# a session whose backend has loaded the library (gdb needs its symbol)
sub filler_session
{
	my $s = ac_session($node);
	$s->query_safe("SELECT atomiccache.contains('f', 0)");
	return $s;
}
sessions();

sub fills
{
	return ac_fills($node, 'fills');
}

# Wait for a statement launched in $s: its output, its error (a hash),
# whether the session died (and whether psql said its connection was
# lost), or whether it hung (the time limit of a statement ran out).
sub outcome
{
	my ($s) = @_;
	my ($out, $err) = eval { ac_finish($s) };
	if (!defined $out)
	{
		return { hung => 1 } if $s->{timeout}->is_expired;
		$err = ac_wait_dead($s);
		return { hung => 1 } if $s->{ac_hung};
		return {
			dead => 1,
			err => ac_error($err // ''),
			lost => (($err // '') =~ /connection to server was lost|server closed the connection/ ? 1 : 0)
		};
	}
	if (!$s->{run}->pumpable)
	{
		return {
			dead => 1,
			err => ac_error($err),
			lost => ($err =~ /connection to server was lost|server closed the connection/ ? 1 : 0)
		};
	}
	return { out => $out, err => ac_error($err) };
}

my $key = 0;
my ($cases, $failed_cases) = (0, 0);

for my $fault (qw(cancel timeout terminate kill))
{
	for my $phase (qw(before mid after))
	{
		for my $target (qw(filler waiter))
		{
			for my $n (@counts)
			{
				my $k = ++$key;
				my $name = "$fault $phase, $target, $n waiter" . ($n > 1 ? 's' : '');
				my @w = @pool[ 0 .. $n - 1 ];
				my $victim = $target eq 'filler' ? $filler : $w[0];
				my $fills0 = fills();
				my $log0 = -s $node->logfile;
				my $ok = 1;
				$cases++;

				# a filler's timeout must not fire before the waiters
				# sleep; a waiter victim is launched last (below)
				$victim->query_safe(
					"SET statement_timeout = '" . ($target eq 'filler' ? '4s' : '2s') . "'")
				  if $fault eq 'timeout';

				# the filler stops at its phase
				my $g;
				if ($phase eq 'mid')
				{
					$ctl->query_safe('SELECT pg_advisory_lock(1)');
				}
				else
				{
					$g = ac_gdb_stop_at($filler->{ac_pid}, $point{$phase});
				}
				ac_launch($filler, "SELECT f($k)");
				if ($phase eq 'mid')
				{
					$node->poll_query_until('postgres',
						"SELECT count(*) = 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%f($k)%'"
					) or die "$name: the filler did not reach its fill";
				}
				else
				{
					ac_gdb_wait_stopped($g, $filler);
				}
				# stopped where it should be: before its fill, no fill ran;
				# inside it or after, the fill counted itself
				$ok = 0 unless is(fills() - $fills0, $phase eq 'before' ? 0 : 1,
					"$name: the filler is stopped $phase its fill");
				# the waiters sleep on its fill (a timeout victim last: its
				# 2 s count from its launch, and it ends on its own)
				my $late = ($fault eq 'timeout' && $target eq 'waiter') ? $victim : undef;
				ac_launch($_, "SELECT f($k)") for grep { !$late || $_ != $late } @w;
				my $sleeping = $late ? $n - 1 : $n;
				$node->poll_query_until('postgres',
					"SELECT count(*) = $sleeping FROM pg_stat_activity WHERE wait_event_type = 'Extension' AND query LIKE '%f($k)%'"
				) or die "$name: the waiters did not sleep";
				ac_launch($late, "SELECT f($k)") if $late;

				# the fault
				my $pid = $victim->{ac_pid};
				if ($fault eq 'cancel')
				{
					$node->safe_psql('postgres', "SELECT pg_cancel_backend($pid)");
				}
				elsif ($fault eq 'terminate')
				{
					$node->safe_psql('postgres', "SELECT pg_terminate_backend($pid)");
				}
				elsif ($fault eq 'kill')
				{
					kill 'KILL', $pid;
				}
				elsif ($target eq 'filler')
				{
					# its timeout passes while it is stopped or blocked
					sleep 4.2;
				}

				if ($fault eq 'kill')
				{
					# the server restarts: every session ends, none hangs
					ac_gdb_release($g) if $g;
					# (a statement may finish before the server's SIGQUIT
					# reaches it: its value then, or its connection lost)
					my ($died, $answered, $bad, $victim_dead) = (0, 0, 0, 0);
					for my $s ($filler, @w)
					{
						my $o = outcome($s);
						$victim_dead = 1 if $s == $victim && $o->{dead};
						if ($o->{hung})
						{
							$bad++;
						}
						elsif ($o->{dead})
						{
							$died++;
						}
						elsif (($o->{out} // '') =~ /^value of $k from fill \d+$/)
						{
							$answered++;
						}
						else
						{
							$bad++;
						}
					}
					$ok = 0 unless ok($victim_dead && $bad == 0,
						"$name: every statement ended ($died lost their connection, $answered answered)");
					# the idle ones lost their connection too: let them all go
					for my $s ($ctl, $filler, @pool)
					{
						eval { $s->quit; 1 } or eval { $s->{run}->kill_kill; 1 };
					}
					$node->poll_query_until('postgres', 'SELECT true')
					  or die "$name: the server did not come back";
					$ok = 0 unless is($node->safe_psql('postgres', "SELECT atomiccache.contains('f', $k)"),
						'f', "$name: the cache is empty after the restart");
					my $v = $node->safe_psql('postgres', "SELECT f($k)");
					$ok = 0 unless like($v, qr/^value of $k from fill \d+$/, "$name: the key fills again");
					$ok = 0 unless is($node->safe_psql('postgres', "SELECT f($k)"), $v,
						"$name: and hits");
					sessions();
				}
				else
				{
					my %o;
					# a waiter victim ends on its own; then the filler goes on
					if ($target eq 'waiter')
					{
						$o{victim} = outcome($victim);
						if ($phase eq 'mid')
						{
							$ctl->query_safe('SELECT pg_advisory_unlock(1)');
						}
						else
						{
							ac_gdb_release($g);
						}
						$o{filler} = outcome($filler);
					}
					else
					{
						if ($phase eq 'mid')
						{
							$o{victim} = $o{filler} = outcome($filler);
							$ctl->query_safe('SELECT pg_advisory_unlock(1)');
						}
						else
						{
							ac_gdb_release($g);
							$o{victim} = $o{filler} = outcome($filler);
						}
					}
					my @others = grep { $_ != $victim } ($filler, @w);
					my @values;
					for my $s (@others)
					{
						my $r = $s == $filler ? $o{filler} : outcome($s);
						if ($r->{hung} || $r->{dead} || $r->{err}{sqlstate})
						{
							$ok = 0;
							fail("$name: a session that was not the victim failed: "
								  . ($r->{hung} ? 'hung' : ($r->{err}{sqlstate} // 'died')) . ' '
								  . ($r->{err}{message} // ''));
						}
						else
						{
							push @values, $r->{out};
						}
					}
					my $v = $o{victim};
					# (psql does not always get to print the FATAL before it
					# dies: the server's log says it then)
					my $terminated = ($v->{err}{sqlstate} // '') eq '57P01' || $v->{lost}
					  || substr(slurp_file($node->logfile), $log0) =~
					  /\[$victim->{ac_pid}\].*FATAL:\s+terminating connection due to administrator command/;
					my $got =
					    $fault eq 'terminate'
					  ? ($v->{dead} && $terminated)
					  : (!$v->{dead} && !$v->{hung}
						  && ($v->{err}{sqlstate} // '') eq '57014'
						  && ($v->{err}{message} // '') =~
						  ($fault eq 'timeout' ? qr/statement timeout/ : qr/user request/));
					$ok = 0 unless ok($got,
						"$name: the victim gets its error ("
						  . ($v->{hung} ? 'hung ' : '')
						  . ($v->{dead} ? 'died ' : '')
						  . ($v->{err}{sqlstate} // 'none') . ' '
						  . ($v->{err}{message} // '') . ')');
					my %distinct = map { $_ => 1 } @values;
					$ok = 0 unless ok(
						@values == @others && keys(%distinct) == 1
						  && $values[0] =~ /^value of $k from fill \d+$/,
						"$name: every other session gets the same value");
					# one fill published the value: the filler's, unless it
					# was stopped mid-fill (a waiter took over: two), or
					# before (its fill may have begun before the fault hit)
					my $ran = fills() - $fills0;
					my ($lo, $hi) =
					    $target eq 'waiter' ? (1, 1)
					  : $phase eq 'mid'     ? (2, 2)
					  : $phase eq 'after'   ? (1, 1)
					  :                       (1, 2);
					$ok = 0 unless ok($ran >= $lo && $ran <= $hi,
						"$name: fills ran: $ran (expected $lo" . ($hi > $lo ? "-$hi" : '') . ')');
					$ok = 0 unless is(
						$node->safe_psql(
							'postgres',
							"SELECT atomiccache.contains('f', $k), f($k), "
							  . "(SELECT string_agg(state, ',') FROM atomiccache.entries('f') WHERE key = '$k'), "
							  . "(SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Extension')"),
						"t|$values[0]|ready|0",
						"$name: the key hits with that value, its entry is ready, nobody waits");
					# sessions that died are replaced, the others reset
					if ($fault eq 'terminate')
					{
						if ($victim == $filler)
						{
							$filler = filler_session();
						}
						else
						{
							$pool[0] = ac_session($node);
						}
					}
					elsif ($fault eq 'timeout')
					{
						$victim->query_safe('RESET statement_timeout');
					}
				}
				$ok = 0 unless is($node->safe_psql('postgres', "SELECT f(-$k) = f(-$k)"),
					't', "$name: another key fills and hits");
				$failed_cases++ unless $ok;
			}
		}
	}
}
note("fault cases: $cases, of which failed: $failed_cases");
is($failed_cases, 0, "all $cases fault cases pass");

$_->quit for ($ctl, $filler, @pool);
$node->stop;
done_testing();
