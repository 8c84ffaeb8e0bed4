/*-------------------------------------------------------------------------
 *
 * api.c
 *	  The SQL-callable functions of atomiccache: the accessor that serves
 *	  every cache, and create_cache, drop_cache, contains, invalidate,
 *	  invalidate_all, set, memoize, unmemoize, reset_stats.
 *
 * This file checks arguments and privileges and turns SQL values into key
 * images; it knows nothing of slots and atomics (fill.c and table.c do).
 *
 * The accessor keeps what a hit needs in a call state: the cache info, its
 * fill function's FmgrInfo, a key buffer, a FunctionCallInfo for the fill,
 * the role whose EXECUTE privilege was checked, and this backend's counter
 * row.  One call state per cache info lives in the info's memory context
 * (cacheinfo.c frees both together, at the end of the transaction after they
 * went stale), and fn_extra refers to it, so a prepared statement executed
 * again does not rebuild it.  It is revalidated by comparing generation
 * numbers: a hit does no catalog access.  A call state that is re-entered
 * while its fill runs (recursion) is busy; the inner call gets a scratch
 * state, so the outer call's key and arguments are not overwritten.
 * "Busy" needs no PG_TRY to be reset on error: the (sub)transaction abort
 * that follows an ERROR resets the call states it started (ac_api_abort).
 *
 * IDENTIFICATION
 *	  src/api.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "commands/event_trigger.h"
#include "executor/executor.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_coerce.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/regproc.h"
#include "utils/timestamp.h"

#include "api.h"
#include "cacheinfo.h"
#include "compat.h"
#include "ddl.h"
#include "desc.h"
#include "events.h"
#include "migrate.h"
#include "fill.h"
#include "proc.h"
#include "registry.h"

PG_FUNCTION_INFO_V1(atomiccache_accessor);
PG_FUNCTION_INFO_V1(atomiccache_create_cache);
PG_FUNCTION_INFO_V1(atomiccache_drop_cache);
PG_FUNCTION_INFO_V1(atomiccache_memoize);
PG_FUNCTION_INFO_V1(atomiccache_unmemoize);
PG_FUNCTION_INFO_V1(atomiccache_contains);
PG_FUNCTION_INFO_V1(atomiccache_invalidate);
PG_FUNCTION_INFO_V1(atomiccache_invalidate_all);
PG_FUNCTION_INFO_V1(atomiccache_set);
PG_FUNCTION_INFO_V1(atomiccache_reset_stats);
PG_FUNCTION_INFO_V1(atomiccache_forget);
PG_FUNCTION_INFO_V1(atomiccache_create_cache_named);
PG_FUNCTION_INFO_V1(atomiccache_memoize_named);
PG_FUNCTION_INFO_V1(atomiccache_unmemoize_named);
PG_FUNCTION_INFO_V1(atomiccache_on_ddl_start);
PG_FUNCTION_INFO_V1(atomiccache_on_ddl_end);
PG_FUNCTION_INFO_V1(atomiccache_on_sql_drop);
PG_FUNCTION_INFO_V1(atomiccache_forget_database);
PG_FUNCTION_INFO_V1(atomiccache_migrate_registry);

typedef struct AcCallSite
{
	AcCacheInfo *info;
	FmgrInfo	fill_flinfo;
	MemoryContext fill_cxt;		/* what the fill caches for itself */
	Oid			fill_role;		/* per_role: the role fill_flinfo serves */
	StringInfoData key;
	FunctionCallInfo fill_fcinfo;
	Oid			acl_role;		/* role allowed to EXECUTE the fill */
	uint64		acl_generation; /* ac_local_generation at that check */
	AcStatRow  *stats;
	bool		busy;			/* a fill through this call state runs */
	uint64		no_slot_until;	/* ns: no version slot for us till then */
	Oid			collation;		/* of the calls it serves (collatable keys) */
	struct AcCallSite *next;	/* the call state of another collation */
} AcCallSite;

