/*-------------------------------------------------------------------------
 *
 * stats.c
 *	  Statistics of atomiccache: per-backend counters, summed when read.
 *
 * A backend counts events in rows of its own slot (AcBackendSlot.stats),
 * one row per cache it has used, so a hit writes only a cache line that no
 * other backend writes.  Rows are folded into their descriptor's shared
 * row (fetch-add) when a backend exits, when it takes over a slot, and
 * when a row's cache was dropped and the row is wanted for another cache.
 * A backend that uses more than AC_STAT_ROWS live caches counts the rest
 * in their shared rows directly (a locked add, but no lock and no
 * claiming on every hit).  Claiming and folding a row, summing
 * and resetting all happen under desc_lock, so a reader never counts a row
 * twice or misses it while it moves.  A reset does not touch the other
 * backends' rows: it records the current sums as the cache's baseline, and
 * readers report sum - baseline.
 *
 * IDENTIFICATION
 *	  src/stats.c
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

#include "atomiccache.h"
#include "catalog.h"
#include "stats.h"
#include "table.h"

/* Fold one row of this backend into its descriptor.  Caller holds desc_lock. */
static void
fold_row(AcStatRow *row)
{
	uint32		idx = pg_atomic_read_u32(&row->desc_idx);
	int			k;

	if (idx == (uint32) -1)
		return;
	for (k = 0; k < AC_NCOUNTERS; k++)
	{
		uint64		v = pg_atomic_read_u64(&row->c[k]);

		if (idx < AC_MAX_CACHES && v != 0)
			pg_atomic_fetch_add_u64(&ac_descs[idx].shared_row.c[k], v);
		pg_atomic_write_u64(&row->c[k], 0);
	}
	pg_atomic_write_u32(&row->desc_idx, (uint32) -1);
}

/*
 * This backend's counter row for a cache, claimed if needed, or the
 * cache's shared row when this backend's rows are all taken by live
 * caches.  Takes desc_lock only when it claims.  Cannot ERROR.
 */
AcStatRow *
ac_stat_row(int desc_idx)
{
	AcStatRow  *rows = ac_my_slot->stats;
	AcStatRow  *row;
	int			i;

	for (i = 0; i < AC_STAT_ROWS; i++)
		if (pg_atomic_read_u32(&rows[i].desc_idx) == (uint32) desc_idx)
			return &rows[i];

	LWLockAcquire(&ac_shared->desc_lock, LW_EXCLUSIVE);
	row = NULL;
	for (i = 0; i < AC_STAT_ROWS && row == NULL; i++)
		if (pg_atomic_read_u32(&rows[i].desc_idx) == (uint32) -1)
			row = &rows[i];
	for (i = 0; i < AC_STAT_ROWS && row == NULL; i++)
	{
		uint32		idx = pg_atomic_read_u32(&rows[i].desc_idx);

		if (idx < AC_MAX_CACHES && pg_atomic_read_u32(&ac_descs[idx].dropped))
		{
			fold_row(&rows[i]);
			row = &rows[i];
		}
	}
	if (row != NULL)
		pg_atomic_write_u32(&row->desc_idx, (uint32) desc_idx);
	else
		row = &ac_descs[desc_idx].shared_row;
	LWLockRelease(&ac_shared->desc_lock);
	return row;
}

/*
 * A descriptor is given to a new cache: forget the counters of the old
 * one, in every backend's rows too.  Caller holds desc_lock.
 */
void
ac_stats_forget(int desc_idx)
{
	uint32		s;
	int			i,
				k;

	for (s = 0; s < ac_shared->nslots; s++)
		for (i = 0; i < AC_STAT_ROWS; i++)
		{
			AcStatRow  *row = &ac_slots[s].stats[i];

			if (pg_atomic_read_u32(&row->desc_idx) != (uint32) desc_idx)
				continue;
			for (k = 0; k < AC_NCOUNTERS; k++)
				pg_atomic_write_u64(&row->c[k], 0);
		}
	for (k = 0; k < AC_NCOUNTERS; k++)
	{
		pg_atomic_write_u64(&ac_descs[desc_idx].shared_row.c[k], 0);
		ac_descs[desc_idx].baseline[k] = 0;
	}
	pg_atomic_write_u64(&ac_descs[desc_idx].fill_time_max_us, 0);
}

/* Fold all rows of this backend's slot (at attach and exit). */
void
ac_stats_fold_all(void)
{
	int			i;

	LWLockAcquire(&ac_shared->desc_lock, LW_EXCLUSIVE);
	for (i = 0; i < AC_STAT_ROWS; i++)
		fold_row(&ac_my_slot->stats[i]);
	LWLockRelease(&ac_shared->desc_lock);
}

/* Current sums of a cache's counters.  Caller holds desc_lock. */
static void
sum_counters(int desc_idx, uint64 *out)
{
	uint32		s;
	int			i,
				k;

	for (k = 0; k < AC_NCOUNTERS; k++)
		out[k] = pg_atomic_read_u64(&ac_descs[desc_idx].shared_row.c[k]);
	for (s = 0; s < ac_shared->nslots; s++)
		for (i = 0; i < AC_STAT_ROWS; i++)
		{
			AcStatRow  *row = &ac_slots[s].stats[i];

			if (pg_atomic_read_u32(&row->desc_idx) != (uint32) desc_idx)
				continue;
			for (k = 0; k < AC_NCOUNTERS; k++)
				out[k] += pg_atomic_read_u64(&row->c[k]);
		}
}

