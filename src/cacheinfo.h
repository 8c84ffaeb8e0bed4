/*-------------------------------------------------------------------------
 *
 * cacheinfo.h
 *	  What a backend knows of the caches of its database (cacheinfo.c).
 *
 * IDENTIFICATION
 *	  src/cacheinfo.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AC_CACHEINFO_H
#define AC_CACHEINFO_H

#include "datatype/timestamp.h"
#include "nodes/pg_list.h"

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
	bool		per_role;		/* keys include the calling role (key.h) */
	bool		fill_strict;	/* as the fill is now (reloaded on change) */
	TransactionId fill_version; /* raw xmin of the fill's pg_proc row */
	uint32		layout;			/* of the key and result types (cacheinfo.c) */
	bool		layout_cut;		/* types nested past what layout sees: the
								 * values are never stored (api.c) */
	uint64		variant;		/* the version of the definition (key.h) */
	TransactionId fill_order;	/* the fill row's age: its xmin, or
								 * FrozenTransactionId once frozen */
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
extern uint64 ac_info_version;

extern void ac_cacheinfo_init(void);
extern void ac_cacheinfo_xact_end(void);
extern bool ac_info_is_current(const AcCacheInfo *info);
extern AcCacheInfo *ac_info_by_accessor(Oid accessor, bool missing_ok);
extern AcCacheInfo *ac_info_by_name(const char *name);
extern void ac_check_owner(const AcCacheInfo *info);
extern void ac_check_fill(const AcCacheInfo *info);

#endif							/* AC_CACHEINFO_H */