/*
 * What fn_extra holds: the call state, and the version of the lookup
 * tables it belongs to.  When the version moved, the call state may have
 * been freed, so it is
 * looked up again rather than dereferenced.
 */
typedef struct AcSiteRef
{
	AcCallSite *cs;
	uint64		version;
} AcSiteRef;

/*
 * The call states whose fill runs, innermost last, with the transaction
 * nesting level at which each started: the abort of a subtransaction
 * makes the ones it started free again (an ERROR skipped their normal
 * exit), and only those.  A PL/pgSQL EXCEPTION block inside a fill thus
 * leaves the outer call state busy.
 */
typedef struct BusyItem
{
	AcCallSite *cs;
	AcCacheInfo *info;			/* cs->info; read without touching cs */
	bool		scratch;		/* cs lives in a query's memory */
	int			level;
} BusyItem;

static BusyItem *busy_stack = NULL;
static int	busy_n = 0;
static int	busy_size = 0;

static void
busy_push(AcCallSite *cs, bool scratch)
{
	if (busy_n >= busy_size)
	{
		int			newsize = busy_size ? busy_size * 2 : 16;

		if (busy_stack == NULL)
			busy_stack = MemoryContextAlloc(TopMemoryContext, sizeof(BusyItem) * newsize);
		else
			busy_stack = repalloc(busy_stack, sizeof(BusyItem) * newsize);
		busy_size = newsize;
	}
	busy_stack[busy_n].cs = cs;
	busy_stack[busy_n].info = cs->info;
	busy_stack[busy_n].scratch = scratch;
	busy_stack[busy_n].level = GetCurrentTransactionNestLevel();
	busy_n++;
	cs->busy = true;
	cs->info->busy++;
}

static void
busy_pop(AcCallSite *cs)
{
	Assert(busy_n > 0 && busy_stack[busy_n - 1].cs == cs);
	busy_n--;
	cs->busy = false;
	cs->info->busy--;
}

/*
 * At the abort of a (sub)transaction: free the call states its calls left
 * busy.  min_level 0 frees all.  A scratch call state lived in the memory
 * of the query that made it, which the abort has already freed (portals
 * are cleaned up before the callbacks run), so it is not touched; the
 * info is (cacheinfo.c frees infos only at the end of the transaction,
 * after this).  Cannot ERROR.
 */
void
ac_api_abort(int min_level)
{
	while (busy_n > 0 && busy_stack[busy_n - 1].level >= min_level)
	{
		BusyItem   *item = &busy_stack[--busy_n];

		if (!item->scratch)
			item->cs->busy = false;
		item->info->busy--;
	}
}

/*
 * README.md (Semantics, Privileges): a role that may not EXECUTE the fill function
 * cannot obtain its
 * results.  A memoized function is its own fill as far as users can see
 * (fn_uncached only holds its old body, and GRANTs are made on fn), so
 * there the privilege checked is EXECUTE on the function itself.
 */
static void
check_fill_privilege(AcCacheInfo *info)
{
	Oid			fn = info->memoized ? info->accessor : info->fill;
	AclResult	aclresult = ac_proc_aclcheck(fn, GetUserId(), ACL_EXECUTE);

	if (aclresult != ACLCHECK_OK)
		aclcheck_error(aclresult, OBJECT_FUNCTION, get_func_name(fn));
}

static AcCallSite *
callsite_build(AcCacheInfo *info, MemoryContext cxt, Oid collation)
{
	AcCallSite *cs;
	MemoryContext old;

	ac_check_fill(info);
	cs = MemoryContextAllocZero(cxt, sizeof(AcCallSite));
	old = MemoryContextSwitchTo(cxt);

	cs->info = info;
	cs->collation = collation;
	cs->fill_cxt = AllocSetContextCreate(cxt, "atomiccache fill",
										 ALLOCSET_SMALL_SIZES);
	fmgr_info_cxt(info->fill, &cs->fill_flinfo, cs->fill_cxt);
	cs->fill_role = GetUserId();
	initStringInfo(&cs->key);
	cs->fill_fcinfo = palloc0(SizeForFunctionCallInfo(info->nargs));
	InitFunctionCallInfoData(*cs->fill_fcinfo, &cs->fill_flinfo, info->nargs,
							 InvalidOid, NULL, NULL);
	cs->stats = ac_stat_row(info->desc_idx);
	MemoryContextSwitchTo(old);
	return cs;
}

