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

extern uint64 ac_desc_switch(int desc_idx, uint64 uid, uint64 variant);

/*
 * The generation of the entries of cache uid, version variant, now: part
 * of every entry, read without a lock (the protocol is at AcCacheDesc).
 * Switches a slot to this version if none serves it yet (slow, rare).
 * Returns 0 if the descriptor holds another cache now: the caller's info
 * is stale, and its call is filled uncached.
 */
static inline uint64
ac_desc_generation(int desc_idx, uint64 uid, uint64 variant)
{
	AcCacheDesc *d = &ac_descs[desc_idx];
	int			s;

	for (s = 0; s < 2; s++)
	{
		uint64		g = pg_atomic_read_u64(&d->generation[s]);

		pg_read_barrier();
		if (pg_atomic_read_u64(&d->variant[s]) == variant && d->uid == uid)
		{
			pg_read_barrier();
			if ((g & 1) == 0 && pg_atomic_read_u64(&d->generation[s]) == g)
				return g;
		}
	}
	return ac_desc_switch(desc_idx, uid, variant);
}

/*
 * The cache's TTL, as its definition says, where entries' expiry finds it
 * (table.c): written by each backend that loads the definition, so a TTL
 * changed in the definition applies to the entries already held.
 */
static inline void
ac_desc_set_ttl(int desc_idx, uint64 ttl_ns)
{
	if (pg_atomic_read_u64(&ac_descs[desc_idx].ttl_ns) != ttl_ns)
		pg_atomic_write_u64(&ac_descs[desc_idx].ttl_ns, ttl_ns);
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
