/*-------------------------------------------------------------------------
 *
 * catalog.c
 *	  What a backend knows of the caches of its database (lookup tables
 *	  built from the registry, registry.c), the shared cache descriptors,
 *	  and the DDL: create_cache, drop_cache, memoize, unmemoize, and the
 *	  event triggers that keep caches consistent with the catalog.
 *
 * Accessors are C functions (atomiccache_accessor) made with
 * ProcedureCreate().  The SQL command CREATE FUNCTION ... LANGUAGE C needs
 * a superuser; ProcedureCreate() does not check the language's privilege,
 * so any role with EXECUTE on the fill function and CREATE on the schema
 * can make a cache, as README.md says.  Nobody else can make one (C
 * functions need a superuser), and the accessor is safe to hand out: it
 * does nothing but serve its cache, and checks EXECUTE on the fill
 * function on every call (cached per role, and forgotten on every change
 * of a function, a role or a membership).  A C accessor costs one fmgr
 * call on a hit, and keeps the collation of its call.  It is never STRICT,
 * IMMUTABLE or PARALLEL SAFE: it applies its fill's strictness at each
 * call, and the event trigger refuses an ALTER that would make it so.
 *
 * A cache is its definition function (registry.c), which depends on the
 * accessor and on the fill; the accessor depends on the extension
 * (DEPENDS ON EXTENSION, which pg_dump keeps).  Those are all the
 * dependencies, and pg_dump and pg_upgrade restore each of them.
 *
 * Nothing here runs as another role, and the only SQL run is the event
 * triggers' reads of pg_event_trigger_*() (event_spi_begin).  The event
 * triggers: ac_catalog_sql_drop (a dropped definition drops its cache at
 * commit, and an accessor left without one goes too) and
 * ac_catalog_ddl_end (replaced accessors end their caches, owners and
 * fn_uncached privileges follow, changed fills and types invalidate at
 * commit).  Changes that must not take effect before the transaction
 * commits (drops, invalidations) wait in a list of pending actions,
 * applied by the transaction callbacks.
 *
 * A backend keeps what it read of the registry in two hash tables (by
 * accessor OID and by name).  They are dropped whenever the shared DDL
 * generation (bumped by every DDL of any cache) or the local invalidation
 * counter (bumped by pg_proc, role and role membership invalidations)
 * moves, and an info whose descriptor slot went to another cache is
 * loaded again.
 *
 * Shared descriptors (AcCacheDesc, atomiccache.h) are found by (dbid, uid)
 * in an open-addressed array; a slot whose cache was dropped is reused
 * once no linked entry names it (desc_index).
 *
 * IDENTIFICATION
 *	  src/catalog.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/skey.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_class.h"
#include "catalog/pg_database.h"
#include "catalog/pg_attrdef.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_statistic_ext.h"
#include "catalog/pg_language.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "common/int.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "port/pg_bswap.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/datetime.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/regproc.h"
#include "utils/snapmgr.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "catalog.h"
#include "registry.h"
#include "stats.h"

static void bump_ddl(void);
static bool created_here(int64 uid);
static bool definition_exists(int64 uid);
static bool is_accessor(HeapTuple ptup);
static List *proc_defaults(HeapTuple tup);
static char accessor_parallel(char fill_parallel);
static void desc_mark(int idx, Oid dbid, uint64 uid, bool drop);
static int	desc_lookup(Oid dbid, uint64 uid);
static void depend_on(Oid dependent_class, Oid dependent, Oid ref_class, Oid ref,
					  DependencyType type);
static void forget_database(void);

uint64		ac_local_generation = 1;

/*
 * Bumped whenever the lookup tables are rebuilt: cache infos (and call
 * states) older than the current epoch may be freed at the end of the
 * transaction, so they are looked up again, never dereferenced.
 */
uint64		ac_catalog_epoch = 1;

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
ac_catalog_init(void)
{
	/*
	 * What a backend remembers (definitions, EXECUTE checks) is dropped on
	 * every change that can alter it: a function's definition, ACL or owner
	 * (PROCOID), role membership (AUTHMEMROLEMEM), and a role's superuser
	 * or inherit attribute (AUTHOID).
	 */
	CacheRegisterSyscacheCallback(PROCOID, invalidation_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHMEMROLEMEM, invalidation_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHOID, invalidation_callback, (Datum) 0);
}

bool
ac_info_is_current(const AcCacheInfo *info)
{
	/*
	 * ... and its descriptor slot still holds it: a slot whose cache was
	 * dropped is given to another cache once its entries are gone, and an
	 * info that missed the drop must not use the new cache's slot.
	 */
	return info->local_generation == ac_local_generation &&
		info->ddl_generation == pg_atomic_read_u64(&ac_shared->ddl_generation) &&
		ac_descs[info->desc_idx].uid == (uint64) info->uid;
}

/* Free this info at the end of the transaction. */
static void
retire_info(AcCacheInfo *info)
{
	MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

	/* call states referring to it are looked up again, never dereferenced */
	ac_catalog_epoch++;

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
		ac_catalog_epoch++;
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
 * Every cache of this database counts as dropped (see ac_forget_database:
 * those of an earlier installation, which DROP EXTENSION dropped without
 * a trigger of ours seeing it to the end).
 */
static void
forget_database(void)
{
	int			i;

	LWLockAcquire(&ac_shared->desc_lock, LW_EXCLUSIVE);
	for (i = 0; i < AC_MAX_CACHES; i++)
		if (pg_atomic_read_u32(&ac_descs[i].dbid) == MyDatabaseId &&
			!pg_atomic_read_u32(&ac_descs[i].dropped) &&
			!created_here((int64) ac_descs[i].uid))
		{
			pg_atomic_write_u32(&ac_descs[i].dropped, 1);
			pg_atomic_fetch_add_u64(&ac_descs[i].generation, 1);
		}
	LWLockRelease(&ac_shared->desc_lock);
}



/*
 * Give a free or reusable descriptor slot to a cache.  Caller holds
 * desc_lock.  A reused slot forgets the old cache's counters first and
 * keeps its generation going (see AcCacheDesc).
 */
static void
desc_claim(int idx, Oid dbid, uint64 uid)
{
	AcCacheDesc *d = &ac_descs[idx];

	if (pg_atomic_read_u32(&d->dbid) != InvalidOid)
	{
		ac_stats_forget(idx);
		pg_atomic_fetch_add_u64(&d->generation, 1);
	}
	pg_atomic_write_u32(&d->dropped, 0);
	/* dropped and generation before uid: a reader matching uid sees them */
	pg_write_barrier();
	d->uid = uid;
	/* partner: the pg_read_barrier in desc_index and desc_lookup */
	pg_write_barrier();
	pg_atomic_write_u32(&d->dbid, dbid);
}

/*
 * Mark the slot of cache (dbid, uid) dropped (or only bump its
 * generation), under desc_lock and only if the slot still holds that
 * cache: a lock-free lookup may have found it before it was given to
 * another cache.
 */
static void
desc_mark(int idx, Oid dbid, uint64 uid, bool drop)
{
	AcCacheDesc *d = &ac_descs[idx];

	LWLockAcquire(&ac_shared->desc_lock, LW_EXCLUSIVE);
	if (pg_atomic_read_u32(&d->dbid) == dbid && d->uid == uid)
	{
		if (drop)
			pg_atomic_write_u32(&d->dropped, 1);
		pg_atomic_fetch_add_u64(&d->generation, 1);
	}
	LWLockRelease(&ac_shared->desc_lock);
}

/*
 * Make room for a new cache when every slot is taken: the caches of
 * databases that no longer exist count as dropped, and a full sweep of the
 * table removes the garbage entries of dropped caches, so that their slots
 * can be reused.  Slow, and only when the slots ran out.  The database
 * test is made without the lock (it may read pg_database), the marking
 * under it, if the slot still holds the same cache.
 */
static void
desc_make_room(void)
{
	int			i;

	for (i = 0; i < AC_MAX_CACHES; i++)
	{
		Oid			d = pg_atomic_read_u32(&ac_descs[i].dbid);
		uint64		uid;

		if (d == InvalidOid || pg_atomic_read_u32(&ac_descs[i].dropped))
			continue;
		pg_read_barrier();
		uid = ac_descs[i].uid;
		if (!SearchSysCacheExists1(DATABASEOID, ObjectIdGetDatum(d)))
			desc_mark(i, d, uid, true);
	}
	ac_sweep_garbage((int) ac_shared->nbuckets);
	ac_reclaim();
}

/*
 * Find or claim the shared descriptor of a cache.  Lock-free when found;
 * claims under desc_lock: the first reusable slot of the probe sequence
 * (a dropped cache's that no entry names any more), else the empty slot
 * that ends it.
 */
static int
desc_index(Oid dbid, uint64 uid)
{
	uint32		start = (uint32) (uid ^ (uid >> 32) ^ dbid) % AC_MAX_CACHES;
	uint32		i;
	int			attempt;

	for (i = 0; i < AC_MAX_CACHES; i++)
	{
		uint32		idx = (start + i) % AC_MAX_CACHES;
		Oid			d = pg_atomic_read_u32(&ac_descs[idx].dbid);

		if (d == InvalidOid)
			break;
		pg_read_barrier();
		if (d == dbid && ac_descs[idx].uid == uid &&
			!pg_atomic_read_u32(&ac_descs[idx].dropped))
			return idx;
		if (d == dbid && ac_descs[idx].uid == uid)
		{
			/*
			 * Dropped.  Made live again only if its definition exists as of
			 * now (the drop is marked only once its commit is visible).
			 */
			if (!definition_exists((int64) uid))
				return idx;
			break;
		}
	}

	/*
	 * The caller read the cache's definition just now, so the cache
	 * exists: a slot of it that is marked dropped is left from an earlier
	 * life of the same uid (a dump restored into the database it was taken
	 * from, a cache used in the transaction that created the extension)
	 * and is made live again, as a new slot would be.
	 */
	for (attempt = 0; attempt < 2; attempt++)
	{
		int			found = -1;
		int			reuse = -1;
		int			empty = -1;

		LWLockAcquire(&ac_shared->desc_lock, LW_EXCLUSIVE);
		for (i = 0; i < AC_MAX_CACHES; i++)
		{
			uint32		idx = (start + i) % AC_MAX_CACHES;
			AcCacheDesc *d = &ac_descs[idx];
			Oid			db = pg_atomic_read_u32(&d->dbid);

			if (db == InvalidOid)
			{
				empty = idx;
				break;
			}
			if (db == dbid && d->uid == uid)
			{
				found = idx;
				if (pg_atomic_read_u32(&d->dropped))
					desc_claim(idx, dbid, uid);
				break;
			}
			if (reuse < 0 && pg_atomic_read_u32(&d->dropped) &&
				pg_atomic_read_u32(&d->nentries) == 0)
				reuse = idx;
		}
		if (found < 0 && (reuse >= 0 || empty >= 0))
		{
			found = reuse >= 0 ? reuse : empty;
			desc_claim(found, dbid, uid);
		}
		LWLockRelease(&ac_shared->desc_lock);
		if (found >= 0)
			return found;
		if (attempt == 0)
			desc_make_room();
	}
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("too many atomiccache caches in use"),
			 errdetail("The server keeps room for %d caches; the room of a dropped cache is reused once its entries are gone.",
					   AC_MAX_CACHES),
			 errhint("Drop caches that are no longer used.")));
	return -1;					/* keep compiler quiet */
}

