/*-------------------------------------------------------------------------
 *
 * registry.h
 *	  The registry of caches: one definition function per cache, in schema
 *	  atomiccache (see registry.c).
 *
 * IDENTIFICATION
 *	  src/registry.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AC_REGISTRY_H
#define AC_REGISTRY_H

#include "nodes/pg_list.h"
#include "utils/timestamp.h"

/* What the definition of one cache says. */
typedef struct AcDefinition
{
	Oid			oid;			/* the definition function: the cache's uid */
	NameData	name;			/* the cache's name: the function's */
	Oid			accessor;
	Oid			fill;
	bool		has_ttl;
	Interval	ttl;
	bool		memoized;
	bool		per_role;		/* keys include the calling role */
	Oid			owner;			/* the definition's, kept as the accessor's */
} AcDefinition;

/* The identity of definition functions in pg_event_trigger_dropped_objects */
#define AC_DEFINITION_ARGS	"(atomiccache.cache)"

extern bool ac_registry_has_signature(const oidvector *args);
extern bool ac_registry_is_definition(Oid nsp, const oidvector *args);
extern bool ac_registry_by_name(const char *name, AcDefinition *def);
extern bool ac_registry_by_accessor(Oid accessor, AcDefinition *def);
extern List *ac_registry_all(void);
extern List *ac_registry_of_function(Oid fn);
extern void ac_registry_lock(bool cache_ddl);
extern Oid	ac_registry_create(const char *name, Oid accessor, Oid fill,
							   const Interval *ttl, bool memoized,
							   bool per_role, Oid owner);
extern bool ac_registry_exists(int64 uid);
extern uint64 ac_ttl_ns(Interval *ttl);



#endif							/* AC_REGISTRY_H */
