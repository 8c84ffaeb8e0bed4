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

#include "miscadmin.h"

#include "shmem.h"

extern uint64 ac_desc_switch(int desc_idx, uint64 uid, uint64 variant,
							 uint64 ttl_ns, TransactionId fill_order);

/*
 * The generation of slot s of a descriptor if it serves a version of cache
 * uid of this database now, and that version in *variant; 0 if not, or if
 * the slot is changing hands (the protocol is at AcCacheDesc).  Lock-free.
 */
static inline uint64
ac_desc_slot(int desc_idx, int s, uint64 uid, uint64 *variant)
{
	AcCacheDesc *d = &ac_descs[desc_idx];
	uint64		g = pg_atomic_read_u64(&d->generation[s]);
	bool		ours;

	pg_read_barrier();
	*variant = pg_atomic_read_u64(&d->variant[s]);
	ours = d->uid == uid && pg_atomic_read_u32(&d->dbid) == MyDatabaseId;
	pg_read_barrier();
	if ((g & 1) != 0 || !ours || *variant == 0 ||
		pg_atomic_read_u64(&d->generation[s]) != g)
		return 0;
	return g;
}

/*
 * The generation of the entries of cache uid, version variant, now, or 0
 * if no slot serves that version.  Lock-free.
 */
static inline uint64
ac_desc_find(int desc_idx, uint64 uid, uint64 variant)
{
	int			s;

	for (s = 0; s < 2; s++)
	{
		uint64		v;
		uint64		g = ac_desc_slot(desc_idx, s, uid, &v);

		if (g != 0 && v == variant)
			return g;
	}
	return 0;
}

/*
 * The generation a call of cache uid, version variant (TTL ttl_ns, fill
 * row of age fill_order) fills and reads: part of every entry, read
 * without a lock.  Gives a slot to this version if none serves it (slow,
 * rare).  Returns 0 if the call must fill uncached: the descriptor holds
 * another cache now (the caller's info is stale), or the other versions
 * keep their slots.
 */
static inline uint64
ac_desc_generation(int desc_idx, uint64 uid, uint64 variant, uint64 ttl_ns,
				   TransactionId fill_order)
{
	uint64		g = ac_desc_find(desc_idx, uid, variant);

	if (likely(g != 0))
		return g;
	return ac_desc_switch(desc_idx, uid, variant, ttl_ns, fill_order);
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
