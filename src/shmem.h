/*-------------------------------------------------------------------------
 *
 * shmem.h
 *	  The shared state of atomiccache: the control block found in the main
 *	  shared memory, the shared header kept in the DSA area, the
 *	  per-backend slots and the per-cache descriptors (shmem.c).
 *
 * Who writes what, in one place (details at each struct):
 *
 *	- AcControl lives in the main shared memory segment.  It is written once,
 *	  under AddinShmemInitLock, by the first backend that needs the cache
 *	  (or zeroed by shmem_startup_hook when preloaded), and only read after.
 *	- AcShared lives in the DSA area and holds the index's partitions (their
 *	  locks, and the segments of buckets that grow and shrink with them),
 *	  the condition variables, the backend slots and the cache descriptors.
 *	  Its scalar fields are atomics.
 *	- An AcBackendSlot is written only by the backend that owns it (the one
 *	  whose pgprocno indexes it), except that a reclaimer reads its epoch and
 *	  a waiter reads its session to see whether a filler is still alive.
 *
 * IDENTIFICATION
 *	  src/shmem.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AC_SHMEM_H
#define AC_SHMEM_H

#include "port/atomics.h"
#include "storage/condition_variable.h"
#include "storage/lwlock.h"
#include "utils/dsa.h"

#define AC_CONTROL_NAME		"atomiccache"
#define AC_TRANCHE_NAME		"atomiccache"
/*
 * Identifies the layout of the shared structures: change it whenever they
 * change, so that a backend running a newer library never reads an area
 * made by an older one (it asks for a restart instead).
 */
#define AC_CONTROL_MAGIC	0x4143000C

/* Sizes fixed when the shared state is first created. */
#define AC_NPARTITIONS		128		/* of the index, each with its lock */
#define AC_SEG0_BUCKETS		16		/* a partition's first, fixed, segment */
#define AC_MAX_SEGMENTS		20		/* up to 16 << 19 buckets a partition */
#define AC_NCVS				256		/* condition variables, by key hash */
#define AC_MAX_CACHES		4096	/* descriptors, all databases */
#define AC_STAT_ROWS		32		/* per-backend counter rows */

/*
 * Statistics counters.  Each backend counts into rows of its own slot;
 * readers add the rows of all slots and the descriptor's shared row.
 */
typedef enum AcCounter
{
	AC_HITS,
	AC_MISSES,
	AC_FILLS,
	AC_FILL_ERRORS,
	AC_WAITS,
	AC_EVICTIONS,
	AC_EXPIRATIONS,
	AC_INVALIDATIONS,
	AC_FILL_TIME_US,
	AC_UNCACHED_VALUES,
	AC_NCOUNTERS
} AcCounter;

/*
 * A row of counters for one cache.  A backend's own rows (in its slot) are
 * written only by that backend, with a plain read-modify-write of the
 * atomic: no locked instruction, no cache line shared with other writers.
 * Each descriptor also has a shared row (shared = 1), changed by fetch-add:
 * it receives the rows of exited backends, and the counts of a backend
 * that uses more live caches at once than it has rows.  desc_idx is -1
 * when a backend row is unused.
 */
typedef struct AcStatRow
{
	pg_atomic_uint32 desc_idx;
	uint32		shared;
	pg_atomic_uint64 c[AC_NCOUNTERS];
} AcStatRow;

/*
 * A cache descriptor: the shared, lock-free readable state of one cache.
 * Found by (dbid, uid) in an open-addressed array (desc.c); the
 * descriptor of a dropped cache is given to another once no entry names
 * it, so a backend checks the uid of a descriptor it keeps (see
 * ac_info_is_current).
 *
 * uid is written (under desc_lock) before dbid is published with a write
 * barrier; readers check dbid then uid.  dropped is set when the dropping
 * transaction commits.  baseline holds the counter sums at the last
 * reset_stats, under desc_lock.
 *
 * Generations.  An entry is the cache's (desc_idx, generation) and its
 * key image, which holds only the arguments (and the call's collation):
 * what else says which cache and which definition a key belongs to is
 * here.  A descriptor has two variant slots: variant[s] is the version of
 * the cache's definition, as a backend's catalog shows it, that slot s
 * serves (the raw xmin of the fill's pg_proc row and the layout hash of
 * the key and result types, key.h: ac_key_variant), and generation[s] is
 * the generation of its entries.  Two slots, because after a CREATE OR
 * REPLACE of the fill (or an ALTER TYPE) the backends that have not yet
 * read the change keep filling keys of the old version, which the others
 * must never see, while those see the new one: each version has its
 * slot, and its own entries.  A third version takes the slot of an older
 * fill row, or else one not newer that nobody used for a second
 * (ac_desc_switch, under desc_lock); its entries become garbage.  Else the
 * third version's calls fill uncached: a lagging session never pushes out
 * a newer version, nor one in use.  The
 * version includes the TTL (key.h, ac_key_variant), and ttl_ns[s] is set
 * with variant[s]: an entry expires by the TTL of its own version.
 *
 * generation[s] is even, and s in its bit 1 (it moves in steps of 4):
 * the entries of the two slots never compare equal.  It is odd while the
 * slot changes hands (a switch, or the slot given to another cache):
 * fetch-add 1, then the new variant and TTL (and uid and dbid), then
 * fetch-add 3.  Readers load it, the variant, the uid and the dbid, and
 * load it again (read barriers between): equal and even, they belong
 * together
 * (ac_desc_generation).  invalidate_all adds 4 to both, lock-free, so all
 * older entries are unreachable at once.
 *
 * nentries counts the entries linked in the table that name this
 * descriptor (fetch-add when linked, fetch-sub when unlinked).  A slot
 * whose cache was dropped and that no linked entry names any more is
 * given to a new cache (under desc_lock): its generations go on from
 * where they were, moved on as a switch does, so that a backend that
 * still holds the old cache's index finds nothing of the new one's (it
 * reads a generation of before, or sees the new uid), and the room of a
 * dropped cache is not lost until a restart.
 */