/*
 * A TTL in nanoseconds, counted as EXTRACT(EPOCH FROM ttl) counts an
 * interval: a year is 365.25 days, a month of the remaining months 30
 * days, a day 24 hours (the clock is monotonic, not a calendar).  At most
 * 100 years: longer than any server runs, and far from the overflow of
 * filled_at + ttl in nanoseconds; NULL is the way to say "never".
 */
#define AC_USECS_PER_YEAR	INT64CONST(31557600000000)	/* 365.25 days */
#define AC_TTL_MAX_US		(100 * AC_USECS_PER_YEAR)

static uint64
interval_ns(Interval *ttl)
{
	int64		us;
	int64		days_us;
	int64		years_us;
	int64		months_us;
	bool		overflow;

	overflow = pg_mul_s64_overflow((int64) ttl->day, USECS_PER_DAY, &days_us) ||
		pg_mul_s64_overflow((int64) (ttl->month / MONTHS_PER_YEAR),
							AC_USECS_PER_YEAR, &years_us) ||
		pg_mul_s64_overflow((int64) (ttl->month % MONTHS_PER_YEAR),
							DAYS_PER_MONTH * USECS_PER_DAY, &months_us) ||
		pg_add_s64_overflow(ttl->time, days_us, &us) ||
		pg_add_s64_overflow(us, years_us, &us) ||
		pg_add_s64_overflow(us, months_us, &us);
	if (!overflow && us <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("ttl must be positive"),
				 errhint("Pass NULL for entries that never expire.")));
	if (overflow || us > AC_TTL_MAX_US)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("ttl must not be longer than 100 years"),
				 errhint("Pass NULL for entries that never expire.")));
	return (uint64) us * 1000;
}

/* Build an AcCacheInfo from a cache's definition. */
static AcCacheInfo *
info_from_def(const AcDefinition *def)
{
	AcCacheInfo *info;
	HeapTuple	ptup;
	Form_pg_proc pform;
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
	info->ttl_ns = def->has_ttl ? interval_ns(unconstify(Interval *, &def->ttl)) : 0;
	info->memoized = def->memoized;

	/* the key and result types are the accessor's */
	ptup = SearchSysCache1(PROCOID, ObjectIdGetDatum(info->accessor));
	if (!HeapTupleIsValid(ptup))
		elog(ERROR, "cache lookup failed for function %u", info->accessor);
	if (!is_accessor(ptup))
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

		info->defaults = proc_defaults(ptup);
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
		ReleaseSysCache(ptup);
	}
	info->desc_idx = desc_index(MyDatabaseId, (uint64) info->uid);
	MemoryContextSetParent(info->cxt, CacheMemoryContext);
	return info;
}

/*
 * The event triggers read pg_event_trigger_*() with SPI, with search_path
 * pinned to "pg_catalog, pg_temp" for the statement (pg_temp is searched
 * for relations and types only, never for functions or operators), so
 * that nothing a role can create (a look-alike function in its own
 * schema, or in public) is ever resolved, whoever runs the command.  An
 * ERROR in between is cleaned up by the (sub)transaction abort, which
 * unwinds the GUC nest level.
 */
static int
event_spi_begin(void)
{
	int			guc_level = NewGUCNestLevel();

	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
							 true, 0, false);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	return guc_level;
}

static void
event_spi_end(int guc_level)
{
	SPI_finish();
	AtEOXact_GUC(true, guc_level);
}

/* Is there, as of now, a definition with this uid (OID)? */
static bool
definition_exists(int64 uid)
{
	AcDefinition def;

	return uid > 0 && uid <= (int64) PG_UINT32_MAX &&
		ac_registry_read((Oid) uid, &def);
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
		retire_info(ent->info);
		hash_search(by_oid, &accessor, HASH_REMOVE, NULL);
	}
	if (!ac_registry_by_accessor(accessor, &def))
	{
		if (missing_ok)
			return NULL;
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("function %s is not the accessor of an atomiccache cache",
						format_procedure(accessor)),
				 errhint("Its cache was dropped; drop the function too.")));
	}
	info = load_info(&def);
	check_tables();
	ent = hash_search(by_oid, &accessor, HASH_ENTER, &found);
	if (found)
	{
		/* a nested call loaded it meanwhile: keep that one, it may be used */
		retire_info(info);
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
			retire_info(ent->info);
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
		retire_info(info);
		return ent->info;
	}
	ent->info = info;
	return info;
}

/* Ownership of a cache: its owner's privileges, or superuser. */
void
ac_check_owner(const AcCacheInfo *info)
{
	/*
	 * The owner of the accessor as it is now: REASSIGN OWNED fires no event
	 * trigger, so the copy in the info may lag.
	 */
	HeapTuple	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(info->accessor));
	Oid			owner = info->owner;

	if (HeapTupleIsValid(tup))
	{
		owner = ((Form_pg_proc) GETSTRUCT(tup))->proowner;
		ReleaseSysCache(tup);
	}
	if (!has_privs_of_role(GetUserId(), owner))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("must be owner of cache \"%s\"", info->name)));
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

/* ---------------------------------------------------------------------
 * DDL
 * ---------------------------------------------------------------------
 */

/*
 * Is this function usable as a fill function?  ERROR (42P13) if not.
 */
static void
check_fill_function(HeapTuple ptup)
{
	Form_pg_proc p = (Form_pg_proc) GETSTRUCT(ptup);
	char	   *fname = format_procedure(p->oid);
	int			i;

	if (p->prokind != PROKIND_FUNCTION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
				 errmsg("%s cannot be a fill function", fname),
				 errdetail("It is %s.",
						   p->prokind == PROKIND_PROCEDURE ? "a procedure" :
						   p->prokind == PROKIND_AGGREGATE ? "an aggregate function" :
						   p->prokind == PROKIND_WINDOW ? "a window function" :
						   "not a plain function")));
	if (p->proretset)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
				 errmsg("%s cannot be a fill function", fname),
				 errdetail("It returns a set.")));
	if (get_typtype(p->prorettype) == TYPTYPE_PSEUDO)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
				 errmsg("%s cannot be a fill function", fname),
				 errdetail("It returns %s, a pseudo-type.",
						   format_type_be(p->prorettype)),
				 errhint("A fill function returns a value of a real type.")));
	for (i = 0; i < p->pronargs; i++)
	{
		Oid			t = p->proargtypes.values[i];

		if (get_typtype(t) == TYPTYPE_PSEUDO)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
					 errmsg("%s cannot be a fill function", fname),
					 errdetail("Its argument %d is of the %s type %s.", i + 1,
							   IsPolymorphicType(t) ? "polymorphic" : "pseudo-",
							   format_type_be(t)),
					 errhint("Keys must have concrete types.")));
	}
}

