/*-------------------------------------------------------------------------
 *
 * table.h
 *	  The lock-free index of atomiccache: entries, their states, lookup,
 *	  insertion of a reservation, publication, removal and the safe
 *	  reclamation of memory.  Nothing here knows about SQL.
 *
 * IDENTIFICATION
 *	  src/table.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AC_TABLE_H
#define AC_TABLE_H

#include "shmem.h"

/*
 * Entry states.  The state word of an entry packs, from the low bits:
 *
 *	bits  0..7	 state (AcState)
 *	bits  8..31	 slot of the filling backend (PENDING only)
 *	bits 32..63	 low 32 bits of that backend's session (PENDING only)
 *
 * Transitions, all by compare-and-swap on the whole word:
 *
 *	(new) -> PENDING(me)		 created by the filler, then linked
 *	PENDING(me) -> READY		 the filler published a value
 *	PENDING(me) -> FAILED		 the filler published an error
 *	PENDING(me) -> UNCACHED		 the value did not fit in memory: the
 *								 filler returns it uncached, and so do
 *								 its waiters, each running the fill
 *	PENDING(x) -> ABANDONED		 the filler gave up (transient error,
 *								 cancel, exit) or a waiter found it dead
 *	ABANDONED -> PENDING(me)	 a waiter takes the fill over
 *	READY/FAILED/ABANDONED/UNCACHED -> REMOVED
 *								 invalidate, expiry, eviction, garbage; the
 *								 backend whose CAS succeeds unlinks it
 *
 * PENDING entries are never removed: whoever wants one gone waits first.
 * A REMOVED word keeps the state it had before in the slot bits
 * (AC_REMOVED_FROM), so that a waiter that wakes after its fill's result
 * was already invalidated or evicted still knows the result was published
 * (its pin keeps the value readable) and returns it.
 */
typedef enum AcState
{
	AC_PENDING = 1,
	AC_READY = 2,
	AC_FAILED = 3,
	AC_ABANDONED = 4,
	AC_REMOVED = 5,
	AC_UNCACHED = 6
} AcState;

#define AC_STATE(w)			((uint32) ((w) & 0xFF))
#define AC_FILLER_SLOT(w)	((uint32) (((w) >> 8) & 0xFFFFFF))
#define AC_FILLER_SESSION(w) ((uint32) ((w) >> 32))
#define AC_REMOVED_FROM(w)	AC_FILLER_SLOT(w)
#define AC_MAKE_STATE(s, slot, sess) \
	((uint64) (s) | ((uint64) ((slot) & 0xFFFFFF) << 8) | ((uint64) (uint32) (sess) << 32))

/*
 * An entry: 59 bytes of fields, then the key image, in one allocation
 * (an int key, 5 bytes of image, makes 64: one cache line).  The fields
 * that are not the filler's are set before the entry is linked (after a
 * write barrier) and never change.  The filler's fields are written
 * before the state CAS to READY or FAILED (full barrier); readers load
 * the state, then pg_read_barrier(), then read them.
 *
 * keylen is the key image's length, or AC_KEYLEN_LONG: then the image
 * starts after a uint32 of its length (ac_entry_keylen, ac_entry_key).
 *
 * life.filled_at is the filler's; once the entry is retired (REMOVED and
 * unlinked), its remover reuses it as the link of a retire list
 * (table.c): a reader that loaded the state before the removal may read
 * that link as the fill time: whoever decides on an expiry and acts on
 * it other than by a CAS of the state loads the state again after it
 * (ac_entry_expiry).  An entry expires at filled_at plus the TTL of its
 * version (shmem.h, AcCacheDesc).
 */
#define AC_KEYLEN_LONG	0xFFFF

typedef struct AcEntry
{
	AcNode		node;			/* must be first */
	uint32		so_key;			/* its place in its partition's list */
	uint16		keylen;			/* or AC_KEYLEN_LONG */
	int16		desc_idx;		/* cache descriptor (< AC_MAX_CACHES) */
	pg_atomic_uint64 state;		/* see above */
	pg_atomic_uint32 refcount;	/* pins held across sleeps and fills */
	uint32		value_len;		/* bytes at value.dp, or 0 */
	uint64		generation;		/* with desc_idx, its cache (AcCacheDesc) */
	union
	{
		uint64		filled_at;	/* monotonic ns; the filler's */
		dsa_pointer retire_next;	/* once retired */
	}			life;
	union
	{
		dsa_pointer dp;			/* value_len bytes: a value or an error */
		Datum		datum;		/* a by-value result (value_len 0) */
	}			value;
	uint8		flags;			/* AC_VAL_* (value.h); the filler's */
	volatile uint8 refbit;		/* CLOCK reference bit: a hint, set and
								 * cleared by plain byte stores */
	uint8		partition;		/* of the index (hash % AC_NPARTITIONS) */
	char		key[FLEXIBLE_ARRAY_MEMBER];
} AcEntry;

