/*-------------------------------------------------------------------------
 *
 * desc.c
 *	  The shared descriptors of atomiccache's caches (AcCacheDesc, one per
 *	  cache of any database, found by (dbid, uid)), and the actions on them
 *	  that wait for the end of the transaction: drops, invalidations, and
 *	  the slot of a cache created by a transaction that rolls back.
 *
 * Descriptors are found by (dbid, uid) in an open-addressed array: a
 * lookup takes no lock; a claim takes desc_lock.  A slot whose cache was
 * dropped is reused once no linked entry names it (ac_desc_index).
 *
 * Dropping a cache is transactional: its definition and its accessor come
 * back if the transaction rolls back, so the descriptor is marked dropped
 * (all its entries unreachable, for good) only when the transaction
 * commits.  Pending actions are kept with the nesting level that queued
 * them, so that a rolled-back subtransaction forgets its own.
 *
 * The shared DDL generation (AcShared.ddl_generation), bumped by every
 * DDL of any cache, tells the backends' lookup tables (cacheinfo.c) to
 * rebuild.
 *
 * IDENTIFICATION
 *	  src/desc.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/transam.h"
#include "access/xact.h"
#include "catalog/pg_database.h"
#include "miscadmin.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "desc.h"
#include "proc.h"
#include "registry.h"
#include "shmem.h"
#include "stats.h"
#include "table.h"

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
	PENDING_FORGET_DATABASE		/* at commit: ac_desc_forget_database */
} PendingKind;

typedef struct PendingAction
{
	int64		uid;
	int			level;
	PendingKind kind;
} PendingAction;

static List *pending_actions = NIL;

/*
 * This transaction changed a fill function or a type some cache uses (it
 * has pending invalidations): until it ends, its accessor calls run their
 * fills without publishing anything (api.c; fill.c checks again before it
 * publishes, since the fill itself may have made the change).
 */
bool		ac_xact_invalidates = false;

static bool created_here(int64 uid);
static int	desc_lookup(Oid dbid, uint64 uid);

/*
 * A cache's entries all become garbage at once: a new generation, and a
 * hint to the garbage sweep that this many entries wait for it.
 */
static void
new_generation(int idx)
{
	pg_atomic_fetch_add_u64(&ac_descs[idx].generation[0], 4);
	pg_atomic_fetch_add_u64(&ac_descs[idx].generation[1], 4);
	ac_table_garbage_hint(pg_atomic_read_u32(&ac_descs[idx].nentries));
}

/*
 * Give slot s of a descriptor to a new version (0: none) and its TTL:
 * odd generation, the change, even again (AcCacheDesc).  Each fetch-add
 * is a full barrier.  Caller holds desc_lock.
 */
static void
slot_change(AcCacheDesc *d, int s, uint64 variant, uint64 ttl_ns)
{
	pg_atomic_fetch_add_u64(&d->generation[s], 1);
	pg_atomic_write_u64(&d->variant[s], variant);
	pg_atomic_write_u64(&d->ttl_ns[s], ttl_ns);
	pg_atomic_write_u32(&d->used_ms[s], (uint32) (ac_now_ns() / 1000000));
	pg_atomic_fetch_add_u64(&d->generation[s], 3);
}

/*
 * The slow path of ac_desc_generation: no slot serves this version of
 * the cache.  Under desc_lock, look again; then give it a slot:
 *
 *	- a free one;
 *	- else one whose version has an older fill row (ours replaced it, and
 *	  the sessions still on it move to ours as they read the change), the
 *	  oldest if both;
 *	- else one whose fill row is not newer than ours (only the layout
 *	  differs), if nobody used it for a second.
 *
 * Rows are ordered by their xmin, a frozen one (AcCacheInfo.fill_order)
 * being older than any other: xmins of unfrozen rows are within 2^31 of
 * each other.  The slot's entries become garbage: a refill for whoever
 * still uses that version, never a wrong value.  Otherwise this call
 * fills uncached (returns 0): a session that lags behind never pushes a
 * newer version out, nor one in use.  So does a call whose info is stale
 * (the descriptor holds another cache).
 */
#define SWITCH_IDLE_MS	1000

