/*-------------------------------------------------------------------------
 *
 * events.c
 *	  The event triggers of atomiccache, which keep the caches consistent
 *	  with the catalog they were made from: sql_drop and ddl_command_end.
 *
 * Both run as the role issuing the DDL, fire under any
 * session_replication_role (ENABLE ALWAYS), and read what the command did
 * with pg_event_trigger_*() through the pinned SPI of registry.c; nothing
 * else of theirs runs SQL.
 *
 *	- ddl_command_start (ac_events_ddl_start): before a DROP, remember the
 *	  caches; before a GRANT, REVOKE or ALTER of functions, lock theirs.
 *	- sql_drop (ac_events_sql_drop): a dropped definition drops its cache
 *	  at commit; an accessor left without one by a cascade goes too.
 *	- ddl_command_end (ac_events_ddl_end): replaced accessors end their
 *	  caches, owners and fn_uncached privileges follow, changed fills and
 *	  types invalidate at commit (the list is at the function).
 *
 * Changes that must not take effect before the transaction commits
 * (drops, invalidations) are queued in desc.c.
 *
 * IDENTIFICATION
 *	  src/events.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/dependency.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_class.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_language.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "parser/parse_func.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/memutils.h"
#include "nodes/parsenodes.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "ddl.h"
#include "desc.h"
#include "events.h"
#include "key.h"
#include "proc.h"
#include "registry.h"
#include "shmem.h"
#include "spi.h"

/*
 * Does type t use one of the types in changed (as itself, its base type,
 * its element type, a range's subtype or a column)?  *clean holds the row
 * types found not to, so that each is walked once per cache checked
 * (uses_changed_types), and the walk can be cancelled between columns
 * (a type found clean was walked to its end: past the depth limit a row
 * type answers yes, so the answer holds at any depth):
 * nested wide row types would otherwise cost their width to the power of
 * their depth, uninterruptible, at every DDL that changes a type
 * (cacheinfo.c, type_layout, says the same).
 */
/*
 * type_uses past its depth limit: follow t's chain (key.c, ac_type_inner)
 * looking for a changed type; a row type down there, not walked, says yes
 * (at worst a refill).
 */
static bool
chain_uses(Oid t, List *changed)
{
	for (; OidIsValid(t); t = ac_type_inner(t))
		if (list_member_oid(changed, t) ||
			get_typtype(t) == TYPTYPE_COMPOSITE)
			return true;
	return false;
}