/*
 * The collation a key has: that of the call when a key type is collatable.
 * A call whose collatable arguments are all left to their defaults has
 * none (PostgreSQL adds defaults after it derives the collation); it is
 * the default collation, as when they are written out.
 */
static inline Oid
key_collation(const AcCacheInfo *info, Oid collation)
{
	if (!info->collatable)
		return InvalidOid;
	return OidIsValid(collation) ? collation : DEFAULT_COLLATION_OID;
}

/*
 * The role a key has: for a per_role cache, the role the fill runs as,
 * current_user (after SET ROLE, and the owner inside a SECURITY DEFINER
 * function), which GetUserId() gives.
 */
static inline Oid
key_role(const AcCacheInfo *info)
{
	return info->per_role ? GetUserId() : InvalidOid;
}

/*
 * No slot of the descriptor serves this call's version: ask for one (a
 * slow path under desc_lock).  When refused (shmem.h, AcCacheDesc), do not
 * ask again for 100 ms: the calls meanwhile fill uncached at once.
 */
static uint64
version_slot(AcCallSite *cs)
{
	AcCacheInfo *info = cs->info;
	uint64		now = ac_now_ns();
	uint64		g;

	if (now < cs->no_slot_until)
		return 0;
	g = ac_desc_switch(info->desc_idx, (uint64) info->uid, info->variant,
					   info->ttl_ns, info->fill_order);
	if (g == 0)
		cs->no_slot_until = now + 100 * 1000 * 1000;
	return g;
}

static Datum
callsite_get(AcCallSite *cs, FunctionCallInfo fcinfo, bool scratch)
{
	AcCacheInfo *info = cs->info;
	AcFillCall	call;
	uint64		hash;
	Datum		result;
	bool		isnull;
	int			i;

	if (cs->acl_role != GetUserId() || cs->acl_generation != ac_local_generation)
	{
		check_fill_privilege(info);
		cs->acl_role = GetUserId();
		cs->acl_generation = ac_local_generation;
	}

	/*
	 * README.md (Semantics): a STRICT fill with a NULL argument gives NULL, unfilled and
	 * uncached.  The fill's strictness as it is now (the info is reloaded
	 * when the fill changes), never the accessor's: a strict C fill must
	 * not see a NULL whatever was done to the accessor.
	 */
	if (info->fill_strict)
	{
		for (i = 0; i < info->nargs; i++)
			if (fcinfo->args[i].isnull)
			{
				fcinfo->isnull = true;
				return (Datum) 0;
			}
	}

	/*
	 * A transaction that changed a fill or a type publishes nothing until
	 * it ends (below), nor takes a version slot from the others.
	 */
	/*
	 * A fill caches what it made of itself in its FmgrInfo: a SQL function
	 * its rewritten queries, where row-level security is already applied
	 * for the role that planned them (until the transaction ends, before
	 * PostgreSQL 18).  A per_role cache's fill must see the data as the
	 * key's role does: its FmgrInfo is made again when the role changed.
	 * The call state is not busy, so the fill is not running through it.
	 */
	if (unlikely(info->per_role && cs->fill_role != GetUserId()))
	{
		MemoryContextReset(cs->fill_cxt);
		fmgr_info_cxt(info->fill, &cs->fill_flinfo, cs->fill_cxt);
		cs->fill_role = GetUserId();
	}

	/*
	 * Types nested past what the layout hash sees (cacheinfo.c): no value
	 * is ever stored, and no version slot taken; the calls count as
	 * uncached misses (below).
	 */
	call.generation = unlikely(ac_xact_invalidates || info->layout_cut) ? 0 :
		ac_desc_find(info->desc_idx, (uint64) info->uid, info->variant);
	if (unlikely(call.generation == 0) && !ac_xact_invalidates &&
		!info->layout_cut)
		call.generation = version_slot(cs);
	ac_key_begin(&cs->key, key_role(info),
				 key_collation(info, fcinfo->fncollation));
	for (i = 0; i < info->nargs; i++)
	{
		ac_key_add(&cs->key, &info->args[i], fcinfo->args[i].value,
				   fcinfo->args[i].isnull);
		cs->fill_fcinfo->args[i] = fcinfo->args[i];
	}
	hash = ac_key_hash(&cs->key, info->desc_idx, call.generation);
	cs->fill_fcinfo->fncollation = fcinfo->fncollation;

	call.cache_name = info->name;
	call.desc_idx = info->desc_idx;
	call.ttl_ns = info->ttl_ns;
	call.result = &info->result;
	call.fcinfo = cs->fill_fcinfo;
	call.stats = cs->stats;
	call.no_publish = &ac_xact_invalidates;
	call.key_role = key_role(info);

	/* no PG_TRY: an ERROR is followed by an abort, which frees cs */
	busy_push(cs, scratch);
	/*
	 * A transaction that changed a fill or a type publishes nothing until
	 * it commits: other sessions keep the definitions in force (and a fill
	 * of another cache may call the changed one).
	 */
	if (unlikely(ac_xact_invalidates))
		result = ac_fill_uncached(&call, &isnull);
	else if (unlikely(call.generation == 0))
		result = ac_fill_no_slot(&call, &isnull);
	else
		result = ac_get(&call, &cs->key, hash, &isnull);
	busy_pop(cs);
	cs->stats = call.stats;
	fcinfo->isnull = isnull;
	return result;
}

