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
#include "catalog/objectaddress.h"
#include "catalog/pg_class.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_language.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
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
#include "registry.h"
#include "shmem.h"

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

		if (ac_is_accessor(tup) && !ac_registry_by_accessor(fn, &def))
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
ac_events_sql_drop(void)
{
	int			guc_level;
	bool		any = false;
	bool		cascaded = false;
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
		if (n5 || !original)
			cascaded = true;
	}
	ac_spi_end(guc_level);
	if (any)
		ac_desc_bump_ddl();
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
	ac_drop_definition(def->oid,
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
ac_events_ddl_end(Node *parsetree)
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
	ac_spi_end(guc_level);

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
		if (!ac_is_accessor(ptup))
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
		ac_sync_proc_privileges(def->accessor, def->oid);
		if (def->memoized)
			ac_sync_proc_privileges(def->accessor, def->fill);

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
			ac_desc_invalidate_at_commit((int64) def->oid);
	}
}