static bool
type_uses(Oid t, List *changed, int depth, List **clean)
{
	Oid			elem;
	char		typtype;

	if (list_member_oid(changed, t))
		return true;
	if (depth > 8)
		return chain_uses(t, changed);
	typtype = get_typtype(t);
	if (typtype == TYPTYPE_DOMAIN)
	{
		Oid			base = ac_type_inner(t);

		/* (a type that cannot be looked up: say yes) */
		return !OidIsValid(base) || type_uses(base, changed, depth + 1, clean);
	}
	if (OidIsValid(elem = ac_type_inner(t)))
		return type_uses(elem, changed, depth + 1, clean);
	if (typtype == TYPTYPE_COMPOSITE)
	{
		/* from the syscache, without locking the relation */
		Oid			relid = get_typ_typrelid(t);
		HeapTuple	reltup;
		int			natts = 0;
		int			i;

		if (list_member_oid(*clean, t))
			return false;
		reltup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
		if (HeapTupleIsValid(reltup))
		{
			natts = ((Form_pg_class) GETSTRUCT(reltup))->relnatts;
			ReleaseSysCache(reltup);
		}

		for (i = 1; i <= natts; i++)
		{
			Oid			atttype;

			CHECK_FOR_INTERRUPTS();
			atttype = get_atttype(relid, (AttrNumber) i);
			/* dropped columns have no type */
			if (OidIsValid(atttype) &&
				type_uses(atttype, changed, depth + 1, clean))
				return true;
		}
		*clean = lappend_oid(*clean, t);
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
	vol = ac_accessor_volatility(((Form_pg_proc) GETSTRUCT(ftup))->provolatile);
	par = ac_accessor_parallel(((Form_pg_proc) GETSTRUCT(ftup))->proparallel);
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

static bool
any_row(Form_pg_depend d, void *arg)
{
	return true;
}

/* Does anything depend on this object (DROP ... RESTRICT would refuse)? */
static bool
has_dependents(Oid classid, Oid objid)
{
	return ac_depend_scan(true, classid, objid, any_row, NULL);
}

/*
 * The caches as they were when the current DROP command started (its
 * ddl_command_start): the sql_drop trigger, which runs after the drops,
 * learns from it the accessor of each definition the command dropped.
 * Kept in TopMemoryContext until the next such command or the end of the
 * transaction.  (A definition's accessor never changes, so an entry can
 * only be missing, never wrong; and an accessor some definition still
 * depends on is never dropped: drop_orphan_accessor.)
 */
typedef struct WatchedCache
{
	Oid			def;
	Oid			accessor;
} WatchedCache;

static WatchedCache *drop_watch = NULL;
static int	drop_watch_n = 0;

/* Transaction end: what a command of it watched is no use to the next. */
void
ac_events_xact_end(void)
{
	if (drop_watch != NULL)
		pfree(drop_watch);
	drop_watch = NULL;
	drop_watch_n = 0;
}

static void
watch_caches(void)
{
	List	   *defs = ac_registry_all();
	ListCell   *lc;
	int			i = 0;

	if (drop_watch != NULL)
		pfree(drop_watch);
	drop_watch = MemoryContextAlloc(TopMemoryContext,
									sizeof(WatchedCache) * Max(list_length(defs), 1));
	foreach(lc, defs)
	{
		AcDefinition *def = lfirst(lc);

		drop_watch[i].def = def->oid;
		drop_watch[i].accessor = def->accessor;
		i++;
	}
	drop_watch_n = i;
}

static Oid
watched_accessor(Oid def)
{
	int			i;

	for (i = 0; i < drop_watch_n; i++)
		if (drop_watch[i].def == def)
			return drop_watch[i].accessor;
	return InvalidOid;
}

/*
 * The accessor of a definition this command dropped through a cascade
 * that did not reach the accessor (DROP FUNCTION fill CASCADE reaches the
 * definition, which depends on the fill, but not the accessor, which the
 * definition depends on): it goes too, as drop_cache would drop it, if
 * the role may drop it.  One that other objects use (a view, another
 * function's body) stays, with a warning, and says on each call that its
 * cache is gone.
 */
static void
drop_orphan_accessor(Oid fn)
{
	HeapTuple	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn));
	Oid			owner;
	bool		accessor;
	ObjectAddress addr;

	if (!HeapTupleIsValid(tup))
		return;					/* dropped by the same command */
	owner = ((Form_pg_proc) GETSTRUCT(tup))->proowner;
	accessor = ac_is_accessor(tup);
	ReleaseSysCache(tup);
	if (!accessor || !has_privs_of_role(GetUserId(), owner))
		return;
	if (has_dependents(ProcedureRelationId, fn))
	{
		ereport(WARNING,
				(errmsg("function %s is left without its cache",
						format_procedure(fn)),
				 errdetail("Other objects depend on it."),
				 errhint("Drop it with the objects that use it.")));
		return;
	}
	ereport(NOTICE,
			(errmsg("dropping function %s, the accessor of a dropped cache",
					format_procedure(fn))));
	ObjectAddressSet(addr, ProcedureRelationId, fn);
	performDeletion(&addr, DROP_RESTRICT, PERFORM_DELETION_INTERNAL);
	CommandCounterIncrement();
}

/*
 * The sql_drop event trigger.  A dropped definition (drop_cache does its
 * own work; this is DROP FUNCTION ... CASCADE of a fill or an accessor,
 * DROP SCHEMA ... CASCADE, DROP OWNED, a DROP of the definition itself)
 * drops its cache: its uid is the definition's OID, and the entries
 * become unreachable at commit.
 *
 * A definition that the command reached through a dependency (DROP
 * FUNCTION fill CASCADE) takes its accessor along (drop_orphan_accessor).
 * One the command names itself does not: that is how pg_dump --clean
 * drops a cache, then its accessor by name in the next statement, and a
 * user who drops a definition by hand is left with an accessor that says
 * its cache is gone.
 */
void
ac_events_sql_drop(void)
{
	int			guc_level;
	List	   *orphans = NIL;
	ListCell   *lc;
	bool		any = false;
	uint64		i;

	ac_attach();
	guc_level = ac_spi_begin();
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
		ac_desc_drop_at_commit((int64) objid);
		any = true;
		if ((n5 || !original) && OidIsValid(watched_accessor(objid)))
			orphans = lappend_oid(orphans, watched_accessor(objid));
	}
	ac_spi_end(guc_level);
	if (any)
		ac_desc_bump_ddl();
	foreach(lc, orphans)
		drop_orphan_accessor(lfirst_oid(lc));
}

