/*-------------------------------------------------------------------------
 *
 * cacheinfo.c
 *	  What a backend knows of the caches of its database (AcCacheInfo),
 *	  read from their definitions (registry.c) and kept in two lookup
 *	  tables, by accessor and by name.
 *
 * The tables are dropped whenever the shared DDL generation (bumped by
 * every DDL of any cache) or the local invalidation counter (bumped by
 * pg_proc, role and role membership invalidations) moves, and an info
 * whose descriptor slot went to another cache is loaded again.  An info
 * replaced in the tables is stale: freed at the end of the transaction
 * (or later, while a fill through it still runs).
 *
 * IDENTIFICATION
 *	  src/cacheinfo.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_class.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "common/int.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/regproc.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "cacheinfo.h"
#include "desc.h"
#include "key.h"
#include "proc.h"
#include "registry.h"
#include "shmem.h"

/* Bumped by every invalidation that can change what an info says. */
uint64		ac_local_generation = 1;

/*
 * Bumped whenever the lookup tables are rebuilt: cache infos (and call
 * states) older than the current version may be freed at the end of the
 * transaction, so they are looked up again, never dereferenced.
 */
uint64		ac_info_version = 1;

/* Infos replaced in the lookup tables, freed at the end of the transaction. */
static List *stale_infos = NIL;

typedef struct InfoByOid
{
	Oid			accessor;		/* hash key */
	AcCacheInfo *info;
} InfoByOid;
typedef struct InfoByName
{
	char		name[NAMEDATALEN];	/* hash key */
	AcCacheInfo *info;
} InfoByName;
static HTAB *by_oid = NULL;
static HTAB *by_name = NULL;
static uint64 tables_ddl_generation = 0;
static uint64 tables_local_generation = 0;

static void
invalidation_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	ac_local_generation++;
}

