/*-------------------------------------------------------------------------
 *
 * ddl.c
 *	  The DDL of atomiccache's caches: create_cache, drop_cache, memoize,
 *	  unmemoize, and the update of a registry table from 0.1.0.
 *
 * Accessors are C functions (atomiccache_accessor) made with
 * ProcedureCreate().  The SQL command CREATE FUNCTION ... LANGUAGE C needs
 * a superuser; ProcedureCreate() does not check the language's privilege,
 * so any role with EXECUTE on the fill function and CREATE on the schema
 * can make a cache, as README.md (Semantics, Privileges) says.  Nobody else can make
 * one (C functions need a superuser), and the accessor is safe to hand
 * out: it does nothing but serve its cache, and checks EXECUTE on the fill
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
 * memoize keeps the function's OID: its body moves to a new function,
 * fn_uncached (the fill), and the function becomes the accessor;
 * unmemoize moves the body back.  Every function made
 * here is first described by a ProcDef (named fields), then created.
 *
 * Nothing here runs as another role: the caller's privileges are checked,
 * then the catalog is written through its C interface, as the caller.
 *
 * IDENTIFICATION
 *	  src/ddl.c
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
#include "catalog/objectaddress.h"
#include "catalog/pg_attrdef.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_language.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_statistic_ext.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "cacheinfo.h"
#include "compat.h"
#include "ddl.h"
#include "desc.h"
#include "proc.h"
#include "registry.h"
#include "shmem.h"

static void depend_on(Oid dependent_class, Oid dependent, Oid ref_class, Oid ref,
					  DependencyType type);

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

/*
 * The accessor (or memoized function) goes with the extension: DROP
 * EXTENSION ... CASCADE drops it.  An "auto extension" dependency, the one
 * ALTER FUNCTION ... DEPENDS ON EXTENSION makes, because pg_dump keeps it;
 * without CASCADE, DROP EXTENSION is refused anyway while caches exist
 * (their definitions are in the extension's schema).
 */
void
ac_accessor_depends_on_extension(Oid accessor)
{
	depend_on(ProcedureRelationId, accessor, ExtensionRelationId,
			  extension_oid(), DEPENDENCY_AUTO_EXTENSION);
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
 * A fill must not depend on a temporary object (a table its SQL-standard
 * body reads, a type): that goes with the session, and the fill and the
 * cache's definition with it, with no event trigger to see it.  Direct
 * dependencies only, as PostgreSQL records them.
 */
static bool
temporary_reference(Form_pg_depend d, void *arg)
{
	Oid			fn = *(Oid *) arg;
	ObjectAddress obj;
	Oid			nsp;

	ObjectAddressSubSet(obj, d->refclassid, d->refobjid, d->refobjsubid);
	nsp = get_object_namespace(&obj);
	if (OidIsValid(nsp) && isAnyTempNamespace(nsp))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("a cache cannot use function %s", format_procedure(fn)),
				 errdetail("It depends on %s, which is temporary: it would be dropped at the end of the session, without its cache.",
						   getObjectDescription(&obj, false))));
	return false;
}

static void
check_no_temporary_dependency(Oid fn)
{
	(void) ac_depend_scan(false, ProcedureRelationId, fn,
						  temporary_reference, &fn);
}

/*
 * The start of create_cache and memoize: attach, take the registry's lock,
 * lock the function (in `mode`: memoize changes it, create_cache reads
 * it), check the TTL, and fetch a copy of the function's pg_proc row, as
 * the last transaction that changed it under a lock left it.
 */
static HeapTuple
ddl_begin(Oid fn, Interval *ttl, LOCKMODE mode)
{
	HeapTuple	ptup;

	ac_attach();
	ac_registry_lock(true);
	LockDatabaseObject(ProcedureRelationId, fn, 0, mode);
	if (ttl)
		(void) ac_ttl_ns(ttl);
	ptup = SearchSysCacheCopy1(PROCOID, ObjectIdGetDatum(fn));
	if (!HeapTupleIsValid(ptup))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("function with OID %u does not exist", fn)));
	return ptup;
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

/*
 * Everything ProcedureCreate() takes, by name.  Each function this file
 * makes (an accessor, the original body of a memoized function, a
 * function given its body back) is first read from a pg_proc row into one
 * of these (procdef_of), then changed where it differs, then made
 * (procdef_create).
 */
