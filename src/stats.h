/*-------------------------------------------------------------------------
 *
 * stats.h
 *	  Per-backend statistics counters of atomiccache.
 *
 * IDENTIFICATION
 *	  src/stats.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AC_STATS_H
#define AC_STATS_H

#include "shmem.h"

extern AcStatRow *ac_stat_row(int desc_idx);
extern void ac_stats_fold_all(void);
extern void ac_stats_reset(int desc_idx);
extern void ac_stats_forget(int desc_idx);
extern void ac_stats_fill_time(int desc_idx, uint64 us);
extern void ac_stats_read(int desc_idx, uint64 *out);

/*
 * Count n events in a row.  Only this backend writes its own rows, so a
 * plain read and write of the atomic suffice: no locked instruction and no
 * cache line shared with other writers.  A descriptor's shared row takes a
 * fetch-add.
 */
static inline void
ac_count(AcStatRow *row, AcCounter c, uint64 n)
{
	if (unlikely(row->shared))
		pg_atomic_fetch_add_u64(&row->c[c], n);
	else
		pg_atomic_write_u64(&row->c[c], pg_atomic_read_u64(&row->c[c]) + n);
}

#endif							/* AC_STATS_H */
