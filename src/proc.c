/*-------------------------------------------------------------------------
 *
 * proc.c
 *	  Functions as atomiccache reads and writes them in the catalog: the
 *	  attributes of pg_proc rows, what makes a function an accessor and
 *	  who owns it, their owners and privileges copied from one to another,
 *	  and the scans of pg_depend.
 *
 * Everything here goes through the system caches and the catalog's
 * indexes with the catalog snapshot, and writes through CatalogTupleUpdate,
 * as the calling role: no SQL.
 *
 * IDENTIFICATION
 *	  src/proc.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/indexing.h"
#include "catalog/pg_language.h"
#include "catalog/pg_proc.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "proc.h"

/* Nullable array attributes of pg_proc, as ProcedureCreate wants them. */
Datum
ac_proc_attr(HeapTuple tup, int attno)
{
	bool		isnull;
	Datum		d = SysCacheGetAttr(PROCOID, tup, attno, &isnull);

	return isnull ? PointerGetDatum(NULL) : d;
}

char *
ac_proc_text(HeapTuple tup, int attno)
{
	bool		isnull;
	Datum		d = SysCacheGetAttr(PROCOID, tup, attno, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

Node *
ac_proc_sqlbody(HeapTuple tup)
{
	char	   *s = ac_proc_text(tup, Anum_pg_proc_prosqlbody);

	return s ? stringToNode(s) : NULL;
}

/* The default expressions of a function's trailing arguments. */
List *
ac_proc_defaults(HeapTuple tup)
{
	char	   *s = ac_proc_text(tup, Anum_pg_proc_proargdefaults);

	return s ? castNode(List, stringToNode(s)) : NIL;
}

/*
 * Is this function an accessor: our C function atomiccache_accessor?
 * (Only create_cache and memoize can make one without being a superuser:
 * CREATE FUNCTION ... LANGUAGE C needs a superuser.)
 */
bool
ac_is_accessor(HeapTuple ptup)
{
	Form_pg_proc p = (Form_pg_proc) GETSTRUCT(ptup);
	char	   *src;

	if (p->prolang != ClanguageId)
		return false;
	src = ac_proc_text(ptup, Anum_pg_proc_prosrc);
	return src != NULL && strcmp(src, "atomiccache_accessor") == 0;
}

/*
 * Accessors are at most PARALLEL RESTRICTED: they run in the leader only.
 * In a parallel worker, a wait for a fill of the same key by another
 * member of the lock group could never be told apart from a wait for the
 * leader, which waits for its workers.
 */
char
ac_accessor_parallel(char fill_parallel)
{
	return fill_parallel == PROPARALLEL_SAFE ? PROPARALLEL_RESTRICTED : fill_parallel;
}

/*
 * An accessor is STABLE, or VOLATILE if its fill is: never IMMUTABLE (its
 * value changes on invalidate).
 */
char
ac_accessor_volatility(char fill_volatility)
{
	return fill_volatility == PROVOLATILE_VOLATILE ?
		PROVOLATILE_VOLATILE : PROVOLATILE_STABLE;
}

/*
 * Ownership of a cache: the privileges of its accessor's owner as it is
 * now (REASSIGN OWNED fires no event trigger, so a copy may lag), or
 * superuser.
 */
bool
ac_owns_cache(Oid accessor)
{
	HeapTuple	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(accessor));
	Oid			owner;

	if (!HeapTupleIsValid(tup))
		return superuser();
	owner = ((Form_pg_proc) GETSTRUCT(tup))->proowner;
	ReleaseSysCache(tup);
	return has_privs_of_role(GetUserId(), owner);
}

void
ac_check_owner_of(const char *name, Oid accessor)
{
	if (!ac_owns_cache(accessor))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("must be owner of cache \"%s\"", name)));
}

/*
 * Give function `to` the owner of function `from`, and with_acl its ACL
 * too, with the shared dependencies on roles that go with them (so that
 * DROP ROLE sees them).  Without with_acl, an ACL `to` has goes to the new
 * owner as ALTER FUNCTION ... OWNER TO would give it.  Nothing is written
 * when nothing differs.
 */
void
ac_sync_proc_privileges(Oid from, Oid to, bool with_acl)
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
		Datum		newacl;
		bool		newnull;

		if (with_acl)
		{
			newacl = srcacl;
			newnull = srcnull;
		}
		else
		{
			newnull = dstnull;
			newacl = dstnull || owner == oldowner ? dstacl :
				PointerGetDatum(aclnewowner(DatumGetAclP(dstacl), oldowner, owner));
		}
		if (owner != oldowner || newnull != dstnull ||
			(!newnull && !datumIsEqual(newacl, dstacl, false, -1)))
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
			values[Anum_pg_proc_proacl - 1] = newacl;
			nulls[Anum_pg_proc_proacl - 1] = newnull;
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
			if (!newnull)
				nnewmembers = aclmembers(DatumGetAclP(newacl), &newmembers);
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

/*
 * Call fn for each row of pg_depend about object (classid, objid): the
 * rows of the objects that depend on it (referenced: through pg_depend's
 * index on the referenced object), or of those it depends on (through the
 * index on the dependent one).  Stops when fn returns true, and returns
 * whether it did.  Every scan of pg_depend in the extension goes here.
 */
bool
ac_depend_scan(bool referenced, Oid classid, Oid objid,
			   bool (*fn) (Form_pg_depend, void *), void *arg)
{
	Relation	rel;
	ScanKeyData key[2];
	SysScanDesc scan;
	HeapTuple	tup;
	bool		done = false;

	rel = table_open(DependRelationId, AccessShareLock);
	ScanKeyInit(&key[0],
				referenced ? Anum_pg_depend_refclassid : Anum_pg_depend_classid,
				BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(classid));
	ScanKeyInit(&key[1],
				referenced ? Anum_pg_depend_refobjid : Anum_pg_depend_objid,
				BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(objid));
	scan = systable_beginscan(rel,
							  referenced ? DependReferenceIndexId : DependDependerIndexId,
							  true, NULL, 2, key);
	while (!done && HeapTupleIsValid(tup = systable_getnext(scan)))
		done = fn((Form_pg_depend) GETSTRUCT(tup), arg);
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return done;
}