/* The key image of an entry, and its length. */
static inline uint32
ac_entry_keylen(const AcEntry *e)
{
	uint32		len;

	if (e->keylen != AC_KEYLEN_LONG)
		return e->keylen;
	memcpy(&len, e->key, sizeof(uint32));
	return len;
}

static inline const char *
ac_entry_key(const AcEntry *e)
{
	return e->keylen != AC_KEYLEN_LONG ? e->key : e->key + sizeof(uint32);
}

/*
 * Test points: the places where the order of two backends matters to an
 * argument of a head comment.  Test builds (-DAC_TEST_POINTS, as
 * test/run.sh builds) call ac_test_point(point, a, b) there, an empty
 * function in which a test stops one backend with gdb while others act
 * (test/t/100_removers.pl, 230_faults.pl, 250_interleavings.pl); a and b
 * say where the backend is (a partition, a bucket, an entry's so_key, an
 * epoch: see each point; points 1 to 4 give the entry's partition and
 * so_key), for gdb's conditions.  Only the points armed in the backend's
 * ac_test_armed call it: points 1 to 6 from the start (2 is on every
 * lookup that finds its entry, so a backend under gdb traps there on
 * every hit), the others once a test arms them (gdb sets the bit), so
 * that a backend does not trap on every lookup's steps unless asked.
 * Other builds compile nothing.
 */
typedef enum AcTestPoint
{
	AC_TP_INVALIDATE_FOUND = 1, /* invalidate found the entry, state unread */
	AC_TP_GET_FOUND = 2,		/* a lookup found the entry, state unread */
	AC_TP_SWEEP_CANDIDATE = 3,	/* the garbage sweep is about to remove */
	AC_TP_EVICT_CANDIDATE = 4,	/* an eviction walk stands on an entry not
								 * PENDING, nothing decided */
	AC_TP_FILL_START = 5,		/* a filler holds its entry, fill not called */
	AC_TP_FILL_DONE = 6,		/* the fill returned, outcome not published */
	AC_TP_FIND_MASK = 7,		/* a lookup read the mask (a: partition, b:
								 * its bucket under that mask) */
	AC_TP_FIND_START = 8,		/* a lookup has its start sentinel, next
								 * unread (a: partition, b: the sentinel's
								 * bucket: its own or an ancestor) */
	AC_TP_RESERVE = 9,			/* a reservation is made, not linked, no read
								 * section open (a: partition) */
	AC_TP_LINK = 10,			/* under the lock, a node complete but not
								 * yet in the list (a: partition, b: a
								 * sentinel's bucket, or 0 for an entry:
								 * bucket 0's sentinel is never linked, it
								 * is always in the list) */
	AC_TP_GROW_BEGIN = 11,		/* a grower has its segment, lock not taken
								 * (a: partition) */
	AC_TP_GROW = 12,			/* under the lock, the new mask published
								 * (a: partition, b: its buckets now) */
	AC_TP_SHRINK = 13,			/* a shrink let go of the lock, its segment
								 * not retired (a: partition, b: its
								 * buckets now, halved) */
	AC_TP_MARKED = 14,			/* a remover's CAS won, entry still linked
								 * (a: partition, b: so_key) */
	AC_TP_RETIRE = 15,			/* an unlinked entry's epoch read, not pushed
								 * on its list (a: partition, b: the epoch) */
	AC_TP_RECLAIM_ADVANCED = 16,	/* reclaim_lock held, the epoch advanced
									 * to a, list (a - 2) % 3 not taken */
	AC_TP_RECLAIM_BACKLOG = 17, /* a reclaimer holds a backlog (a: the
								 * epoch) */
	AC_TP_HIT = 18,				/* a hit decided, value not copied (a:
								 * partition, b: so_key) */
	AC_TP_WOKEN = 19,			/* a waiter woke to the outcome, pinned, not
								 * in a read section, value not copied (a:
								 * partition, b: so_key) */
	AC_TP_FIND_STEP = 20		/* a lookup stands on an entry, its next
								 * unread (a: partition, b: its so_key) */
} AcTestPoint;

/* the points armed from the start (bits 1 to 6); ac_test_armed is 32 bits */
#define AC_TEST_POINTS_ARMED \
	((((uint32) 1 << (AC_TP_FILL_DONE + 1)) - 1) & ~(uint32) 1)
StaticAssertDecl(AC_TP_FIND_STEP < 32, "a test point is a bit of a uint32");

#ifdef AC_TEST_POINTS
extern uint32 ac_test_armed;
extern void ac_test_point(AcTestPoint point, uint64 a, uint64 b);
#define AC_TEST_POINT(p, a, b) \
	do { \
		if (unlikely(ac_test_armed & ((uint32) 1 << (p)))) \
			ac_test_point((p), (a), (b)); \
	} while (0)
