# Copyright (c) atomiccache contributors
#
# test/t/110_privileges.pl -- a change of privileges reaches sessions that
# are already open: the next accessor call after it sees it, as a direct
# call of the fill would (README.md, Privileges).  Each change is made in
# another session while the user's session stays open: REVOKE and GRANT on
# the fill, NOSUPERUSER, NOINHERIT, REVOKE of a membership, and a change of
# the fill's owner.

use strict;
use warnings FATAL => 'all';

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use AtomicCacheTest;

my $node = ac_new_node('privileges');
$node->safe_psql(
	'postgres', q{
	CREATE ROLE regress_user LOGIN;
	CREATE ROLE regress_group NOLOGIN;
	CREATE ROLE regress_owner NOLOGIN;
	CREATE FUNCTION secret_fill(k int) RETURNS text LANGUAGE sql
		AS $$ SELECT 'secret ' || k $$;
	REVOKE EXECUTE ON FUNCTION secret_fill(int) FROM PUBLIC;
	SELECT atomiccache.create_cache('secret', 'secret_fill(int)');
	SELECT secret(1);
});

# the user's session, open for the whole test
my $s = $node->background_psql('postgres',
	on_error_stop => 0,
	extra_params => [ '-U', 'regress_user' ]);

# 'ok' if the session may read key 1 through the accessor and by calling
# the fill itself, 'denied' if both are refused; anything else is a failure
my $allowed = 0;

sub both
{
	my $acc = $s->query(q{SELECT secret(1)});
	my $acc_err = $s->{stderr};
	$s->{stderr} = '';
	my $direct = $s->query(q{SELECT secret_fill(1)});
	my $direct_err = $s->{stderr};
	$s->{stderr} = '';
	if ($acc eq 'secret 1' && $direct eq 'secret 1')
	{
		$allowed++;
		return 'ok';
	}
	return 'denied'
	  if $acc_err =~ /permission denied/ && $direct_err =~ /permission denied/;
	return "accessor: '$acc' $acc_err; fill: '$direct' $direct_err";
}

sub as_admin
{
	my ($sql) = @_;
	$node->safe_psql('postgres', $sql);
	return;
}

is(both(), 'denied', 'no EXECUTE on the fill: denied, hit or miss');

as_admin('GRANT EXECUTE ON FUNCTION secret_fill(int) TO regress_user');
is(both(), 'ok', 'GRANT reaches the open session');
as_admin('REVOKE EXECUTE ON FUNCTION secret_fill(int) FROM regress_user');
is(both(), 'denied', 'REVOKE reaches the open session');

as_admin('ALTER ROLE regress_user SUPERUSER');
is(both(), 'ok', 'SUPERUSER reaches the open session');
as_admin('ALTER ROLE regress_user NOSUPERUSER');
is(both(), 'denied', 'NOSUPERUSER reaches the open session');

as_admin(
	q{GRANT EXECUTE ON FUNCTION secret_fill(int) TO regress_group;
	  GRANT regress_group TO regress_user});
is(both(), 'ok', 'membership in a role that may execute the fill');
# From PostgreSQL 16, inheritance is a property of each grant (ALTER ROLE
# ... NOINHERIT only sets the default of later grants)
my $grant_inherit =
  $node->safe_psql('postgres', 'SHOW server_version_num') >= 160000;
as_admin($grant_inherit
	? 'GRANT regress_group TO regress_user WITH INHERIT FALSE'
	: 'ALTER ROLE regress_user NOINHERIT');
is(both(), 'denied', 'NOINHERIT reaches the open session');
as_admin($grant_inherit
	? 'GRANT regress_group TO regress_user WITH INHERIT TRUE'
	: 'ALTER ROLE regress_user INHERIT');
is(both(), 'ok', 'INHERIT reaches the open session');
as_admin('REVOKE regress_group FROM regress_user');
is(both(), 'denied', 'REVOKE of the membership reaches the open session');

# the owner of a function may always execute it
as_admin('GRANT regress_owner TO regress_user');
is(both(), 'denied', 'member of a role that owns nothing');
as_admin('ALTER FUNCTION secret_fill(int) OWNER TO regress_owner');
is(both(), 'ok', 'the fill given to a role the user is a member of');
as_admin('ALTER FUNCTION secret_fill(int) OWNER TO postgres');
is(both(), 'denied', 'the fill given back');

# the denied calls never reached the cache: it filled once at the start,
# and at most once per allowed call (a GRANT, REVOKE or owner change of the
# fill gives it a new key space)
my $fills = $node->safe_psql('postgres',
	q{SELECT fills FROM atomiccache.caches WHERE name = 'secret'});
ok($fills >= 1 && $fills <= 1 + $allowed,
	"fills ($fills) only for the first call and the $allowed allowed calls");

$s->quit;
$node->stop;
done_testing();