/*
 * The accessor of every cache: price(42), fib(30), ...
 */
Datum
atomiccache_accessor(PG_FUNCTION_ARGS)
{
	AcSiteRef  *ref = (AcSiteRef *) fcinfo->flinfo->fn_extra;
	AcCallSite *cs;

	if (unlikely(ref == NULL || ref->version != ac_info_version ||
				 !ac_info_is_current(ref->cs->info)))
	{
		AcCacheInfo *info = ac_info_by_accessor(fcinfo->flinfo->fn_oid, false);

		if (info->callstate == NULL)
			info->callstate = callsite_build(info, info->cxt, fcinfo->fncollation);
		if (ref == NULL)
		{
			ref = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(AcSiteRef));
			fcinfo->flinfo->fn_extra = ref;
		}
		ref->cs = info->callstate;
		ref->version = ac_info_version;
	}
	cs = ref->cs;

	/*
	 * A call state's fill FmgrInfo keeps what the fill function cached for
	 * itself, and a SQL function caches its body parsed for the collation
	 * of its first call.  So calls of another collation (with collatable
	 * keys) get a call state of their own, kept with the others.
	 */
	if (unlikely(cs->info->collatable && cs->collation != fcinfo->fncollation))
	{
		AcCallSite *first = cs->info->callstate;
		AcCallSite *other;

		for (other = first; other != NULL; other = other->next)
			if (other->collation == fcinfo->fncollation)
				break;
		if (other == NULL)
		{
			other = callsite_build(cs->info, cs->info->cxt, fcinfo->fncollation);
			other->next = first->next;
			first->next = other;
		}
		ref->cs = cs = other;
	}
	if (unlikely(cs->busy))
	{
		/* re-entered while our own fill runs: use a scratch call state */
		AcCallSite *scratch = callsite_build(cs->info, CurrentMemoryContext,
											 cs->collation);

		return callsite_get(scratch, fcinfo, true);
	}
	return callsite_get(cs, fcinfo, false);
}

/* ---------------------------------------------------------------------
 * Keys given as VARIADIC "any"
 * ---------------------------------------------------------------------
 */

