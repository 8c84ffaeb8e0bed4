# Copyright (c) atomiccache contributors
#
# test/t/150_strict_crash.pl -- an ordinary role cannot crash the server
# through an accessor's strictness: a strict C fill (length(text)) never
# sees a NULL, whatever was done to the accessor.  The server log must
# show no backend terminated by a signal, and the server must not have
# restarted.

use strict;
use warnings FATAL => 'all';

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('strict');
$node->init;
$node->start;
$node->safe_psql(
	'postgres', q{
	CREATE EXTENSION atomiccache;
	CREATE ROLE regress_mallory LOGIN;
	CREATE SCHEMA a AUTHORIZATION regress_mallory;
});
my $start = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');

my ($ret, $out, $err) = $node->psql(
	'postgres', q{
	SELECT atomiccache.create_cache('a.tlen', 'pg_catalog.length(text)');
	ALTER FUNCTION a.tlen(text) CALLED ON NULL INPUT;
	SELECT a.tlen(NULL) IS NULL, a.tlen('four');
	ALTER FUNCTION a.tlen(text) STRICT;
	SELECT a.tlen(NULL) IS NULL, a.tlen('four');
	},
	on_error_stop => 0,
	extra_params => [ '-U', 'regress_mallory' ]);
is($out, "a.tlen(text)\nt|4\nt|4", 'NULL gives NULL, the fill is never called with it');
like($err, qr/cannot be STRICT/, 'the accessor cannot be made STRICT');

is($node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()'),
	$start, 'the server did not restart');
my $log = slurp_file($node->logfile);
unlike($log, qr/terminated by signal|server process .* was terminated/,
	'no backend was terminated by a signal');

$node->stop;
done_testing();
