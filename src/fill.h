/*-------------------------------------------------------------------------
 *
 * fill.h
 *	  Single flight of atomiccache: the lookup, fill and removal of one key
 *	  (fill.c).
 *
 * IDENTIFICATION
 *	  src/fill.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AC_FILL_H
#define AC_FILL_H

#include "fmgr.h"

#include "key.h"
#include "stats.h"
#include "table.h"

/* What ac_get needs to know of one cache and one call. */
typedef struct AcFillCall
{
	const char *cache_name;		/* for messages */
	int			desc_idx;
	uint64		generation;		/* of the cache (AcCacheDesc), not 0 */
	uint64		ttl_ns;			/* 0: never expires */
	const AcTypeInfo *result;	/* result type */
	FunctionCallInfo fcinfo;	/* the fill call, arguments set */
	AcStatRow  *stats;			/* this backend's counters for the cache */
	const bool *no_publish;		/* when true at publication time: return
								 * the value uncached (this transaction
								 * changed a fill or a type) */
	Oid			key_role;		/* per_role caches: the role of the key; a
								 * fill that ends as another role (SET ROLE
								 * in it) publishes nothing */
} AcFillCall;

extern void ac_fill_init(void);
extern void ac_fill_release_all(void);
extern void ac_fill_release(int min_level);
extern Datum ac_get(AcFillCall *call, StringInfo key, uint64 hash, bool *isnull);
extern Datum ac_fill_uncached(AcFillCall *call, bool *isnull);
extern Datum ac_fill_no_slot(AcFillCall *call, bool *isnull);
extern bool ac_fill_contains(int desc_idx, uint64 generation, StringInfo key,
							 uint64 hash);
extern bool ac_fill_invalidate(int desc_idx, uint64 generation, StringInfo key,
							   uint64 hash, const char *cache_name);

#endif							/* AC_FILL_H */
