/*-------------------------------------------------------------------------
 *
 * memory.h
 *	  The byte budget of atomiccache and its allocations (memory.c).
 *
 * IDENTIFICATION
 *	  src/memory.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AC_MEMORY_H
#define AC_MEMORY_H

#include "utils/dsa.h"

typedef enum AcMemResult
{
	AC_MEM_OK,
	AC_MEM_TOO_BIG,				/* more than the budget: does not fit now
								 * (nor ever, unless the budget grows) */
	AC_MEM_FULL,				/* no room now: evict, then try again */
	AC_MEM_AREA_FULL			/* the area cannot grow: evict more */
} AcMemResult;

extern uint64 ac_mem_budget(void);
extern AcMemResult ac_mem_try_alloc(Size size, dsa_pointer *dp);
extern void ac_mem_free(dsa_pointer dp, Size size);

#endif							/* AC_MEMORY_H */