static Oid
extension_oid(void)
{
	return get_extension_oid("atomiccache", false);
}

/*
 * Is the name free for a new cache (42710 if not), and short enough to be
 * the name of its definition function (42622 if not)?
 */
static void
check_cache_name(const char *name)
{
	AcDefinition def;

	if (strlen(name) >= NAMEDATALEN)
		ereport(ERROR,
				(errcode(ERRCODE_NAME_TOO_LONG),
				 errmsg("cache name \"%s\" is too long", name),
				 errdetail("A cache name has at most %d bytes.", NAMEDATALEN - 1)));
	if (ac_registry_by_name(name, &def))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("cache \"%s\" already exists", name)));
}

/* The names of the caches of this database, in the caller's memory. */
List *
ac_cache_names(void)
{
	List	   *names = NIL;
	ListCell   *lc;

	foreach(lc, ac_registry_all())
		names = lappend(names, pstrdup(NameStr(((AcDefinition *) lfirst(lc))->name)));
	return names;
}

/*
 * The accessor (or memoized function) goes with the extension: DROP
 * EXTENSION ... CASCADE drops it.  An "auto extension" dependency, the one
 * ALTER FUNCTION ... DEPENDS ON EXTENSION makes, because pg_dump keeps it;
 * without CASCADE, DROP EXTENSION is refused anyway while caches exist
 * (their definitions are in the extension's schema).
 */
static void
accessor_depends_on_extension(Oid accessor)
{
	depend_on(ProcedureRelationId, accessor, ExtensionRelationId,
			  extension_oid(), DEPENDENCY_AUTO_EXTENSION);
}

/*
 * A new cache starts empty, even if its uid (the OID of its definition)
 * was the uid of a cache dropped while no trigger of ours saw it: that
 * cache's descriptor, if still live, moves to a new generation.
 */
static void
start_empty(Oid defoid)
{
	int			idx = desc_lookup(MyDatabaseId, (uint64) defoid);

	if (idx >= 0)
		desc_mark(idx, MyDatabaseId, (uint64) defoid, false);
}

static void
bump_ddl(void)
{
	pg_atomic_fetch_add_u64(&ac_shared->ddl_generation, 1);
}

/*
 * Dropping a cache is transactional: the definition and the accessor
 * come back if the transaction rolls back, so the shared descriptor is
 * marked dropped (all its entries unreachable, for good) only when the
 * transaction commits.  Pending drops are kept with the nesting level
 * that queued them, so that a rolled-back subtransaction forgets its own.
 */
typedef enum PendingKind
{
	PENDING_DROP,				/* at commit: dropped */
	PENDING_INVALIDATE,			/* at commit or abort: invalidate_all */
	PENDING_CREATED,			/* at abort: dropped (its slot reusable) */
	PENDING_FORGET_DATABASE		/* at commit: ac_forget_database */
} PendingKind;

typedef struct PendingRetire
{
	int64		uid;
	int			level;
	PendingKind kind;
} PendingRetire;

static List *pending_retires = NIL;

/*
 * This transaction changed a fill function or a type some cache uses (it
 * has pending invalidations): until it ends, its accessor calls run their
 * fills without publishing anything (api.c; fill.c checks again before it
 * publishes, since the fill itself may have made the change).
 */
bool		ac_xact_invalidates = false;

static void
at_xact_end(int64 uid, PendingKind kind)
{
	MemoryContext old = MemoryContextSwitchTo(TopTransactionContext);
	PendingRetire *pr = palloc(sizeof(PendingRetire));

	pr->uid = uid;
	pr->level = GetCurrentTransactionNestLevel();
	pr->kind = kind;
	pending_retires = lappend(pending_retires, pr);
	MemoryContextSwitchTo(old);
}

void
ac_retire_cache_at_commit(int64 uid)
{
	at_xact_end(uid, PENDING_DROP);
}

/*
 * A cache created by this transaction: if it rolls back, the cache never
 * was, and its descriptor (claimed if the transaction used the cache)
 * goes back to the free room.
 */
static void
forget_cache_at_abort(int64 uid)
{
	at_xact_end(uid, PENDING_CREATED);
}

/*
 * Every entry of the cache becomes absent when this transaction commits
 * (a change of its fill or of its types, seen by every backend then).
 */
/* Was this cache created by the current transaction? */
static bool
created_here(int64 uid)
{
	ListCell   *lc;

	foreach(lc, pending_retires)
	{
		PendingRetire *pr = lfirst(lc);

		if (pr->uid == uid && pr->kind == PENDING_CREATED)
			return true;
	}
	return false;
}

/*
 * The extension is (re)created in this database: descriptors left by the
 * caches of an earlier installation count as dropped when the installing
 * transaction commits (a rolled-back one changes nothing), so that their
 * entries are garbage and their slots can be reused.
 */
void
ac_forget_database(void)
{
	ac_attach();
	at_xact_end(0, PENDING_FORGET_DATABASE);
}

static void
invalidate_cache_at_commit(int64 uid)
{
	at_xact_end(uid, PENDING_INVALIDATE);
	ac_xact_invalidates = true;
}

/* Find a descriptor without claiming one; -1 if the cache never had one. */
static int
desc_lookup(Oid dbid, uint64 uid)
{
	uint32		start = (uint32) (uid ^ (uid >> 32) ^ dbid) % AC_MAX_CACHES;
	uint32		i;

	for (i = 0; i < AC_MAX_CACHES; i++)
	{
		uint32		idx = (start + i) % AC_MAX_CACHES;
		Oid			d = pg_atomic_read_u32(&ac_descs[idx].dbid);

		if (d == InvalidOid)
			return -1;
		pg_read_barrier();
		if (d == dbid && ac_descs[idx].uid == uid)
			return idx;
	}
	return -1;
}

/*
 * What a pending action does when its (sub)transaction commits or aborts:
 * drops take effect at commit; invalidations at commit and at abort (the
 * rolled-back transaction may have filled entries with the definition it
 * rolled back: its own calls bypass the cache meanwhile, see
 * ac_xact_invalidates, but a fill it ran for another cache may have
 * called this one); a cache created by a transaction that aborts is
 * dropped (no definition names it), so its slot can be reused.
 */
static void
apply_pending(PendingRetire *pr, bool commit)
{
	int			idx;
	bool		drop;

	switch (pr->kind)
	{
		case PENDING_DROP:
			if (!commit)
				return;
			drop = true;
			break;
		case PENDING_CREATED:
			if (commit)
				return;
			drop = true;
			break;
		case PENDING_FORGET_DATABASE:
			if (!commit)
				return;
			drop = true;
			break;
		default:
			drop = false;
			break;
	}
	if (pr->kind == PENDING_FORGET_DATABASE)
	{
		forget_database();
		return;
	}
	idx = desc_lookup(MyDatabaseId, (uint64) pr->uid);
	if (idx >= 0)
		desc_mark(idx, MyDatabaseId, (uint64) pr->uid, drop);
	/* infos loaded before the drop committed are stale now */
	if (drop)
		bump_ddl();
}

/*
 * Transaction end: apply (commit) or forget (abort) the pending drops, and
 * free the cache infos that went stale during the transaction.
 */
void
ac_catalog_xact_end(AcXactEnd how)
{
	bool		commit = (how == AC_XACT_COMMIT);
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

	/*
	 * Commit: drops and invalidations take effect.  Abort: drops are
	 * forgotten, but invalidations take effect too, since this transaction
	 * may have filled entries with the definition it rolled back (its own
	 * calls bypass the cache meanwhile, see ac_xact_invalidates, but a
	 * fill it ran for another cache may have called this one).
	 */
	/*
	 * PREPARE: drops and invalidations were refused (ac_catalog_pre_prepare);
	 * a cache created in the prepared transaction is left as it is (if it
	 * is rolled back later, its slot stays taken until a restart: no
	 * callback of ours runs then).
	 */
	if (ac_descs != NULL && how != AC_XACT_PREPARE)
		foreach(lc, pending_retires)
			apply_pending(lfirst(lc), commit);
	/* the list lived in TopTransactionContext, which goes away now */
	pending_retires = NIL;
	ac_xact_invalidates = false;
}