typedef struct ProcDef
{
	const char *name;
	Oid			nsp;
	Oid			rettype;
	Oid			owner;
	Oid			lang;
	const char *prosrc;
	const char *probin;
	Node	   *sqlbody;
	char		kind;
	bool		secdef;
	bool		leakproof;
	bool		strict;
	char		volatility;
	char		parallel;
	oidvector  *argtypes;
	Datum		allargtypes;	/* the nullable arrays: (Datum) 0 if null */
	Datum		argmodes;
	Datum		argnames;
	List	   *defaults;
	Datum		trftypes;
	Datum		config;
	Oid			support;
	float4		cost;
	float4		rows;
} ProcDef;

/* The definition of a function as its pg_proc row (a copy) has it. */
static ProcDef
procdef_of(HeapTuple tup)
{
	Form_pg_proc p = (Form_pg_proc) GETSTRUCT(tup);
	ProcDef		d;

	d.name = NameStr(p->proname);
	d.nsp = p->pronamespace;
	d.rettype = p->prorettype;
	d.owner = p->proowner;
	d.lang = p->prolang;
	d.prosrc = ac_proc_text(tup, Anum_pg_proc_prosrc);
	d.probin = ac_proc_text(tup, Anum_pg_proc_probin);
	d.sqlbody = ac_proc_sqlbody(tup);
	d.kind = p->prokind;
	d.secdef = p->prosecdef;
	d.leakproof = p->proleakproof;
	d.strict = p->proisstrict;
	d.volatility = p->provolatile;
	d.parallel = p->proparallel;
	d.argtypes = &p->proargtypes;
	d.allargtypes = ac_proc_attr(tup, Anum_pg_proc_proallargtypes);
	d.argmodes = ac_proc_attr(tup, Anum_pg_proc_proargmodes);
	d.argnames = ac_proc_attr(tup, Anum_pg_proc_proargnames);
	d.defaults = ac_proc_defaults(tup);
	d.trftypes = ac_proc_attr(tup, Anum_pg_proc_protrftypes);
	d.config = ac_proc_attr(tup, Anum_pg_proc_proconfig);
	d.support = p->prosupport;
	d.cost = p->procost;
	d.rows = p->prorows;
	return d;
}

/*
 * Make a body an accessor's: our C function, never STRICT
 * (the fill's strictness applies at each call), never IMMUTABLE (its value
 * changes on invalidate), at most PARALLEL RESTRICTED, never LEAKPROOF
 * (the fill's body can be replaced by its owner; a leakproof accessor
 * would let the planner run it before row-level security quals), with no
 * settings, transforms or support function of the function it came from.
 */
static void
procdef_make_accessor(ProcDef *d)
{
	d->lang = ClanguageId;
	d->prosrc = "atomiccache_accessor";
	d->probin = "$libdir/atomiccache";
	d->sqlbody = NULL;
	d->secdef = false;
	d->leakproof = false;
	d->strict = false;
	d->volatility = ac_accessor_volatility(d->volatility);
	d->parallel = ac_accessor_parallel(d->parallel);
	d->trftypes = PointerGetDatum(NULL);
	d->config = PointerGetDatum(NULL);
	d->support = InvalidOid;
}

#ifdef AC_PROCEDURE_CREATE_TRFOIDS
/* The transforms of the types in trftypes, for the function's language. */
static List *
procdef_trfoids(const ProcDef *d)
{
	List	   *oids = NIL;
	Datum	   *types;
	int			ntypes;
	int			i;

	if (d->trftypes == PointerGetDatum(NULL))
		return NIL;
	deconstruct_array_builtin(DatumGetArrayTypeP(d->trftypes), OIDOID,
							  &types, NULL, &ntypes);
	for (i = 0; i < ntypes; i++)
		oids = lappend_oid(oids, get_transform_oid(DatumGetObjectId(types[i]),
												   d->lang, false));
	return oids;
}
#endif

static ObjectAddress
procdef_create(const ProcDef *d, bool replace)
{
	return ProcedureCreate(d->name, d->nsp, replace, false, d->rettype,
						   d->owner, d->lang, InvalidOid, d->prosrc, d->probin,
						   d->sqlbody, d->kind, d->secdef, d->leakproof,
						   d->strict, d->volatility, d->parallel, d->argtypes,
						   d->allargtypes, d->argmodes, d->argnames,
						   d->defaults, d->trftypes,
#ifdef AC_PROCEDURE_CREATE_TRFOIDS
						   procdef_trfoids(d),
#endif
						   d->config, d->support, d->cost, d->rows);
}