static int
switch_victim(AcCacheDesc *d, TransactionId mine)
{
	TransactionId fo[2];
	int32		idle[2];
	uint32		now_ms;
	int			s;

	for (s = 0; s < 2; s++)
	{
		if (pg_atomic_read_u64(&d->variant[s]) == 0)
			return s;
		fo[s] = d->fill_order[s];
	}
	if (TransactionIdPrecedes(fo[0], mine) && TransactionIdPrecedes(fo[1], mine))
		return TransactionIdPrecedes(fo[0], fo[1]) ? 0 : 1;
	if (TransactionIdPrecedes(fo[0], mine))
		return 0;
	if (TransactionIdPrecedes(fo[1], mine))
		return 1;
	for (s = 0; s < 2; s++)
		idle[s] = (int32) pg_atomic_read_u32(&d->used_ms[s]);
	/* the clock after the use times: a touch meanwhile is not "later" */
	pg_memory_barrier();
	now_ms = (uint32) (ac_now_ns() / 1000000);
	for (s = 0; s < 2; s++)
		idle[s] = TransactionIdFollows(fo[s], mine) ? -1 :
			(int32) (now_ms - (uint32) idle[s]);
	s = idle[0] >= idle[1] ? 0 : 1;
	return idle[s] >= SWITCH_IDLE_MS ? s : -1;
}

uint64
ac_desc_switch(int desc_idx, uint64 uid, uint64 variant, uint64 ttl_ns,
			   TransactionId fill_order)
{
	AcCacheDesc *d = &ac_descs[desc_idx];
	uint64		g = 0;
	int			s;

	LWLockAcquire(&ac_shared->desc_lock, LW_EXCLUSIVE);
	if (d->uid == uid && pg_atomic_read_u32(&d->dbid) == MyDatabaseId)
	{
		for (s = 0; s < 2; s++)
			if (pg_atomic_read_u64(&d->variant[s]) == variant)
				break;
		if (s == 2)
		{
			s = switch_victim(d, fill_order);
			if (s >= 0)
			{
				d->fill_order[s] = fill_order;
				slot_change(d, s, variant, ttl_ns);
				ac_table_garbage_hint(pg_atomic_read_u32(&d->nentries));
			}
		}
		if (s >= 0)
			g = pg_atomic_read_u64(&d->generation[s]);
	}
	LWLockRelease(&ac_shared->desc_lock);
	return g;
}

void
ac_desc_bump_ddl(void)
{
	pg_atomic_fetch_add_u64(&ac_shared->ddl_generation, 1);
}

/*
 * Every cache of this database counts as dropped (see ac_desc_forget_database:
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
			new_generation(i);
		}
	LWLockRelease(&ac_shared->desc_lock);
}

/*
 * Give a free or reusable descriptor slot to a cache.  Caller holds
 * desc_lock.  A reused slot forgets the old cache's counters first and
 * keeps its generations going (see AcCacheDesc).
 */
static void
desc_claim(int idx, Oid dbid, uint64 uid)
{
	AcCacheDesc *d = &ac_descs[idx];
	int			s;

	if (pg_atomic_read_u32(&d->dbid) != InvalidOid)
		ac_stats_forget(idx);

	/*
	 * Both slots change hands with the uid and the dbid: a backend that
	 * still holds the old cache's index reads either a generation of before
	 * (which the new cache never uses) or the new uid or dbid (AcCacheDesc).
	 */
	pg_atomic_fetch_add_u64(&d->generation[0], 1);
	pg_atomic_fetch_add_u64(&d->generation[1], 1);
	for (s = 0; s < 2; s++)
	{
		pg_atomic_write_u64(&d->variant[s], 0);
		pg_atomic_write_u64(&d->ttl_ns[s], 0);
		pg_atomic_write_u32(&d->used_ms[s], 0);
		d->fill_order[s] = InvalidTransactionId;
	}
	d->uid = uid;
	/* the uid before dropped is cleared: a lookup of the old uid sees it */
	pg_write_barrier();
	pg_atomic_write_u32(&d->dropped, 0);
	/* partner: the pg_read_barrier in ac_desc_index and desc_lookup */
	pg_write_barrier();
	pg_atomic_write_u32(&d->dbid, dbid);
	pg_atomic_fetch_add_u64(&d->generation[0], 3);
	pg_atomic_fetch_add_u64(&d->generation[1], 3);
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
		new_generation(idx);
	}
	LWLockRelease(&ac_shared->desc_lock);
}

