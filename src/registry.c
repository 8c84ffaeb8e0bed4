/*-------------------------------------------------------------------------
 *
 * registry.c
 *	  The registry of caches: one definition function per cache, in schema
 *	  atomiccache, made and read by this file only.
 *
 * The cache "squares" filled by public.fill(integer) is defined by
 *
 *	  CREATE FUNCTION atomiccache.squares(atomiccache.cache,
 *			OUT accessor regprocedure, OUT fill regprocedure,
 *			OUT ttl interval, OUT memoized boolean)
 *	  RETURNS record LANGUAGE sql IMMUTABLE
 *	  BEGIN ATOMIC
 *		SELECT 'public.squares(integer)'::regprocedure,
 *			   'public.fill(integer)'::regprocedure, NULL::interval, false;
 *	  END;
 *
 * A cache whose keys include the calling role (create_cache(...,
 * per_role => true)) has a fifth column, OUT per_role boolean, true.  The
 * definitions of other caches keep four, so that a definition made before
 * per_role existed reads as what it is.
 *
 * The catalog is the registry, for what a table could not give:
 *
 *	- A SQL-standard body records a dependency on every function its
 *	  regprocedure constants name.  DROP FUNCTION of a fill or of an
 *	  accessor is refused (2BP01) while the cache exists, and a CASCADE
 *	  that reaches either drops the definition, hence the cache.
 *	- pg_dump dumps the function as SQL, the constants by name (it dumps
 *	  the objects of an extension's schema that are not members of the
 *	  extension), so a restore brings back the cache with the same
 *	  dependencies, and pg_upgrade, which refuses reg* columns in tables,
 *	  goes through the same dump.
 *	- Its name is the cache's name, kept unique by pg_proc's unique index.
 *	  Its one argument, of the extension's type atomiccache.cache that no
 *	  other function takes, keeps cache names apart from the extension's
 *	  own functions (present and future).
 *	- Nobody but a superuser can create, replace or rename a function in
 *	  schema atomiccache (CREATE OR REPLACE, RENAME and SET SCHEMA need
 *	  CREATE there, which the install script grants to nobody), so every
 *	  definition found there was made by create_cache or memoize, from
 *	  values they checked.  This file makes them with ProcedureCreate,
 *	  which does not check that privilege.
 *	- The cache's identity in shared memory (its uid) is the definition's
 *	  OID: the sql_drop event trigger learns it from the list of dropped
 *	  objects, after the definition itself is gone.
 *
 * The body is never run: this file reads its constants from
 * pg_proc.prosqlbody, so no setting of the function (SECURITY DEFINER, SET,
 * which its owner may still ALTER) matters.  The definition belongs to the
 * cache's owner (the accessor's owner, whom the event trigger keeps it
 * following), so that DROP OWNED and REASSIGN OWNED treat both alike.
 *
 * Lookups go through the system caches and pg_depend's index, with the
 * catalog snapshot, as pg_proc itself is read.  This file also says what
 * an accessor is (ac_is_accessor), and holds the pinned SPI of the only
 * SQL the extension runs for itself (ac_spi_begin).
 *
 * IDENTIFICATION
 *	  src/registry.c
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
#include "catalog/namespace.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_language.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/comment.h"
#include "common/int.h"
#include "commands/extension.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "executor/spi.h"
#include "storage/lmgr.h"
#include "utils/guc.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/syscache.h"

#include "compat.h"
#include "proc.h"
#include "registry.h"

/* The columns of a definition, in the order of its SELECT list. */
#define Anum_definition_accessor	0
#define Anum_definition_fill		1
#define Anum_definition_ttl			2
#define Anum_definition_memoized	3
#define Anum_definition_per_role	4
#define Natts_definition			5	/* 4 unless per_role (head comment) */

/* The schema of the extension, InvalidOid if it is not installed. */
static Oid
registry_namespace(bool missing_ok)
{
	return get_namespace_oid("atomiccache", missing_ok);
}