/* A subtransaction committed: its pending drops now belong to its parent. */
void
ac_catalog_subxact_commit(int level)
{
	ListCell   *lc;

	foreach(lc, pending_retires)
	{
		PendingRetire *pr = lfirst(lc);

		if (pr->level >= level)
			pr->level = level - 1;
	}
}

/*
 * A prepared transaction's commit runs in no backend of ours, so a drop
 * could not take effect in shared memory then: refuse to prepare one.
 */
void
ac_catalog_pre_prepare(void)
{
	ListCell   *lc;
	bool		blocks = false;

	foreach(lc, pending_retires)
		if (((PendingRetire *) lfirst(lc))->kind != PENDING_CREATED)
			blocks = true;
	if (blocks)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot PREPARE a transaction that dropped or changed an atomiccache cache"),
				 errdetail("It dropped a cache, or changed a fill function or a type a cache uses."),
				 errhint("Make such changes in a transaction that commits directly.")));
}

void
ac_catalog_subxact_abort(int level)
{
	ListCell   *lc;

	foreach(lc, pending_retires)
	{
		PendingRetire *pr = lfirst(lc);

		if (pr->level >= level)
		{
			if (ac_descs != NULL)
				apply_pending(pr, false);
			pending_retires = foreach_delete_current(pending_retires, lc);
		}
	}
}

static void
check_name_free(const char *name, const char *objname, Oid nsp,
				oidvector *argtypes)
{
	check_cache_name(name);
	if (SearchSysCacheExists3(PROCNAMEARGSNSP, CStringGetDatum(objname),
							  PointerGetDatum(argtypes), ObjectIdGetDatum(nsp)))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("function %s.%s with the fill function's arguments already exists",
						get_namespace_name(nsp), objname),
				 errhint("Choose another name for the cache.")));
}

static void
depend_on(Oid dependent_class, Oid dependent, Oid ref_class, Oid ref,
		  DependencyType type)
{
	ObjectAddress a,
				b;

	ObjectAddressSet(a, dependent_class, dependent);
	ObjectAddressSet(b, ref_class, ref);
	recordDependencyOn(&a, &b, type);
}

/*
 * The start of create_cache and memoize: attach, check the TTL, and fetch
 * a copy of the function's pg_proc row.
 */
static HeapTuple
ddl_begin(Oid fn, Interval *ttl)
{
	HeapTuple	ptup;

	ac_attach();
	ac_registry_lock();
	if (ttl)
		(void) interval_ns(ttl);
	ptup = SearchSysCacheCopy1(PROCOID, ObjectIdGetDatum(fn));
	if (!HeapTupleIsValid(ptup))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("function with OID %u does not exist", fn)));
	return ptup;
}

/*
 * Accessors are at most PARALLEL RESTRICTED: they run in the leader only.
 * In a parallel worker, a wait for a fill of the same key by another
 * member of the lock group could never be told apart from a wait for the
 * leader, which waits for its workers.
 */
static char
accessor_parallel(char fill_parallel)
{
	return fill_parallel == PROPARALLEL_SAFE ? PROPARALLEL_RESTRICTED : fill_parallel;
}


/*
 * The names of a function's input arguments, as a text[] for
 * ProcedureCreate (the accessor takes those only), or NULL if they have
 * none.
 */
static Datum
in_argnames(HeapTuple ptup)
{
	Form_pg_proc p = (Form_pg_proc) GETSTRUCT(ptup);
	Datum	   *names;
	int			nnames;
	Datum	   *modes = NULL;
	int			nmodes = 0;
	Datum	   *in;
	int			nin = 0;
	bool		isnull;
	bool		any = false;
	Datum		d;
	int			i;

	d = SysCacheGetAttr(PROCOID, ptup, Anum_pg_proc_proargnames, &isnull);
	if (isnull)
		return PointerGetDatum(NULL);
	deconstruct_array(DatumGetArrayTypeP(d), TEXTOID, -1, false, TYPALIGN_INT,
					  &names, NULL, &nnames);
	d = SysCacheGetAttr(PROCOID, ptup, Anum_pg_proc_proargmodes, &isnull);
	if (!isnull)
		deconstruct_array(DatumGetArrayTypeP(d), CHAROID, 1, true, TYPALIGN_CHAR,
						  &modes, NULL, &nmodes);
	in = palloc(sizeof(Datum) * Max(p->pronargs, 1));
	for (i = 0; i < nnames && nin < p->pronargs; i++)
	{
		char		mode = i < nmodes ? DatumGetChar(modes[i]) : PROARGMODE_IN;

		if (mode == PROARGMODE_OUT || mode == PROARGMODE_TABLE)
			continue;
		in[nin++] = names[i];
		if (VARSIZE_ANY_EXHDR(DatumGetTextPP(names[i])) > 0)
			any = true;
	}
	if (!any || nin != p->pronargs)
		return PointerGetDatum(NULL);
	return PointerGetDatum(construct_array(in, nin, TEXTOID, -1, false, TYPALIGN_INT));
}

Oid
ac_create_cache(const char *name, Oid fill, Interval *ttl)
{
	HeapTuple	ptup;
	Form_pg_proc p;
	List	   *names;
	char	   *objname;
	Oid			nsp;
	AclResult	aclresult;
	ObjectAddress addr;
	Datum		argnames;
	Oid			defoid;

	ptup = ddl_begin(fill, ttl);
	p = (Form_pg_proc) GETSTRUCT(ptup);
	check_fill_function(ptup);
	aclresult = ac_proc_aclcheck(fill, GetUserId(), ACL_EXECUTE);
	if (aclresult != ACLCHECK_OK)
		aclcheck_error(aclresult, OBJECT_FUNCTION, NameStr(p->proname));

	names = stringToQualifiedNameList(name);
	nsp = QualifiedNameGetCreationNamespace(names, &objname);
	aclresult = ac_ns_aclcheck(nsp, GetUserId(), ACL_CREATE);
	if (aclresult != ACLCHECK_OK)
		aclcheck_error(aclresult, OBJECT_SCHEMA, get_namespace_name(nsp));
	check_name_free(name, objname, nsp, &p->proargtypes);
	if (isAnyTempNamespace(nsp) || isAnyTempNamespace(p->pronamespace))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("a cache cannot use a temporary function"),
				 errdetail("Its %s would be dropped at the end of the session, without its cache.",
						   isAnyTempNamespace(nsp) ? "accessor" : "fill function"),
				 errhint("Create the fill function and the accessor in a permanent schema.")));
	if (OidIsValid(p->provariadic))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s cannot be a fill function", format_procedure(fill)),
				 errdetail("It takes a VARIADIC argument."),
				 errhint("Wrap it in a function with a fixed argument list, e.g. taking an array.")));

	argnames = in_argnames(ptup);

	addr = ProcedureCreate(objname, nsp, false, false,
						   p->prorettype, GetUserId(),
						   ClanguageId, InvalidOid,
						   "atomiccache_accessor", "$libdir/atomiccache",
						   NULL, PROKIND_FUNCTION,
	/* never STRICT: the fill's strictness is applied at each call */
						   false, false, false,
						   p->provolatile == PROVOLATILE_VOLATILE ?
						   PROVOLATILE_VOLATILE : PROVOLATILE_STABLE,
						   accessor_parallel(p->proparallel),
						   &p->proargtypes,
						   PointerGetDatum(NULL), PointerGetDatum(NULL),
						   argnames, proc_defaults(ptup),
						   PointerGetDatum(NULL), PointerGetDatum(NULL),
						   InvalidOid, p->procost, 0);
	accessor_depends_on_extension(addr.objectId);
	CommandCounterIncrement();

	defoid = ac_registry_create(name, addr.objectId, fill, ttl, false, GetUserId());
	start_empty(defoid);
	forget_cache_at_abort((int64) defoid);
	bump_ddl();
	return addr.objectId;
}

/*
 * Drop the definition of a cache and, with it, its accessor (or fill, for
 * a memoized function: accessor_or_fill), refused (2BP01) if anything else
 * depends on them.  The entries become unreachable when the transaction
 * commits.
 */
static void
drop_definition(Oid defoid, Oid accessor_or_fill)
{
	ObjectAddresses *objs = new_object_addresses();
	ObjectAddress addr;

	ObjectAddressSet(addr, ProcedureRelationId, defoid);
	add_exact_object_address(&addr, objs);
	if (OidIsValid(accessor_or_fill))
	{
		ObjectAddressSet(addr, ProcedureRelationId, accessor_or_fill);
		add_exact_object_address(&addr, objs);
	}
	performMultipleDeletions(objs, DROP_RESTRICT, PERFORM_DELETION_INTERNAL);
	free_object_addresses(objs);
	ac_retire_cache_at_commit((int64) defoid);
	CommandCounterIncrement();
	bump_ddl();
}