/*
 * The functions a GRANT, REVOKE, ALTER FUNCTION or ALTER ... OWNER TO
 * command names (pg_event_trigger_ddl_commands() does not list those of a
 * GRANT); *all when it names all functions of schemas.
 */
static List *
command_functions(Node *parsetree, bool *all)
{
	List	   *fns = NIL;
	ListCell   *lc;

	*all = false;
	if (IsA(parsetree, GrantStmt))
	{
		GrantStmt  *g = (GrantStmt *) parsetree;

		if (g->objtype != OBJECT_FUNCTION && g->objtype != OBJECT_ROUTINE &&
			g->objtype != OBJECT_PROCEDURE)
			return NIL;
		if (g->targtype != ACL_TARGET_OBJECT)
		{
			*all = true;
			return NIL;
		}
		foreach(lc, g->objects)
		{
			Oid			fn = LookupFuncWithArgs(g->objtype,
												lfirst_node(ObjectWithArgs, lc),
												true);

			if (OidIsValid(fn))
				fns = lappend_oid(fns, fn);
		}
	}
	else if (IsA(parsetree, AlterOwnerStmt) &&
			 (((AlterOwnerStmt *) parsetree)->objectType == OBJECT_FUNCTION ||
			  ((AlterOwnerStmt *) parsetree)->objectType == OBJECT_ROUTINE))
	{
		AlterOwnerStmt *a = (AlterOwnerStmt *) parsetree;
		Oid			fn = LookupFuncWithArgs(a->objectType,
											castNode(ObjectWithArgs, a->object),
											true);

		if (OidIsValid(fn))
			fns = lappend_oid(fns, fn);
	}
	else if (IsA(parsetree, AlterFunctionStmt))
	{
		AlterFunctionStmt *a = (AlterFunctionStmt *) parsetree;
		Oid			fn = LookupFuncWithArgs(a->objtype, a->func, true);

		if (OidIsValid(fn))
			fns = lappend_oid(fns, fn);
	}
	return fns;
}

static int
definition_cmp(const ListCell *a, const ListCell *b)
{
	Oid			x = ((AcDefinition *) lfirst(a))->oid;
	Oid			y = ((AcDefinition *) lfirst(b))->oid;

	return x < y ? -1 : x > y ? 1 : 0;
}

/*
 * The ddl_command_start event trigger.
 *
 *	- Before a DROP (which may cascade to definitions), remember the
 *	  caches (watch_caches), after the cache DDL in progress, which the
 *	  registry's lock waits for.
 *	- Before a command that changes the privileges, owner or attributes
 *	  of functions, lock the caches they belong to until the transaction
 *	  ends.  The ddl_command_end trigger copies privileges between the
 *	  functions of one cache (a memoized function and its original body,
 *	  an accessor's owner to its definition): without the lock, two such
 *	  commands on two functions of one cache (pg_restore -j runs the GRANTs
 *	  of a dump in parallel) would update the same pg_proc row at once,
 *	  and the second would fail ("tuple concurrently updated").
 */
void
ac_events_ddl_start(Node *parsetree)
{
	List	   *fns;
	List	   *defs = NIL;
	ListCell   *lc;
	bool		all;

	if (!OidIsValid(get_namespace_oid("atomiccache", true)))
		return;					/* the extension is being dropped */

	/* DROP, and ALTER TABLE/TYPE ... DROP COLUMN, which cascades too */
	if (IsA(parsetree, DropStmt) || IsA(parsetree, DropOwnedStmt) ||
		IsA(parsetree, AlterTableStmt))
	{
		/* after cache DDL in progress: the watch then includes its cache */
		ac_registry_lock(false);
		watch_caches();
		return;
	}
	fns = command_functions(parsetree, &all);
	if (fns == NIL && !all)
		return;
	ac_registry_lock(false);

	/*
	 * The functions themselves (GRANT takes no lock on them: it would
	 * update a row that memoize changes), then the caches they belong to,
	 * each in OID order, so that two such commands never wait for each
	 * other in a circle.
	 */
	list_sort(fns, list_oid_cmp);
	foreach(lc, fns)
		LockDatabaseObject(ProcedureRelationId, lfirst_oid(lc), 0,
						   RowExclusiveLock);
	if (all)
		defs = ac_registry_all();
	else
		foreach(lc, fns)
			defs = list_concat(defs, ac_registry_of_function(lfirst_oid(lc)));
	list_sort(defs, definition_cmp);
	foreach(lc, defs)
		LockDatabaseObject(ProcedureRelationId, ((AcDefinition *) lfirst(lc))->oid,
						   0, ShareUpdateExclusiveLock);
}