typedef struct AcCacheDesc
{
	pg_atomic_uint32 dbid;		/* InvalidOid: slot free */
	pg_atomic_uint32 nentries;	/* entries linked that name this slot */
	uint64		uid;
	pg_atomic_uint64 generation[2];
	pg_atomic_uint64 variant[2];	/* 0: the slot serves no version yet */
	pg_atomic_uint64 ttl_ns[2]; /* the TTL of that version, 0: none */
	/* above: what a hit reads, one cache line; below: written by misses */
	pg_atomic_uint32 used_ms[2];	/* a slot's last use, coarse (ac_desc_touch) */
	TransactionId fill_order[2];	/* its fill row's age (desc_lock) */
	pg_atomic_uint32 dropped;
	pg_atomic_uint64 fill_time_max_us;
	AcStatRow	shared_row;
	uint64		baseline[AC_NCOUNTERS];
} AcCacheDesc;

/*
 * Per-backend slot, indexed by pgprocno.
 *
 * epoch: nonzero while the backend is inside a read section (it then may
 * hold pointers to entries); written only by the owner, read by reclaimers.
 * session: a number unique to the backend's attachment, zero when no live
 * backend owns the slot; a waiter compares it with the session recorded in
 * a pending entry to see whether the filler is gone.
 * waiting_for: 1 + the slot of the filler this backend sleeps on, or 0;
 * read by other waiters to find wait cycles (deadlocks between fills).
 */
typedef struct AcBackendSlot
{
	pg_atomic_uint64 epoch;
	pg_atomic_uint64 session;
	pg_atomic_uint32 waiting_for;
	uint32		pad;
	AcStatRow	stats[AC_STAT_ROWS];
	/* a whole number of cache lines: no line is shared by two backends */
	char		pad_end[PG_CACHE_LINE_SIZE -
						(24 + AC_STAT_ROWS * sizeof(AcStatRow)) % PG_CACHE_LINE_SIZE];
} AcBackendSlot;

/*
 * A node of a partition's ordered list (table.c): the head of every entry,
 * and the whole of a bucket's sentinel.  so_key is the node's place in the
 * list: the bit-reversed hash, odd for an entry, even for a sentinel.
 */
#define AC_NOT_LINKED	(~UINT64CONST(0))

typedef struct AcNode
{
	pg_atomic_uint64 next;		/* a reference to the next node (table.c),
								 * 0 at the end; changed only under the
								 * partition lock.  A sentinel not in the
								 * list holds AC_NOT_LINKED (bucket 0's is
								 * always in it) */
} AcNode;

/*
 * A partition of the index (table.c).  Its buckets are sentinel nodes:
 * buckets 0..15 are seg0, here, and never go; bucket b >= 16 is in the
 * segment s = log2(b) - 3 (an AcSegment of 16 << (s - 1) buckets).
 * segments[s] is where a lookup finds it: set when the partition grows
 * into s, cleared when it shrinks out of it.  mapped[s] is where a
 * reference to one of its sentinels leads: set with segments[s], cleared
 * only once the segment is freed (so a lookup that loaded a reference
 * before the shrink still reads the sentinel), and a partition grows into
 * s again only after that.  mask is the number of buckets in use less
 * one.  Lookups read mask, segments and mapped without a lock; growing and
 * shrinking change them under the lock, which also serializes every
 * change of the partition's list (insert, unlink).  The lock and count,
 * written by every insert and unlink, are kept off the cache lines that
 * lookups read.
 */
typedef struct AcPartition
{
	pg_atomic_uint32 mask;
	uint32		pad;
	pg_atomic_uint64 segments[AC_MAX_SEGMENTS]; /* [0] unused: seg0 */
	pg_atomic_uint64 mapped[AC_MAX_SEGMENTS];
	char		pad_readers[PG_CACHE_LINE_SIZE -
							(8 + 16 * AC_MAX_SEGMENTS) % PG_CACHE_LINE_SIZE];
	LWLock		lock;
	pg_atomic_uint32 count;		/* entries linked */
	char		pad_writers[PG_CACHE_LINE_SIZE - sizeof(LWLock) - 4];
	AcNode		seg0[AC_SEG0_BUCKETS];
} AcPartition;

