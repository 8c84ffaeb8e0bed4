/*-------------------------------------------------------------------------
 *
 * compat.h
 *	  What differs between the PostgreSQL versions atomiccache builds
 *	  against, each guard named after the change it covers.
 *
 * IDENTIFICATION
 *	  src/compat.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AC_COMPAT_H
#define AC_COMPAT_H

/* PostgreSQL 16: pg_*_aclcheck and pg_*_ownercheck became object_*check */
#if PG_VERSION_NUM >= 160000
#include "catalog/pg_namespace.h"
#include "catalog/pg_proc.h"
#include "utils/acl.h"
#define ac_proc_aclcheck(f, r, m)	object_aclcheck(ProcedureRelationId, (f), (r), (m))
#define ac_proc_ownercheck(f, r)	object_ownercheck(ProcedureRelationId, (f), (r))
#define ac_ns_aclcheck(n, r, m)		object_aclcheck(NamespaceRelationId, (n), (r), (m))
#else
#define ac_proc_aclcheck(f, r, m)	pg_proc_aclcheck((f), (r), (m))
#define ac_proc_ownercheck(f, r)	pg_proc_ownercheck((f), (r))
#define ac_ns_aclcheck(n, r, m)		pg_namespace_aclcheck((n), (r), (m))
#endif

/* PostgreSQL 16: stringToQualifiedNameList() takes an error context */
#if PG_VERSION_NUM >= 160000
#define ac_qualified_name_list(s)	stringToQualifiedNameList((s), NULL)
#else
#define ac_qualified_name_list(s)	stringToQualifiedNameList(s)
#endif

/*
 * PostgreSQL 18: pg_attribute_noreturn() gave way to pg_noreturn, which
 * goes before the declaration (where GCC's attribute may go too).
 */
#if PG_VERSION_NUM >= 180000
#define ac_noreturn pg_noreturn
#else
#define ac_noreturn pg_attribute_noreturn()
#endif

/*
 * PostgreSQL 18: ProcedureCreate() takes the OIDs of the transforms
 * (trfoids, whose dependencies it records) after their types.
 */
#if PG_VERSION_NUM >= 180000
#define AC_PROCEDURE_CREATE_TRFOIDS
#endif

/* PostgreSQL 16: the varlena macros are in varatt.h */
#if PG_VERSION_NUM >= 160000
#include "varatt.h"
#endif

/*
 * PostgreSQL 17: PGPROC.pgprocno gave way to GetNumberFromPGProc() (the
 * index of a PGPROC in ProcGlobal->allProcs, as pgprocno was).
 */
#if PG_VERSION_NUM >= 170000
#define ac_proc_number(proc)	((int) GetNumberFromPGProc(proc))
#else
#define ac_proc_number(proc)	((proc)->pgprocno)
#endif

/*
 * PostgreSQL 17: the DSM registry (GetNamedDSMSegment) gives an extension
 * loaded after start-up a named block without the main shared memory's
 * slack, and WaitEventExtensionNew a wait event of its own name.
 */
#if PG_VERSION_NUM >= 170000
#define AC_HAVE_DSM_REGISTRY
#define AC_HAVE_NAMED_WAIT_EVENTS
#endif

#endif							/* AC_COMPAT_H */