void
ac_cacheinfo_init(void)
{
	/*
	 * What a backend remembers (definitions, EXECUTE checks, layouts) is
	 * dropped on every change that can alter it: a function's definition,
	 * ACL or owner (PROCOID), role membership (AUTHMEMROLEMEM), a role's
	 * superuser or inherit attribute (AUTHOID), and a column or a type
	 * (ATTNUM, TYPEOID: see type_layout), which replay brings to a standby
	 * too.
	 */
	CacheRegisterSyscacheCallback(PROCOID, invalidation_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(ATTNUM, invalidation_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(TYPEOID, invalidation_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHMEMROLEMEM, invalidation_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHOID, invalidation_callback, (Datum) 0);
}

/*
 * Does this info still say what the catalog says?  No invalidation of
 * this backend and no DDL of any cache since it was loaded, and its
 * descriptor still holds its cache: a descriptor whose cache was dropped
 * is given to another cache once its entries are gone, and an info that
 * missed the drop must not use the new cache's descriptor.
 */
bool
ac_info_is_current(const AcCacheInfo *info)
{
	return info->local_generation == ac_local_generation &&
		info->ddl_generation == pg_atomic_read_u64(&ac_shared->ddl_generation) &&
		ac_descs[info->desc_idx].uid == (uint64) info->uid;
}

/* Free this info at the end of the transaction. */
static void
stale_info(AcCacheInfo *info)
{
	MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

	/* call states referring to it are looked up again, never dereferenced */
	ac_info_version++;

	stale_infos = lappend(stale_infos, info);
	MemoryContextSwitchTo(old);
}

/* (Re)create the lookup tables if any invalidation happened. */
static void
check_tables(void)
{
	uint64		ddl = pg_atomic_read_u64(&ac_shared->ddl_generation);
	HASHCTL		ctl;

	if (by_oid != NULL && tables_ddl_generation == ddl &&
		tables_local_generation == ac_local_generation)
		return;
	if (by_oid != NULL)
	{
		HASH_SEQ_STATUS status;
		InfoByOid  *eo;
		InfoByName *en;
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		hash_seq_init(&status, by_oid);
		while ((eo = hash_seq_search(&status)) != NULL)
			stale_infos = lappend(stale_infos, eo->info);
		hash_seq_init(&status, by_name);
		while ((en = hash_seq_search(&status)) != NULL)
			stale_infos = lappend(stale_infos, en->info);
		MemoryContextSwitchTo(old);
		hash_destroy(by_oid);
		hash_destroy(by_name);
		ac_info_version++;
	}
	by_oid = by_name = NULL;

	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(InfoByOid);
	ctl.hcxt = CacheMemoryContext;
	by_oid = hash_create("atomiccache caches by accessor", 64, &ctl,
						 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	ctl.keysize = NAMEDATALEN;
	ctl.entrysize = sizeof(InfoByName);
	by_name = hash_create("atomiccache caches by name", 64, &ctl,
						  HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	tables_ddl_generation = ddl;
	tables_local_generation = ac_local_generation;
}

/*
 * A hash of how values of type t are laid out, as the catalog says now:
 * the type, and for a row type the type, typmod, length and alignment of
 * each column (dropped ones included: they keep their place), recursively
 * through columns, domains, arrays and ranges.  It is part of the version
 * every entry belongs to (key.h, ac_key_variant), so that a value stored
 * under another layout
 * is never read: an ALTER TABLE that recurses to a child table, an ALTER
 * TYPE ... CASCADE of a typed table, or one replayed on a standby, none
 * of which the event trigger sees for the cache, would otherwise have a
 * row of the old layout read with the new one (PostgreSQL 15 refuses it,
 * 22P07; 18 reads it wrong, or crashes).
 *
 * A row type is walked once per depth per load of a definition (*memo,
 * shared by the walks of its result and argument types, keeps each
 * hash), and the walk can be cancelled between columns: a type of 1,600
 * columns of a type of 1,600 columns ... would otherwise cost
 * 1,600^depth lookups, uninterruptible, at every load.  The memo is keyed
 * by depth too, because the walk stops at a depth limit: a type met near
 * it is hashed without its deeper levels, and that cut hash must not
 * stand for the type where it appears higher up (a change down there
 * would go unseen).  So the hash is the one a walk of every path gives.
 */
typedef struct LayoutMemo
{
	Oid			type;
	int			depth;
	uint32		hash;
} LayoutMemo;

#define LAYOUT_DEPTH 8

/*
 * Is t, or what it is made of through domains, arrays, ranges and
 * multiranges (chains: they cannot branch), a row type?  Past the depth
 * type_layout walks, only a row type has levels whose changes the hash
 * would miss: a domain's base, an array's element and a range's subtype
 * never change.
 */
static bool
type_has_rows(Oid t)
{
	for (; OidIsValid(t); t = ac_type_inner(t))
		if (get_typtype(t) == TYPTYPE_COMPOSITE)
			return true;
	return false;
}

static uint32
type_layout(Oid t, int depth, List **memo, bool *cut)
{
	uint32		h = hash_uint32((uint32) t);
	char		typtype;
	Oid			elem;

	if (!OidIsValid(t))
		return h;
	if (depth > LAYOUT_DEPTH)
	{
		/*
		 * A row type here: changes of its columns would not change the
		 * hash, so the cache must not store values at all (*cut; README,
		 * Semantics).
		 */
		if (type_has_rows(t))
			*cut = true;
		return h;
	}
	typtype = get_typtype(t);
	if (typtype == TYPTYPE_DOMAIN)
	{
		int32		typmod = -1;
		Oid			base = getBaseTypeAndTypmod(t, &typmod);

		h = hash_combine(h, hash_uint32((uint32) typmod));
		return hash_combine(h, type_layout(base, depth + 1, memo, cut));
	}
	if (OidIsValid(elem = get_element_type(t)))
		return hash_combine(h, type_layout(elem, depth + 1, memo, cut));
	if (typtype == TYPTYPE_RANGE)
		return hash_combine(h, type_layout(get_range_subtype(t), depth + 1,
										   memo, cut));
	if (typtype == TYPTYPE_MULTIRANGE)
		return hash_combine(h, type_layout(get_multirange_range(t), depth + 1,
										   memo, cut));
	if (typtype == TYPTYPE_COMPOSITE)
	{
		Oid			relid = get_typ_typrelid(t);
		HeapTuple	reltup;
		int			natts = 0;
		int			i;
		ListCell   *lc;
		LayoutMemo *m;

		foreach(lc, *memo)
		{
			m = lfirst(lc);
			if (m->type == t && m->depth == depth)
				return m->hash;
		}
		reltup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
		if (HeapTupleIsValid(reltup))
		{
			natts = ((Form_pg_class) GETSTRUCT(reltup))->relnatts;
			ReleaseSysCache(reltup);
		}
		h = hash_combine(h, hash_uint32((uint32) natts));
		for (i = 1; i <= natts; i++)
		{
			HeapTuple	atttup;
			Form_pg_attribute a;

			CHECK_FOR_INTERRUPTS();
			atttup = SearchSysCache2(ATTNUM, ObjectIdGetDatum(relid),
									 Int16GetDatum(i));
			if (!HeapTupleIsValid(atttup))
				continue;
			a = (Form_pg_attribute) GETSTRUCT(atttup);
			h = hash_combine(h, hash_uint32((uint32) a->atttypid));
			h = hash_combine(h, hash_uint32((uint32) a->atttypmod));
			h = hash_combine(h, hash_uint32((uint32) (a->attlen << 8 |
													  (uint8) a->attalign << 1 |
													  a->attisdropped)));
			if (!a->attisdropped)
				h = hash_combine(h, type_layout(a->atttypid, depth + 1, memo,
												cut));
			ReleaseSysCache(atttup);
		}
		m = palloc(sizeof(LayoutMemo));
		m->type = t;
		m->depth = depth;
		m->hash = h;
		*memo = lappend(*memo, m);
	}
	return h;
}

/* Build an AcCacheInfo from a cache's definition. */
static AcCacheInfo *
info_from_def(const AcDefinition *def)
{
	AcCacheInfo *info;
	HeapTuple	ptup;
	Form_pg_proc pform;
	List	   *memo = NIL;		/* of type_layout */
	int			i;

	{
		/*
		 * Made under the current context and moved under CacheMemoryContext
		 * once complete, so that an ERROR while loading leaks nothing.
		 */
		MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext,
												  "atomiccache cache",
												  ALLOCSET_SMALL_SIZES);

		info = MemoryContextAllocZero(cxt, sizeof(AcCacheInfo));
		info->cxt = cxt;
	}
	info->name = MemoryContextStrdup(info->cxt, NameStr(def->name));
	MemoryContextSetIdentifier(info->cxt, info->name);
	info->uid = (int64) def->oid;
	info->accessor = def->accessor;
	info->fill = def->fill;
	info->ttl_ns = def->has_ttl ? ac_ttl_ns(unconstify(Interval *, &def->ttl)) : 0;
	info->memoized = def->memoized;
	info->per_role = def->per_role;

	/* the key and result types are the accessor's */
	ptup = SearchSysCache1(PROCOID, ObjectIdGetDatum(info->accessor));
	if (!HeapTupleIsValid(ptup))
		elog(ERROR, "cache lookup failed for function %u", info->accessor);
	if (!ac_is_accessor(ptup))
	{
		ReleaseSysCache(ptup);
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("cache \"%s\" does not exist", info->name),
				 errdetail("Its accessor was replaced while event triggers did not fire."),
				 errhint("Drop function atomiccache.%s(atomiccache.cache), then create the cache again.",
						 quote_identifier(info->name))));
	}
	pform = (Form_pg_proc) GETSTRUCT(ptup);
	info->owner = pform->proowner;
	info->nargs = pform->pronargs;
	{
		MemoryContext old = MemoryContextSwitchTo(info->cxt);

		info->defaults = ac_proc_defaults(ptup);
		info->ndefaults = list_length(info->defaults);
		MemoryContextSwitchTo(old);
	}
	info->collatable = false;
	for (i = 0; i < info->nargs; i++)
	{
		ac_type_info(pform->proargtypes.values[i], &info->args[i]);
		if (type_is_collatable(pform->proargtypes.values[i]))
			info->collatable = true;
	}
	ac_type_info(pform->prorettype, &info->result);
	info->layout = type_layout(pform->prorettype, 0, &memo, &info->layout_cut);
	for (i = 0; i < info->nargs; i++)
		info->layout = hash_combine(info->layout,
									type_layout(pform->proargtypes.values[i], 0,
												&memo, &info->layout_cut));
	list_free_deep(memo);
	ReleaseSysCache(ptup);
	/*
	 * The definition depends on the fill, so the fill exists (a catalog
	 * snapshot older than a concurrent drop aside): fill_missing is kept
	 * for that case, reported by a call (ac_check_fill).
	 */
	ptup = SearchSysCache1(PROCOID, ObjectIdGetDatum(info->fill));
	info->fill_missing = !HeapTupleIsValid(ptup);
	if (!info->fill_missing)
	{
		info->fill_strict = ((Form_pg_proc) GETSTRUCT(ptup))->proisstrict;
		info->fill_version = HeapTupleHeaderGetRawXmin(ptup->t_data);
		/* a frozen xmin is older than any, and may be 2^31 away */
		info->fill_order = HeapTupleHeaderXminFrozen(ptup->t_data) ?
			FrozenTransactionId : info->fill_version;
		ReleaseSysCache(ptup);
	}
	info->variant = ac_key_variant(info->fill_version, info->layout,
								   info->fill, info->ttl_ns);
	info->desc_idx = ac_desc_index(MyDatabaseId, (uint64) info->uid);
	MemoryContextSetParent(info->cxt, CacheMemoryContext);
	return info;
}

static AcCacheInfo *
load_info(const AcDefinition *def)
{
	uint64		ddl = pg_atomic_read_u64(&ac_shared->ddl_generation);
	uint64		local = ac_local_generation;
	AcCacheInfo *info = info_from_def(def);

	info->ddl_generation = ddl;
	info->local_generation = local;
	return info;
}

/*
 * The cache served by this accessor.  NULL (or an error when !missing_ok)
 * if there is none.
 */
AcCacheInfo *
ac_info_by_accessor(Oid accessor, bool missing_ok)
{
	InfoByOid  *ent;
	AcCacheInfo *info;
	AcDefinition def;
	bool		found;

	ac_attach();
	check_tables();
	ent = hash_search(by_oid, &accessor, HASH_FIND, NULL);
	if (ent != NULL && ac_info_is_current(ent->info))
		return ent->info;
	if (ent != NULL)
	{
		stale_info(ent->info);
		hash_search(by_oid, &accessor, HASH_REMOVE, NULL);
	}
	if (!ac_registry_by_accessor(accessor, &def))
	{
		if (missing_ok)
			return NULL;
		if (!SearchSysCacheExists1(PROCOID, ObjectIdGetDatum(accessor)))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("the cache of this call was dropped, with its accessor"),
					 errhint("Run the statement again.")));
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("function %s is not the accessor of an atomiccache cache",
						format_procedure(accessor)),
				 errdetail("Its cache was dropped, or it was given its body back by atomiccache.unmemoize()."),
				 errhint("Run the statement again; if the function still says this, drop it (its cache is gone).")));
	}
	info = load_info(&def);
	check_tables();
	ent = hash_search(by_oid, &accessor, HASH_ENTER, &found);
	if (found)
	{
		/* a nested call loaded it meanwhile: keep that one, it may be used */
		stale_info(info);
		return ent->info;
	}
	ent->info = info;
	return info;
}