Oid
ac_create_cache(const char *name, Oid fill, Interval *ttl, bool per_role)
{
	HeapTuple	ptup;
	Form_pg_proc p;
	List	   *names;
	char	   *objname;
	Oid			nsp;
	AclResult	aclresult;
	ObjectAddress addr;
	ProcDef		def;
	Oid			defoid;

	ptup = ddl_begin(fill, ttl, AccessShareLock);
	p = (Form_pg_proc) GETSTRUCT(ptup);
	check_fill_function(ptup);
	check_no_temporary_dependency(fill);
	aclresult = ac_proc_aclcheck(fill, GetUserId(), ACL_EXECUTE);
	if (aclresult != ACLCHECK_OK)
		aclcheck_error(aclresult, OBJECT_FUNCTION, NameStr(p->proname));

	names = ac_qualified_name_list(name);
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

	/* the fill's signature (IN arguments only), names and defaults */
	def = procdef_of(ptup);
	procdef_make_accessor(&def);
	def.name = objname;
	def.nsp = nsp;
	def.owner = GetUserId();
	def.kind = PROKIND_FUNCTION;
	def.leakproof = false;
	def.allargtypes = def.argmodes = PointerGetDatum(NULL);
	def.argnames = in_argnames(ptup);
	def.rows = 0;
	addr = procdef_create(&def, false);
	ac_accessor_depends_on_extension(addr.objectId);
	CommandCounterIncrement();

	defoid = ac_registry_create(name, addr.objectId, fill, ttl, false, per_role,
								GetUserId());
	ac_desc_start_empty(defoid);
	ac_desc_created((int64) defoid);
	ac_desc_bump_ddl();
	return addr.objectId;
}

/*
 * Drop the definition of a cache and, with it, its accessor (or fill, for
 * a memoized function: accessor_or_fill), refused (2BP01) if anything else
 * depends on them.  The entries become unreachable when the transaction
 * commits.
 */
void
ac_drop_definition(Oid defoid, Oid accessor_or_fill)
{
	ObjectAddresses *objs;
	ObjectAddress addr;

	/*
	 * The lock a DROP takes, taken first: a concurrent drop of the same
	 * cache has committed once we have it, and then the definition is gone
	 * (taking a lock accepts the invalidations that say so).
	 */
	LockDatabaseObject(ProcedureRelationId, defoid, 0, AccessExclusiveLock);
	if (!SearchSysCacheExists1(PROCOID, ObjectIdGetDatum(defoid)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("cache does not exist"),
				 errdetail("Another transaction dropped it.")));
	objs = new_object_addresses();
	ObjectAddressSet(addr, ProcedureRelationId, defoid);
	add_exact_object_address(&addr, objs);
	if (OidIsValid(accessor_or_fill))
	{
		ObjectAddressSet(addr, ProcedureRelationId, accessor_or_fill);
		add_exact_object_address(&addr, objs);
	}
	performMultipleDeletions(objs, DROP_RESTRICT, PERFORM_DELETION_INTERNAL);
	free_object_addresses(objs);
	ac_desc_drop_at_commit((int64) defoid);
	CommandCounterIncrement();
	ac_desc_bump_ddl();
}

/* drop_cache(): needs ownership of the cache; claims no descriptor */
void
ac_drop_cache(const char *name)
{
	AcDefinition def;

	ac_attach();
	ac_registry_lock(true);
	if (!ac_registry_by_name(name, &def))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("cache \"%s\" does not exist", name),
				 errhint("The caches of this database are listed in atomiccache.caches.")));
	ac_check_owner_of(NameStr(def.name), def.accessor);
	if (def.memoized &&
		SearchSysCacheExists1(PROCOID, ObjectIdGetDatum(def.fill)))
	{
		ac_unmemoize(def.accessor);
		return;
	}
	ac_drop_definition(def.oid, def.accessor);
}

/*
 * Replace the body of function `target` (same name, namespace and
 * signature) by the one of `source`, or by the accessor's when source is
 * NULL.  Keeps target's OID, owner and ACL.
 */
static void
replace_body(HeapTuple target, HeapTuple source)
{
	ProcDef		def = procdef_of(source ? source : target);
	ProcDef		t = procdef_of(target);

	if (source == NULL)
		procdef_make_accessor(&def);
	/* what makes the function itself: name, signature, owner, kind */
	def.name = t.name;
	def.nsp = t.nsp;
	def.rettype = t.rettype;
	def.owner = t.owner;
	def.kind = t.kind;
	def.argtypes = t.argtypes;
	def.allargtypes = t.allargtypes;
	def.argmodes = t.argmodes;
	def.argnames = t.argnames;
	def.defaults = t.defaults;
	(void) procdef_create(&def, true);
}

/*
 * Does this dependent object need the function to be IMMUTABLE (an index,
 * a partition key, a column default or generated column, a constraint,
 * extended statistics)?  ERROR if so.
 */