/* Coerce one value to a key type (implicit casts), or 42804. */
static Datum
coerce_key_arg(AcCacheInfo *info, int i, Oid given, Datum value, bool isnull)
{
	Oid			want = info->args[i].type;
	Node	   *expr;
	Const	   *c;
	int16		typlen;
	bool		typbyval;
	ExprState  *es;
	ExprContext *ec;
	Datum		result;
	bool		rnull;

	if (given == want)
		return value;
	get_typlenbyval(given, &typlen, &typbyval);
	c = makeConst(given, -1, InvalidOid, typlen, value, isnull, typbyval);
	/*
	 * Implicit casts only, as in a call of the accessor: 12.5 is not an int
	 * key (an assignment cast would round it into key 13).  An untyped
	 * literal goes through the key type's input function, whose error it
	 * gets.
	 */
	expr = coerce_to_target_type(NULL, (Node *) c, given, want, -1,
								 COERCION_IMPLICIT, COERCE_IMPLICIT_CAST, -1);
	if (expr == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("key argument %d of cache \"%s\" must be of type %s, not %s",
						i + 1, info->name, format_type_be(want),
						format_type_be(given)),
				 errhint("Cast the argument to %s explicitly.", format_type_be(want))));
	if (isnull)
		return (Datum) 0;
	es = ExecInitExpr((Expr *) expr, NULL);
	ec = CreateStandaloneExprContext();
	result = ExecEvalExpr(es, ec, &rnull);
	if (!info->args[i].byval && !rnull)
		result = datumCopy(result, false, info->args[i].len);
	FreeExprContext(ec, true);
	return result;
}

/*
 * Build the key image of the key arguments fcinfo->args[first..], which
 * are VARIADIC "any" (or one array, when called with VARIADIC).
 */
static void
key_from_any(AcCacheInfo *info, FunctionCallInfo fcinfo, int first,
			 StringInfo key)
{
	int			nkeys;
	Datum	   *values;
	bool	   *nulls;
	Oid		   *types;
	int			i;

	if (PG_NARGS() > first && get_fn_expr_variadic(fcinfo->flinfo))
	{
		ArrayType  *arr;
		Oid			elemtype;
		int16		elmlen;
		bool		elmbyval;
		char		elmalign;

		if (PG_ARGISNULL(first))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("VARIADIC key array must not be NULL")));
		arr = PG_GETARG_ARRAYTYPE_P(first);
		elemtype = ARR_ELEMTYPE(arr);
		get_typlenbyvalalign(elemtype, &elmlen, &elmbyval, &elmalign);
		deconstruct_array(arr, elemtype, elmlen, elmbyval, elmalign,
						  &values, &nulls, &nkeys);
		types = palloc(sizeof(Oid) * Max(nkeys, 1));
		for (i = 0; i < nkeys; i++)
			types[i] = elemtype;
	}
	else
	{
		nkeys = PG_NARGS() - first;
		values = palloc(sizeof(Datum) * Max(nkeys, 1));
		nulls = palloc(sizeof(bool) * Max(nkeys, 1));
		types = palloc(sizeof(Oid) * Max(nkeys, 1));
		for (i = 0; i < nkeys; i++)
		{
			values[i] = PG_GETARG_DATUM(first + i);
			nulls[i] = PG_ARGISNULL(first + i);
			types[i] = get_fn_expr_argtype(fcinfo->flinfo, first + i);
			if (!OidIsValid(types[i]))
				elog(ERROR, "could not determine the type of key argument %d", i + 1);
		}
	}
	/* trailing arguments left out take their defaults, as in a call */
	if (nkeys < info->nargs && nkeys >= info->nargs - info->ndefaults)
	{
		values = repalloc(values, sizeof(Datum) * info->nargs);
		nulls = repalloc(nulls, sizeof(bool) * info->nargs);
		types = repalloc(types, sizeof(Oid) * info->nargs);
		for (i = nkeys; i < info->nargs; i++)
		{
			Expr	   *expr = list_nth(info->defaults,
										i - (info->nargs - info->ndefaults));
			ExprState  *es;
			ExprContext *ec;

			/* as the planner gives it to a call (COLLATE clauses, ...) */
			expr = expression_planner((Expr *) copyObject(expr));
			es = ExecInitExpr(expr, NULL);
			ec = CreateStandaloneExprContext();

			values[i] = ExecEvalExpr(es, ec, &nulls[i]);
			if (!nulls[i] && !info->args[i].byval)
				values[i] = datumCopy(values[i], false, info->args[i].len);
			types[i] = info->args[i].type;
			FreeExprContext(ec, true);
		}
		nkeys = info->nargs;
	}
	if (nkeys != info->nargs)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg_plural("cache \"%s\" takes %d key argument, not %d",
							   "cache \"%s\" takes %d key arguments, not %d",
							   info->nargs,
							   info->name, info->nargs, nkeys)));

	/* the collation of this call: 'A' COLLATE "C" names another key */
	ac_key_begin(key, key_role(info), key_collation(info, PG_GET_COLLATION()));
	for (i = 0; i < nkeys; i++)
	{
		Datum		v = coerce_key_arg(info, i, types[i], values[i], nulls[i]);

		ac_key_add(key, &info->args[i], v, nulls[i]);
	}
}

