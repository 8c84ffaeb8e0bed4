/*-------------------------------------------------------------------------
 *
 * memory.c
 *	  The byte budget of atomiccache (atomiccache.memory_limit) and the
 *	  allocations in the DSA area it bounds.  Knows nothing of entries:
 *	  evict.c decides what to free when an allocation does not fit.
 *
 * Every byte the caches hold is allocated here and counted in
 * AcShared.bytes_used (fetch-add, slow paths only).  An allocation that
 * would pass the limit is refused (ac_mem_try_alloc says why); evict.c
 * then frees room and tries again, and if it still does not fit, the
 * caller returns its value uncached: a full cache never makes a query
 * fail.
 *
 * dsa_allocate_extended() with DSA_ALLOC_NO_OOM still raises an ERROR when
 * the operating system refuses a new segment (dsm_create(), e.g. /dev/shm
 * full), and it does so while holding the area's LWLocks.  We catch that
 * error, release the LWLocks (callers hold none: see ac_mem_try_alloc's
 * contract) and treat it like a full cache.  The allocation runs with no
 * resource owner, so that the descriptor dsm_create() leaves behind when
 * it fails is not reported as a leak at commit (the area pins its
 * mappings anyway).  For a second after such a failure the budget is
 * lowered to the bytes in use then, so that backends evict within the
 * segments they have instead of asking the OS again and again.
 *
 * IDENTIFICATION
 *	  src/memory.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/lwlock.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "shmem.h"
#include "memory.h"

#define AC_GROW_BLOCK_NS	UINT64CONST(1000000000)

static dsa_pointer
try_allocate(Size size)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	uint32		holdoff = InterruptHoldoffCount;
	volatile dsa_pointer dp = InvalidDsaPointer;

	PG_TRY();
	{
		CurrentResourceOwner = NULL;
		dp = dsa_allocate_extended(ac_area, size, DSA_ALLOC_NO_OOM);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		CurrentResourceOwner = oldowner;
		MemoryContextSwitchTo(oldcxt);
		InterruptHoldoffCount = holdoff;
		/* dsm_create() failed under the area lock: let go of it */
		LWLockReleaseAll();
		FlushErrorState();
		dp = InvalidDsaPointer;
		pg_atomic_write_u64(&ac_shared->blocked_limit,
							pg_atomic_read_u64(&ac_shared->bytes_used));
		pg_write_barrier();
		pg_atomic_write_u64(&ac_shared->grow_blocked_until,
							ac_now_ns() + AC_GROW_BLOCK_NS);
	}
	PG_END_TRY();
	return dp;
}

/* The budget now: the limit, or less for a while after the OS said no. */
static uint64
current_budget(uint64 limit)
{
	uint64		until = pg_atomic_read_u64(&ac_shared->grow_blocked_until);

	if (until != 0 && ac_now_ns() < until)
	{
		uint64		blocked;

		pg_read_barrier();
		blocked = pg_atomic_read_u64(&ac_shared->blocked_limit);
		return Min(limit, blocked);
	}
	return limit;
}

/*
 * Reserve size bytes of the budget: a CAS loop, so that concurrent
 * allocators can never together pass the limit.
 */
static bool
reserve_bytes(Size size, uint64 limit)
{
	uint64		old = pg_atomic_read_u64(&ac_shared->bytes_used);

	for (;;)
	{
		uint64		peak;

		if (old + size > limit)
			return false;
		if (pg_atomic_compare_exchange_u64(&ac_shared->bytes_used, &old,
										   old + size))
		{
			peak = pg_atomic_read_u64(&ac_shared->peak_bytes);
			while (old + size > peak &&
				   !pg_atomic_compare_exchange_u64(&ac_shared->peak_bytes,
												   &peak, old + size))
				;
			return true;
		}
	}
}

/*
 * Keep the area itself within bounds too: the limit plus room for the
 * allocator's own overhead (size classes, partly filled superblocks) and
 * the fixed structures.  Re-applied when the setting changes.
 */
static void
apply_area_limit(uint64 limit)
{
	uint64		want = limit + limit / 2 + ac_fixed_bytes() + 16 * 1024 * 1024;

	if (pg_atomic_read_u64(&ac_shared->dsa_limit) != want)
	{
		pg_atomic_write_u64(&ac_shared->dsa_limit, want);
		dsa_set_size_limit(ac_area, want);
	}
}

/* The budget now, in bytes. */
uint64
ac_mem_budget(void)
{
	return current_budget((uint64) ac_memory_limit_kb * 1024);
}

/*
 * Try once to allocate size bytes in the area, counted against the memory
 * limit.  AC_MEM_OK with *dp set, or why not: AC_MEM_TOO_BIG (more than
 * the whole budget), AC_MEM_FULL (the bytes in use leave no room) or
 * AC_MEM_AREA_FULL (the operating system refused the area a new
 * segment).  The caller must hold no LWLock, be outside a read section
 * and outside a critical section.  Does not ERROR.
 */
AcMemResult
ac_mem_try_alloc(Size size, dsa_pointer *dp)
{
	uint64		limit = (uint64) ac_memory_limit_kb * 1024;

	*dp = InvalidDsaPointer;
	if (size > limit)
		return AC_MEM_TOO_BIG;
	apply_area_limit(limit);
	limit = current_budget(limit);
	if (size > limit)
		return AC_MEM_TOO_BIG;
	if (!reserve_bytes(size, limit))
		return AC_MEM_FULL;
	*dp = try_allocate(size);
	if (DsaPointerIsValid(*dp))
		return AC_MEM_OK;
	/* the area could not grow: give the bytes back */
	pg_atomic_fetch_sub_u64(&ac_shared->bytes_used, size);
	return AC_MEM_AREA_FULL;
}

void
ac_mem_free(dsa_pointer dp, Size size)
{
	dsa_free(ac_area, dp);
	pg_atomic_fetch_sub_u64(&ac_shared->bytes_used, size);
}
