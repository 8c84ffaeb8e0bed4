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
 * evicting backends share the sweep without a lock) walks the buckets.
 * For each entry it meets:
 *	- garbage (expired, of an older generation, of a dropped cache, an
 *	  abandoned reservation or an UNCACHED marker) is removed at once:
 *	  expired entries go before any live one gets evicted in that part of
 *	  the table;
 *	- a live READY/FAILED entry whose reference bit is set loses the bit
 *	  (its second chance); one whose bit is clear is evicted;
 *	- PENDING entries are never touched: their filler and waiters own them.
 * A hit sets the reference bit only when it is clear, so a warm entry
 * costs no shared write per hit.
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

#include "evict.h"
#include "memory.h"
#include "stats.h"
#include "table.h"

/*
 * Sweep until bytes_used + need <= limit or the hand has gone twice
 * around the table.  Returns whether the bytes fit now.  Must be called
 * outside a read section and with no LWLock held.  Raises no ERROR of its
 * own (ac_reclaim can pass one on).
 */
static bool
evict(Size need, uint64 limit)
{
	pg_atomic_uint64 *buckets = ac_bucket_array();
	uint32		mask = ac_shared->nbuckets - 1;
	uint64		visited;
	uint64		now = ac_now_ns();

	Assert(!ac_in_read_section());
	for (visited = 0; visited < 2 * (uint64) ac_shared->nbuckets; visited++)
	{
		uint32		b;
		dsa_pointer p;

		if ((visited & 63) == 0)
		{
			ac_reclaim();
			if (pg_atomic_read_u64(&ac_shared->bytes_used) + need <= limit)
				return true;
		}
		b = (uint32) pg_atomic_fetch_add_u64(&ac_shared->clock_hand, 1) & mask;
		ac_read_begin();
		p = pg_atomic_read_u64(&buckets[b]);
		while (DsaPointerIsValid(p))
		{
			AcEntry    *e = ac_addr(p);
			uint64		st = pg_atomic_read_u64(&e->state);
			uint32		s = AC_STATE(st);

			p = pg_atomic_read_u64(&e->next);
			if (s == AC_PENDING || s == AC_REMOVED)
				continue;
			pg_read_barrier();
			AC_TEST_POINT(AC_TP_EVICT_CANDIDATE);
			if (s == AC_UNCACHED || ac_entry_is_garbage(e, now))
			{
				if (ac_entry_remove(e, st) && s != AC_UNCACHED &&
					ac_entry_expired(e, now))
					ac_count(ac_stat_row(e->desc_idx), AC_EXPIRATIONS, 1);
				continue;
			}
			if (pg_atomic_read_u32(&e->refbit) != 0)
			{
				pg_atomic_write_u32(&e->refbit, 0);
				continue;
			}
			if (ac_entry_remove(e, st))
				ac_count(ac_stat_row(e->desc_idx), AC_EVICTIONS, 1);
		}
		ac_read_end();
	}
	ac_reclaim();
	return pg_atomic_read_u64(&ac_shared->bytes_used) + need <= limit;
}

/*
 * Allocate size bytes, evicting entries when they do not fit.  Returns
 * InvalidDsaPointer when the bytes cannot be had: more than the limit,
 * nothing left to evict, or the operating system refusing a new segment.
 * The caller must hold no LWLock, be outside a read section and outside a
 * critical section.  Raises no ERROR of its own (ac_reclaim can pass one
 * on).
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
 * A new entry for the key (table.c, ac_entry_init), or NULL when memory
 * is short (the caller then runs the fill uncached).
 */
AcEntry *
ac_entry_new(uint64 hash, const char *key, uint32 keylen, int desc_idx,
			 uint64 generation)
{
	dsa_pointer dp = ac_alloc(ac_entry_size(keylen));

	if (!DsaPointerIsValid(dp))
		return NULL;
	return ac_entry_init(dp, hash, key, keylen, desc_idx, generation);
}
