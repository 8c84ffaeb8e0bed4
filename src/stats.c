/*-------------------------------------------------------------------------
 *
 * stats.c
 *	  Statistics of atomiccache: per-backend counters, summed when read
 *	  (inspect.c shows them).
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

#include "shmem.h"
#include "stats.h"

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

/*
 * The counters of a cache since its last reset (the sums less the
 * baseline), in out[AC_NCOUNTERS].  Caller holds desc_lock.
 */
void
ac_stats_read(int desc_idx, uint64 *out)
{
	AcCacheDesc *d = &ac_descs[desc_idx];
	int			k;

	sum_counters(desc_idx, out);
	for (k = 0; k < AC_NCOUNTERS; k++)
		out[k] = out[k] >= d->baseline[k] ? out[k] - d->baseline[k] : 0;
}
