/*-------------------------------------------------------------------------
 *
 * evict.h
 *	  Eviction of atomiccache entries when memory is full.
 *
 * IDENTIFICATION
 *	  src/evict.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AC_EVICT_H
#define AC_EVICT_H

#include "atomiccache.h"

extern bool ac_evict(Size need, uint64 limit);

#endif							/* AC_EVICT_H */