/*
 * The shared header, in the DSA area.  Fixed-size arrays are allocated
 * separately and referenced by dsa_pointer.
 */
typedef struct AcShared
{
	pg_atomic_uint64 global_epoch;	/* advanced by reclaimers */
	pg_atomic_uint64 session_counter;	/* hands out backend sessions */
	pg_atomic_uint64 retired[3];	/* lock-free stacks of retired entries,
									 * by retire epoch modulo 3 (table.c) */
	pg_atomic_uint64 ddl_generation;	/* bumped by every cache DDL */
	pg_atomic_uint64 bytes_used;	/* all entries and values */
	pg_atomic_uint64 entry_count;	/* entries linked in the table */
	pg_atomic_uint64 peak_bytes;	/* highest bytes_used seen */
	pg_atomic_uint64 clock_hand;	/* next bucket the eviction sweep visits */
	pg_atomic_uint64 nbuckets;	/* of all partitions, in use */
	pg_atomic_uint64 retired_segments;	/* lock-free stack, as retired */
	dsa_pointer retire_backlog; /* retired entries safe to free, left over
								 * by a reclaimer's batch (reclaim_lock) */
	pg_atomic_uint64 sweep_debt;	/* entries that may be garbage (table.c) */
	pg_atomic_uint64 dsa_limit; /* last size limit given to the area */
	pg_atomic_uint64 grow_blocked_until;	/* ns: the OS refused a segment */
	pg_atomic_uint64 blocked_limit; /* the budget meanwhile: bytes then */
	dsa_pointer self;			/* of this header: sentinels of seg0 */
	uint32		nslots;			/* backend slots */
	dsa_pointer slots;			/* AcBackendSlot[nslots], at slots_offset */
	uint32		slots_offset;	/* to the first cache line boundary */
	dsa_pointer descs;			/* AcCacheDesc[AC_MAX_CACHES] */
	LWLock		reclaim_lock;	/* one reclaimer at a time */
	LWLock		desc_lock;		/* claiming descriptors, resets */
	ConditionVariable cvs[AC_NCVS]; /* fill done, by key hash */
	AcPartition partitions[AC_NPARTITIONS];	/* the index (table.c) */
} AcShared;

/*
 * The control block in the main shared memory.  Just enough to find the
 * DSA area.  initialized is set (after area_handle and shared) under
 * AddinShmemInitLock, and read under it.
 */
typedef struct AcControl
{
	uint32		magic;
	bool		initialized;
	int			tranche_id;
	dsa_handle	area_handle;
	dsa_pointer shared;
} AcControl;

extern int	ac_memory_limit_kb;
extern dsa_area *ac_area;
extern AcShared *ac_shared;
extern AcBackendSlot *ac_slots;
extern AcBackendSlot *ac_my_slot;
extern int	ac_my_slotno;
extern uint64 ac_my_session;
extern AcCacheDesc *ac_descs;

/* Is generation g (an entry's) still current in its descriptor? */
static inline bool
ac_desc_generation_current(int desc_idx, uint64 g)
{
	return pg_atomic_read_u64(&ac_descs[desc_idx].generation[(g >> 1) & 1]) == g;
}

/* The TTL of the version an entry of generation g belongs to, 0: none. */
static inline uint64
ac_desc_ttl(int desc_idx, uint64 g)
{
	return pg_atomic_read_u64(&ac_descs[desc_idx].ttl_ns[(g >> 1) & 1]);
}

/*
 * A miss of the version of generation g: its slot is in use (a coarse
 * clock, written at most every 100 ms, off the line hits read).
 */
static inline void
ac_desc_touch(int desc_idx, uint64 g, uint64 now_ns)
{
	pg_atomic_uint32 *used = &ac_descs[desc_idx].used_ms[(g >> 1) & 1];
	uint32		now_ms = (uint32) (now_ns / 1000000);

	if ((uint32) (now_ms - pg_atomic_read_u32(used)) >= 100)
		pg_atomic_write_u32(used, now_ms);
}

extern void ac_attach(void);
extern uint64 ac_now_ns(void);
extern uint64 ac_fixed_bytes(void);

/*
 * What the layers above do when a backend attaches (once) and before it
 * exits (shmem.c calls them; the module file, atomiccache.c, sets them).
 * The exit hook cannot ERROR.
 */
typedef void (*AcShmemHook) (void);
extern void ac_shmem_init(AcShmemHook on_attach, AcShmemHook on_exit);

static inline void *
ac_addr(dsa_pointer p)
{
	return dsa_get_address(ac_area, p);
}

#endif							/* AC_SHMEM_H */