/*
 * Make room for a new cache when every slot is taken: the caches of
 * databases that no longer exist count as dropped, and so do the caches
 * of this database whose definition is gone (dropped where no trigger of
 * ours marked the slot: on a hot standby, where the primary's drops only
 * replay; while event triggers were disabled).  Then a full sweep of the
 * table removes the garbage entries of dropped caches, so that their
 * slots can be reused.  Slow, and only when the slots ran out.  The tests
 * are made without the lock (they read the catalog), the marking under
 * it, if the slot still holds the same cache.  A cache created by a
 * transaction still in progress elsewhere has no visible definition yet:
 * its slot is marked too, and made live again at its next use once the
 * definition is there (ac_desc_index), with no entries.
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
		else if (d == MyDatabaseId && !created_here((int64) uid) &&
				 !ac_registry_exists((int64) uid))
			desc_mark(i, d, uid, true);
	}
	ac_sweep_all();
	ac_reclaim();
}

/*
 * Find or claim the shared descriptor of a cache.  Lock-free when found;
 * claims under desc_lock: the first reusable slot of the probe sequence
 * (a dropped cache's that no entry names any more), else the empty slot
 * that ends it.
 */
int
ac_desc_index(Oid dbid, uint64 uid)
{
	uint32		start = (uint32) (uid ^ (uid >> 32) ^ dbid) % AC_MAX_CACHES;
	uint32		i;
	int			attempt;
	uint32		dropped;

	for (i = 0; i < AC_MAX_CACHES; i++)
	{
		uint32		idx = (start + i) % AC_MAX_CACHES;
		Oid			d = pg_atomic_read_u32(&ac_descs[idx].dbid);

		if (d == InvalidOid)
			break;
		pg_read_barrier();
		dropped = pg_atomic_read_u32(&ac_descs[idx].dropped);
		/* partner: desc_claim writes the uid, then clears dropped */
		pg_read_barrier();
		if (d == dbid && ac_descs[idx].uid == uid && !dropped)
			return idx;
		if (d == dbid && ac_descs[idx].uid == uid)
		{
			/*
			 * Dropped.  Made live again only if its definition exists as of
			 * now (the drop is marked only once its commit is visible).
			 */
			if (!ac_registry_exists((int64) uid))
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
 * A new cache starts empty, even if its uid (the OID of its definition)
 * was the uid of a cache dropped while no trigger of ours saw it: that
 * cache's descriptor, if still live, moves to a new generation.
 */
void
ac_desc_start_empty(Oid defoid)
{
	int			idx = desc_lookup(MyDatabaseId, (uint64) defoid);

	if (idx >= 0)
		desc_mark(idx, MyDatabaseId, (uint64) defoid, false);
}

static void
at_xact_end(int64 uid, PendingKind kind)
{
	MemoryContext old = MemoryContextSwitchTo(TopTransactionContext);
	PendingAction *pr = palloc(sizeof(PendingAction));

	pr->uid = uid;
	pr->level = GetCurrentTransactionNestLevel();
	pr->kind = kind;
	pending_actions = lappend(pending_actions, pr);
	MemoryContextSwitchTo(old);
}

void
ac_desc_drop_at_commit(int64 uid)
{
	at_xact_end(uid, PENDING_DROP);
}

/*
 * A cache created by this transaction: if it rolls back, the cache never
 * was, and its descriptor (claimed if the transaction used the cache)
 * goes back to the free room.
 */
void
ac_desc_created(int64 uid)
{
	at_xact_end(uid, PENDING_CREATED);
}

/* Was this cache created by the current transaction? */
static bool
created_here(int64 uid)
{
	ListCell   *lc;

	foreach(lc, pending_actions)
	{
		PendingAction *pr = lfirst(lc);

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
ac_desc_forget_database(void)
{
	ac_attach();
	at_xact_end(0, PENDING_FORGET_DATABASE);
}

/*
 * Every entry of the cache becomes absent when this transaction ends (a
 * change of its fill or of its types: seen by every backend at commit;
 * and at abort too, see apply_pending).
 */
void
ac_desc_invalidate_at_commit(int64 uid)
{
	at_xact_end(uid, PENDING_INVALIDATE);
	ac_xact_invalidates = true;
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
apply_pending(PendingAction *pr, bool commit)
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
	/*
	 * Infos loaded before the drop committed are stale now; so are those
	 * loaded before an invalidation (a fill or a type changed): their call
	 * states keep the fill's FmgrInfo, whose cache (a SQL function's result
	 * type, for one) was made under the old definition, so they are built
	 * again.  (PostgreSQL 15 refuses a row of an altered type, 22P07; 18
	 * would read the old row with the new type.)
	 */
	ac_desc_bump_ddl();
}

/*
 * invalidate_all(): every entry of the cache becomes absent at once: the
 * descriptor moves to a new generation (entries of the old one are
 * garbage, removed by sweeps and eviction).
 */
void
ac_desc_invalidate_all(int desc_idx)
{
	new_generation(desc_idx);
	ac_count(ac_stat_row(desc_idx), AC_INVALIDATIONS, 1);
}

/*
 * Transaction end.  Commit: drops and invalidations take effect.  Abort:
 * drops are forgotten, but invalidations take effect too, since this
 * transaction may have filled entries with the definition it rolled back
 * (its own calls bypass the cache meanwhile, see ac_xact_invalidates, but
 * a fill it ran for another cache may have called this one).  PREPARE:
 * drops and invalidations were refused (ac_desc_pre_prepare); a cache
 * created in the prepared transaction is left as it is (if it is rolled
 * back later, its slot stays taken until a restart: no callback of ours
 * runs then).
 */
void
ac_desc_xact_end(AcXactEnd how)
{
	ListCell   *lc;

	if (ac_descs != NULL && how != AC_XACT_PREPARE)
		foreach(lc, pending_actions)
			apply_pending(lfirst(lc), how == AC_XACT_COMMIT);
	/* the list lived in TopTransactionContext, which goes away now */
	pending_actions = NIL;
	ac_xact_invalidates = false;
}

/* A subtransaction committed: its pending drops now belong to its parent. */
void
ac_desc_subxact_commit(int level)
{
	ListCell   *lc;

	foreach(lc, pending_actions)
	{
		PendingAction *pr = lfirst(lc);

		if (pr->level >= level)
			pr->level = level - 1;
	}
}

/*
 * A prepared transaction's commit runs in no backend of ours, so a drop
 * could not take effect in shared memory then: refuse to prepare one.
 */
void
ac_desc_pre_prepare(void)
{
	ListCell   *lc;
	bool		blocks = false;

	foreach(lc, pending_actions)
		if (((PendingAction *) lfirst(lc))->kind != PENDING_CREATED)
			blocks = true;
	if (blocks)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot PREPARE a transaction that dropped or changed an atomiccache cache"),
				 errdetail("It dropped a cache, or changed a fill function or a type a cache uses."),
				 errhint("Make such changes in a transaction that commits directly.")));
}

void
ac_desc_subxact_abort(int level)
{
	ListCell   *lc;

	foreach(lc, pending_actions)
	{
		PendingAction *pr = lfirst(lc);

		if (pr->level >= level)
		{
			if (ac_descs != NULL)
				apply_pending(pr, false);
			pending_actions = foreach_delete_current(pending_actions, lc);
		}
	}
}

/*
 * Zero the counters of cache uid of this database, if it has a descriptor
 * (none is claimed for it: a cache never used has no counters).
 */
static void
reset_stats(int64 uid)
{
	int			idx = desc_lookup(MyDatabaseId, (uint64) uid);

	if (idx >= 0)
		ac_stats_reset(idx);
}

/*
 * reset_stats(name): the counters of the cache (its owner's right);
 * reset_stats() (name NULL): those of every cache of this database the
 * caller owns.
 */
void
ac_reset_stats(const char *name)
{
	ac_attach();
	if (name != NULL)
	{
		AcDefinition def;

		if (!ac_registry_by_name(name, &def))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("cache \"%s\" does not exist", name),
					 errhint("The caches of this database are listed in atomiccache.caches.")));
		ac_check_owner_of(NameStr(def.name), def.accessor);
		reset_stats(def.oid);
	}
	else
	{
		ListCell   *lc;

		foreach(lc, ac_registry_all())
		{
			AcDefinition *def = lfirst(lc);

			if (ac_owns_cache(def->accessor))
				reset_stats(def->oid);
		}
	}

}
