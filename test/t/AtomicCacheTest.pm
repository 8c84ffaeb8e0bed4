
# Copyright (c) atomiccache contributors
#
# test/t/AtomicCacheTest.pm -- helpers shared by the TAP tests of atomiccache
#
# The TAP tests drive real backends: background psql sessions call a cache's
# accessor, the fill is held on an advisory lock taken by a controlling
# session, pg_stat_activity tells who is filling (wait_event_type 'Lock') and
# who sleeps on another's fill (wait_event_type 'Extension'), and a sequence
# counts how many times a fill function ran (nextval is never rolled back).
#
# Every wait is bounded by $PostgreSQL::Test::Utils::timeout_default: a
# session's query dies with "psql query timed out", a poll returns false.

package AtomicCacheTest;

use strict;
use warnings FATAL => 'all';

use Exporter 'import';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes ();
use IPC::Run ();

our @EXPORT = qw(
  ac_new_node
  ac_create_slow_fill
  ac_session
  ac_launch
  ac_finish
  ac_wait_dead
  ac_fills
  ac_poll
  ac_error
  ac_count_waiting
  ac_gdb_stop_at
  ac_gdb_wait_stopped
  ac_gdb_stopped_args
  ac_gdb_release
);

# A started node with the extension created in database "postgres".
# %opts: conf => extra postgresql.conf lines.
sub ac_new_node
{
	my ($name, %opts) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);

	$node->init;
	$node->append_conf('postgresql.conf',
		"max_connections = 50\n" . ($opts{conf} // ''));
	$node->start;
	$node->safe_psql('postgres', 'CREATE EXTENSION atomiccache');
	return $node;
}

# The fill most tests use: slow_fill(k) counts its runs with the sequence
# "fills" and blocks on a shared advisory lock on 1 (so a session holding
# that lock exclusively keeps every fill inside), then returns
# 'value of K from fill N'.  Each name in @caches gets a cache over it.
sub ac_create_slow_fill
{
	my ($node, @caches) = @_;

	$node->safe_psql(
		'postgres', q{
		CREATE SEQUENCE fills;
		CREATE FUNCTION slow_fill(k int) RETURNS text LANGUAGE plpgsql AS $$
		DECLARE n bigint := nextval('fills');
		BEGIN
			PERFORM pg_advisory_xact_lock_shared(1);
			RETURN format('value of %s from fill %s', k, n);
		END $$;
	});
	$node->safe_psql('postgres',
		"SELECT atomiccache.create_cache('$_', 'slow_fill(int)')")
	  for @caches;
	return;
}

# A background psql session that survives errors and reports them with
# their SQLSTATE; $s->{ac_pid} is its backend's pid.
sub ac_session
{
	my ($node) = @_;
	my $s = $node->background_psql('postgres', on_error_stop => 0);

	# the time limit counts from each statement, not from the session's start
	$s->set_query_timer_restart;
	$s->query_safe('\set VERBOSITY verbose');
	$s->{ac_pid} = $s->query_safe('SELECT pg_backend_pid()');
	return $s;
}

# Send $sql to the session without waiting for its result.  Returns once psql
# has read the input up to the statement and is about to send it.
sub ac_launch
{
	my ($s, $sql) = @_;

	$s->{stderr} = '';
	# the statement runs once psql reads its semicolon
	$sql .= ";" unless $sql =~ /;\s*$/;
	$s->query_until(qr/ac_launched\n/, "\\echo ac_launched\n$sql\n");
	return;
}

# Wait for the statement sent by ac_launch to finish; returns its output and
# its stderr (errors, warnings), and clears both.
sub ac_finish
{
	my ($s) = @_;
	my $out = $s->query('');
	my $err = $s->{stderr};

	$s->{stderr} = '';
	return ($out, $err);
}

# Wait until the session's psql has exited (its backend died); returns what
# it printed on stderr.  $s->{ac_hung} says whether the time limit ran out
# first (the session did not end: a hang).
sub ac_wait_dead
{
	my ($s) = @_;
	my $run = $s->{run};

	while ($run->pumpable && !$s->{timeout}->is_expired)
	{
		last unless eval { $run->pump; 1 };
	}
	$s->{ac_hung} = $run->pumpable && $s->{timeout}->is_expired;
	my $err = $s->{stderr};
	eval { $run->finish; };
	return $err;
}

# How many times the fill counted by sequence $seq has run.
sub ac_fills
{
	my ($node, $seq) = @_;
	return $node->safe_psql('postgres',
		"SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM $seq");
}

# Poll until $sql returns 't'.
sub ac_poll
{
	my ($node, $sql, $what) = @_;
	return ok($node->poll_query_until('postgres', $sql), $what);
}

# The number of backends whose current query matches $like and whose
# wait_event_type is $type ('Extension': sleeping on another's fill;
# 'Lock': blocked on a heavyweight lock, here the advisory lock).
sub ac_count_waiting
{
	my ($node, $type, $like) = @_;
	return $node->safe_psql(
		'postgres', qq{
		SELECT count(*) FROM pg_stat_activity
		 WHERE wait_event_type = '$type' AND query LIKE '$like'
		   AND pid <> pg_backend_pid()});
}

# The first error in psql's verbose stderr output, as a hash (sqlstate,
# message, detail, hint); an empty hash if there is none.
sub ac_error
{
	my ($stderr) = @_;
	my %e;

	return \%e
	  unless $stderr =~ /(?:ERROR|FATAL):\s+([0-9A-Z]{5}):\s+(.*)\n((?:(?!\S*(?:ERROR|FATAL):).*\n)*)/;
	@e{qw(sqlstate message)} = ($1, $2);
	my $rest = $3;
	$e{detail} = $1 if $rest =~ /^DETAIL:\s+(.*)$/m;
	$e{hint} = $1 if $rest =~ /^HINT:\s+(.*)$/m;
	return \%e;
}

# Attach gdb to the backend $pid and let it run until it reaches test point
# $point (an AcTestPoint of src/table.h; test builds only), where it stays
# stopped until ac_gdb_release.  Returns a handle.  Signals the server sends
# (latches, timeouts) pass through without stopping it.  %opt:
#   cond => a gdb condition on the point's arguments, $a and $b (spelled
#           so: they stand for the registers that carry them), such as
#           '$a == 5 && $b >= 16'; the point stops only where it holds;
# the point is armed in the backend (ac_test_armed), so that the backend
# calls the test point there at all (points 1 to 6 are armed already).
# Once stopped, ac_gdb_stopped_args gives the point's arguments.
sub ac_gdb_stop_at
{
	my ($pid, $point, %opt) = @_;
	my %g = (in => '', out => '', err => '');
	my $cond = "(int) \$rdi == $point";

	# the conditions read the registers of x86-64's calling convention
	die 'ac_gdb_stop_at: the gdb conditions are written for x86-64'
	  unless `uname -m` =~ /^x86_64/;

	if (defined $opt{cond})
	{
		(my $c = $opt{cond}) =~ s/\$a\b/(unsigned long) \$rsi/g;
		$c =~ s/\$b\b/(unsigned long) \$rdx/g;
		$cond .= " && ($c)";
	}
	$g{run} = IPC::Run::start(
		[ 'gdb', '-nx', '-q', '-p', $pid ],
		'<', \$g{in}, '>', \$g{out}, '2>', \$g{err},
		IPC::Run::timeout(2 * $PostgreSQL::Test::Utils::timeout_default));
	$g{in} .= join("\n",
		'set pagination off',
		'set confirm off',
		'set breakpoint pending on',
		'handle SIGUSR1 SIGUSR2 SIGINT SIGTERM SIGQUIT SIGALRM SIGPIPE SIGHUP nostop noprint pass',
		# (typed: without debug information gdb knows no type of it)
		"set var *(unsigned int *) &ac_test_armed = *(unsigned int *) &ac_test_armed | (1 << $point)",
		"break ac_test_point if $cond",
		'commands',
		'silent',
		'printf "AC_STOPPED %lu %lu\\n", (unsigned long) $rsi, (unsigned long) $rdx',
		'end',
		'printf "AC_ATTACHED\\n"',
		'continue', '');
	eval {
		# "continue" is read once the rest is: wait until the backend runs
		$g{run}->pump until $g{out} =~ /AC_ATTACHED.*Continuing\./s;
		1;
	} or die "gdb did not attach: $@\nstdout: $g{out}\nstderr: $g{err}";
	die "gdb could not set its breakpoint or arm the point: $g{err}"
	  if $g{err} =~ /not defined|cannot be used|No symbol|unknown type/;
	return \%g;
}

# The arguments (a, b) of the test point the backend under gdb stopped at.
sub ac_gdb_stopped_args
{
	my ($g) = @_;
	$g->{out} =~ /AC_STOPPED (\d+) (\d+)/
	  or die "not stopped: $g->{out}";
	return ($1, $2);
}

# Wait until the backend under gdb has stopped at its test point.  $s, the
# background psql session whose statement takes it there, is pumped too:
# IPC::Run hands a child its input only while it pumps that child.
sub ac_gdb_wait_stopped
{
	my ($g, $s) = @_;
	my $deadline = time + 2 * $PostgreSQL::Test::Utils::timeout_default;

	while ($g->{out} !~ /AC_STOPPED/)
	{
		die "the backend did not stop\nstdout: $g->{out}\nstderr: $g->{err}"
		  if time > $deadline;
		$s->{run}->pump_nb if $s;
		$g->{run}->pump_nb;
		Time::HiRes::sleep(0.05);
	}
	return 1;
}

# Let the backend go on (detach gdb) and end gdb.
sub ac_gdb_release
{
	my ($g) = @_;

	$g->{in} .= "detach\nquit\n";
	$g->{run}->finish;
	return;
}

1;
