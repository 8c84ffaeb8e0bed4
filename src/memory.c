/*-------------------------------------------------------------------------
 *
 * memory.c
 *	  Allocation of entries and values in the DSA area, within
 *	  atomiccache.memory_limit.
 *
 * Every byte the caches hold is allocated here and counted in
 * AcShared.bytes_used (fetch-add, slow paths only).  An allocation that
 * would pass the limit first lets the reclaimer free what retired entries
 * it can; if it still does not fit, the caller gets InvalidDsaPointer and
 * returns its value uncached: a full cache never makes a query fail.
 *
 * dsa_allocate_extended() with DSA_ALLOC_NO_OOM still raises an ERROR when
 * the operating system refuses a new segment (dsm_create(), e.g. /dev/shm
 * full), and it does so while holding the area's LWLocks.  We catch that
 * error, release the LWLocks (callers hold none: see ac_mem_alloc's
 * contract) and treat it like a full cache.
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

#include "atomiccache.h"
#include "memory.h"
#include "table.h"

static dsa_pointer
try_allocate(Size size)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	uint32		holdoff = InterruptHoldoffCount;
	volatile dsa_pointer dp = InvalidDsaPointer;

	PG_TRY();
	{
		dp = dsa_allocate_extended(ac_area, size, DSA_ALLOC_NO_OOM);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcxt);
		InterruptHoldoffCount = holdoff;
		/* dsm_create() failed under the area lock: let go of it */
		LWLockReleaseAll();
		FlushErrorState();
		dp = InvalidDsaPointer;
	}
	PG_END_TRY();
	return dp;
}

/*
 * Allocate size bytes in the area, counted against the memory limit.
 * Returns InvalidDsaPointer when the bytes cannot be had.  The caller must
 * hold no LWLock and be outside a critical section.  Does not ERROR.
 */
dsa_pointer
ac_mem_alloc(Size size)
{
	uint64		limit = (uint64) ac_memory_limit_kb * 1024;
	dsa_pointer dp;

	if (pg_atomic_read_u64(&ac_shared->bytes_used) + size > limit)
	{
		ac_reclaim();
		if (pg_atomic_read_u64(&ac_shared->bytes_used) + size > limit)
			return InvalidDsaPointer;
	}
	dp = try_allocate(size);
	if (DsaPointerIsValid(dp))
		pg_atomic_fetch_add_u64(&ac_shared->bytes_used, size);
	return dp;
}

void
ac_mem_free(dsa_pointer dp, Size size)
{
	dsa_free(ac_area, dp);
	pg_atomic_fetch_sub_u64(&ac_shared->bytes_used, size);
}
