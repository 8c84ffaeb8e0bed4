# Copyright (c) atomiccache contributors
#
# test/t/120_settings.pl -- the README's way to change
# atomiccache.memory_limit works as written, from a fresh session, without
# a restart, with and without the library preloaded.

use strict;
use warnings FATAL => 'all';

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

for my $preload (0, 1)
{
	my $mode = $preload ? 'preloaded' : 'not preloaded';
	my $node = PostgreSQL::Test::Cluster->new("settings_$preload");
	$node->init;
	$node->append_conf('postgresql.conf',
		"shared_preload_libraries = 'atomiccache'") if $preload;
	$node->start;
	$node->safe_psql('postgres', 'CREATE EXTENSION atomiccache');

	# README, Settings: in a new session, as written there
	$node->safe_psql(
		'postgres', q{
		LOAD 'atomiccache';
		ALTER SYSTEM SET atomiccache.memory_limit = '256MB';
		SELECT pg_reload_conf();
	});
	ok( $node->poll_query_until(
			'postgres', q{SELECT limit_bytes = 256 * 1024 * 1024 FROM atomiccache.memory()}),
		"$mode: the new limit is in force after a reload");
	is( $node->safe_psql(
			'postgres', q{LOAD 'atomiccache'; SHOW atomiccache.memory_limit}),
		'256MB', "$mode: SHOW in a new session");
	$node->safe_psql('postgres',
		q{LOAD 'atomiccache'; ALTER SYSTEM RESET atomiccache.memory_limit; SELECT pg_reload_conf()});
	ok( $node->poll_query_until(
			'postgres', q{SELECT limit_bytes = 64 * 1024 * 1024 FROM atomiccache.memory()}),
		"$mode: RESET brings the default back");
	$node->stop;
}

done_testing();