void
ac_drop_cache(AcCacheInfo *info)
{
	ac_check_owner(info);
	if (info->memoized && !info->fill_missing)
	{
		ac_unmemoize(info->accessor);
		return;
	}
	drop_definition((Oid) info->uid, info->accessor);
}

/* Nullable array attributes of pg_proc, as ProcedureCreate wants them. */
static Datum
proc_attr(HeapTuple tup, int attno)
{
	bool		isnull;
	Datum		d = SysCacheGetAttr(PROCOID, tup, attno, &isnull);

	return isnull ? PointerGetDatum(NULL) : d;
}

static char *
proc_text(HeapTuple tup, int attno)
{
	bool		isnull;
	Datum		d = SysCacheGetAttr(PROCOID, tup, attno, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

static List *
proc_defaults(HeapTuple tup)
{
	char	   *s = proc_text(tup, Anum_pg_proc_proargdefaults);

	return s ? castNode(List, stringToNode(s)) : NIL;
}

static Node *
proc_sqlbody(HeapTuple tup)
{
	char	   *s = proc_text(tup, Anum_pg_proc_prosqlbody);

	return s ? stringToNode(s) : NULL;
}

/*
 * Give function `to` the owner and the ACL of function `from`, with the
 * shared dependencies on roles that go with them (so that DROP ROLE sees
 * them).  Nothing is written when they are the same already.
 */
static void
sync_proc_privileges(Oid from, Oid to)
{
	Relation	rel = table_open(ProcedureRelationId, RowExclusiveLock);
	HeapTuple	src = SearchSysCache1(PROCOID, ObjectIdGetDatum(from));
	HeapTuple	dst = SearchSysCache1(PROCOID, ObjectIdGetDatum(to));

	if (HeapTupleIsValid(src) && HeapTupleIsValid(dst))
	{
		Oid			owner = ((Form_pg_proc) GETSTRUCT(src))->proowner;
		Oid			oldowner = ((Form_pg_proc) GETSTRUCT(dst))->proowner;
		bool		srcnull,
					dstnull;
		Datum		srcacl = SysCacheGetAttr(PROCOID, src, Anum_pg_proc_proacl, &srcnull);
		Datum		dstacl = SysCacheGetAttr(PROCOID, dst, Anum_pg_proc_proacl, &dstnull);

		if (owner != oldowner || srcnull != dstnull ||
			(!srcnull && !datumIsEqual(srcacl, dstacl, false, -1)))
		{
			Datum		values[Natts_pg_proc];
			bool		nulls[Natts_pg_proc];
			bool		repl[Natts_pg_proc];
			HeapTuple	newtup;
			Oid		   *oldmembers = NULL;
			Oid		   *newmembers = NULL;
			int			noldmembers = 0;
			int			nnewmembers = 0;

			memset(repl, 0, sizeof(repl));
			memset(nulls, 0, sizeof(nulls));
			values[Anum_pg_proc_proacl - 1] = srcacl;
			nulls[Anum_pg_proc_proacl - 1] = srcnull;
			repl[Anum_pg_proc_proacl - 1] = true;
			values[Anum_pg_proc_proowner - 1] = ObjectIdGetDatum(owner);
			repl[Anum_pg_proc_proowner - 1] = true;
			newtup = heap_modify_tuple(dst, RelationGetDescr(rel), values, nulls, repl);
			CatalogTupleUpdate(rel, &newtup->t_self, newtup);
			heap_freetuple(newtup);

			if (owner != oldowner)
				changeDependencyOnOwner(ProcedureRelationId, to, owner);
			if (!dstnull)
				noldmembers = aclmembers(DatumGetAclP(dstacl), &oldmembers);
			if (!srcnull)
				nnewmembers = aclmembers(DatumGetAclP(srcacl), &newmembers);
			updateAclDependencies(ProcedureRelationId, to, 0, owner,
								  noldmembers, oldmembers,
								  nnewmembers, newmembers);
			CommandCounterIncrement();
		}
	}
	if (HeapTupleIsValid(src))
		ReleaseSysCache(src);
	if (HeapTupleIsValid(dst))
		ReleaseSysCache(dst);
	table_close(rel, RowExclusiveLock);
}

/* Does type t use one of the types in changed (as itself, its base
 * type, its element type, a range's subtype or a column)? */
static bool
type_uses(Oid t, List *changed, int depth)
{
	Oid			elem;
	char		typtype;

	if (list_member_oid(changed, t))
		return true;
	if (depth > 8)
		return true;			/* deep enough: say yes, at worst a refill */
	typtype = get_typtype(t);
	if (typtype == TYPTYPE_DOMAIN)
		return type_uses(getBaseType(t), changed, depth + 1);
	if (OidIsValid(elem = get_element_type(t)))
		return type_uses(elem, changed, depth + 1);
	if (typtype == TYPTYPE_RANGE)
		return type_uses(get_range_subtype(t), changed, depth + 1);
	if (typtype == TYPTYPE_MULTIRANGE)
		return type_uses(get_multirange_range(t), changed, depth + 1);
	if (typtype == TYPTYPE_COMPOSITE)
	{
		/* from the syscache, without locking the relation */
		Oid			relid = get_typ_typrelid(t);
		HeapTuple	reltup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
		int			natts = 0;
		int			i;

		if (HeapTupleIsValid(reltup))
		{
			natts = ((Form_pg_class) GETSTRUCT(reltup))->relnatts;
			ReleaseSysCache(reltup);
		}

		for (i = 1; i <= natts; i++)
		{
			Oid			atttype = get_atttype(relid, (AttrNumber) i);

			/* dropped columns have no type */
			if (OidIsValid(atttype) && type_uses(atttype, changed, depth + 1))
				return true;
		}
		return false;
	}
	return false;
}

static bool
func_is_secdef(Oid fn)
{
	HeapTuple	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn));
	bool		secdef = false;

	if (HeapTupleIsValid(tup))
	{
		secdef = ((Form_pg_proc) GETSTRUCT(tup))->prosecdef;
		ReleaseSysCache(tup);
	}
	return secdef;
}

/*
 * A fill function was altered: its accessor follows its volatility (STABLE,
 * or VOLATILE if the fill is) and its parallel safety (at most RESTRICTED,
 * UNSAFE if the fill is), as create_cache made them.
 */
static void
sync_accessor_attributes(Oid accessor, Oid fill)
{
	HeapTuple	ftup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fill));
	HeapTuple	atup;
	char		vol;
	char		par;

	if (!HeapTupleIsValid(ftup))
		return;
	vol = ((Form_pg_proc) GETSTRUCT(ftup))->provolatile == PROVOLATILE_VOLATILE ?
		PROVOLATILE_VOLATILE : PROVOLATILE_STABLE;
	par = accessor_parallel(((Form_pg_proc) GETSTRUCT(ftup))->proparallel);
	ReleaseSysCache(ftup);
	atup = SearchSysCacheCopy1(PROCOID, ObjectIdGetDatum(accessor));
	if (!HeapTupleIsValid(atup))
		return;
	if (((Form_pg_proc) GETSTRUCT(atup))->provolatile != vol ||
		((Form_pg_proc) GETSTRUCT(atup))->proparallel != par)
	{
		Relation	rel = table_open(ProcedureRelationId, RowExclusiveLock);

		((Form_pg_proc) GETSTRUCT(atup))->provolatile = vol;
		((Form_pg_proc) GETSTRUCT(atup))->proparallel = par;
		CatalogTupleUpdate(rel, &atup->t_self, atup);
		table_close(rel, RowExclusiveLock);
		CommandCounterIncrement();
	}
	heap_freetuple(atup);
}

