/*-------------------------------------------------------------------------
 *
 * evict.c
 *	  Room for new entries and values of atomiccache: allocation within
 *	  the byte budget (memory.c), and eviction of entries (table.c) when
 *	  it is spent, by a CLOCK sweep with second chance.
 *
 * An allocation that does not fit first lets the reclaimer free what
 * retired entries it can, then evicts; after a few rounds it gives up and
 * the caller returns its value uncached.  When the operating system
 * refuses the area a new segment, room is made for four times the request
 * (at least 4 MB) inside the segments the area has.
 *
 * A shared hand (AcShared.clock_hand, advanced by fetch-add, so several
 * evicting backends share the sweep without a lock) walks the buckets
 * (ac_table_walk).
 * For each entry it meets:
 *	- garbage (expired, of an older generation, of a dropped cache, an
 *	  abandoned reservation or an UNCACHED marker) is removed at once:
 *	  expired entries go before any live one gets evicted in that part of
 *	  the table;
 *	- a live READY/FAILED entry whose reference bit is set loses the bit
 *	  (its second chance); one whose bit is clear is evicted;
 *	- PENDING entries are never touched: their filler and waiters own them.
 * A hit sets the reference bit only when it is clear, so a warm entry
 * costs no shared write per hit (fill.c says what else a hit may write).
 *
 * Evicting is a remove (CAS to REMOVED, unlink under the partition lock,
 * retire) followed by reclamation: readers of other entries never wait,
 * and a reader of the evicted entry itself is protected by its epoch or
 * pin, so it copies the whole value or does not find the entry at all.
 *
 * IDENTIFICATION
 *	  src/evict.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"

#include "evict.h"
#include "memory.h"
#include "stats.h"
#include "table.h"

static void
evict_one(AcEntry *e, uint64 st, void *arg)
{
	uint64		now = *(uint64 *) arg;
	uint32		s = AC_STATE(st);

	if (s == AC_PENDING)
		return;
	AC_TEST_POINT(AC_TP_EVICT_CANDIDATE, e->partition, e->so_key);
	if (s == AC_UNCACHED || ac_entry_is_garbage(e, now))
	{
		/* before the removal, which takes the fill time (table.h) */
		bool		expired = s != AC_UNCACHED && ac_entry_expired(e, now);

		if (ac_entry_remove(e, st) && expired)
			ac_count(ac_stat_row(e->desc_idx), AC_EXPIRATIONS, 1);
		return;
	}
	if (e->refbit != 0)
	{
		e->refbit = 0;
		return;
	}
	if (ac_entry_remove(e, st))
		ac_count(ac_stat_row(e->desc_idx), AC_EVICTIONS, 1);
}

/*
 * Sweep until bytes_used + need <= limit, the hand has gone twice around
 * the table, or EVICT_MAX_VISITS entries were visited: a bound on one
 * call's work however the table is shaped.  Returns whether the bytes fit
 * now.  Must be called outside a read section and with no LWLock held.
 * Raises no ERROR of its own but a cancel between its steps
 * (CHECK_FOR_INTERRUPTS; ac_reclaim can pass one on too).
 */
#define EVICT_STEP_BUCKETS	64
#define EVICT_MAX_VISITS	8192

static bool
evict(Size need, uint64 limit)
{
	uint64		round = 2 * ac_table_round();
	uint64		buckets = 0;
	uint64		visits = 0;
	uint64		now = ac_now_ns();

	Assert(!ac_in_read_section());
	while (buckets < round && visits < EVICT_MAX_VISITS)
	{
		/*
		 * A reservation the caller holds is abandoned by the abort that
		 * follows a cancel (ac_fill_release): a waiter takes it over.
		 */
		CHECK_FOR_INTERRUPTS();
		ac_reclaim();
		if (pg_atomic_read_u64(&ac_shared->bytes_used) + need <= limit)
			return true;
		visits += ac_table_walk(&ac_shared->clock_hand, EVICT_STEP_BUCKETS,
								EVICT_MAX_VISITS - visits, evict_one, &now);
		buckets += EVICT_STEP_BUCKETS;
	}
	ac_reclaim();
	return pg_atomic_read_u64(&ac_shared->bytes_used) + need <= limit;
}

/*
 * Allocate size bytes, evicting entries when they do not fit.  Returns
 * InvalidDsaPointer when the bytes cannot be had: more than the limit,
 * nothing left to evict, or the operating system refusing a new segment.
 * The caller must hold no LWLock, be outside a read section and outside a
 * critical section.  Raises no ERROR of its own but a cancel (evict, and
 * ac_reclaim can pass one on).
 */
dsa_pointer
ac_alloc(Size size)
{
	int			attempt;

	for (attempt = 0; attempt < 3; attempt++)
	{
		dsa_pointer dp;

		switch (ac_mem_try_alloc(size, &dp))
		{
			case AC_MEM_OK:
				return dp;
			case AC_MEM_TOO_BIG:
				return InvalidDsaPointer;
			case AC_MEM_AREA_FULL:
				(void) evict(Max(size, 1024 * 1024) * 4, ac_mem_budget());
				break;
			case AC_MEM_FULL:
				ac_reclaim();
				if (!evict(size, ac_mem_budget()) && attempt > 0)
					return InvalidDsaPointer;
				break;
		}
	}
	return InvalidDsaPointer;
}

/*
 * A new entry for the key (table.c, ac_entry_init), and its reference in
 * *dp, or NULL when memory is short (the caller then runs the fill
 * uncached).
 */
AcEntry *
ac_entry_new(uint64 hash, const char *key, uint32 keylen, int desc_idx,
			 uint64 generation, dsa_pointer *dp)
{
	*dp = ac_alloc(ac_entry_size(keylen));
	if (!DsaPointerIsValid(*dp))
		return NULL;
	return ac_entry_init(*dp, hash, key, keylen, desc_idx, generation);
}

/*
 * After an insert: if the partition of hash wants more buckets, allocate
 * their segment (evicting if need be: the index's bytes count in the
 * limit) and hand it to the table.  When the bytes cannot be had, the
 * partition keeps its buckets for now (longer runs, same answers).
 */
void
ac_index_grow(uint64 hash)
{
	Size		size = ac_table_growth_wanted(hash);
	dsa_pointer dp;

	if (size == 0)
		return;
	dp = ac_alloc(size);
	if (DsaPointerIsValid(dp) && !ac_table_grow(hash, dp, size))
		ac_mem_free(dp, size);
}
