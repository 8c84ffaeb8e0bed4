# Copyright (c) atomiccache contributors
#
# test/t/160_fill_replaced.pl -- a fill function replaced by CREATE OR
# REPLACE FUNCTION (or changed by ALTER FUNCTION) in one session: the
# cache's entries become absent when that transaction commits, in every
# session; until then every session keeps the values of the committed
# definition; a rolled-back change changes nothing.

use strict;
use warnings FATAL => 'all';

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use AtomicCacheTest;

my $node = ac_new_node('replaced');
$node->safe_psql(
	'postgres', q{
	CREATE FUNCTION price(k int) RETURNS text LANGUAGE sql AS $$ SELECT 'v1 ' || k $$;
	SELECT atomiccache.create_cache('pc', 'price(int)');
});

my $reader = ac_session($node);
my $changer = ac_session($node);

is($reader->query_safe('SELECT pc(1), pc(2)'), 'v1 1|v1 2', 'filled with v1');

$changer->query_safe('BEGIN');
$changer->query_safe(
	q{CREATE OR REPLACE FUNCTION price(k int) RETURNS text LANGUAGE sql AS $$ SELECT 'v2 ' || k $$});
is($reader->query_safe('SELECT pc(1), atomiccache.contains($$pc$$, 2)'),
	'v1 1|t', 'before the commit: the committed definition\'s values');
$changer->query_safe('COMMIT');
is($reader->query_safe('SELECT atomiccache.contains($$pc$$, 1), atomiccache.contains($$pc$$, 2)'),
	'f|f', 'after the commit: every entry is gone, in the other session too');
is($reader->query_safe('SELECT pc(1), pc(2)'), 'v2 1|v2 2', 'refilled with v2');

$changer->query_safe('BEGIN');
$changer->query_safe(
	q{CREATE OR REPLACE FUNCTION price(k int) RETURNS text LANGUAGE sql AS $$ SELECT 'v3 ' || k $$});
$changer->query_safe('ROLLBACK');
is($reader->query_safe('SELECT atomiccache.contains($$pc$$, 1), pc(1)'),
	'f|v2 1', 'a rolled-back replacement keeps the definition, invalidates the entries');

# what the changing transaction computes with its new definition is never
# seen by the others, committed or not
$changer->query_safe('BEGIN');
$changer->query_safe(
	q{CREATE OR REPLACE FUNCTION price(k int) RETURNS text LANGUAGE sql AS $$ SELECT 'v5 ' || k $$});
is($changer->query_safe('SELECT pc(7)'), 'v5 7', 'the changing transaction sees its definition');
is($reader->query_safe('SELECT atomiccache.contains($$pc$$, 7), pc(7)'),
	'f|v2 7', 'the others do not see its values');
$changer->query_safe('ROLLBACK');
is($reader->query_safe('SELECT pc(7)'), 'v2 7', 'nor after its rollback');

# a REPEATABLE READ transaction meets caches made and dropped meanwhile
$node->safe_psql('postgres',
	q{CREATE FUNCTION m(k int) RETURNS int LANGUAGE sql AS 'SELECT k * 2';
	  SELECT atomiccache.memoize('m(int)');
	  CREATE FUNCTION m2(k int) RETURNS int LANGUAGE sql AS 'SELECT k * 3'});
$reader->query_safe('BEGIN ISOLATION LEVEL REPEATABLE READ');
is($reader->query_safe('SELECT m(1)'), '2', 'repeatable read: a memoized function');
$changer->query_safe(
	q{SELECT atomiccache.unmemoize('m(int)'), atomiccache.memoize('m(int)'),
	         atomiccache.memoize('m2(int)')});
is($reader->query_safe('SELECT m(2), m2(2)'), '4|6',
	'repeatable read: caches made and dropped meanwhile work');
$changer->query_safe(q{SELECT atomiccache.create_cache('zc', 'm2_uncached(int)')});
$changer->query_safe(q{SELECT atomiccache.drop_cache('zc')});
$reader->query_safe(q{CREATE FUNCTION unrelated() RETURNS int LANGUAGE sql AS 'SELECT 1'});
$reader->query_safe('COMMIT');
pass('repeatable read: DDL after a concurrent drop_cache does not fail to serialize');