/*
 * The cache's accessor was replaced by CREATE OR REPLACE FUNCTION: the
 * cache goes (at commit), and so does the original body of a memoized
 * function (the user's new body stands).
 */
static void
end_cache(const AcDefinition *def)
{
	ac_drop_definition(def->oid,
					   def->memoized &&
					   SearchSysCacheExists1(PROCOID, ObjectIdGetDatum(def->fill)) ?
					   def->fill : InvalidOid);
}

/* What a DDL command changed, as the ddl_command_end trigger sees it. */
typedef struct DdlChanges
{
	List	   *touched;		/* functions it made, altered or granted on */
	bool		all_functions;	/* GRANT ... ON ALL FUNCTIONS IN SCHEMA */
	List	   *redefined;		/* functions whose definition changed */
	List	   *types;			/* types whose layout or constraints changed */
} DdlChanges;

static void
collect_changes(Node *parsetree, DdlChanges *ch)
{
	MemoryContext cxt = CurrentMemoryContext;
	int			guc_level;
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

	ch->touched = command_functions(parsetree, &ch->all_functions);
	ch->redefined = NIL;
	ch->types = NIL;
	guc_level = ac_spi_begin();
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
				ch->touched = list_append_unique_oid(ch->touched, objid);
			if (classid == ProcedureRelationId &&
				(defines || (new_owner && func_is_secdef(objid))))
				ch->redefined = lappend_oid(ch->redefined, objid);
			else if (classid == TypeRelationId && retypes)
				ch->types = lappend_oid(ch->types, objid);
			else if (classid == RelationRelationId && retypes &&
					 OidIsValid(get_rel_type_id(objid)))
				ch->types = lappend_oid(ch->types, get_rel_type_id(objid));
		}
		MemoryContextSwitchTo(spicxt);
	}
	ac_spi_end(guc_level);
}

/*
 * No function taking atomiccache.cache may be outside schema atomiccache:
 * a definition its owner moved out (ALTER FUNCTION ... SET SCHEMA) would
 * be no definition any more, and its cache lost without being dropped.
 */
static void
check_definition_places(const DdlChanges *ch)
{
	ListCell   *lc;

	foreach(lc, ch->touched)
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
					 errmsg("function %s cannot take type atomiccache.cache",
							quote_qualified_identifier(get_namespace_name(p->pronamespace),
													   NameStr(p->proname))),
					 errdetail("That type is kept for the definitions of caches, which stay in schema atomiccache."),
					 errhint("Use atomiccache.drop_cache() to drop a cache.")));
		ReleaseSysCache(ptup);
	}
}

/*
 * The caches a command may affect: all of them when it changed types (any
 * cache may use them) or the functions of whole schemas; else those of the
 * functions it touched (as their definition, accessor or fill), found
 * through pg_depend, so that DDL on other functions costs nothing however
 * many caches there are.
 */
static List *
affected_definitions(const DdlChanges *ch)
{
	List	   *defs = NIL;
	ListCell   *lc;

	if (ch->types != NIL || ch->all_functions)
		return ac_registry_all();
	foreach(lc, ch->touched)
		defs = list_concat(defs, ac_registry_of_function(lfirst_oid(lc)));
	return defs;
}

/*
 * An accessor this command changed must not have been made STRICT (it
 * applies its fill's strictness at each call, and would disagree with a
 * fill that is not), IMMUTABLE or PARALLEL SAFE.
 */