static bool
relies_on_immutable(Form_pg_depend d, void *arg)
{
	Oid			fn = *(Oid *) arg;
	ObjectAddress obj;

	if (d->classid != RelationRelationId &&
		d->classid != AttrDefaultRelationId &&
		d->classid != ConstraintRelationId &&
		d->classid != StatisticExtRelationId)
		return false;
	/* an index, a partition key, a column (generated or default) */
	if (d->classid == RelationRelationId &&
		get_rel_relkind(d->objid) != RELKIND_INDEX &&
		get_rel_relkind(d->objid) != RELKIND_PARTITIONED_INDEX &&
		get_rel_relkind(d->objid) != RELKIND_PARTITIONED_TABLE &&
		d->objsubid == 0)
		return false;
	ObjectAddressSubSet(obj, d->classid, d->objid, d->objsubid);
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("cannot memoize function %s", format_procedure(fn)),
			 errdetail("%s relies on it being IMMUTABLE, and a memoized function is STABLE.",
					   getObjectDescription(&obj, false)),
			 errhint("Create a cache over it with atomiccache.create_cache() and call the accessor where a cached value is wanted.")));
	return true;				/* not reached */
}

/*
 * What memoize cannot do in place: a function of an extension, functions
 * with OUT, INOUT, TABLE or VARIADIC arguments (the accessor takes the IN arguments only), and an
 * IMMUTABLE function that an index, a partition key, a constraint, a
 * column default, a generated column or extended statistics rely on (the
 * accessor is STABLE: such an index could no longer be rebuilt, such a
 * table no longer be restored).
 */
static void
check_memoizable(HeapTuple ptup)
{
	Form_pg_proc p = (Form_pg_proc) GETSTRUCT(ptup);
	Oid			ext = getExtensionOfObject(ProcedureRelationId, p->oid);

	/*
	 * A member of an extension is the extension's: its script makes it
	 * again on restore, so a new body would not survive a dump (and
	 * ALTER EXTENSION UPDATE could replace it).
	 */
	if (OidIsValid(ext))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot memoize function %s", format_procedure(p->oid)),
				 errdetail("It belongs to extension %s.", get_extension_name(ext)),
				 errhint("Create a cache over it with atomiccache.create_cache().")));

	if (!heap_attisnull(ptup, Anum_pg_proc_proallargtypes, NULL) ||
		OidIsValid(p->provariadic))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot memoize function %s", format_procedure(p->oid)),
				 errdetail("It has OUT, INOUT, TABLE or VARIADIC arguments."),
				 errhint("Create a cache over it with atomiccache.create_cache(), or memoize a function with IN arguments only.")));
	if (p->provolatile != PROVOLATILE_IMMUTABLE)
		return;

	(void) ac_depend_scan(true, ProcedureRelationId, p->oid,
						  relies_on_immutable, &p->oid);
}

/*
 * May the caller memoize this function?  It must be a plain function this
 * role owns and may execute, in a permanent schema the role may create in,
 * that memoize can change in place; not an accessor already.
 */
static void
check_memoize(HeapTuple ptup)
{
	Form_pg_proc p = (Form_pg_proc) GETSTRUCT(ptup);
	AclResult	aclresult;

	if (ac_is_accessor(ptup))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("function %s is already served by a cache",
						format_procedure(p->oid))));
	check_fill_function(ptup);
	if (!ac_proc_ownercheck(p->oid, GetUserId()))
		aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_FUNCTION, NameStr(p->proname));
	check_memoizable(ptup);
	check_no_temporary_dependency(p->oid);
	if (isAnyTempNamespace(p->pronamespace))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot memoize temporary function %s", format_procedure(p->oid)),
				 errdetail("It would be dropped at the end of the session, without its cache.")));
	aclresult = ac_proc_aclcheck(p->oid, GetUserId(), ACL_EXECUTE);
	if (aclresult != ACLCHECK_OK)
		aclcheck_error(aclresult, OBJECT_FUNCTION, NameStr(p->proname));
	aclresult = ac_ns_aclcheck(p->pronamespace, GetUserId(), ACL_CREATE);
	if (aclresult != ACLCHECK_OK)
		aclcheck_error(aclresult, OBJECT_SCHEMA, get_namespace_name(p->pronamespace));
}

/*
 * The name of a memoized function's cache: the function's name; if that
 * is taken already (an overload, a function of the same name in another
 * schema), its qualified signature; if that is longer than a name may
 * be, the function's name and OID.
 */