static char *
text_arg(FunctionCallInfo fcinfo, int n, const char *what)
{
	if (PG_ARGISNULL(n))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", what)));
	return text_to_cstring(PG_GETARG_TEXT_PP(n));
}

Datum
atomiccache_contains(PG_FUNCTION_ARGS)
{
	AcCacheInfo *info = ac_info_by_name(text_arg(fcinfo, 0, "cache name"));
	StringInfoData key;
	uint64		generation;

	ac_check_fill(info);
	check_fill_privilege(info);
	initStringInfo(&key);
	key_from_any(info, fcinfo, 1, &key);
	/* the caller's version, if a slot serves it; never switches one */
	generation = ac_desc_find(info->desc_idx, (uint64) info->uid,
							  info->variant);
	if (generation == 0)
		PG_RETURN_BOOL(false);
	PG_RETURN_BOOL(ac_fill_contains(info->desc_idx, generation, &key,
									ac_key_hash(&key, info->desc_idx,
												generation)));
}

/*
 * The roles of the cluster, for invalidate() of a per_role cache.  A
 * heap scan of pg_authid (a shared catalog, small), as of the catalog
 * snapshot.
 */
static List *
all_roles(void)
{
	Relation	rel = table_open(AuthIdRelationId, AccessShareLock);
	SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	HeapTuple	tup;
	List	   *roles = NIL;

	while (HeapTupleIsValid(tup = systable_getnext(scan)))
		roles = lappend_oid(roles, ((Form_pg_authid) GETSTRUCT(tup))->oid);
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return roles;
}

/* Remove the entry of one key image in every version a slot serves. */
static bool
invalidate_key(AcCacheInfo *info, StringInfo key)
{
	bool		removed = false;
	int			s;

	/*
	 * The key's entry in every version of the cache that a slot serves: the
	 * data changed for the sessions still on another version too.
	 */
	for (s = 0; s < 2; s++)
	{
		uint64		variant;
		uint64		generation = ac_desc_slot(info->desc_idx, s,
											  (uint64) info->uid, &variant);

		if (generation != 0 &&
			ac_fill_invalidate(info->desc_idx, generation, key,
							   ac_key_hash(key, info->desc_idx, generation),
							   info->name))
			removed = true;
	}
	return removed;
}

