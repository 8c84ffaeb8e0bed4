/*-------------------------------------------------------------------------
 *
 * memory.h
 *	  Allocation of entries and values in the DSA area under the memory
 *	  bound of atomiccache.
 *
 * IDENTIFICATION
 *	  src/memory.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AC_MEMORY_H
#define AC_MEMORY_H

#include "utils/dsa.h"

extern dsa_pointer ac_mem_alloc(Size size);
extern void ac_mem_free(dsa_pointer dp, Size size);

#endif							/* AC_MEMORY_H */