/* The type atomiccache.cache, which definitions take as their argument. */
static Oid
cache_type(Oid nsp)
{
	return GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
						   CStringGetDatum("cache"), ObjectIdGetDatum(nsp));
}

/* Does a function with these argument types take atomiccache.cache? */
bool
ac_registry_has_signature(const oidvector *args)
{
	Oid			ours = registry_namespace(true);

	return args->dim1 == 1 && OidIsValid(ours) &&
		args->values[0] == cache_type(ours);
}

/*
 * Is a function in schema nsp with these argument types a definition?
 * (As far as its signature and schema go: its body is read later.)
 */
bool
ac_registry_is_definition(Oid nsp, const oidvector *args)
{
	return ac_registry_has_signature(args) &&
		nsp == registry_namespace(false);
}

/* The query of a definition's body, or NULL if it has no such body. */
static Query *
definition_query(HeapTuple tup)
{
	bool		isnull;
	Datum		d = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_prosqlbody, &isnull);
	Node	   *n;

	if (isnull)
		return NULL;
	n = stringToNode(TextDatumGetCString(d));
	/* BEGIN ATOMIC: a list of one list of statements; RETURN: a query */
	if (IsA(n, List))
	{
		if (list_length((List *) n) != 1)
			return NULL;
		n = linitial((List *) n);
		if (!IsA(n, List) || list_length((List *) n) != 1)
			return NULL;
		n = linitial((List *) n);
	}
	if (!IsA(n, Query))
		return NULL;
	return (Query *) n;
}

static Const *
definition_const(Query *q, int i, Oid type)
{
	TargetEntry *te = list_nth_node(TargetEntry, q->targetList, i);

	if (!IsA(te->expr, Const) || ((Const *) te->expr)->consttype != type)
		return NULL;
	return (Const *) te->expr;
}

typedef enum ReadResult
{
	READ_NOT_DEFINITION,
	READ_DAMAGED,
	READ_OK
} ReadResult;

static ReadResult
read_tuple(HeapTuple tup, AcDefinition *def)
{
	Form_pg_proc p = (Form_pg_proc) GETSTRUCT(tup);
	Query	   *q;
	Const	   *accessor;
	Const	   *fill;
	Const	   *ttl;
	Const	   *memoized;
	Const	   *per_role = NULL;
	int			natts;

	if (!ac_registry_is_definition(p->pronamespace, &p->proargtypes))
		return READ_NOT_DEFINITION;
	memset(def, 0, sizeof(AcDefinition));
	def->oid = p->oid;
	def->name = p->proname;
	def->owner = p->proowner;

	/* exactly what ac_registry_create writes, or what pg_dump makes of it */
	q = definition_query(tup);
	if (q == NULL || q->commandType != CMD_SELECT || q->rtable != NIL)
		return READ_DAMAGED;
	natts = list_length(q->targetList);
	if (natts != Natts_definition && natts != Natts_definition - 1)
		return READ_DAMAGED;
	if (natts == Natts_definition)
	{
		per_role = definition_const(q, Anum_definition_per_role, BOOLOID);
		if (per_role == NULL || per_role->constisnull ||
			!DatumGetBool(per_role->constvalue))
			return READ_DAMAGED;
		def->per_role = true;
	}
	accessor = definition_const(q, Anum_definition_accessor, REGPROCEDUREOID);
	fill = definition_const(q, Anum_definition_fill, REGPROCEDUREOID);
	ttl = definition_const(q, Anum_definition_ttl, INTERVALOID);
	memoized = definition_const(q, Anum_definition_memoized, BOOLOID);
	if (accessor == NULL || fill == NULL || ttl == NULL || memoized == NULL ||
		accessor->constisnull || fill->constisnull || memoized->constisnull)
		return READ_DAMAGED;
	def->accessor = DatumGetObjectId(accessor->constvalue);
	def->fill = DatumGetObjectId(fill->constvalue);
	def->has_ttl = !ttl->constisnull;
	if (def->has_ttl)
		def->ttl = *DatumGetIntervalP(ttl->constvalue);
	def->memoized = DatumGetBool(memoized->constvalue);
	return READ_OK;
}

