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

extern Oid	ac_create_cache(const char *name, Oid fill, Interval *ttl);
extern void ac_drop_cache(const char *name);
extern Oid	ac_memoize(Oid fn, Interval *ttl);
extern void ac_unmemoize(Oid fn);
extern Oid	ac_function_by_name(const char *spec);
extern void ac_migrate_registry(void);

/* for the event triggers (events.c) */
extern void ac_drop_definition(Oid defoid, Oid accessor_or_fill);
extern void ac_sync_proc_privileges(Oid from, Oid to, bool with_acl);
extern char ac_accessor_parallel(char fill_parallel);

#endif							/* AC_DDL_H */