void
ac_stats_reset(int desc_idx)
{
	LWLockAcquire(&ac_shared->desc_lock, LW_EXCLUSIVE);
	sum_counters(desc_idx, ac_descs[desc_idx].baseline);
	pg_atomic_write_u64(&ac_descs[desc_idx].fill_time_max_us, 0);
	LWLockRelease(&ac_shared->desc_lock);
}

void
ac_stats_fill_time(int desc_idx, uint64 us)
{
	pg_atomic_uint64 *mx = &ac_descs[desc_idx].fill_time_max_us;
	uint64		old = pg_atomic_read_u64(mx);

	while (us > old)
		if (pg_atomic_compare_exchange_u64(mx, &old, us))
			break;
}

/* entries and bytes of each descriptor, from one scan of the table */
typedef struct ScanSums
{
	uint64	   *entries;
	uint64	   *bytes;
	uint64		now;
} ScanSums;

static void
scan_one(AcEntry *e, uint64 st, void *arg)
{
	ScanSums   *sums = arg;
	uint32		s = AC_STATE(st);
	AcCacheDesc *d = &ac_descs[e->desc_idx];

	if (s != AC_READY && s != AC_FAILED)
		return;
	/* an entry of the slot's previous cache (see AcCacheDesc) */
	if (!ac_key_is_of(e->key, e->keylen, pg_atomic_read_u32(&d->dbid), d->uid))
		return;
	if (e->generation != pg_atomic_read_u64(&d->generation) ||
		ac_entry_expired(e, sums->now))
		return;
	sums->entries[e->desc_idx]++;
	sums->bytes[e->desc_idx] += offsetof(AcEntry, key) + e->keylen + e->value_len;
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
	sums.now = ac_now_ns();
	ac_table_scan(scan_one, &sums);

	LWLockAcquire(&ac_shared->desc_lock, LW_SHARED);
	for (i = 0; i < AC_MAX_CACHES; i++)
	{
		AcCacheDesc *d = &ac_descs[i];
		Datum		values[14];
		bool		nulls[14];
		uint64		c[AC_NCOUNTERS];
		int			k;

		if (pg_atomic_read_u32(&d->dbid) != MyDatabaseId ||
			pg_atomic_read_u32(&d->dropped))
			continue;
		sum_counters(i, c);
		for (k = 0; k < AC_NCOUNTERS; k++)
			c[k] = c[k] >= d->baseline[k] ? c[k] - d->baseline[k] : 0;
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
	values[4] = Int64GetDatum((int64) ac_shared->nbuckets);
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
} EntryCopy;

typedef struct EntryScan
{
	int			desc_idx;
	uint64		uid;
	TransactionId fill_version;
	uint64		generation;
	uint64		now;
	List	   *found;
} EntryScan;

static void
entries_one(AcEntry *e, uint64 st, void *arg)
{
	EntryScan  *es = arg;
	EntryCopy  *c;
	AcKeyHeader h;

	if (e->desc_idx != es->desc_idx || e->generation != es->generation ||
		!ac_key_is_of(e->key, e->keylen, MyDatabaseId, es->uid))
		return;
	/* keys of another version of the fill are not this cache's any more */
	memcpy(&h, e->key, sizeof(h));
	if (h.fill_version != es->fill_version)
		return;
	c = palloc(sizeof(EntryCopy));
	c->key = palloc(e->keylen);
	memcpy(c->key, e->key, e->keylen);
	c->keylen = e->keylen;
	c->state = AC_STATE(st);
	c->bytes = offsetof(AcEntry, key) + e->keylen + e->value_len;
	c->filled_at = e->filled_at;
	c->expires_at = e->expires_at;
	c->expired = ac_entry_expired(e, es->now);
	es->found = lappend(es->found, c);
}

static Datum
mono_to_timestamp(uint64 mono, uint64 now_mono, TimestampTz now_wall)
{
	int64		ago_us = ((int64) now_mono - (int64) mono) / 1000;

	return TimestampTzGetDatum(now_wall - ago_us);
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
	if (!has_privs_of_role(GetUserId(), info->owner) &&
		!has_privs_of_role(GetUserId(), ROLE_PG_READ_ALL_STATS))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to list the entries of cache \"%s\"",
						info->name),
				 errhint("Only the cache's owner, superusers and members of pg_read_all_stats may.")));
	InitMaterializedSRF(fcinfo, 0);

	es.desc_idx = info->desc_idx;
	es.uid = (uint64) info->uid;
	es.fill_version = info->fill_version;
	es.generation = pg_atomic_read_u64(&ac_descs[info->desc_idx].generation);
	es.now = ac_now_ns();
	es.found = NIL;
	now_wall = GetCurrentTimestamp();
	ac_table_scan(entries_one, &es);

	foreach(lc, es.found)
	{
		EntryCopy  *c = lfirst(lc);
		Datum		values[5];
		bool		nulls[5];
		const char *state;

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
		/* a one-argument NULL key is SQL NULL, not the text 'NULL' */
		if (info->nargs == 1 && ac_key_first_is_null(c->key, c->keylen))
			nulls[0] = true;
		else
			values[0] = CStringGetTextDatum(ac_key_to_text(c->key, c->keylen,
														   info->args, info->nargs));
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
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