Datum
atomiccache_invalidate(PG_FUNCTION_ARGS)
{
	AcCacheInfo *info = ac_info_by_name(text_arg(fcinfo, 0, "cache name"));
	StringInfoData key;
	bool		removed = false;

	ac_check_owner(info);
	initStringInfo(&key);
	key_from_any(info, fcinfo, 1, &key);
	if (!info->per_role)
		removed = invalidate_key(info, &key);
	else
	{
		ListCell   *lc;

		/*
		 * The data behind the key changed for every role (README.md,
		 * Semantics, "Keys per role"): the entry of each role goes, one
		 * lookup a role of the cluster.
		 */
		foreach(lc, all_roles())
		{
			CHECK_FOR_INTERRUPTS();
			ac_key_set_role(&key, lfirst_oid(lc));
			if (invalidate_key(info, &key))
				removed = true;
		}
	}
	if (removed)
		ac_count(ac_stat_row(info->desc_idx), AC_INVALIDATIONS, 1);
	/* like every invalidate, it frees what can be freed */
	ac_reclaim();
	PG_RETURN_BOOL(removed);
}

Datum
atomiccache_invalidate_all(PG_FUNCTION_ARGS)
{
	AcCacheInfo *info = ac_info_by_name(text_arg(fcinfo, 0, "cache name"));

	ac_check_owner(info);
	ac_desc_invalidate_all(info->desc_idx);
	PG_RETURN_VOID();
}

Datum
atomiccache_set(PG_FUNCTION_ARGS)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("values cannot be assigned to an atomiccache cache"),
			 errhint("Values come from the cache's fill function; use atomiccache.invalidate() to have a key filled again.")));
	PG_RETURN_VOID();
}

static Interval *
ttl_arg(FunctionCallInfo fcinfo, int n)
{
	return PG_ARGISNULL(n) ? NULL : PG_GETARG_INTERVAL_P(n);
}

/* per_role, which the functions of 0.1.0 (during an update) do not pass */
static bool
per_role_arg(FunctionCallInfo fcinfo, int n)
{
	if (PG_NARGS() <= n)
		return false;
	if (PG_ARGISNULL(n))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("per_role must not be NULL")));
	return PG_GETARG_BOOL(n);
}

/*
 * The function a text names, as DROP FUNCTION takes it: "name(argtypes)",
 * or a name alone when only one function has it (resolved through
 * search_path unless qualified).  42883 when there is none, 42725 when the
 * name is overloaded.
 */