# the event trigger takes no lock on the tables behind a cache's row type:
# an unrelated ALTER TABLE does not wait for a session that locks one
$node->safe_psql('postgres',
	q{CREATE TABLE rt (a int); CREATE FUNCTION rtf(k int) RETURNS rt LANGUAGE sql AS 'SELECT ROW(k)::rt';
	  SELECT atomiccache.create_cache('rtc', 'rtf(int)'); CREATE TABLE unrelated_t (a int)});
$changer->query_safe('BEGIN');
$changer->query_safe('LOCK TABLE rt IN ACCESS EXCLUSIVE MODE');
$reader->query_safe(q{SET lock_timeout = '5s'});
$reader->query_safe('ALTER TABLE unrelated_t ADD COLUMN b int');
pass('an unrelated ALTER TABLE does not wait for the lock');
$changer->query_safe('ROLLBACK');

# a transaction that runs across the commit keeps its catalog, and fills
# keys of the old definition that no one else looks up
$reader->query_safe('BEGIN');
is($reader->query_safe('SELECT pc(20)'), 'v2 20', 'a transaction starts with v2');
$changer->query_safe(
	q{CREATE OR REPLACE FUNCTION price(k int) RETURNS text LANGUAGE sql AS $$ SELECT 'v6 ' || k $$});
my $inside = $reader->query_safe('SELECT pc(21)');
is($node->safe_psql('postgres', 'SELECT pc(21), pc(20)'), 'v6 21|v6 20',
	"a new session gets v6, whatever the open transaction filled ($inside)");
$reader->query_safe('COMMIT');
is($reader->query_safe('SELECT pc(21)'), 'v6 21', 'and so does that session after it');

$changer->query_safe(q{ALTER FUNCTION price(int) SET search_path = pg_catalog});
is($reader->query_safe('SELECT atomiccache.contains($$pc$$, 1), pc(1)'),
	'f|v6 1', 'ALTER FUNCTION of the fill invalidates too');

# two sessions create a cache of one name at once: one wins, the other
# gets 42710 (never the registry's unique-index error)
$reader->query_safe(q{\set VERBOSITY verbose});
$changer->query_safe('BEGIN');
$changer->query_safe(q{SELECT atomiccache.create_cache('dup', 'price(int)')});
ac_launch($reader, q{SELECT atomiccache.create_cache('dup', 'price(int)')});
ok( $node->poll_query_until(
		'postgres', q{
	SELECT count(*) = 1 FROM pg_stat_activity
	 WHERE wait_event_type = 'Lock' AND query LIKE '%create_cache(''dup''%'}),
	'the second create_cache waits for the first');
$changer->query_safe('COMMIT');
my ($dup_out, $dup_err) = ac_finish($reader);
like($dup_err, qr/ERROR:  42710: cache "dup" already exists/,
	'the second one gets 42710 once the first commits');

$reader->quit;
$changer->quit;

# PREPARE TRANSACTION of such a change is refused (its commit would run in
# no backend that could invalidate)
$node->safe_psql('postgres', 'ALTER SYSTEM SET max_prepared_transactions = 2');
$node->restart;
my ($ret, $out, $err) = $node->psql(
	'postgres', q{
	BEGIN;
	CREATE OR REPLACE FUNCTION price(k int) RETURNS text LANGUAGE sql AS $$ SELECT 'v4 ' || k $$;
	PREPARE TRANSACTION 'p1';
});
like($err, qr/cannot PREPARE a transaction that dropped or changed an atomiccache cache/,
	'PREPARE TRANSACTION of a changed fill is refused');
is($node->safe_psql('postgres', 'SELECT pc(1)'), 'v6 1', 'and the change is gone');

# a cache created in a prepared transaction works once it is committed
$node->safe_psql(
	'postgres', q{
	BEGIN;
	SELECT atomiccache.create_cache('pp', 'price(int)');
	SELECT pp(1);
	PREPARE TRANSACTION 'p2';
	COMMIT PREPARED 'p2';
});
is( $node->safe_psql(
		'postgres', q{
	SELECT pp(1), pp(1);
	SELECT entries, hits FROM atomiccache.caches WHERE name = 'pp'}),
	"v6 1|v6 1
1|2", 'a cache created in a prepared transaction is counted and hits');

$node->stop;
done_testing();