static void
check_accessor(const AcDefinition *def, Form_pg_proc p)
{
	if (p->proisstrict)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
				 errmsg("the accessor %s of an atomiccache cache cannot be STRICT",
						format_procedure(def->accessor)),
				 errhint("An accessor follows the strictness of its fill function, %s: change that one instead.",
						 format_procedure(def->fill))));
	if (p->provolatile == PROVOLATILE_IMMUTABLE ||
		p->proparallel == PROPARALLEL_SAFE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
				 errmsg("the accessor %s of an atomiccache cache cannot be %s",
						format_procedure(def->accessor),
						p->provolatile == PROVOLATILE_IMMUTABLE ?
						"IMMUTABLE" : "PARALLEL SAFE"),
				 errdetail(p->provolatile == PROVOLATILE_IMMUTABLE ?
						   "Its value changes when the cache is invalidated." :
						   "A parallel worker could wait for a fill by its own leader, which waits for it.")));
}

/* Do the accessor's key or result types use one of the changed types? */
static bool
uses_changed_types(Form_pg_proc p, List *types)
{
	List	   *clean = NIL;
	bool		uses = false;
	int			j;

	if (types == NIL)
		return false;
	uses = type_uses(p->prorettype, types, 0, &clean);
	for (j = 0; j < p->pronargs && !uses; j++)
		uses = type_uses(p->proargtypes.values[j], types, 0, &clean);
	list_free(clean);
	return uses;
}

/*
 * The ddl_command_end event trigger (CREATE FUNCTION, ALTER FUNCTION,
 * GRANT, REVOKE, ALTER TYPE, ALTER DOMAIN, ALTER TABLE, ...): keep the
 * caches the command affected consistent with the catalog they were made
 * from.
 *
 *	- An accessor replaced by CREATE OR REPLACE FUNCTION (it is no longer
 *	  our C function) ends its cache; for a memoized function, that ends
 *	  the memoization cleanly, the new body standing.
 *	- An accessor the command changed may not be STRICT, IMMUTABLE or
 *	  PARALLEL SAFE (check_accessor), and no definition may leave schema
 *	  atomiccache (check_definition_places).
 *	- A definition's owner follows its accessor's; the original body of a
 *	  memoized function (fn_uncached) gets the owner and the privileges of
 *	  the function itself again, whatever the order of the commands: fn is
 *	  the one users GRANT on; a GRANT on fn_uncached alone is undone.  Only
 *	  for the functions the command touched, under the lock its
 *	  ddl_command_start took (ac_events_ddl_start).
 *	- A fill function that changed (CREATE OR REPLACE, ALTER FUNCTION: its
 *	  body, volatility, strictness, settings, security) invalidates its
 *	  caches when the transaction commits, in every backend.  So does a
 *	  change of a type that a cache's keys or values use (ALTER TYPE,
 *	  ALTER DOMAIN, ALTER TABLE of a table whose row type it is): a value
 *	  of the old layout, or one that a new constraint rejects, is never
 *	  served again.
 */
void
ac_events_ddl_end(Node *parsetree)
{
	DdlChanges	ch;
	ListCell   *lc;

	ac_attach();
	collect_changes(parsetree, &ch);
	check_definition_places(&ch);
	foreach(lc, affected_definitions(&ch))
	{
		AcDefinition *def = lfirst(lc);
		HeapTuple	ptup = SearchSysCache1(PROCOID, ObjectIdGetDatum(def->accessor));
		bool		accessor_touched = ch.all_functions ||
			list_member_oid(ch.touched, def->accessor);
		bool		invalidate;

		/* the definition depends on its accessor: it exists */
		if (!HeapTupleIsValid(ptup))
			continue;
		if (!ac_is_accessor(ptup))
		{
			ReleaseSysCache(ptup);
			end_cache(def);
			continue;
		}
		/* only the accessors this command changed: one bad accessor (made
		 * while triggers did not fire) must not block all DDL */
		if (accessor_touched)
			check_accessor(def, (Form_pg_proc) GETSTRUCT(ptup));
		if (accessor_touched || list_member_oid(ch.touched, def->oid))
			ac_sync_proc_privileges(def->accessor, def->oid, false);
		if (def->memoized &&
			(accessor_touched || list_member_oid(ch.touched, def->fill)))
			ac_sync_proc_privileges(def->accessor, def->fill, true);

		invalidate = list_member_oid(ch.redefined, def->fill);
		if (invalidate)
			sync_accessor_attributes(def->accessor, def->fill);
		if (uses_changed_types((Form_pg_proc) GETSTRUCT(ptup), ch.types))
			invalidate = true;
		ReleaseSysCache(ptup);
		if (invalidate)
			ac_desc_invalidate_at_commit((int64) def->oid);
	}
}
