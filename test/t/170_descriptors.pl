# Copyright (c) atomiccache contributors
#
# test/t/170_descriptors.pl -- the server keeps room for 4096 caches at a
# time, not 4096 in its lifetime: the room of a dropped cache is reused
# once its entries are gone, and so is that of a cache whose creation was
# rolled back, or of an earlier installation of the extension in the
# database.  Each loop below uses more caches than there is room for.

use strict;
use warnings FATAL => 'all';

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $n = 4200;    # more than the 4096 slots
my $node = PostgreSQL::Test::Cluster->new('descriptors');
$node->init;
$node->start;
$node->safe_psql(
	'postgres', q{
	CREATE EXTENSION atomiccache;
	CREATE FUNCTION f(k int) RETURNS int LANGUAGE sql AS 'SELECT k + 1';
});

# create, use and drop, each in a transaction of its own
$node->safe_psql(
	'postgres', qq{
	DO \$\$
	BEGIN
		FOR i IN 1..$n LOOP
			PERFORM atomiccache.create_cache('c' || i, 'f(int)');
			EXECUTE format('SELECT c%s(1)', i);
			PERFORM atomiccache.drop_cache('c' || i);
			COMMIT;
		END LOOP;
	END \$\$;
});
pass("$n caches created, used and dropped one after the other");

# created and used in a transaction that rolls back
$node->safe_psql(
	'postgres', qq{
	DO \$\$
	BEGIN
		FOR i IN 1..$n LOOP
			BEGIN
				PERFORM atomiccache.create_cache('r' || i, 'f(int)');
				EXECUTE format('SELECT r%s(1)', i);
				RAISE EXCEPTION 'roll back';
			EXCEPTION WHEN raise_exception THEN
				NULL;
			END;
		END LOOP;
	END \$\$;
});
pass("$n caches created and used in subtransactions that rolled back");

# dropped where no trigger of ours marks the room free (as on a hot
# standby, which only replays the primary's drops; here the sql_drop
# trigger is disabled): the room of a cache whose definition is gone is
# taken back when the room runs out
$node->safe_psql(
	'postgres', qq{
	ALTER EVENT TRIGGER atomiccache_sql_drop DISABLE;
	DO \$\$
	BEGIN
		FOR i IN 1..$n LOOP
			PERFORM atomiccache.create_cache('u' || i, 'f(int)');
			EXECUTE format('SELECT u%s(1)', i);
			EXECUTE format('DROP FUNCTION u%s(int) CASCADE', i);
			COMMIT;
		END LOOP;
	END \$\$;
	ALTER EVENT TRIGGER atomiccache_sql_drop ENABLE ALWAYS;
});
pass("$n caches dropped where no trigger saw it");

# a cache made now works, and nothing of the others is counted
is( $node->safe_psql(
		'postgres', q{
	SELECT atomiccache.create_cache('last', 'f(int)');
	SELECT last(41), last(41);
	SELECT count(*), sum(entries), sum(hits) FROM atomiccache.caches}),
	"last(integer)\n42|42\n1|1|1", 'a new cache works; only it is listed');

# a DROP and CREATE EXTENSION that rolls back changes nothing
is( $node->safe_psql(
		'postgres', q{
	BEGIN;
	DROP EXTENSION atomiccache CASCADE;
	CREATE EXTENSION atomiccache;
	ROLLBACK;
	SELECT last(41);
	SELECT entries, hits FROM atomiccache.caches WHERE name = 'last'}),
	"42
1|2", 'a rolled-back DROP and CREATE EXTENSION leaves the caches as they were');

# DROP EXTENSION ... CASCADE, CREATE EXTENSION: the earlier entries are
# garbage, and the room of the earlier caches is reused
$node->safe_psql(
	'postgres', qq{
	SELECT count(last(i)) FROM generate_series(1, 1000) i;
	DROP EXTENSION atomiccache CASCADE;
	CREATE EXTENSION atomiccache;
	SELECT count(*) FROM atomiccache._stats();
});
is($node->safe_psql('postgres', 'SELECT count(*) FROM atomiccache._stats()'),
	'0', 'after DROP and CREATE EXTENSION, no earlier cache is counted');
$node->safe_psql(
	'postgres', qq{
	DO \$\$
	BEGIN
		FOR i IN 1..$n LOOP
			PERFORM atomiccache.create_cache('d' || i, 'f(int)');
			EXECUTE format('SELECT d%s(1)', i);
			PERFORM atomiccache.drop_cache('d' || i);
			COMMIT;
		END LOOP;
	END \$\$;
});
pass("$n more caches after the extension was made again");

# a cache created and used in the transaction that creates the extension
# is live afterwards (not taken for one of an earlier installation)
$node->safe_psql('postgres', 'CREATE DATABASE onetx');
$node->safe_psql(
	'onetx', q{
	BEGIN;
	CREATE EXTENSION atomiccache;
	CREATE FUNCTION f(k int) RETURNS int LANGUAGE sql AS 'SELECT k + 1';
	SELECT atomiccache.create_cache('fc', 'f(int)');
	SELECT fc(0);
	COMMIT;
});
is( $node->safe_psql(
		'onetx', q{
	SELECT fc(0), fc(0);
	SELECT entries, hits, fills FROM atomiccache.caches WHERE name = 'fc'}),
	"1|1
1|2|1", 'a cache used in the CREATE EXTENSION transaction stays live');

my $log = slurp_file($node->logfile);
unlike($log, qr/terminated by signal|TRAP:/, 'no backend crashed');
$node->stop;
done_testing();