/* Does anything depend on this object (DROP ... RESTRICT would refuse)? */
static bool
has_dependents(Oid classid, Oid objid)
{
	Relation	rel;
	ScanKeyData key[2];
	SysScanDesc scan;
	bool		found;

	rel = table_open(DependRelationId, AccessShareLock);
	ScanKeyInit(&key[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(classid));
	ScanKeyInit(&key[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(objid));
	scan = systable_beginscan(rel, DependReferenceIndexId, true, NULL, 2, key);
	found = HeapTupleIsValid(systable_getnext(scan));
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

/*
 * A definition was dropped by a cascade that did not reach its accessor
 * (DROP FUNCTION fill CASCADE reaches the definition, which depends on the
 * fill, but not the accessor, which the definition depends on): the
 * accessor of no cache goes too, as drop_cache would drop it.  One that other objects use (a
 * view, another function's body) stays, with a warning, and reports on
 * each call that its cache is gone.  Accessors are found by a scan of
 * pg_proc: only when a definition was dropped.
 */
static void
drop_orphan_accessors(void)
{
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	List	   *orphans = NIL;
	ListCell   *lc;

	rel = table_open(ProcedureRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_proc_prolang, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(ClanguageId));
	scan = systable_beginscan(rel, InvalidOid, false, NULL, 1, &key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Oid			fn = ((Form_pg_proc) GETSTRUCT(tup))->oid;
		AcDefinition def;

		if (is_accessor(tup) && !ac_registry_by_accessor(fn, &def))
			orphans = lappend_oid(orphans, fn);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);

	foreach(lc, orphans)
	{
		Oid			fn = lfirst_oid(lc);
		ObjectAddress addr;

		if (has_dependents(ProcedureRelationId, fn))
		{
			ereport(WARNING,
					(errmsg("function %s is left without its cache",
							format_procedure(fn)),
					 errdetail("Other objects depend on it."),
					 errhint("Drop it, or use atomiccache.drop_cache() to drop a cache with its accessor.")));
			continue;
		}
		ereport(NOTICE,
				(errmsg("dropping function %s, the accessor of a dropped cache",
						format_procedure(fn))));
		ObjectAddressSet(addr, ProcedureRelationId, fn);
		performDeletion(&addr, DROP_RESTRICT, PERFORM_DELETION_INTERNAL);
		CommandCounterIncrement();
	}
}

/*
 * The sql_drop event trigger.  A dropped definition (drop_cache does its
 * own work; this is DROP FUNCTION ... CASCADE of a fill or an accessor,
 * DROP SCHEMA ... CASCADE, DROP OWNED, a DROP of the definition itself)
 * drops its cache: its uid is the definition's OID, and the entries
 * become unreachable at commit.
 *
 * A definition that the command reached through a dependency (DROP
 * FUNCTION fill CASCADE) takes its accessor along (drop_orphan_accessors).
 * One the command names itself does not: that is how pg_dump --clean
 * drops a cache, then its accessor by name in the next statement, and a
 * user who drops a definition by hand is left with an accessor that says
 * its cache is gone.
 */
void
ac_catalog_sql_drop(void)
{
	int			guc_level;
	bool		any = false;
	bool		cascaded = false;
	uint64		i;

	ac_attach();
	guc_level = event_spi_begin();
	if (SPI_execute("SELECT d.classid, d.objid, d.schema_name, d.object_identity,"
					" d.original"
					" FROM pg_catalog.pg_event_trigger_dropped_objects() d",
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the dropped objects");
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		n1,
					n2,
					n5;
		Oid			classid = DatumGetObjectId(SPI_getbinval(tup, desc, 1, &n1));
		Oid			objid = DatumGetObjectId(SPI_getbinval(tup, desc, 2, &n2));
		char	   *schema = SPI_getvalue(tup, desc, 3);
		char	   *identity = SPI_getvalue(tup, desc, 4);
		bool		original = DatumGetBool(SPI_getbinval(tup, desc, 5, &n5));
		size_t		len = identity ? strlen(identity) : 0;
		size_t		suffix = strlen(AC_DEFINITION_ARGS);

		if (n1 || n2 || classid != ProcedureRelationId || schema == NULL ||
			strcmp(schema, "atomiccache") != 0 || len < suffix ||
			strcmp(identity + len - suffix, AC_DEFINITION_ARGS) != 0)
			continue;
		ac_retire_cache_at_commit((int64) objid);
		any = true;
		if (n5 || !original)
			cascaded = true;
	}
	event_spi_end(guc_level);
	if (any)
		bump_ddl();
	if (cascaded)
		drop_orphan_accessors();
}

/*
 * The cache's accessor was replaced by CREATE OR REPLACE FUNCTION: the
 * cache goes (at commit), and so does the original body of a memoized
 * function (the user's new body stands).
 */
static void
end_cache(const AcDefinition *def)
{
	drop_definition(def->oid,
					def->memoized &&
					SearchSysCacheExists1(PROCOID, ObjectIdGetDatum(def->fill)) ?
					def->fill : InvalidOid);
}

/*
 * The ddl_command_end event trigger (CREATE FUNCTION, ALTER FUNCTION,
 * GRANT, REVOKE, ALTER TYPE, ALTER DOMAIN, ALTER TABLE): keep every cache
 * of this database consistent with the catalog it was made from.
 *
 *	- An accessor replaced by CREATE OR REPLACE FUNCTION (it is no longer
 *	  our C function) ends its cache; for a memoized function, that ends
 *	  the memoization cleanly, the new body standing.
 *	- No accessor may have been made STRICT: it applies its fill's
 *	  strictness at each call, and would disagree with a fill that is not.
 *	- No definition may leave schema atomiccache (its owner may ALTER
 *	  FUNCTION ... SET SCHEMA into a schema of hers): outside, it would be
 *	  no definition, and its cache would be lost without being dropped.
 *	- A definition's owner and privileges follow its accessor's.
 *	- The original body of a memoized function (fn_uncached) gets the owner
 *	  and the privileges of the function itself again, whatever the order
 *	  of the commands: fn is the one users GRANT on; a GRANT on
 *	  fn_uncached alone is undone.
 *	- A fill function that changed (CREATE OR REPLACE, ALTER FUNCTION: its
 *	  body, volatility, strictness, settings, security) invalidates its
 *	  caches when the transaction commits, in every backend.  So does a
 *	  change of a type that a cache's keys or values use (ALTER TYPE,
 *	  ALTER DOMAIN, ALTER TABLE of a table whose row type it is): a value
 *	  of the old layout, or one that a new constraint rejects, is never
 *	  served again.
 */
void
ac_catalog_ddl_end(Node *parsetree)
{
	MemoryContext cxt = CurrentMemoryContext;
	int			guc_level;
	List	   *defs;
	List	   *procs = NIL;
	List	   *touched = NIL;
	List	   *types = NIL;
	ListCell   *lc;
	uint64		i;

	/*
	 * What counts as a change: a new definition of a function, or of its
	 * attributes, and a change of a type's layout or constraints.  A
	 * rename, a move to another schema or a new owner changes neither
	 * (except the owner of a SECURITY DEFINER fill, which runs as it).
	 */
	bool		defines = IsA(parsetree, CreateFunctionStmt) ||
		IsA(parsetree, AlterFunctionStmt);
	bool		new_owner = IsA(parsetree, AlterOwnerStmt);
	bool		retypes = !IsA(parsetree, RenameStmt) &&
		!IsA(parsetree, AlterOwnerStmt) &&
		!IsA(parsetree, AlterObjectSchemaStmt) &&
		!IsA(parsetree, GrantStmt) &&
		!defines;

	ac_attach();

	/* the objects the commands changed */
	guc_level = event_spi_begin();
	if (SPI_execute("SELECT c.classid, c.objid"
					" FROM pg_catalog.pg_event_trigger_ddl_commands() c",
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the commands of the event trigger");
	for (i = 0; i < SPI_processed; i++)
	{
		MemoryContext spicxt = MemoryContextSwitchTo(cxt);
		HeapTuple	tup = SPI_tuptable->vals[i];
		bool		n1,
					n2;
		Oid			classid = DatumGetObjectId(SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &n1));
		Oid			objid = DatumGetObjectId(SPI_getbinval(tup, SPI_tuptable->tupdesc, 2, &n2));

		if (!n1 && !n2)
		{
			if (classid == ProcedureRelationId)
				touched = lappend_oid(touched, objid);
			if (classid == ProcedureRelationId &&
				(defines || (new_owner && func_is_secdef(objid))))
				procs = lappend_oid(procs, objid);
			else if (classid == TypeRelationId && retypes)
				types = lappend_oid(types, objid);
			else if (classid == RelationRelationId && retypes &&
					 OidIsValid(get_rel_type_id(objid)))
				types = lappend_oid(types, get_rel_type_id(objid));
		}
		MemoryContextSwitchTo(spicxt);
	}
	event_spi_end(guc_level);

	foreach(lc, touched)
	{
		HeapTuple	ptup = SearchSysCache1(PROCOID, ObjectIdGetDatum(lfirst_oid(lc)));
		Form_pg_proc p;

		if (!HeapTupleIsValid(ptup))
			continue;
		p = (Form_pg_proc) GETSTRUCT(ptup);
		if (ac_registry_has_signature(&p->proargtypes) &&
			!ac_registry_is_definition(p->pronamespace, &p->proargtypes))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("the definition of cache \"%s\" cannot leave schema atomiccache",
							NameStr(p->proname)),
					 errhint("Use atomiccache.drop_cache() to drop the cache.")));
		ReleaseSysCache(ptup);
	}

	defs = ac_registry_all();
	foreach(lc, defs)
	{
		AcDefinition *def = lfirst(lc);
		HeapTuple	ptup = SearchSysCache1(PROCOID, ObjectIdGetDatum(def->accessor));
		Form_pg_proc p;
		bool		invalidate = false;
		int			j;

		/* the definition depends on its accessor: it exists */
		if (!HeapTupleIsValid(ptup))
			continue;
		if (!is_accessor(ptup))
		{
			ReleaseSysCache(ptup);
			end_cache(def);
			continue;
		}
		p = (Form_pg_proc) GETSTRUCT(ptup);
		/* only the accessors this command changed: one bad accessor (made
		 * while triggers did not fire) must not block all DDL */
		if (p->proisstrict && list_member_oid(touched, def->accessor))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
					 errmsg("the accessor %s of an atomiccache cache cannot be STRICT",
							format_procedure(def->accessor)),
					 errhint("An accessor follows the strictness of its fill function, %s: change that one instead.",
							 format_procedure(def->fill))));
		if ((p->provolatile == PROVOLATILE_IMMUTABLE ||
			 p->proparallel == PROPARALLEL_SAFE) &&
			list_member_oid(touched, def->accessor))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
					 errmsg("the accessor %s of an atomiccache cache cannot be %s",
							format_procedure(def->accessor),
							p->provolatile == PROVOLATILE_IMMUTABLE ?
							"IMMUTABLE" : "PARALLEL SAFE"),
					 errdetail(p->provolatile == PROVOLATILE_IMMUTABLE ?
							   "Its value changes when the cache is invalidated." :
							   "A parallel worker could wait for a fill by its own leader, which waits for it.")));
		sync_proc_privileges(def->accessor, def->oid);
		if (def->memoized)
			sync_proc_privileges(def->accessor, def->fill);

		if (list_member_oid(procs, def->fill))
		{
			invalidate = true;
			sync_accessor_attributes(def->accessor, def->fill);
		}
		if (types != NIL)
		{
			if (type_uses(p->prorettype, types, 0))
				invalidate = true;
			for (j = 0; j < p->pronargs && !invalidate; j++)
				invalidate = type_uses(p->proargtypes.values[j], types, 0);
		}
		ReleaseSysCache(ptup);
		if (invalidate)
			invalidate_cache_at_commit((int64) def->oid);
	}
}

