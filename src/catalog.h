/*-------------------------------------------------------------------------
 *
 * catalog.h
 *	  What a backend knows of the caches of its database (built from their
 *	  definitions, registry.h), the DDL of caches (create, drop, memoize)
 *	  and the event triggers.
 *
 * IDENTIFICATION
 *	  src/catalog.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AC_CATALOG_H
#define AC_CATALOG_H

#include "key.h"

/*
 * What a backend knows of one cache.  Never changed once built: a newer
 * version replaces it in the lookup tables, and the old one is freed with
 * its memory context at the end of the transaction (or later, while a
 * fill through it still runs: busy).
 */
typedef struct AcCacheInfo
{
	MemoryContext cxt;			/* holds this info and its call state */
	int			busy;			/* call states of it whose fill runs */
	char	   *name;
	int64		uid;
	Oid			accessor;
	Oid			fill;
	Oid			owner;
	uint64		ttl_ns;			/* 0: never expires */
	bool		memoized;
	bool		fill_strict;	/* as the fill is now (reloaded on change) */
	TransactionId fill_version; /* raw xmin of the fill's pg_proc row */
	bool		fill_missing;	/* the fill was dropped (triggers off) */
	bool		collatable;		/* a key argument has a collatable type */
	int			desc_idx;
	int			nargs;
	int			ndefaults;		/* trailing arguments with a default */
	List	   *defaults;		/* their expressions (the accessor's) */
	AcTypeInfo	result;
	AcTypeInfo	args[FUNC_MAX_ARGS];
	uint64		ddl_generation; /* shared DDL generation when loaded */
	uint64		local_generation;	/* local invalidations when loaded */
	void	   *callstate;		/* the accessor's call state (api.c) */
} AcCacheInfo;

extern uint64 ac_local_generation;
extern uint64 ac_catalog_epoch;

extern void ac_catalog_init(void);
extern bool ac_info_is_current(const AcCacheInfo *info);
extern AcCacheInfo *ac_info_by_accessor(Oid accessor, bool missing_ok);
extern AcCacheInfo *ac_info_by_name(const char *name);
extern void ac_check_owner(const AcCacheInfo *info);
extern void ac_check_fill(const AcCacheInfo *info);
extern List *ac_cache_names(void);
extern Oid	ac_function_by_name(const char *spec);
extern void ac_catalog_ddl_end(Node *parsetree);
extern void ac_catalog_sql_drop(void);
extern bool ac_xact_invalidates;
extern void ac_forget_database(void);
extern void ac_migrate_registry(void);

extern Oid	ac_create_cache(const char *name, Oid fill, Interval *ttl);
extern void ac_drop_cache(AcCacheInfo *info);
extern Oid	ac_memoize(Oid fn, Interval *ttl);
extern void ac_unmemoize(Oid fn);
extern void ac_retire_cache_at_commit(int64 uid);
typedef enum AcXactEnd
{
	AC_XACT_COMMIT,
	AC_XACT_ABORT,
	AC_XACT_PREPARE
} AcXactEnd;

extern void ac_catalog_xact_end(AcXactEnd how);
extern void ac_catalog_subxact_abort(int level);
extern void ac_catalog_subxact_commit(int level);
extern void ac_catalog_pre_prepare(void);

/* api.c */
extern void ac_api_abort(int min_level);

#endif							/* AC_CATALOG_H */
