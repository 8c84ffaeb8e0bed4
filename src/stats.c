/*-------------------------------------------------------------------------
 *
 * stats.c
 *	  Statistics of atomiccache: per-backend counters, summed when read.
 *
 * A backend counts events in rows of its own slot (AcBackendSlot.stats),
 * one row per cache it has used, so a hit writes only a cache line that no
 * other backend writes.  When all rows are in use, the least recently
 * claimed row is folded into its cache descriptor's totals (fetch-add) and
 * given to the new cache; rows are also folded when a backend exits, and
 * when a backend takes over a slot.  Claiming and folding a row, summing
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
#include "utils/builtins.h"

#include "atomiccache.h"
#include "stats.h"
#include "table.h"

static int	next_victim = 0;

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
			pg_atomic_fetch_add_u64(&ac_descs[idx].folded[k], v);
		pg_atomic_write_u64(&row->c[k], 0);
	}
	pg_atomic_write_u32(&row->desc_idx, (uint32) -1);
}

/*
 * This backend's counter row for a cache, claimed if needed.  Takes
 * desc_lock only when it claims.  Cannot ERROR.
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
	for (i = 0; i < AC_STAT_ROWS; i++)
		if (pg_atomic_read_u32(&rows[i].desc_idx) == (uint32) -1)
		{
			row = &rows[i];
			break;
		}
	if (row == NULL)
	{
		row = &rows[next_victim];
		next_victim = (next_victim + 1) % AC_STAT_ROWS;
		fold_row(row);
	}
	pg_atomic_write_u32(&row->desc_idx, (uint32) desc_idx);
	LWLockRelease(&ac_shared->desc_lock);
	return row;
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
		out[k] = pg_atomic_read_u64(&ac_descs[desc_idx].folded[k]);
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
		Datum		values[13];
		bool		nulls[13];
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
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	LWLockRelease(&ac_shared->desc_lock);
	return (Datum) 0;
}