/*
 * The function a text names, as DROP FUNCTION takes it: "name(argtypes)",
 * or a name alone when only one function has it (resolved through
 * search_path unless qualified).  42883 when there is none, 42725 when the
 * name is overloaded.
 */
Oid
ac_function_by_name(const char *spec)
{
	List	   *names;
	FuncCandidateList clist;

	if (strchr(spec, '(') != NULL)
		return DatumGetObjectId(DirectFunctionCall1(regprocedurein,
													CStringGetDatum(spec)));
	names = stringToQualifiedNameList(spec);
	clist = FuncnameGetCandidates(names, -1, NIL, false, false, false, true);
	if (clist == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("function \"%s\" does not exist", spec),
				 errhint("Name the function with its argument types if it is not in search_path under that name, for example '%s(integer)'.",
						 spec)));
	if (clist->next != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_AMBIGUOUS_FUNCTION),
				 errmsg("function name \"%s\" is not unique", spec),
				 errhint("Name the function with its argument types, for example '%s'.",
						 format_procedure(clist->oid))));
	return clist->oid;
}

/*
 * Replace the definition of function `target` (same name, namespace and
 * signature) by the one of `source`, or by the accessor when source is
 * invalid.  Keeps target's OID, owner and ACL.
 */
static void
replace_definition(HeapTuple target, HeapTuple source)
{
	Form_pg_proc t = (Form_pg_proc) GETSTRUCT(target);
	Form_pg_proc s = source ? (Form_pg_proc) GETSTRUCT(source) : t;

	ProcedureCreate(NameStr(t->proname), t->pronamespace, true, false,
					t->prorettype, t->proowner,
					source ? s->prolang : ClanguageId,
					InvalidOid,
					source ? proc_text(source, Anum_pg_proc_prosrc) : "atomiccache_accessor",
					source ? proc_text(source, Anum_pg_proc_probin) : "$libdir/atomiccache",
					source ? proc_sqlbody(source) : NULL,
					t->prokind,
					source ? s->prosecdef : false,
					s->proleakproof,
	/* an accessor is never STRICT: the fill's strictness applies per call */
					source ? s->proisstrict : false,
	/* an accessor is never IMMUTABLE: its value changes on invalidate */
					(source == NULL && s->provolatile == PROVOLATILE_IMMUTABLE) ?
					PROVOLATILE_STABLE : s->provolatile,
					source ? s->proparallel : accessor_parallel(s->proparallel),
					&t->proargtypes,
					proc_attr(target, Anum_pg_proc_proallargtypes),
					proc_attr(target, Anum_pg_proc_proargmodes),
					proc_attr(target, Anum_pg_proc_proargnames),
					proc_defaults(target),
					source ? proc_attr(source, Anum_pg_proc_protrftypes) : PointerGetDatum(NULL),
					source ? proc_attr(source, Anum_pg_proc_proconfig) : PointerGetDatum(NULL),
					source ? s->prosupport : InvalidOid,
					s->procost, s->prorows);
}

static bool
is_accessor(HeapTuple ptup)
{
	Form_pg_proc p = (Form_pg_proc) GETSTRUCT(ptup);
	char	   *src;

	if (p->prolang != ClanguageId)
		return false;
	src = proc_text(ptup, Anum_pg_proc_prosrc);
	return src != NULL && strcmp(src, "atomiccache_accessor") == 0;
}

/*
 * What memoize cannot do in place: functions with OUT, INOUT, TABLE or
 * VARIADIC arguments (the accessor takes the IN arguments only), and an
 * IMMUTABLE function that an index, a partition key, a constraint, a
 * column default, a generated column or extended statistics rely on (the
 * accessor is STABLE: such an index could no longer be rebuilt, such a
 * table no longer be restored).
 */
