
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
# Each case ends with, checked:
#   - no hang: every statement ends (or its session dies, for terminate and
#     SIGKILL);
#   - the target gets its error (57014 for cancel and statement_timeout,
#     57P01 or a lost connection for terminate), every other session the
#     same value (one fill published it: the filler's, or after a fault to
#     the filler before publication, the one waiter's that took it over),
#     and at most two fills ran;
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

# Wait for a statement launched in $s: its output, its error (a hash), and
# whether the session died.
sub outcome
{
	my ($s) = @_;
	my ($out, $err) = eval { ac_finish($s) };
	if (!defined $out)
	{
		$err = ac_wait_dead($s);
		return { dead => 1, err => ac_error($err // '') };
	}
	if (!$s->{run}->pumpable)
	{
		return { dead => 1, err => ac_error($err) };
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
				my $ok = 1;
				$cases++;

				$victim->query_safe("SET statement_timeout = '2s'")
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
				# the waiters sleep on its fill
				ac_launch($_, "SELECT f($k)") for @w;
				$node->poll_query_until('postgres',
					"SELECT count(*) = $n FROM pg_stat_activity WHERE wait_event_type = 'Extension' AND query LIKE '%f($k)%'"
				) or die "$name: the waiters did not sleep";

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
				else
				{
					sleep 2.2;    # statement_timeout of the victim passes
				}

				if ($fault eq 'kill')
				{
					# the server restarts: every session ends, none hangs
					ac_gdb_release($g) if $g;
					# (a statement may finish before the server's SIGQUIT
					# reaches it: its value then, or its connection lost)
					my ($died, $answered, $bad) = (0, 0, 0);
					for my $s ($filler, @w)
					{
						my $o = outcome($s);
						if ($o->{dead})
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
					$ok &&= ok($died >= 1 && $bad == 0,
						"$name: every statement ended ($died lost their connection, $answered answered)");
					# the idle ones lost their connection too: let them all go
					for my $s ($ctl, $filler, @pool)
					{
						eval { $s->quit; 1 } or eval { $s->{run}->kill_kill; 1 };
					}
					$node->poll_query_until('postgres', 'SELECT true')
					  or die "$name: the server did not come back";
					$ok &&= is($node->safe_psql('postgres', "SELECT atomiccache.contains('f', $k)"),
						'f', "$name: the cache is empty after the restart");
					my $v = $node->safe_psql('postgres', "SELECT f($k)");
					$ok &&= like($v, qr/^value of $k from fill \d+$/, "$name: the key fills again");
					$ok &&= is($node->safe_psql('postgres', "SELECT f($k)"), $v,
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
						if ($r->{dead} || $r->{err}{sqlstate})
						{
							$ok &&= fail("$name: a session that was not the victim failed: "
								  . ($r->{err}{sqlstate} // 'died') . ' '
								  . ($r->{err}{message} // ''));
						}
						else
						{
							push @values, $r->{out};
						}
					}
					my $v = $o{victim};
					my $want = $fault eq 'terminate' ? qr/^(57P01)?$/ : qr/^57014$/;
					$ok &&= ok(
						($fault eq 'terminate' ? $v->{dead} : !$v->{dead})
						  && ($v->{err}{sqlstate} // '') =~ $want,
						"$name: the victim gets its error ("
						  . ($v->{dead} ? 'died ' : '')
						  . ($v->{err}{sqlstate} // 'none') . ')');
					my %distinct = map { $_ => 1 } @values;
					$ok &&= ok(
						@values == @others && keys(%distinct) == 1
						  && $values[0] =~ /^value of $k from fill \d+$/,
						"$name: every other session gets the same value");
					my $ran = fills() - $fills0;
					$ok &&= ok($ran >= 1 && $ran <= 2, "$name: at most two fills ran ($ran)");
					$ok &&= is(
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
				$ok &&= is($node->safe_psql('postgres', "SELECT f(-$k) = f(-$k)"),
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
