/*-------------------------------------------------------------------------
 *
 * migrate.c
 *	  The update from 0.1.0, whose registry of caches was a table: each of
 *	  its rows becomes a definition function (registry.c).
 *
 * IDENTIFICATION
 *	  src/migrate.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_proc.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/syscache.h"

#include "ddl.h"
#include "desc.h"
#include "migrate.h"
#include "registry.h"
#include "shmem.h"
#include "spi.h"

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

/* The rows of the old registry table, in the caller's memory. */
static List *
read_old_rows(void)
{
	MemoryContext cxt = CurrentMemoryContext;
	List	   *rows = NIL;
	int			guc_level;
	uint64		i;

	guc_level = ac_spi_begin();
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
	ac_spi_end(guc_level);
	return rows;
}

/* One row becomes a definition, and its accessor gets 0.2.0's dependencies. */
static void
migrate_row(const OldRow *row)
{
	HeapTuple	atup = SearchSysCache1(PROCOID, ObjectIdGetDatum(row->accessor));
	Oid			owner;
	Oid			defoid;

	/* entries of the old uid: garbage at commit */
	ac_desc_drop_at_commit(row->uid);
	if (!HeapTupleIsValid(atup))
		return;				/* dropped while triggers did not fire */
	owner = ((Form_pg_proc) GETSTRUCT(atup))->proowner;
	ReleaseSysCache(atup);
	if (!SearchSysCacheExists1(PROCOID, ObjectIdGetDatum(row->fill)))
		return;
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
									   ExtensionRelationId, get_extension_oid("atomiccache", false));
	/* 0.1.0: the original body of a memoized function on the function */
	deleteDependencyRecordsForSpecific(ProcedureRelationId, row->fill,
									   DEPENDENCY_AUTO,
									   ProcedureRelationId, row->accessor);
	CommandCounterIncrement();
	ac_accessor_depends_on_extension(row->accessor);
	CommandCounterIncrement();
	defoid = ac_registry_create(row->name, row->accessor, row->fill,
								row->has_ttl ? &row->ttl : NULL,
								row->memoized, false, owner);
	ac_desc_start_empty(defoid);
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
	ListCell   *lc;

	ac_attach();
	ac_registry_lock(true);
	foreach(lc, read_old_rows())
		migrate_row(lfirst(lc));
	ac_desc_bump_ddl();
}