static char *
memoized_cache_name(Form_pg_proc p)
{
	const char *name = NameStr(p->proname);
	AcDefinition taken;
	StringInfoData buf;
	int			i;

	if (!ac_registry_by_name(name, &taken))
		return pstrdup(name);
	initStringInfo(&buf);
	appendStringInfo(&buf, "%s(",
					 quote_qualified_identifier(get_namespace_name(p->pronamespace),
												name));
	for (i = 0; i < p->pronargs; i++)
		appendStringInfo(&buf, "%s%s", i > 0 ? "," : "",
						 format_type_be(p->proargtypes.values[i]));
	appendStringInfoChar(&buf, ')');
	if (strlen(buf.data) < NAMEDATALEN)
		return buf.data;
	return psprintf("%.*s#%u", pg_mbcliplen(name, strlen(name), NAMEDATALEN - 12),
					name, p->oid);
}

Oid
ac_memoize(Oid fn, Interval *ttl, bool per_role)
{
	HeapTuple	ptup;
	Form_pg_proc p;
	char	   *fillname;
	char	   *cachename;
	ObjectAddress fill;
	ProcDef		body;
	Oid			defoid;

	ptup = ddl_begin(fn, ttl, AccessExclusiveLock);
	p = (Form_pg_proc) GETSTRUCT(ptup);
	check_memoize(ptup);
	cachename = memoized_cache_name(p);
	fillname = psprintf("%s_uncached", NameStr(p->proname));
	if (strlen(fillname) >= NAMEDATALEN)
		ereport(ERROR,
				(errcode(ERRCODE_NAME_TOO_LONG),
				 errmsg("function name \"%s\" is too long to memoize", NameStr(p->proname)),
				 errdetail("The fill function would be called \"%s\".", fillname)));
	check_name_free(cachename, fillname, p->pronamespace, &p->proargtypes);

	/* 1. the original body moves to a new function, name_uncached */
	body = procdef_of(ptup);
	body.name = fillname;
	fill = procdef_create(&body, false);
	CommandCounterIncrement();
	ac_sync_proc_privileges(fn, fill.objectId, true);

	/*
	 * 2. the function itself becomes the accessor, same OID.  Its cache's
	 * definition depends on it and on the original body: DROP FUNCTION of
	 * either is refused (2BP01) while the function is memoized, and
	 * pg_dump creates both before the definition.
	 */
	replace_body(ptup, NULL);
	CommandCounterIncrement();
	/* after ProcedureCreate, which replaces fn's dependencies */
	ac_accessor_depends_on_extension(fn);
	CommandCounterIncrement();

	defoid = ac_registry_create(cachename, fn, fill.objectId, ttl, true,
								per_role, p->proowner);
	ac_desc_start_empty(defoid);
	ac_desc_created((int64) defoid);
	ac_desc_bump_ddl();
	return fill.objectId;
}

void
ac_unmemoize(Oid fn)
{
	AcDefinition def;
	HeapTuple	target;
	HeapTuple	source;

	/*
	 * One DDL of caches at a time; then the locks a DROP takes, in the
	 * order a DROP ... CASCADE of the original body takes them (the
	 * definition, then fn, which the sql_drop trigger drops): after those,
	 * fn and its cache are as the last committed transaction left them.
	 */
	ac_attach();
	ac_registry_lock(true);
	if (ac_registry_by_accessor(fn, &def))
		LockDatabaseObject(ProcedureRelationId, def.oid, 0, AccessExclusiveLock);
	LockDatabaseObject(ProcedureRelationId, fn, 0, AccessExclusiveLock);
	if (!ac_registry_by_accessor(fn, &def) || !def.memoized)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("function %s is not memoized", format_procedure(fn))));
	ac_check_owner_of(NameStr(def.name), def.accessor);
	target = SearchSysCacheCopy1(PROCOID, ObjectIdGetDatum(fn));
	source = SearchSysCacheCopy1(PROCOID, ObjectIdGetDatum(def.fill));
	if (!HeapTupleIsValid(source))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("the original body of memoized function %s does not exist",
						format_procedure(fn)),
				 errhint("Drop the cache (and the function with it) with atomiccache.drop_cache().")));
	if (!HeapTupleIsValid(target))
		elog(ERROR, "cache lookup failed for function %u", fn);

	replace_body(target, source);
	CommandCounterIncrement();
	/* fn is no accessor any more: its cache and original body go */
	deleteDependencyRecordsForSpecific(ProcedureRelationId, fn,
									   DEPENDENCY_AUTO_EXTENSION,
									   ExtensionRelationId, extension_oid());
	CommandCounterIncrement();
	ac_drop_definition(def.oid, def.fill);
}