#else
#define AC_TEST_POINT(p, a, b)	((void) 0)
#endif

/* read sections (epoch-based reclamation) */
extern void ac_read_begin(void);
extern void ac_read_end(void);
extern bool ac_in_read_section(void);
extern void ac_read_reset(void);


extern AcEntry *ac_table_find(uint64 hash, int desc_idx, uint64 generation,
							  const char *key, uint32 keylen);
extern Size ac_entry_size(uint32 keylen);
extern AcEntry *ac_entry_init(dsa_pointer dp, uint64 hash, const char *key,
							  uint32 keylen, int desc_idx, uint64 generation);
extern void ac_entry_discard(AcEntry *entry, dsa_pointer dp);
extern AcEntry *ac_table_insert(AcEntry *newentry, dsa_pointer dp);
extern bool ac_entry_remove(AcEntry *entry, uint64 expected);
extern void ac_entry_pin(AcEntry *entry);
extern void ac_entry_unpin(AcEntry *entry);
extern bool ac_entry_publish(AcEntry *entry, uint32 newstate);
extern bool ac_entry_abandon(AcEntry *entry, uint64 expected);
extern bool ac_entry_takeover(AcEntry *entry, uint64 expected);
extern ConditionVariable *ac_entry_cv(AcEntry *entry);
extern bool ac_entry_expired(AcEntry *entry, uint64 now);

/*
 * Has this entry expired, whose state word the caller loaded as st (READY
 * or FAILED, then a read barrier), now?  1 or 0; -1 if it was removed
 * meanwhile: its fill time may have been its retire link (above), and the
 * caller looks again.  An entry whose version's slot changed hands is
 * garbage, as good as expired (the TTL read is another version's).
 * Inline: every hit asks.
 */
static inline int
ac_entry_expiry(AcEntry *entry, uint64 st)
{
	uint64		ttl = ac_desc_ttl(entry->desc_idx, entry->generation);
	uint64		filled_at;

	if (ttl == 0)
	{
		/* read after the TTL: if the slot kept its version, the TTL is its */
		pg_read_barrier();
		return ac_desc_generation_current(entry->desc_idx, entry->generation) ? 0 : 1;
	}
	filled_at = entry->life.filled_at;
	/* partner: the CAS to REMOVED, before the link is written */
	pg_read_barrier();
	if (pg_atomic_read_u64(&entry->state) != st)
		return -1;
	if (!ac_desc_generation_current(entry->desc_idx, entry->generation))
		return 1;
	/* the clock only for a cache with a TTL */
	return ac_now_ns() > filled_at + ttl ? 1 : 0;
}
extern void ac_reclaim(void);

typedef void (*AcScanFn) (AcEntry *entry, uint64 state, void *arg);
extern void ac_table_scan(AcScanFn fn, void *arg);
extern bool ac_entry_is_garbage(AcEntry *e, uint64 now);

/*
 * Walking part of the table a bucket at a time, for the garbage sweep and
 * eviction: hand (a shared or a backend's own counter) names the next
 * bucket (table.c, hand_bucket) and advances by one per bucket; fn is
 * called, inside a read section, for each entry not REMOVED of the
 * bucket, and may remove it.  Stops after max_buckets buckets, or once
 * max_visits entries were visited.  fn must not ERROR.  Returns the
 * entries visited.
 */
extern uint64 ac_table_walk(pg_atomic_uint64 *hand, uint64 max_buckets,
							uint64 max_visits, AcScanFn fn, void *arg);
extern uint64 ac_table_buckets(void);
extern uint64 ac_table_round(void);
extern void ac_table_garbage_hint(uint64 n);
extern void ac_sweep_garbage(uint64 max_visits);
extern void ac_sweep_all(void);

#ifdef AC_TEST_POINTS
/*
 * What tests read of the index (inspect.c, atomiccache_test_*): the
 * place of an entry, and the shape of a partition.
 */
typedef struct AcTestPartition
{
	uint32		buckets;		/* its mask + 1 */
	uint32		entries;		/* its count */
	uint32		linked;			/* sentinels linked (bucket 0's included) */
	uint32		segments;		/* segments lookups reach */
	uint32		mapped;			/* segments references reach (a shrink's
								 * not freed yet included) */
	uint64		segment_bytes;	/* bytes of the mapped segments */
} AcTestPartition;

extern void ac_table_test_place(const AcEntry *e, uint32 *inner,
								uint32 *start_bucket);
extern void ac_table_test_partition(uint32 pi, AcTestPartition *out);
#endif

/* the index's growth (evict.c allocates the bytes) */
extern Size ac_table_growth_wanted(uint64 hash);
extern bool ac_table_grow(uint64 hash, dsa_pointer segment, Size size);

#endif							/* AC_TABLE_H */