static void
report_damaged(const AcDefinition *def)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("the definition of cache \"%s\" is damaged",
					NameStr(def->name)),
			 errdetail("Function atomiccache.%s(atomiccache.cache) was changed by other means than atomiccache's functions.",
					   quote_identifier(NameStr(def->name))),
			 errhint("Drop that function and create the cache again.")));
}

/*
 * Read the definition function defoid.  False if it is not one (or was
 * damaged: skipped here, reported by the lookups by name).
 */
static bool
registry_read(Oid defoid, AcDefinition *def)
{
	HeapTuple	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(defoid));
	ReadResult	r;

	if (!HeapTupleIsValid(tup))
		return false;
	r = read_tuple(tup, def);
	ReleaseSysCache(tup);
	return r == READ_OK;
}

/* The definition of the cache of this name; false if there is none. */
bool
ac_registry_by_name(const char *name, AcDefinition *def)
{
	Oid			nsp = registry_namespace(false);
	Oid			argtype = cache_type(nsp);
	oidvector  *args = buildoidvector(&argtype, 1);
	HeapTuple	tup;
	ReadResult	r;

	if (strlen(name) >= NAMEDATALEN)
		return false;
	tup = SearchSysCache3(PROCNAMEARGSNSP, CStringGetDatum(name),
						  PointerGetDatum(args), ObjectIdGetDatum(nsp));
	if (!HeapTupleIsValid(tup))
		return false;
	r = read_tuple(tup, def);
	ReleaseSysCache(tup);
	if (r == READ_DAMAGED)
		report_damaged(def);
	return r == READ_OK;
}

typedef struct DependentFunctions
{
	bool		(*fn) (Oid, void *);
	void	   *arg;
} DependentFunctions;

static bool
dependent_function(Form_pg_depend d, void *arg)
{
	DependentFunctions *df = arg;

	return d->classid == ProcedureRelationId &&
		d->deptype == DEPENDENCY_NORMAL && df->fn(d->objid, df->arg);
}

/*
 * Call fn for every function that depends on object (classid, objid), with
 * the OID of the dependent function; stop when it returns true.
 */
static bool
scan_dependent_functions(Oid classid, Oid objid,
						 bool (*fn) (Oid, void *), void *arg)
{
	DependentFunctions df;

	df.fn = fn;
	df.arg = arg;
	return ac_depend_scan(true, classid, objid, dependent_function, &df);
}

typedef struct ByAccessor
{
	Oid			accessor;
	AcDefinition *def;
} ByAccessor;

static bool
match_accessor(Oid defoid, void *arg)
{
	ByAccessor *ba = arg;

	return registry_read(defoid, ba->def) && ba->def->accessor == ba->accessor;
}

/*
 * The definition of the cache served by this accessor (the definition
 * depends on it); false if there is none.
 */
bool
ac_registry_by_accessor(Oid accessor, AcDefinition *def)
{
	ByAccessor	ba;

	ba.accessor = accessor;
	ba.def = def;
	return scan_dependent_functions(ProcedureRelationId, accessor,
									match_accessor, &ba);
}

static bool
collect(Oid defoid, void *arg)
{
	List	  **defs = arg;
	AcDefinition def;

	if (registry_read(defoid, &def))
	{
		AcDefinition *copy = palloc(sizeof(AcDefinition));

		*copy = def;
		*defs = lappend(*defs, copy);
	}
	return false;
}

typedef struct ByMember
{
	Oid			fn;
	List	   *defs;
} ByMember;

