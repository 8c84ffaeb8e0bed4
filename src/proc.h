/*-------------------------------------------------------------------------
 *
 * proc.h
 *	  Functions as atomiccache reads and writes them in the catalog
 *	  (proc.c).
 *
 * IDENTIFICATION
 *	  src/proc.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AC_PROC_H
#define AC_PROC_H

#include "access/htup.h"
#include "catalog/pg_depend.h"
#include "nodes/pg_list.h"

extern Datum ac_proc_attr(HeapTuple tup, int attno);
extern char *ac_proc_text(HeapTuple tup, int attno);
extern Node *ac_proc_sqlbody(HeapTuple tup);
extern List *ac_proc_defaults(HeapTuple tup);

extern bool ac_is_accessor(HeapTuple ptup);
extern char ac_accessor_parallel(char fill_parallel);
extern char ac_accessor_volatility(char fill_volatility);
extern bool ac_owns_cache(Oid accessor);
extern void ac_check_owner_of(const char *name, Oid accessor);

extern void ac_sync_proc_privileges(Oid from, Oid to, bool with_acl);

extern bool ac_depend_scan(bool referenced, Oid classid, Oid objid,
						   bool (*fn) (Form_pg_depend, void *), void *arg);

#endif							/* AC_PROC_H */
