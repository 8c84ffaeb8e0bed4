/*-------------------------------------------------------------------------
 *
 * desc.h
 *	  The shared descriptors of caches and the actions on them that wait
 *	  for the end of the transaction (desc.c).
 *
 * IDENTIFICATION
 *	  src/desc.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AC_DESC_H
#define AC_DESC_H

#include "shmem.h"

/*
 * The generation of a cache's entries now (invalidate_all moves it on):
 * part of every key image, read without a lock.
 */
static inline uint64
ac_desc_generation(int desc_idx)
{
	return pg_atomic_read_u64(&ac_descs[desc_idx].generation);
}

typedef enum AcXactEnd
{
	AC_XACT_COMMIT,
	AC_XACT_ABORT,
	AC_XACT_PREPARE
} AcXactEnd;

extern bool ac_xact_invalidates;

extern int	ac_desc_index(Oid dbid, uint64 uid);
extern void ac_desc_bump_ddl(void);
extern void ac_desc_start_empty(Oid defoid);
extern void ac_desc_invalidate_all(int desc_idx);
extern void ac_reset_stats(const char *name);

extern void ac_desc_created(int64 uid);
extern void ac_desc_drop_at_commit(int64 uid);
extern void ac_desc_invalidate_at_commit(int64 uid);
extern void ac_desc_forget_database(void);

extern void ac_desc_xact_end(AcXactEnd how);
extern void ac_desc_subxact_commit(int level);
extern void ac_desc_subxact_abort(int level);
extern void ac_desc_pre_prepare(void);

#endif							/* AC_DESC_H */