static bool
collect_member(Oid defoid, void *arg)
{
	ByMember   *bm = arg;
	AcDefinition def;

	if (registry_read(defoid, &def) &&
		(def.accessor == bm->fn || def.fill == bm->fn))
	{
		AcDefinition *copy = palloc(sizeof(AcDefinition));

		*copy = def;
		bm->defs = lappend(bm->defs, copy);
	}
	return false;
}

/*
 * The definitions a function belongs to, palloc'd: its own if it is one,
 * else those whose accessor or fill it is (they depend on it).
 */
List *
ac_registry_of_function(Oid fn)
{
	ByMember	bm;
	AcDefinition def;

	if (registry_read(fn, &def))
	{
		AcDefinition *copy = palloc(sizeof(AcDefinition));

		*copy = def;
		return list_make1(copy);
	}
	bm.fn = fn;
	bm.defs = NIL;
	(void) scan_dependent_functions(ProcedureRelationId, fn, collect_member, &bm);
	return bm.defs;
}

/*
 * The definitions of all caches of this database (every function taking
 * atomiccache.cache depends on that type), palloc'd.
 */
List *
ac_registry_all(void)
{
	List	   *defs = NIL;
	Oid			nsp = registry_namespace(true);

	if (OidIsValid(nsp))
		(void) scan_dependent_functions(TypeRelationId, cache_type(nsp),
										collect, &defs);
	return defs;
}

/*
 * The registry's lock (a lock on the schema atomiccache as an object),
 * held until the transaction ends, and the first lock of every command
 * that changes caches, so that they all take their locks in one order:
 * this one, then definitions (in OID order), then functions.
 *
 *	- Cache DDL (create_cache, drop_cache, memoize, unmemoize, the update
 *	  from 0.1.0) takes it SHARE ROW EXCLUSIVE (cache_ddl): one at a time
 *	  per database; two create_cache of one name cannot both find it free
 *	  (the loser would get pg_proc's unique-index error, not 42710).
 *	- DDL that may drop or change the functions of caches (DROP, ALTER
 *	  TABLE, GRANT, REVOKE, ALTER FUNCTION: events.c, at its start) takes
 *	  it ROW EXCLUSIVE: such commands run together, but not with cache
 *	  DDL, which they wait for (and which waits for them).
 *	- Readers (calls, the view) take no lock.
 *
 * Taking it accepts the invalidations of what the holder before committed.
 */
void
ac_registry_lock(bool cache_ddl)
{
	LockDatabaseObject(NamespaceRelationId, registry_namespace(false), 0,
					   cache_ddl ? ShareRowExclusiveLock : RowExclusiveLock);
}

static TargetEntry *
const_entry(Oid type, int len, bool byval, Datum value, bool isnull,
			int attno, const char *name)
{
	Const	   *c = makeConst(type, -1, InvalidOid, len, value, isnull, byval);

	return makeTargetEntry((Expr *) c, attno + 1, pstrdup(name), false);
}

/*
 * Make the definition function of a new cache, owned by owner, and return
 * its OID (the cache's uid).  The caller checked everything (privileges,
 * the name is free and short enough, the TTL) and holds ac_registry_lock.
 */
