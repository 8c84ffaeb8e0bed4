/*-------------------------------------------------------------------------
 *
 * evict.h
 *	  Room for new entries and values of atomiccache: allocation with
 *	  eviction (evict.c).
 *
 * IDENTIFICATION
 *	  src/evict.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AC_EVICT_H
#define AC_EVICT_H

#include "table.h"

extern dsa_pointer ac_alloc(Size size);
extern void ac_index_grow(uint64 hash);
extern AcEntry *ac_entry_new(uint64 hash, const char *key, uint32 keylen,
							 int desc_idx, uint64 generation, dsa_pointer *dp);

#endif							/* AC_EVICT_H */
