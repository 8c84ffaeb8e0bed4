/*-------------------------------------------------------------------------
 *
 * inspect.c
 *	  The inspection functions of atomiccache: the sums behind the view
 *	  atomiccache.caches (_caches, _stats), memory() and entries().  They
 *	  read the table with one scan each, outside the hit path.
 *
 * IDENTIFICATION
 *	  src/inspect.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "catalog/pg_authid.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "cacheinfo.h"
#include "desc.h"
#include "key.h"
#include "proc.h"
#include "registry.h"
#include "shmem.h"
#include "stats.h"
#include "table.h"

/* entries and bytes of each descriptor, from one scan of the table */
typedef struct ScanSums
{
	uint64	   *entries;
	uint64	   *bytes;
} ScanSums;

static void
scan_one(AcEntry *e, uint64 st, void *arg)
{
	ScanSums   *sums = arg;
	uint32		s = AC_STATE(st);

	if (s != AC_READY && s != AC_FAILED)
		return;
	/*
	 * Of an older generation, a version of the fill no slot serves any
	 * more, or the slot's previous cache (see AcCacheDesc): garbage.
	 */
	if (!ac_desc_generation_current(e->desc_idx, e->generation) ||
		ac_entry_expiry(e, st) != 0)
		return;					/* expired, or removed meanwhile */
	sums->entries[e->desc_idx]++;
	sums->bytes[e->desc_idx] += ac_entry_size(ac_entry_keylen(e)) + e->value_len;
}

PG_FUNCTION_INFO_V1(atomiccache_stats);

/*
 * atomiccache._stats(): one row per live cache descriptor of this
 * database: uid, entries, bytes, counters, fill times in ms.
 */