Oid
ac_registry_create(const char *name, Oid accessor, Oid fill,
				   const Interval *ttl, bool memoized, bool per_role,
				   Oid owner)
{
	Oid			nsp = registry_namespace(false);
	Oid			argtype = cache_type(nsp);
	Query	   *q = makeNode(Query);
	Interval   *ttlcopy = NULL;
	Datum		types[Natts_definition + 1];
	Datum		modes[Natts_definition + 1];
	Datum		names[Natts_definition + 1];
	static const char *const colnames[Natts_definition] = {
		"accessor", "fill", "ttl", "memoized", "per_role"
	};
	int			natts = per_role ? Natts_definition : Natts_definition - 1;
	ObjectAddress addr;
	int			i;

	if (ttl != NULL)
	{
		ttlcopy = palloc(sizeof(Interval));
		*ttlcopy = *ttl;
	}

	/* SELECT accessor, fill, ttl, memoized[, per_role]: constants only */
	q->commandType = CMD_SELECT;
	q->querySource = QSRC_ORIGINAL;
	q->canSetTag = true;
	q->jointree = makeFromExpr(NIL, NULL);
	q->targetList = list_make4(const_entry(REGPROCEDUREOID, sizeof(Oid), true,
										   ObjectIdGetDatum(accessor), false,
										   Anum_definition_accessor, colnames[0]),
							   const_entry(REGPROCEDUREOID, sizeof(Oid), true,
										   ObjectIdGetDatum(fill), false,
										   Anum_definition_fill, colnames[1]),
							   const_entry(INTERVALOID, sizeof(Interval), false,
										   PointerGetDatum(ttlcopy), ttl == NULL,
										   Anum_definition_ttl, colnames[2]),
							   const_entry(BOOLOID, 1, true,
										   BoolGetDatum(memoized), false,
										   Anum_definition_memoized, colnames[3]));
	if (per_role)
		q->targetList = lappend(q->targetList,
								const_entry(BOOLOID, 1, true, BoolGetDatum(true),
											false, Anum_definition_per_role,
											colnames[4]));

	/* (atomiccache.cache, OUT accessor regprocedure, OUT fill ...) */
	types[0] = ObjectIdGetDatum(argtype);
	modes[0] = CharGetDatum(PROARGMODE_IN);
	names[0] = CStringGetTextDatum("");
	for (i = 0; i < natts; i++)
	{
		TargetEntry *te = list_nth_node(TargetEntry, q->targetList, i);

		types[i + 1] = ObjectIdGetDatum(exprType((Node *) te->expr));
		modes[i + 1] = CharGetDatum(PROARGMODE_OUT);
		names[i + 1] = CStringGetTextDatum(colnames[i]);
	}

	addr = ProcedureCreate(name, nsp, false, false, RECORDOID, owner,
						   SQLlanguageId, InvalidOid, "", NULL,
						   (Node *) list_make1(list_make1(q)),
						   PROKIND_FUNCTION, false, false, false,
						   PROVOLATILE_IMMUTABLE, PROPARALLEL_SAFE,
						   buildoidvector(&argtype, 1),
						   PointerGetDatum(construct_array(types, natts + 1,
														   OIDOID, sizeof(Oid), true,
														   TYPALIGN_INT)),
						   PointerGetDatum(construct_array(modes, natts + 1,
														   CHAROID, 1, true,
														   TYPALIGN_CHAR)),
						   PointerGetDatum(construct_array(names, natts + 1,
														   TEXTOID, -1, false,
														   TYPALIGN_INT)),
						   NIL, PointerGetDatum(NULL),
#ifdef AC_PROCEDURE_CREATE_TRFOIDS
						   NIL,
#endif
						   PointerGetDatum(NULL), InvalidOid, 1, 0);
	CommandCounterIncrement();

	/*
	 * A definition made by the update script of this extension (from a
	 * version whose registry was a table) must not become a member of it:
	 * it belongs to the cache.
	 */
	if (creating_extension &&
		CurrentExtensionObject == get_extension_oid("atomiccache", true))
		deleteDependencyRecordsForClass(ProcedureRelationId, addr.objectId,
										ExtensionRelationId, DEPENDENCY_EXTENSION);
	CommandCounterIncrement();
	CreateComments(addr.objectId, ProcedureRelationId, 0,
				   memoized ?
				   "atomiccache: the definition of the cache of a memoized function (use atomiccache.unmemoize)" :
				   "atomiccache: the definition of a cache (use atomiccache.drop_cache)");
	CommandCounterIncrement();
	return addr.objectId;
}

/* Is there, as of now, a definition with this uid (OID)? */
bool
ac_registry_exists(int64 uid)
{
	AcDefinition def;

	return uid > 0 && uid <= (int64) PG_UINT32_MAX &&
		registry_read((Oid) uid, &def);
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

uint64
ac_ttl_ns(Interval *ttl)
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
