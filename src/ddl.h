/*-------------------------------------------------------------------------
 *
 * ddl.h
 *	  The DDL of caches: create_cache, drop_cache, memoize, unmemoize
 *	  (ddl.c).
 *
 * IDENTIFICATION
 *	  src/ddl.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AC_DDL_H
#define AC_DDL_H

#include "cacheinfo.h"

extern Oid	ac_create_cache(const char *name, Oid fill, Interval *ttl,
							bool per_role);
extern void ac_drop_cache(const char *name);
extern Oid	ac_memoize(Oid fn, Interval *ttl, bool per_role);
extern void ac_unmemoize(Oid fn);

/* for the event triggers (events.c) and the update (migrate.c) */
extern void ac_drop_definition(Oid defoid, Oid accessor_or_fill);
extern void ac_accessor_depends_on_extension(Oid accessor);

#endif							/* AC_DDL_H */
