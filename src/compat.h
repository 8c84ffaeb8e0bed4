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
#define ac_proc_aclcheck(f, r, m)	object_aclcheck(ProcedureRelationId, (f), (r), (m))
#define ac_proc_ownercheck(f, r)	object_ownercheck(ProcedureRelationId, (f), (r))
#define ac_ns_aclcheck(n, r, m)		object_aclcheck(NamespaceRelationId, (n), (r), (m))
#else
#define ac_proc_aclcheck(f, r, m)	pg_proc_aclcheck((f), (r), (m))
#define ac_proc_ownercheck(f, r)	pg_proc_ownercheck((f), (r))
#define ac_ns_aclcheck(n, r, m)		pg_namespace_aclcheck((n), (r), (m))
#endif

#endif							/* AC_COMPAT_H */