Datum
atomiccache_stats(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ScanSums	sums;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	ac_attach();

	sums.entries = palloc0(sizeof(uint64) * AC_MAX_CACHES);
	sums.bytes = palloc0(sizeof(uint64) * AC_MAX_CACHES);
	ac_table_scan(scan_one, &sums);

	LWLockAcquire(&ac_shared->desc_lock, LW_SHARED);
	for (i = 0; i < AC_MAX_CACHES; i++)
	{
		AcCacheDesc *d = &ac_descs[i];
		Datum		values[14];
		bool		nulls[14];
		uint64		c[AC_NCOUNTERS];

		if (pg_atomic_read_u32(&d->dbid) != MyDatabaseId ||
			pg_atomic_read_u32(&d->dropped))
			continue;
		ac_stats_read(i, c);
		memset(nulls, 0, sizeof(nulls));
		values[0] = Int64GetDatum((int64) d->uid);
		values[1] = Int64GetDatum((int64) sums.entries[i]);
		values[2] = Int64GetDatum((int64) sums.bytes[i]);
		values[3] = Int64GetDatum((int64) c[AC_HITS]);
		values[4] = Int64GetDatum((int64) c[AC_MISSES]);
		values[5] = Int64GetDatum((int64) c[AC_FILLS]);
		values[6] = Int64GetDatum((int64) c[AC_FILL_ERRORS]);
		values[7] = Int64GetDatum((int64) c[AC_WAITS]);
		values[8] = Int64GetDatum((int64) c[AC_EVICTIONS]);
		values[9] = Int64GetDatum((int64) c[AC_EXPIRATIONS]);
		values[10] = Int64GetDatum((int64) c[AC_INVALIDATIONS]);
		values[11] = Float8GetDatum((double) c[AC_FILL_TIME_US] / 1000.0);
		values[12] = Float8GetDatum((double) pg_atomic_read_u64(&d->fill_time_max_us) / 1000.0);
		values[13] = Int64GetDatum((int64) c[AC_UNCACHED_VALUES]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	LWLockRelease(&ac_shared->desc_lock);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(atomiccache_memory);

/*
 * atomiccache.memory(): the shared memory of all caches together.
 */
Datum
atomiccache_memory(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[6];
	bool		nulls[6];

	ac_attach();
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	memset(nulls, 0, sizeof(nulls));
	values[0] = Int64GetDatum((int64) ac_memory_limit_kb * 1024);
	values[1] = Int64GetDatum((int64) pg_atomic_read_u64(&ac_shared->bytes_used));
	values[2] = Int64GetDatum((int64) pg_atomic_read_u64(&ac_shared->peak_bytes));
	values[3] = Int64GetDatum((int64) pg_atomic_read_u64(&ac_shared->entry_count));
	values[4] = Int64GetDatum((int64) ac_table_buckets());
	values[5] = Int64GetDatum((int64) ac_fixed_bytes());
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* one entry of a cache, copied out of the read section */
typedef struct EntryCopy
{
	char	   *key;
	uint32		keylen;
	uint32		state;
	bool		expired;
	uint64		bytes;
	uint64		filled_at;
	uint64		expires_at;
#ifdef AC_TEST_POINTS
	uint32		partition;		/* where it is (atomiccache_test_places) */
	uint32		inner;
	uint32		start_bucket;
#endif
} EntryCopy;

typedef struct EntryScan
{
	int			desc_idx;
	uint64		generation;
	uint64		ttl_ns;
	uint64		now;
	List	   *found;
#ifdef AC_TEST_POINTS
	bool		places;			/* record where each entry is */
#endif
} EntryScan;

static void
entries_one(AcEntry *e, uint64 st, void *arg)
{
	EntryScan  *es = arg;
	EntryCopy  *c;

	/* the generation of this backend's version of the fill (AcCacheDesc) */
	if (e->desc_idx != es->desc_idx || e->generation != es->generation)
		return;
	c = palloc(sizeof(EntryCopy));
	c->keylen = ac_entry_keylen(e);
	c->key = palloc(c->keylen);
	memcpy(c->key, ac_entry_key(e), c->keylen);
	c->state = AC_STATE(st);
	c->bytes = ac_entry_size(c->keylen) + e->value_len;
	c->filled_at = e->life.filled_at;
	c->expires_at = es->ttl_ns ? c->filled_at + es->ttl_ns : 0;
	c->expired = ac_entry_expired(e, es->now);
#ifdef AC_TEST_POINTS
	/* only for atomiccache_test_places: entries() does as in release */
	if (es->places)
	{
		c->partition = e->partition;
		ac_table_test_place(e, &c->inner, &c->start_bucket);
	}
#endif

	/*
	 * Removed meanwhile, its fill time may be a retire link (table.h): it
	 * is gone, and not listed.
	 */
	pg_read_barrier();
	if (AC_STATE(pg_atomic_read_u64(&e->state)) == AC_REMOVED)
		return;
	es->found = lappend(es->found, c);
}

static Datum
mono_to_timestamp(uint64 mono, uint64 now_mono, TimestampTz now_wall)
{
	int64		ago_us = ((int64) now_mono - (int64) mono) / 1000;

	return TimestampTzGetDatum(now_wall - ago_us);
}

/* An entry's key as the text entries() shows. */
static Datum
entry_key_datum(AcCacheInfo *info, EntryCopy *c, bool *isnull)
{
	int			header = ac_key_header_len(info->per_role, info->collatable);

	/* a one-argument NULL key is SQL NULL, not the text 'NULL' */
	*isnull = info->nargs == 1 &&
		ac_key_first_is_null(c->key, c->keylen, header);
	if (*isnull)
		return (Datum) 0;
	return CStringGetTextDatum(ac_key_to_text(c->key, c->keylen, header,
											  info->args, info->nargs));
}

/* The entries of this backend's version of a cache (entries_one). */
static void
scan_entries(AcCacheInfo *info, EntryScan *es, bool places)
{
#ifdef AC_TEST_POINTS
	es->places = places;
#endif
	es->desc_idx = info->desc_idx;
	/* the caller's version, if a slot serves it; never switches one */
	es->generation = ac_desc_find(info->desc_idx, (uint64) info->uid,
								  info->variant);
	es->ttl_ns = info->ttl_ns;
	es->now = ac_now_ns();
	es->found = NIL;
	ac_table_scan(entries_one, es);
}

PG_FUNCTION_INFO_V1(atomiccache_entries);

/*
 * atomiccache.entries(cache): the entries of a cache, for inspection.
 * Keys are shown, so only the cache's owner, superusers and members of
 * pg_read_all_stats may look.
 */
Datum
atomiccache_entries(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	AcCacheInfo *info;
	EntryScan	es;
	TimestampTz now_wall;
	ListCell   *lc;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("cache name must not be NULL")));
	info = ac_info_by_name(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	if (!ac_owns_cache(info->accessor) &&
		!has_privs_of_role(GetUserId(), ROLE_PG_READ_ALL_STATS))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to list the entries of cache \"%s\"",
						info->name),
				 errhint("Only the cache's owner, superusers and members of pg_read_all_stats may.")));
	InitMaterializedSRF(fcinfo, 0);

	now_wall = GetCurrentTimestamp();
	scan_entries(info, &es, false);

	foreach(lc, es.found)
	{
		EntryCopy  *c = lfirst(lc);
		Datum		values[6];
		bool		nulls[6];
		const char *state;

		CHECK_FOR_INTERRUPTS();
		memset(nulls, 0, sizeof(nulls));
		switch (c->state)
		{
			case AC_READY:
				state = c->expired ? "expired" : "ready";
				break;
			case AC_FAILED:
				state = c->expired ? "expired" : "error";
				break;
			case AC_PENDING:
				state = "filling";
				break;
			case AC_ABANDONED:
				state = "abandoned";
				break;
			default:
				state = "uncached";
				break;
		}
		values[0] = entry_key_datum(info, c, &nulls[0]);
		values[1] = CStringGetTextDatum(state);
		values[2] = Int64GetDatum((int64) c->bytes);
		if (c->state == AC_READY || c->state == AC_FAILED)
			values[3] = mono_to_timestamp(c->filled_at, es.now, now_wall);
		else
			nulls[3] = true;
		if ((c->state == AC_READY || c->state == AC_FAILED) && c->expires_at != 0)
			values[4] = mono_to_timestamp(c->expires_at, es.now, now_wall);
		else
			nulls[4] = true;
		/* role: a column the 0.1.0 function (during an update) lacks */
		if (info->per_role && c->keylen >= sizeof(Oid))
			values[5] = ObjectIdGetDatum(ac_key_role(c->key));
		else
			nulls[5] = true;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

#ifdef AC_TEST_POINTS
/*
 * Functions of test builds only, which no script declares: a test
 * (test/t/250_interleavings.pl) declares them itself (as a superuser: C
 * functions), STRICT where they take an argument, to choose the keys and
 * partitions of its interleavings and to check the index after.  They
 * check no privilege: release builds do not have them.
 */

PG_FUNCTION_INFO_V1(atomiccache_test_places);

/*
 * atomiccache_test_places(cache text) RETURNS TABLE (key text, partition
 * int, inner bigint, start_bucket int): where each entry of the cache is.
 */
Datum
atomiccache_test_places(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	AcCacheInfo *info = ac_info_by_name(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	EntryScan	es;
	ListCell   *lc;

	InitMaterializedSRF(fcinfo, 0);
	scan_entries(info, &es, true);
	foreach(lc, es.found)
	{
		EntryCopy  *c = lfirst(lc);
		Datum		values[4];
		bool		nulls[4] = {0};

		values[0] = entry_key_datum(info, c, &nulls[0]);
		values[1] = Int32GetDatum((int32) c->partition);
		values[2] = Int64GetDatum((int64) c->inner);
		values[3] = Int32GetDatum((int32) c->start_bucket);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(atomiccache_test_partitions);

/*
 * atomiccache_test_partitions() RETURNS TABLE (partition int, buckets int,
 * entries int, linked int, segments int, mapped int, segment_bytes
 * bigint): the shape of each partition of the index.
 */
Datum
atomiccache_test_partitions(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	uint32		pi;

	InitMaterializedSRF(fcinfo, 0);
	ac_attach();
	for (pi = 0; pi < AC_NPARTITIONS; pi++)
	{
		AcTestPartition tp;
		Datum		values[7];
		bool		nulls[7] = {0};

		ac_table_test_partition(pi, &tp);
		values[0] = Int32GetDatum((int32) pi);
		values[1] = Int32GetDatum((int32) tp.buckets);
		values[2] = Int32GetDatum((int32) tp.entries);
		values[3] = Int32GetDatum((int32) tp.linked);
		values[4] = Int32GetDatum((int32) tp.segments);
		values[5] = Int32GetDatum((int32) tp.mapped);
		values[6] = Int64GetDatum((int64) tp.segment_bytes);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(atomiccache_test_epoch);

/* atomiccache_test_epoch() RETURNS bigint: the global epoch. */
Datum
atomiccache_test_epoch(PG_FUNCTION_ARGS)
{
	ac_attach();
	PG_RETURN_INT64((int64) pg_atomic_read_u64(&ac_shared->global_epoch));
}
#endif							/* AC_TEST_POINTS */

PG_FUNCTION_INFO_V1(atomiccache_caches);

/*
 * atomiccache._caches(): the definitions of the caches of this database
 * (behind the view atomiccache.caches).
 */
Datum
atomiccache_caches(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ListCell   *lc;

	InitMaterializedSRF(fcinfo, 0);
	foreach(lc, ac_registry_all())
	{
		AcDefinition *def = lfirst(lc);
		Datum		values[7];
		bool		nulls[7];

		memset(nulls, 0, sizeof(nulls));
		values[0] = CStringGetTextDatum(NameStr(def->name));
		values[1] = ObjectIdGetDatum(def->accessor);
		values[2] = ObjectIdGetDatum(def->fill);
		values[3] = IntervalPGetDatum(&def->ttl);
		nulls[3] = !def->has_ttl;
		values[4] = Int64GetDatum((int64) def->oid);
		values[5] = BoolGetDatum(def->memoized);
		/* per_role: a column the 0.1.0 function (during an update) lacks */
		values[6] = BoolGetDatum(def->per_role);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