/* The cache of this name, or an undefined_object error. */
AcCacheInfo *
ac_info_by_name(const char *name)
{
	InfoByName *ent;
	AcCacheInfo *info;
	AcDefinition def;
	bool		found;

	ac_attach();
	check_tables();
	if (strlen(name) < NAMEDATALEN)
	{
		ent = hash_search(by_name, name, HASH_FIND, NULL);
		if (ent != NULL && ac_info_is_current(ent->info))
			return ent->info;
		if (ent != NULL)
		{
			stale_info(ent->info);
			hash_search(by_name, name, HASH_REMOVE, NULL);
		}
	}
	if (!ac_registry_by_name(name, &def))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("cache \"%s\" does not exist", name),
				 errhint("The caches of this database are listed in atomiccache.caches.")));
	info = load_info(&def);
	check_tables();
	ent = hash_search(by_name, name, HASH_ENTER, &found);
	if (found)
	{
		stale_info(info);
		return ent->info;
	}
	ent->info = info;
	return info;
}

void
ac_check_owner(const AcCacheInfo *info)
{
	ac_check_owner_of(info->name, info->accessor);
}

/* A cache whose fill function is gone cannot serve anything. */
void
ac_check_fill(const AcCacheInfo *info)
{
	if (info->fill_missing)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("the fill function of cache \"%s\" does not exist", info->name),
				 errhint("Drop the cache with atomiccache.drop_cache().")));
}

/*
 * Transaction end: free the infos that went stale during the transaction,
 * except those a fill still runs through (busy), kept for a later end.
 */
void
ac_cacheinfo_xact_end(void)
{
	ListCell   *lc;
	List	   *keep = NIL;

	foreach(lc, stale_infos)
	{
		AcCacheInfo *info = lfirst(lc);

		if (info->busy > 0)
			keep = lappend(keep, info);
		else
			MemoryContextDelete(info->cxt);
	}
	list_free(stale_infos);
	stale_infos = NIL;
	if (keep != NIL)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		stale_infos = list_copy(keep);
		MemoryContextSwitchTo(old);
		list_free(keep);
	}
}