static void
check_memoizable(HeapTuple ptup)
{
	Form_pg_proc p = (Form_pg_proc) GETSTRUCT(ptup);
	Relation	rel;
	ScanKeyData key[2];
	SysScanDesc scan;
	HeapTuple	tup;

	if (!heap_attisnull(ptup, Anum_pg_proc_proallargtypes, NULL) ||
		OidIsValid(p->provariadic))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot memoize function %s", format_procedure(p->oid)),
				 errdetail("It has OUT, INOUT, TABLE or VARIADIC arguments."),
				 errhint("Create a cache over it with atomiccache.create_cache(), or memoize a function with IN arguments only.")));
	if (p->provolatile != PROVOLATILE_IMMUTABLE)
		return;

	rel = table_open(DependRelationId, AccessShareLock);
	ScanKeyInit(&key[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(ProcedureRelationId));
	ScanKeyInit(&key[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(p->oid));
	scan = systable_beginscan(rel, DependReferenceIndexId, true, NULL, 2, key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_depend d = (Form_pg_depend) GETSTRUCT(tup);
		ObjectAddress obj;

		if (d->classid != RelationRelationId &&
			d->classid != AttrDefaultRelationId &&
			d->classid != ConstraintRelationId &&
			d->classid != StatisticExtRelationId)
			continue;
		/* an index, a partition key, a column (generated or default) */
		if (d->classid == RelationRelationId &&
			get_rel_relkind(d->objid) != RELKIND_INDEX &&
			get_rel_relkind(d->objid) != RELKIND_PARTITIONED_INDEX &&
			get_rel_relkind(d->objid) != RELKIND_PARTITIONED_TABLE &&
			d->objsubid == 0)
			continue;
		ObjectAddressSubSet(obj, d->classid, d->objid, d->objsubid);
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot memoize function %s", format_procedure(p->oid)),
				 errdetail("%s relies on it being IMMUTABLE, and a memoized function is STABLE.",
						   getObjectDescription(&obj, false)),
				 errhint("Create a cache over it with atomiccache.create_cache() and call the accessor where a cached value is wanted.")));
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

Oid
ac_memoize(Oid fn, Interval *ttl)
{
	HeapTuple	ptup;
	Form_pg_proc p;
	char	   *name;
	char	   *fillname;
	char	   *cachename;
	AclResult	aclresult;
	ObjectAddress fill;
	AcDefinition taken;
	Oid			defoid;

	ptup = ddl_begin(fn, ttl);
	p = (Form_pg_proc) GETSTRUCT(ptup);
	name = pstrdup(NameStr(p->proname));
	if (is_accessor(ptup))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("function %s is already served by a cache",
						format_procedure(fn))));
	check_fill_function(ptup);
	if (!ac_proc_ownercheck(fn, GetUserId()))
		aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_FUNCTION, name);
	check_memoizable(ptup);
	if (isAnyTempNamespace(p->pronamespace))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot memoize temporary function %s", format_procedure(fn)),
				 errdetail("It would be dropped at the end of the session, without its cache.")));
	aclresult = ac_proc_aclcheck(fn, GetUserId(), ACL_EXECUTE);
	if (aclresult != ACLCHECK_OK)
		aclcheck_error(aclresult, OBJECT_FUNCTION, name);
	aclresult = ac_ns_aclcheck(p->pronamespace, GetUserId(), ACL_CREATE);
	if (aclresult != ACLCHECK_OK)
		aclcheck_error(aclresult, OBJECT_SCHEMA, get_namespace_name(p->pronamespace));

	/*
	 * The cache is named after the function; an overload, or a function of
	 * the same name in another schema, whose name is taken already gets its
	 * qualified signature as its cache's name.
	 */
	if (strlen(name) < NAMEDATALEN && ac_registry_by_name(name, &taken))
	{
		StringInfoData buf;
		int			i;

		initStringInfo(&buf);
		appendStringInfo(&buf, "%s(",
						 quote_qualified_identifier(get_namespace_name(p->pronamespace),
													name));
		for (i = 0; i < p->pronargs; i++)
			appendStringInfo(&buf, "%s%s", i > 0 ? "," : "",
							 format_type_be(p->proargtypes.values[i]));
		appendStringInfoChar(&buf, ')');
		cachename = buf.data;
	}
	else
		cachename = name;
	fillname = psprintf("%s_uncached", name);
	if (strlen(fillname) >= NAMEDATALEN)
		ereport(ERROR,
				(errcode(ERRCODE_NAME_TOO_LONG),
				 errmsg("function name \"%s\" is too long to memoize", name),
				 errdetail("The fill function would be called \"%s\".", fillname)));
	check_name_free(cachename, fillname, p->pronamespace, &p->proargtypes);

	/* 1. the original body moves to a new function, name_uncached */
	fill = ProcedureCreate(fillname, p->pronamespace, false, false,
						   p->prorettype, p->proowner, p->prolang, InvalidOid,
						   proc_text(ptup, Anum_pg_proc_prosrc),
						   proc_text(ptup, Anum_pg_proc_probin),
						   proc_sqlbody(ptup), p->prokind,
						   p->prosecdef, p->proleakproof, p->proisstrict,
						   p->provolatile, p->proparallel, &p->proargtypes,
						   proc_attr(ptup, Anum_pg_proc_proallargtypes),
						   proc_attr(ptup, Anum_pg_proc_proargmodes),
						   proc_attr(ptup, Anum_pg_proc_proargnames),
						   proc_defaults(ptup),
						   proc_attr(ptup, Anum_pg_proc_protrftypes),
						   proc_attr(ptup, Anum_pg_proc_proconfig),
						   p->prosupport, p->procost, p->prorows);
	CommandCounterIncrement();
	sync_proc_privileges(fn, fill.objectId);

	/*
	 * 2. the function itself becomes the accessor, same OID.  Its
	 * definition depends on it and on the original body: DROP FUNCTION of
	 * either is refused (2BP01) while the function is memoized, and
	 * pg_dump creates both before the definition.
	 */
	replace_definition(ptup, NULL);
	CommandCounterIncrement();
	/* after ProcedureCreate, which replaces fn's dependencies */
	accessor_depends_on_extension(fn);
	CommandCounterIncrement();

	defoid = ac_registry_create(cachename, fn, fill.objectId, ttl, true,
								p->proowner);
	sync_proc_privileges(fn, defoid);
	start_empty(defoid);
	forget_cache_at_abort((int64) defoid);
	bump_ddl();
	return fill.objectId;
}

void
ac_unmemoize(Oid fn)
{
	AcCacheInfo *info;
	HeapTuple	target;
	HeapTuple	source;

	info = ac_info_by_accessor(fn, true);
	if (info == NULL || !info->memoized)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("function %s is not memoized", format_procedure(fn))));
	ac_check_owner(info);
	if (info->fill_missing)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("the original body of memoized function %s does not exist",
						format_procedure(fn)),
				 errhint("Drop the cache (and the function with it) with atomiccache.drop_cache().")));
	target = SearchSysCacheCopy1(PROCOID, ObjectIdGetDatum(fn));
	source = SearchSysCacheCopy1(PROCOID, ObjectIdGetDatum(info->fill));
	if (!HeapTupleIsValid(target) || !HeapTupleIsValid(source))
		elog(ERROR, "cache lookup failed for function %u or %u", fn, info->fill);

	replace_definition(target, source);
	CommandCounterIncrement();
	/* fn is no accessor any more: its cache and original body go */
	deleteDependencyRecordsForSpecific(ProcedureRelationId, fn,
									   DEPENDENCY_AUTO_EXTENSION,
									   ExtensionRelationId, extension_oid());
	CommandCounterIncrement();
	drop_definition((Oid) info->uid, info->fill);
}

/*
 * ALTER EXTENSION atomiccache UPDATE from 0.1.0, whose registry was a
 * table: each row becomes a definition function, the accessor's
 * dependencies become those create_cache makes now (the definition's on
 * the accessor and the fill, the accessor's on the extension), and the
 * entries of the old uids become garbage (the caches come back empty, as
 * after a restore).  The update script drops the table afterwards.
 */
void
ac_migrate_registry(void)
{
	typedef struct OldRow
	{
		char	   *name;
		int64		uid;
		Oid			accessor;
		Oid			fill;
		bool		has_ttl;
		Interval	ttl;
		bool		memoized;
	} OldRow;
	MemoryContext cxt = CurrentMemoryContext;
	List	   *rows = NIL;
	ListCell   *lc;
	int			guc_level;
	uint64		i;

	ac_attach();
	ac_registry_lock();
	guc_level = event_spi_begin();
	if (SPI_execute("SELECT r.name, r.uid, r.accessor::pg_catalog.oid,"
					" r.fill::pg_catalog.oid, r.ttl, r.memoized"
					" FROM atomiccache.registry r ORDER BY r.name",
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read atomiccache.registry");
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		MemoryContext spicxt = MemoryContextSwitchTo(cxt);
		OldRow	   *row = palloc0(sizeof(OldRow));
		bool		isnull;
		Datum		ttl;

		row->name = TextDatumGetCString(SPI_getbinval(tup, desc, 1, &isnull));
		row->uid = DatumGetInt64(SPI_getbinval(tup, desc, 2, &isnull));
		row->accessor = DatumGetObjectId(SPI_getbinval(tup, desc, 3, &isnull));
		row->fill = DatumGetObjectId(SPI_getbinval(tup, desc, 4, &isnull));
		ttl = SPI_getbinval(tup, desc, 5, &isnull);
		row->has_ttl = !isnull;
		if (!isnull)
			row->ttl = *DatumGetIntervalP(ttl);
		row->memoized = DatumGetBool(SPI_getbinval(tup, desc, 6, &isnull));
		rows = lappend(rows, row);
		MemoryContextSwitchTo(spicxt);
	}
	event_spi_end(guc_level);

	foreach(lc, rows)
	{
		OldRow	   *row = lfirst(lc);
		HeapTuple	atup = SearchSysCache1(PROCOID, ObjectIdGetDatum(row->accessor));
		Oid			owner;
		Oid			defoid;

		/* entries of the old uid: garbage at commit */
		ac_retire_cache_at_commit(row->uid);
		if (!HeapTupleIsValid(atup))
			continue;			/* dropped while triggers did not fire */
		owner = ((Form_pg_proc) GETSTRUCT(atup))->proowner;
		ReleaseSysCache(atup);
		if (!SearchSysCacheExists1(PROCOID, ObjectIdGetDatum(row->fill)))
			continue;
		if (strlen(row->name) >= NAMEDATALEN)
			ereport(ERROR,
					(errcode(ERRCODE_NAME_TOO_LONG),
					 errmsg("cache name \"%s\" is too long for atomiccache 0.2.0", row->name),
					 errdetail("A cache name has at most %d bytes.", NAMEDATALEN - 1),
					 errhint("Drop the cache (atomiccache.drop_cache) before the update, and create it again after it under a shorter name.")));

		/* 0.1.0: the accessor depends on the fill and on the extension */
		deleteDependencyRecordsForSpecific(ProcedureRelationId, row->accessor,
										   DEPENDENCY_NORMAL,
										   ProcedureRelationId, row->fill);
		deleteDependencyRecordsForSpecific(ProcedureRelationId, row->accessor,
										   DEPENDENCY_NORMAL,
										   ExtensionRelationId, extension_oid());
		/* 0.1.0: the original body of a memoized function on the function */
		deleteDependencyRecordsForSpecific(ProcedureRelationId, row->fill,
										   DEPENDENCY_AUTO,
										   ProcedureRelationId, row->accessor);
		CommandCounterIncrement();
		accessor_depends_on_extension(row->accessor);
		CommandCounterIncrement();
		defoid = ac_registry_create(row->name, row->accessor, row->fill,
									row->has_ttl ? &row->ttl : NULL,
									row->memoized, owner);
		sync_proc_privileges(row->accessor, defoid);
		start_empty(defoid);
	}
	bump_ddl();
}