static Oid
function_by_name(const char *spec)
{
	List	   *names;
	FuncCandidateList clist;

	if (strchr(spec, '(') != NULL)
		return DatumGetObjectId(DirectFunctionCall1(regprocedurein,
													CStringGetDatum(spec)));
	names = ac_qualified_name_list(spec);
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
 * A function argument: a regprocedure, or (the *_named variants) text
 * naming the function as DROP FUNCTION does, with or without its argument
 * types.
 */
static Oid
function_arg(FunctionCallInfo fcinfo, int n, bool named, const char *what)
{
	if (PG_ARGISNULL(n))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", what)));
	if (named)
		return function_by_name(text_to_cstring(PG_GETARG_TEXT_PP(n)));
	return PG_GETARG_OID(n);
}

static Datum
create_cache(FunctionCallInfo fcinfo, bool named)
{
	char	   *name = text_arg(fcinfo, 0, "cache name");
	Oid			fill;

	if (name[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cache name must not be empty")));
	PreventCommandDuringRecovery("atomiccache.create_cache()");
	fill = function_arg(fcinfo, 1, named, "fill function");
	PG_RETURN_OID(ac_create_cache(name, fill, ttl_arg(fcinfo, 2),
								  per_role_arg(fcinfo, 3)));
}

Datum
atomiccache_create_cache(PG_FUNCTION_ARGS)
{
	return create_cache(fcinfo, false);
}

Datum
atomiccache_create_cache_named(PG_FUNCTION_ARGS)
{
	return create_cache(fcinfo, true);
}

Datum
atomiccache_drop_cache(PG_FUNCTION_ARGS)
{
	PreventCommandDuringRecovery("atomiccache.drop_cache()");
	ac_drop_cache(text_arg(fcinfo, 0, "cache name"));
	PG_RETURN_VOID();
}

static Datum
memoize(FunctionCallInfo fcinfo, bool named)
{
	Oid			fn;

	PreventCommandDuringRecovery("atomiccache.memoize()");
	fn = function_arg(fcinfo, 0, named, "function");
	PG_RETURN_OID(ac_memoize(fn, ttl_arg(fcinfo, 1), per_role_arg(fcinfo, 2)));
}

Datum
atomiccache_memoize(PG_FUNCTION_ARGS)
{
	return memoize(fcinfo, false);
}

Datum
atomiccache_memoize_named(PG_FUNCTION_ARGS)
{
	return memoize(fcinfo, true);
}

static Datum
unmemoize(FunctionCallInfo fcinfo, bool named)
{
	Oid			fn;

	PreventCommandDuringRecovery("atomiccache.unmemoize()");
	fn = function_arg(fcinfo, 0, named, "function");
	ac_unmemoize(fn);
	PG_RETURN_VOID();
}

Datum
atomiccache_unmemoize(PG_FUNCTION_ARGS)
{
	return unmemoize(fcinfo, false);
}

Datum
atomiccache_unmemoize_named(PG_FUNCTION_ARGS)
{
	return unmemoize(fcinfo, true);
}

/*
 * reset_stats(): needs ownership of the cache; reset_stats() zeroes every
 * cache of this database the caller owns.  Claims no descriptor (a cache
 * never used has no counters).
 */
Datum
atomiccache_reset_stats(PG_FUNCTION_ARGS)
{
	ac_reset_stats(PG_ARGISNULL(0) ? NULL : text_arg(fcinfo, 0, "cache name"));
	PG_RETURN_VOID();
}

/*
 * atomiccache._forget(uid) of version 0.1.0, called by its sql_drop event
 * trigger until ALTER EXTENSION UPDATE replaces it: the registry row of
 * this cache was deleted (DROP FUNCTION of its accessor); its entries
 * become unreachable when the transaction commits.  Not granted to PUBLIC.
 */
Datum
atomiccache_forget(PG_FUNCTION_ARGS)
{
	if (!PG_ARGISNULL(0))
	{
		ac_attach();
		ac_desc_drop_at_commit(PG_GETARG_INT64(0));
		ac_desc_bump_ddl();
	}
	PG_RETURN_VOID();
}

/*
 * atomiccache._on_ddl_start(), the ddl_command_start event trigger
 * (events.c, ac_events_ddl_start).
 */
Datum
atomiccache_on_ddl_start(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_EVENT_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("atomiccache._on_ddl_start() must be called as an event trigger")));
	ac_events_ddl_start(((EventTriggerData *) fcinfo->context)->parsetree);
	PG_RETURN_VOID();
}

/*
 * atomiccache._on_ddl_end(), the ddl_command_end event trigger that keeps
 * the caches consistent with the catalog (events.c, ac_events_ddl_end).
 */
Datum
atomiccache_on_ddl_end(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_EVENT_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("atomiccache._on_ddl_end() must be called as an event trigger")));
	ac_events_ddl_end(((EventTriggerData *) fcinfo->context)->parsetree);
	PG_RETURN_VOID();
}

/*
 * atomiccache._on_sql_drop(), the sql_drop event trigger: dropped
 * definitions drop their caches (events.c, ac_events_sql_drop).
 */
Datum
atomiccache_on_sql_drop(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_EVENT_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("atomiccache._on_sql_drop() must be called as an event trigger")));
	ac_events_sql_drop();
	PG_RETURN_VOID();
}

/*
 * atomiccache._forget_database(): called once by the install script (not
 * granted to PUBLIC): entries left by an earlier installation in this
 * database become garbage.
 */
Datum
atomiccache_forget_database(PG_FUNCTION_ARGS)
{
	ac_desc_forget_database();
	PG_RETURN_VOID();
}

/*
 * atomiccache._migrate_registry(): called once by the update script from
 * 0.1.0, which then drops it (migrate.c).
 */
Datum
atomiccache_migrate_registry(PG_FUNCTION_ARGS)
{
	ac_migrate_registry();
	PG_RETURN_VOID();
}
