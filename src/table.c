/*-------------------------------------------------------------------------
 *
 * table.c
 *	  The lock-free index of atomiccache and the safe reclamation of the
 *	  memory of removed entries.
 *
 * The index is split in AC_NPARTITIONS partitions by the low bits of the
 * hash.  Each partition is one singly linked list of all its entries,
 * ordered by so_key, the bit-reversed remaining bits of the hash (a
 * split-ordered list, after Shalev and Shavit), and an array of buckets
 * that grows and shrinks with the number of entries.  A bucket is a
 * sentinel node linked into the list just before the entries whose hash
 * ends with the bucket's number: since the order is by reversed bits,
 * those entries are contiguous, and doubling the buckets only adds
 * sentinels in the middle of runs that already exist.  No entry ever
 * moves; growing is linking new sentinels, shrinking is unlinking them.
 *
 * Lookups take no lock.  They read the partition's mask, find the bucket's
 * sentinel (or, for a bucket not linked yet, the nearest ancestor's, whose
 * run holds the bucket's entries: b without its highest bit), and follow
 * the list with atomic loads until the so_key passes theirs.  Every change
 * of a partition's list is made under its LWLock: insertion (after a scan
 * that finds no live entry with the same key: the lock makes the scan and
 * the link one step, so a key never has two live entries), the linking of
 * a sentinel, and unlinking.  A node is complete before it is linked (a
 * write barrier, then the store of the predecessor's next); an unlinked
 * node keeps its next pointer, which still leads forward in the list, so
 * a lookup standing on it finishes its walk correctly, missing at most
 * entries inserted after it started.
 *
 * Growing: after an insert, a partition with more than two entries per
 * bucket wants a segment for twice its buckets (table_growth_wanted); the
 * caller allocates it (evict.c: the bytes count in the memory limit), and
 * table_grow installs it and publishes the new mask (write barrier
 * between); new buckets are linked lazily, by the first insert that needs
 * one.  Shrinking: after an unlink, a partition with fewer than one entry
 * per two buckets halves its mask, unlinks the sentinels of the upper
 * half, and retires their segment like an entry (below).  Both run under
 * the lock; a lookup that read the old mask reaches either a sentinel
 * still linked, an unlinked one (see above), or, the segment pointer gone,
 * the ancestor.  Growing and shrinking never stop a lookup.
 *
 * Before unlinking an entry, the remover moves its state to REMOVED by
 * CAS, which decides who unlinks it and lets lookups skip it.  The CAS
 * starts from a live word the remover loaded itself; a REMOVED (or
 * PENDING) word is refused, so a remover that loaded the state after
 * another removed the entry can never remove it a second time
 * (test/t/100_removers.pl forces every pair of removers to interleave
 * there).  Removal and eviction are slow paths; the hit path takes no lock
 * (README.md, Design).
 *
 * Reclamation is epoch based.  A backend announces the global epoch in
 * its slot before it reads the table (ac_read_begin) and clears it after
 * (ac_read_end), each with a full barrier.  A removed entry (a segment of
 * sentinels unlinked by a shrink) is pushed on a shared stack with the
 * global epoch read after its unlink (after its segment pointer was
 * cleared).  The
 * reclaimer advances the epoch and frees an entry only when every
 * announced epoch is newer than the entry's retire epoch and nobody pins
 * it.  Argument: a reader that can hold a pointer to entry X read the
 * global epoch g before it loaded X from the chain, and X was still
 * linked then, so X's retire epoch r, read after the unlink, is >= g.
 * The reader stored g in its slot and then executed a full barrier before
 * loading the chain; the unlink is a full barrier before the reclaimer
 * loads the slots; so the reclaimer sees g (or a later value from a later
 * read section, which cannot reach X).  Hence min(announced) <= g <= r
 * and X is kept.  The same holds for a segment: a lookup that can reach
 * it read its pointer while it was set, after announcing its epoch.  And
 * for the node an unlinked node's next leads to: it was linked when the
 * first was unlinked, and a reader that reached the first did so before
 * -- or, for a sentinel that a shrink unlinked, before the shrink cleared
 * its segment's pointer; the shrink holds the partition's lock from the
 * first unlink to that clearing, so no successor is unlinked, let alone
 * retired, in between.  A change that let go of the lock there would
 * break this.
 *
 * Waiters and fillers keep an entry across sleeps and fills, outside any
 * read section, with a pin (refcount).  They take the pin inside a read
 * section (a full-barrier fetch-add) before they clear their epoch, so a
 * reclaimer that sees the epoch cleared also sees the pin: it reads the
 * slots, executes a full barrier, then reads the refcount.
 *
 * IDENTIFICATION
 *	  src/table.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "port/pg_bitutils.h"
#include "port/pg_bswap.h"

#include "memory.h"
#include "stats.h"
#include "table.h"

/*
 * A segment of sentinels, for buckets 16 << (s - 1) up to 16 << s of one
 * partition.  The header's fields serve its retirement.
 */
typedef struct AcSegment
{
	uint64		retire_epoch;
	dsa_pointer retire_next;
	dsa_pointer self;
	uint64		size;			/* bytes allocated */
	AcNode		buckets[FLEXIBLE_ARRAY_MEMBER];
} AcSegment;

/* what a hit reads is one cache line (table.h) */
StaticAssertDecl(offsetof(AcEntry, key) <= PG_CACHE_LINE_SIZE,
				 "the head of an entry must fit in a cache line");

#define GROW_LOAD	2			/* entries a bucket, on average, to grow */
#define MAX_BUCKETS (AC_SEG0_BUCKETS << (AC_MAX_SEGMENTS - 1))

static int	read_depth = 0;
static pg_atomic_uint64 sweep_hand;
static bool sweep_hand_set = false;

/* x with its 64 bits in the reverse order */
static inline uint64
reverse64(uint64 x)
{
	x = pg_bswap64(x);
	x = ((x >> 4) & UINT64CONST(0x0F0F0F0F0F0F0F0F)) |
		((x & UINT64CONST(0x0F0F0F0F0F0F0F0F)) << 4);
	x = ((x >> 2) & UINT64CONST(0x3333333333333333)) |
		((x & UINT64CONST(0x3333333333333333)) << 2);
	x = ((x >> 1) & UINT64CONST(0x5555555555555555)) |
		((x & UINT64CONST(0x5555555555555555)) << 1);
	return x;
}

/* The partition of a hash, and the bits that order it within. */
static inline AcPartition *
partition_for(uint64 hash)
{
	return &ac_shared->partitions[hash % AC_NPARTITIONS];
}

static inline uint64
inner_hash(uint64 hash)
{
	return hash / AC_NPARTITIONS;
}

/* an entry's place: odd, after its bucket's sentinel */
static inline uint64
entry_so_key(uint64 hash)
{
	return reverse64(inner_hash(hash)) | 1;
}

/* a sentinel's place: even (bucket 0's is 0) */
static inline uint64
sentinel_so_key(uint32 b)
{
	return reverse64((uint64) b);
}

static inline uint32
parent_bucket(uint32 b)
{
	Assert(b != 0);
	return b & ~((uint32) 1 << pg_leftmost_one_pos32(b));
}

/* the segment that holds bucket b >= AC_SEG0_BUCKETS, and b's index there */
static inline int
segment_of(uint32 b, uint32 *idx)
{
	int			top = pg_leftmost_one_pos32(b);

	Assert(b >= AC_SEG0_BUCKETS);
	*idx = b - ((uint32) 1 << top);
	return top - 3;
}

static inline uint32
segment_buckets(int s)
{
	return (uint32) AC_SEG0_BUCKETS << (s - 1);
}

/*
 * Bucket b's sentinel and its dsa_pointer (if dp is not NULL), or NULL
 * when its segment is gone (a shrink, seen by a lookup that read the old
 * mask).
 */
static inline AcNode *
bucket_node(AcPartition *part, uint32 b, dsa_pointer *dp)
{
	uint32		idx;
	dsa_pointer seg;
	AcSegment  *sp;

	if (b < AC_SEG0_BUCKETS)
	{
		if (dp)
			*dp = ac_shared->self +
				((char *) &part->seg0[b] - (char *) ac_shared);
		return &part->seg0[b];
	}
	seg = pg_atomic_read_u64(&part->segments[segment_of(b, &idx)]);
	if (!DsaPointerIsValid(seg))
	{
		if (dp)
			*dp = InvalidDsaPointer;
		return NULL;
	}
	pg_read_barrier();
	sp = ac_addr(seg);
	if (dp)
		*dp = seg + offsetof(AcSegment, buckets) + idx * sizeof(AcNode);
	return &sp->buckets[idx];
}

/* is this sentinel in the list, a place to start from? */
static inline bool
sentinel_linked(AcNode *n, uint32 b)
{
	return n != NULL && (b == 0 || pg_atomic_read_u64(&n->so_key) != 0);
}

/*
 * The sentinel to start a walk from for hash: its bucket's, or the
 * nearest linked ancestor's.  Lock-free.
 */
static AcNode *
start_node(AcPartition *part, uint64 hash)
{
	uint32		mask = pg_atomic_read_u32(&part->mask);
	uint32		b;

	pg_read_barrier();			/* partner: table_grow's write barrier */
	b = (uint32) inner_hash(hash) & mask;
	for (;;)
	{
		AcNode	   *n = bucket_node(part, b, NULL);

		if (sentinel_linked(n, b))
		{
			pg_read_barrier();	/* the sentinel's next after its so_key */
			return n;
		}
		b = parent_bucket(b);
	}
}

/*
 * Link bucket b's sentinel (and its ancestors') if it is not linked yet.
 * Caller holds the partition's lock; b is within its mask.
 */
static AcNode *
link_bucket(AcPartition *part, uint32 b)
{
	dsa_pointer dp;
	AcNode	   *n = bucket_node(part, b, &dp);
	AcNode	   *pred;
	uint64		key = sentinel_so_key(b);
	dsa_pointer p;

	Assert(n != NULL);
	if (sentinel_linked(n, b))
		return n;
	pred = link_bucket(part, parent_bucket(b));
	for (;;)
	{
		p = pg_atomic_read_u64(&pred->next);
		if (!DsaPointerIsValid(p) ||
			pg_atomic_read_u64(&((AcNode *) ac_addr(p))->so_key) > key)
			break;
		pred = ac_addr(p);
	}
	/* complete (next, then so_key: see start_node) before it is linked */
	pg_atomic_write_u64(&n->next, p);
	pg_write_barrier();
	pg_atomic_write_u64(&n->so_key, key);
	pg_write_barrier();
	pg_atomic_write_u64(&pred->next, dp);
	return n;
}

#ifdef AC_TEST_POINTS
/*
 * An empty function that a test stops a backend in (gdb breakpoint, with
 * a condition on the point).  The asm keeps the compiler from dropping the
 * call as side-effect free.
 */
pg_noinline void
ac_test_point(AcTestPoint point)
{
	pg_compiler_barrier();
}
#endif

/*
 * Enter a read section.  Nested sections are counted; only the outermost
 * announces an epoch.  Cannot ERROR.
 */
void
ac_read_begin(void)
{
	if (read_depth++ == 0)
	{
		/*
		 * The exchange is a full barrier: the announcement is visible before
		 * any load of the table (partner: the barrier in ac_reclaim()
		 * between the unlinks it reclaims and its scan of the slots).
		 */
		(void) pg_atomic_exchange_u64(&ac_my_slot->epoch,
									  pg_atomic_read_u64(&ac_shared->global_epoch));
	}
}

void
ac_read_end(void)
{
	Assert(read_depth > 0);
	if (--read_depth == 0)
	{
		/*
		 * Every read of an entry must happen before the epoch is cleared: a
		 * load-store ordering.  x86-64 (TSO) never reorders a load with a
		 * later store, so a compiler barrier suffices there; elsewhere a
		 * full barrier.
		 */
#if defined(__x86_64__)
		pg_compiler_barrier();
#else
		pg_memory_barrier();
#endif
		pg_atomic_write_u64(&ac_my_slot->epoch, 0);
	}
}

bool
ac_in_read_section(void)
{
	return read_depth > 0;
}

/*
 * Called at abort and exit: forget any read section left open by an
 * ERROR thrown inside one.
 */
void
ac_read_reset(void)
{
	if (read_depth > 0 && ac_my_slot != NULL)
	{
		pg_memory_barrier();
		pg_atomic_write_u64(&ac_my_slot->epoch, 0);
	}
	read_depth = 0;
}

/*
 * Find the live entry (any state but REMOVED) with this key.  Must be
 * called inside a read section; the pointer is valid until it ends, or
 * longer if pinned.  Lock-free.
 */
AcEntry *
ac_table_find(uint64 hash, int desc_idx, uint64 generation,
			  const char *key, uint32 keylen)
{
	uint64		so_key = entry_so_key(hash);
	dsa_pointer p;

	Assert(read_depth > 0);
	p = pg_atomic_read_u64(&start_node(partition_for(hash), hash)->next);
	while (DsaPointerIsValid(p))
	{
		AcEntry    *e = ac_addr(p);
		uint64		k = pg_atomic_read_u64(&e->node.so_key);

		if (k > so_key)
			break;
		/* one list and one so_key: one hash (its bits, in another order) */
		if (k == so_key && e->generation == generation &&
			e->desc_idx == desc_idx && e->keylen == keylen &&
			memcmp(e->key, key, keylen) == 0 &&
			AC_STATE(pg_atomic_read_u64(&e->state)) != AC_REMOVED)
			return e;
		p = pg_atomic_read_u64(&e->node.next);
	}
	return NULL;
}

/* The bytes of an entry with a key of keylen bytes. */
Size
ac_entry_size(uint32 keylen)
{
	return offsetof(AcEntry, key) + MAXALIGN(keylen) + sizeof(AcEntryTail);
}

/*
 * Make a new entry in the chunk dp (of ac_entry_size(keylen) bytes, which
 * the caller allocated: evict.c), PENDING and owned by this backend,
 * pinned once for the caller.  Not linked yet.
 */
AcEntry *
ac_entry_init(dsa_pointer dp, uint64 hash, const char *key, uint32 keylen,
			  int desc_idx, uint64 generation)
{
	AcEntry    *e;
	AcEntryTail *t;

	Assert(desc_idx >= 0 && desc_idx < AC_MAX_CACHES);
	e = ac_addr(dp);
	pg_atomic_init_u64(&e->node.next, InvalidDsaPointer);
	pg_atomic_init_u64(&e->node.so_key, entry_so_key(hash));
	pg_atomic_init_u64(&e->state,
					   AC_MAKE_STATE(AC_PENDING, ac_my_slotno, ac_my_session));
	pg_atomic_init_u32(&e->refcount, 1);
	e->keylen = keylen;
	e->generation = generation;
	e->expires_at = 0;
	e->value.dp = InvalidDsaPointer;
	e->value_len = 0;
	e->desc_idx = (int16) desc_idx;
	e->flags = 0;
	e->refbit = 0;
	memcpy(e->key, key, keylen);
	t = AC_ENTRY_TAIL(e);		/* placed by keylen, set above */
	t->hash = hash;
	t->self = dp;
	t->filled_at = 0;
	t->retire_epoch = 0;
	t->retire_next = InvalidDsaPointer;
	return e;
}

static void
entry_free(AcEntry *e)
{
	if (e->value_len > 0)
		ac_mem_free(e->value.dp, e->value_len);
	ac_mem_free(AC_ENTRY_TAIL(e)->self, ac_entry_size(e->keylen));
}

/* Free an entry that was never linked. */
void
ac_entry_discard(AcEntry *entry)
{
	entry_free(entry);
}

/*
 * Link a new entry, unless a live entry with its key is there already:
 * then that one is returned and the new one is left unlinked.  Must be
 * called inside a read section.  Takes the partition's lock; does not
 * ERROR.
 */
AcEntry *
ac_table_insert(AcEntry *newentry)
{
	AcEntryTail *t = AC_ENTRY_TAIL(newentry);
	AcPartition *part = partition_for(t->hash);
	uint64		so_key = pg_atomic_read_u64(&newentry->node.so_key);
	AcNode	   *pred;
	dsa_pointer p;

	Assert(read_depth > 0);
	LWLockAcquire(&part->lock, LW_EXCLUSIVE);
	pred = link_bucket(part, (uint32) inner_hash(t->hash) &
					   pg_atomic_read_u32(&part->mask));
	for (;;)
	{
		AcEntry    *e;
		uint64		k;

		p = pg_atomic_read_u64(&pred->next);
		if (!DsaPointerIsValid(p))
			break;
		e = ac_addr(p);
		k = pg_atomic_read_u64(&e->node.so_key);
		if (k > so_key)
			break;
		if (k == so_key && e->generation == newentry->generation &&
			e->desc_idx == newentry->desc_idx &&
			e->keylen == newentry->keylen &&
			memcmp(e->key, newentry->key, e->keylen) == 0 &&
			AC_STATE(pg_atomic_read_u64(&e->state)) != AC_REMOVED)
		{
			LWLockRelease(&part->lock);
			return e;
		}
		pred = &e->node;
	}
	pg_atomic_write_u64(&newentry->node.next, p);
	/* the entry is complete before it shows (partner: lookups' loads) */
	pg_write_barrier();
	pg_atomic_write_u64(&pred->next, t->self);
	pg_atomic_fetch_add_u32(&part->count, 1);
	LWLockRelease(&part->lock);
	pg_atomic_fetch_add_u64(&ac_shared->entry_count, 1);
	pg_atomic_fetch_add_u32(&ac_descs[newentry->desc_idx].nentries, 1);
	return newentry;
}

/* Push a retired entry or segment (its self, and its link field) on a stack. */
static void
push_one(pg_atomic_uint64 *stack, dsa_pointer self, dsa_pointer *link)
{
	uint64		old = pg_atomic_read_u64(stack);

	do
	{
		*link = old;
	} while (!pg_atomic_compare_exchange_u64(stack, &old, self));
}

/*
 * Halve the buckets of a partition with fewer than one entry per two
 * buckets: lower the mask, unlink the sentinels of the upper half, clear
 * their segment's pointer and retire it (head comment).  Takes the lock.
 */
static void
shrink(AcPartition *part)
{
	uint32		nb;
	uint32		half;
	uint32		b;
	uint32		idx;
	int			s;
	dsa_pointer seg;
	AcSegment  *sp;

	LWLockAcquire(&part->lock, LW_EXCLUSIVE);
	nb = pg_atomic_read_u32(&part->mask) + 1;
	if (nb <= AC_SEG0_BUCKETS || pg_atomic_read_u32(&part->count) >= nb / 2)
	{
		LWLockRelease(&part->lock);
		return;
	}
	half = nb / 2;
	s = segment_of(half, &idx);
	Assert(idx == 0);
	seg = pg_atomic_read_u64(&part->segments[s]);
	/* mapped before anything changes: an ERROR here leaves all as it was */
	sp = ac_addr(seg);
	pg_atomic_write_u32(&part->mask, half - 1);
	for (b = half; b < nb; b++)
	{
		dsa_pointer dp;
		AcNode	   *n = bucket_node(part, b, &dp);
		AcNode	   *pred;
		dsa_pointer p;

		if (!sentinel_linked(n, b))
			continue;
		/* its parent, in the lower half, is linked before it */
		pred = bucket_node(part, parent_bucket(b), NULL);
		while ((p = pg_atomic_read_u64(&pred->next)) != dp)
		{
			Assert(DsaPointerIsValid(p));
			pred = ac_addr(p);
		}
		pg_atomic_write_u64(&pred->next, pg_atomic_read_u64(&n->next));
	}
	pg_atomic_write_u64(&part->segments[s], InvalidDsaPointer);
	pg_atomic_fetch_sub_u64(&ac_shared->nbuckets, half);
	LWLockRelease(&part->lock);

	/* retire: the epoch is read after the pointer was cleared */
	pg_memory_barrier();
	sp->retire_epoch = pg_atomic_read_u64(&ac_shared->global_epoch);
	push_one(&ac_shared->retired_segments, seg, &sp->retire_next);
}

/*
 * Remove an entry whose state word is still "expected", a live word
 * (READY, FAILED, ABANDONED or UNCACHED) the caller loaded: move it to
 * REMOVED, unlink it and retire it.  Returns false if the state changed
 * meanwhile (somebody else removed it, or a fill took it over) or if
 * "expected" is not a live word.  Takes the partition lock (and may halve
 * the partition's buckets after); does not ERROR.
 */
bool
ac_entry_remove(AcEntry *entry, uint64 expected)
{
	AcEntryTail *t = AC_ENTRY_TAIL(entry);
	AcPartition *part = partition_for(t->hash);
	uint64		st = expected;
	AcNode	   *pred;
	dsa_pointer p;
	uint32		count;
	uint32		nb;

	/*
	 * Only a word that shows the entry live may be swapped for REMOVED.  A
	 * caller that loaded the state after another backend removed the entry
	 * (its lookup still saw it live, its load did not) holds a REMOVED word,
	 * and a CAS from it would succeed, REMOVED -> REMOVED: the entry would be
	 * unlinked, counted out and retired twice, and the retired stack would
	 * become a cycle.  PENDING entries belong to their filler.  Refusing both
	 * here, for every caller, means that a remover removes only what it saw
	 * live, and that exactly one remover wins each entry (a live word is
	 * never seen again once REMOVED is stored).
	 */
	if (AC_STATE(expected) == AC_PENDING || AC_STATE(expected) == AC_REMOVED)
		return false;
	if (!pg_atomic_compare_exchange_u64(&entry->state, &st,
										AC_MAKE_STATE(AC_REMOVED,
													  AC_STATE(expected), 0)))
		return false;

	LWLockAcquire(&part->lock, LW_EXCLUSIVE);
	/* its predecessor is after its bucket's (or an ancestor's) sentinel */
	pred = start_node(part, t->hash);
	while ((p = pg_atomic_read_u64(&pred->next)) != t->self)
	{
		Assert(DsaPointerIsValid(p));
		pred = ac_addr(p);
	}
	pg_atomic_write_u64(&pred->next, pg_atomic_read_u64(&entry->node.next));
	count = pg_atomic_sub_fetch_u32(&part->count, 1);
	nb = pg_atomic_read_u32(&part->mask) + 1;
	LWLockRelease(&part->lock);
	pg_atomic_fetch_sub_u64(&ac_shared->entry_count, 1);
	pg_atomic_fetch_sub_u32(&ac_descs[entry->desc_idx].nentries, 1);

	/* only the winner of the CAS above gets here, once per entry */
	Assert(t->retire_epoch == 0);

	/* retire: the epoch is read after the unlink (partner: ac_read_begin) */
	pg_memory_barrier();
	t->retire_epoch = pg_atomic_read_u64(&ac_shared->global_epoch);
	push_one(&ac_shared->retired, t->self, &t->retire_next);

	if (nb > AC_SEG0_BUCKETS && count < nb / 2)
		shrink(part);
	return true;
}

/*
 * How many bytes of segment the partition of hash wants, to double its
 * buckets, or 0.  A racy reading: ac_table_grow checks again.
 */
Size
ac_table_growth_wanted(uint64 hash)
{
	AcPartition *part = partition_for(hash);
	uint32		nb = pg_atomic_read_u32(&part->mask) + 1;

	if (pg_atomic_read_u32(&part->count) <= GROW_LOAD * nb ||
		nb >= MAX_BUCKETS)
		return 0;
	return offsetof(AcSegment, buckets) + (Size) nb * sizeof(AcNode);
}

/*
 * Double the buckets of the partition of hash with the segment the caller
 * allocated (size bytes, as ac_table_growth_wanted said).  Returns false
 * if it is not wanted any more (another backend grew it): the caller
 * frees it.  Takes the lock; does not ERROR.
 */
bool
ac_table_grow(uint64 hash, dsa_pointer segment, Size size)
{
	AcPartition *part = partition_for(hash);
	AcSegment  *sp = ac_addr(segment);
	uint32		nb;
	uint32		idx;
	uint32		i;
	int			s;

	/* nobody sees the segment before it is published: no lock for this */
	sp->retire_epoch = 0;
	sp->retire_next = InvalidDsaPointer;
	sp->self = segment;
	sp->size = size;
	for (i = 0; i < (size - offsetof(AcSegment, buckets)) / sizeof(AcNode); i++)
	{
		pg_atomic_init_u64(&sp->buckets[i].next, InvalidDsaPointer);
		pg_atomic_init_u64(&sp->buckets[i].so_key, 0);
	}

	LWLockAcquire(&part->lock, LW_EXCLUSIVE);
	nb = pg_atomic_read_u32(&part->mask) + 1;
	if (pg_atomic_read_u32(&part->count) <= GROW_LOAD * nb ||
		nb >= MAX_BUCKETS ||
		size != offsetof(AcSegment, buckets) + (Size) nb * sizeof(AcNode))
	{
		LWLockRelease(&part->lock);
		return false;
	}
	s = segment_of(nb, &idx);
	Assert(idx == 0 && segment_buckets(s) == nb);
	Assert(!DsaPointerIsValid(pg_atomic_read_u64(&part->segments[s])));
	/* the segment before its pointer, the pointer before the mask */
	pg_write_barrier();
	pg_atomic_write_u64(&part->segments[s], segment);
	pg_write_barrier();
	pg_atomic_write_u32(&part->mask, 2 * nb - 1);
	LWLockRelease(&part->lock);
	pg_atomic_fetch_add_u64(&ac_shared->nbuckets, nb);
	return true;
}

/* The positions of a hand's round: every bucket of every partition. */
uint64
ac_table_round(void)
{
	uint32		most = 0;
	int			i;

	for (i = 0; i < AC_NPARTITIONS; i++)
		most = Max(most, pg_atomic_read_u32(&ac_shared->partitions[i].mask) + 1);
	return (uint64) most * AC_NPARTITIONS;
}

/* The buckets of all partitions, in use now. */
uint64
ac_table_buckets(void)
{
	return pg_atomic_read_u64(&ac_shared->nbuckets);
}

void
ac_entry_pin(AcEntry *entry)
{
	pg_atomic_fetch_add_u32(&entry->refcount, 1);
}

void
ac_entry_unpin(AcEntry *entry)
{
	pg_atomic_fetch_sub_u32(&entry->refcount, 1);
}

ConditionVariable *
ac_entry_cv(AcEntry *entry)
{
	return &ac_shared->cvs[AC_ENTRY_TAIL(entry)->hash % AC_NCVS];
}

/*
 * The filler publishes its value or error: PENDING(me) -> newstate, then
 * wakes the waiters.  The value fields were written before; the CAS is a
 * full barrier (partner: the pg_read_barrier() after readers load the
 * state).
 */
bool
ac_entry_publish(AcEntry *entry, uint32 newstate)
{
	uint64		expected = AC_MAKE_STATE(AC_PENDING, ac_my_slotno, ac_my_session);
	bool		ok;

	ok = pg_atomic_compare_exchange_u64(&entry->state, &expected,
										AC_MAKE_STATE(newstate, 0, 0));
	ConditionVariableBroadcast(ac_entry_cv(entry));
	return ok;
}

/* PENDING(x) -> ABANDONED, and wake the waiters so one takes over. */
bool
ac_entry_abandon(AcEntry *entry, uint64 expected)
{
	bool		ok;

	ok = pg_atomic_compare_exchange_u64(&entry->state, &expected,
										AC_MAKE_STATE(AC_ABANDONED, 0, 0));
	if (ok)
	{
		ac_table_garbage_hint(1);	/* garbage unless taken over */
		ConditionVariableBroadcast(ac_entry_cv(entry));
	}
	return ok;
}

/* ABANDONED -> PENDING(me): this backend fills it now. */
bool
ac_entry_takeover(AcEntry *entry, uint64 expected)
{
	Assert(AC_STATE(expected) == AC_ABANDONED);
	return pg_atomic_compare_exchange_u64(&entry->state, &expected,
										  AC_MAKE_STATE(AC_PENDING, ac_my_slotno,
														ac_my_session));
}

bool
ac_entry_expired(AcEntry *entry, uint64 now)
{
	return entry->expires_at != 0 && now > entry->expires_at;
}

static void
keep(dsa_pointer *head, AcEntry **tail, AcEntry *e)
{
	AC_ENTRY_TAIL(e)->retire_next = *head;
	if (*tail == NULL)
		*tail = e;
	*head = AC_ENTRY_TAIL(e)->self;
}

/* Push a chain of retired entries back on the shared stack. */
static void
push_retired(dsa_pointer head, AcEntry *tail)
{
	uint64		old;

	if (tail == NULL)
		return;
	old = pg_atomic_read_u64(&ac_shared->retired);
	do
	{
		AC_ENTRY_TAIL(tail)->retire_next = old;
	} while (!pg_atomic_compare_exchange_u64(&ac_shared->retired, &old, head));
}

/*
 * Free the retired segments older than min_epoch; push the others back.
 * Caller holds reclaim_lock.  May ERROR (in dsa_free, before it frees
 * anything): then the rest goes back on the stack, and the lock is
 * released.
 */
static void
reclaim_segments(uint64 min_epoch)
{
	volatile dsa_pointer list;

	list = pg_atomic_exchange_u64(&ac_shared->retired_segments,
								  InvalidDsaPointer);
	PG_TRY();
	{
		while (DsaPointerIsValid(list))
		{
			AcSegment  *sp = ac_addr(list);
			dsa_pointer next = sp->retire_next;

			if (sp->retire_epoch < min_epoch)
				ac_mem_free(sp->self, sp->size);
			else
				push_one(&ac_shared->retired_segments, sp->self,
						 &sp->retire_next);
			list = next;
		}
	}
	PG_CATCH();
	{
		while (DsaPointerIsValid(list))
		{
			AcSegment  *sp = ac_addr(list);
			dsa_pointer next = sp->retire_next;

			push_one(&ac_shared->retired_segments, sp->self, &sp->retire_next);
			list = next;
		}
		LWLockRelease(&ac_shared->reclaim_lock);
		PG_RE_THROW();
	}
	PG_END_TRY();
}

/*
 * Free what can be freed of the retired entries and segments.  Runs on slow paths;
 * skips the work if another backend is reclaiming.  May ERROR (in
 * dsa_free); then nothing retired is lost: what was not freed goes back
 * on the stack.
 */
void
ac_reclaim(void)
{
	uint64		min_epoch;
	volatile dsa_pointer list;

	/* static: they survive a longjmp (one reclaimer at a time, no recursion) */
	static dsa_pointer keep_head;
	static AcEntry *keep_tail;
	uint32		i;

	if (!DsaPointerIsValid(pg_atomic_read_u64(&ac_shared->retired)) &&
		!DsaPointerIsValid(pg_atomic_read_u64(&ac_shared->retired_segments)))
		return;
	if (!LWLockConditionalAcquire(&ac_shared->reclaim_lock, LW_EXCLUSIVE))
		return;

	keep_head = InvalidDsaPointer;
	keep_tail = NULL;
	min_epoch = pg_atomic_add_fetch_u64(&ac_shared->global_epoch, 1);
	list = pg_atomic_exchange_u64(&ac_shared->retired, InvalidDsaPointer);
	/* partner: the barriers in ac_read_begin and ac_entry_remove */
	pg_memory_barrier();
	for (i = 0; i < ac_shared->nslots; i++)
	{
		uint64		e = pg_atomic_read_u64(&ac_slots[i].epoch);

		if (e != 0 && e < min_epoch)
			min_epoch = e;
	}
	/* pins are taken before epochs are cleared (see head comment) */
	pg_memory_barrier();

	/*
	 * dsa_free() can ERROR (mapping a segment this backend never mapped):
	 * then the part of the list not yet looked at goes back on the stack,
	 * so nothing retired is ever lost.
	 */
	PG_TRY();
	{
		while (DsaPointerIsValid(list))
		{
			AcEntry    *e = ac_addr(list);
			dsa_pointer next = AC_ENTRY_TAIL(e)->retire_next;

			if (AC_ENTRY_TAIL(e)->retire_epoch < min_epoch &&
				pg_atomic_read_u32(&e->refcount) == 0)
				entry_free(e);
			else
				keep(&keep_head, &keep_tail, e);
			list = next;
		}
	}
	PG_CATCH();
	{
		while (DsaPointerIsValid(list))
		{
			AcEntry    *e = ac_addr(list);

			list = AC_ENTRY_TAIL(e)->retire_next;
			keep(&keep_head, &keep_tail, e);
		}
		push_retired(keep_head, keep_tail);
		LWLockRelease(&ac_shared->reclaim_lock);
		PG_RE_THROW();
	}
	PG_END_TRY();
	push_retired(keep_head, keep_tail);
	reclaim_segments(min_epoch);
	LWLockRelease(&ac_shared->reclaim_lock);
}

/*
 * Call fn for every linked entry not REMOVED.  Opens its own read
 * section; fn must not ERROR (it runs inside it) and must not keep the
 * pointer.
 */
void
ac_table_scan(AcScanFn fn, void *arg)
{
	int			i;

	ac_read_begin();
	for (i = 0; i < AC_NPARTITIONS; i++)
	{
		dsa_pointer p = pg_atomic_read_u64(&ac_shared->partitions[i].seg0[0].next);

		while (DsaPointerIsValid(p))
		{
			AcEntry    *e = ac_addr(p);

			/* sentinels have even places */
			if (pg_atomic_read_u64(&e->node.so_key) & 1)
			{
				uint64		st = pg_atomic_read_u64(&e->state);

				if (AC_STATE(st) != AC_REMOVED)
				{
					pg_read_barrier();
					fn(e, st, arg);
				}
			}
			p = pg_atomic_read_u64(&e->node.next);
		}
	}
	ac_read_end();
}

/*
 * The bucket a hand's position names: partition position % AC_NPARTITIONS,
 * bucket (position / AC_NPARTITIONS) modulo the largest partition's
 * buckets, or none when that is past the partition's own.
 */
uint64
ac_table_walk(pg_atomic_uint64 *hand, uint64 max_buckets, uint64 max_visits,
			  AcScanFn fn, void *arg)
{
	uint64		visits = 0;
	uint64		n;

	uint64		span = ac_table_round() / AC_NPARTITIONS;

	ac_read_begin();
	for (n = 0; n < max_buckets && visits < max_visits; n++)
	{
		uint64		pos = pg_atomic_fetch_add_u64(hand, 1);
		AcPartition *part = &ac_shared->partitions[pos % AC_NPARTITIONS];
		uint32		mask = pg_atomic_read_u32(&part->mask);
		uint64		b;
		AcNode	   *start;
		dsa_pointer p;

		pg_read_barrier();

		/*
		 * Every partition gets one pass per round of the hand, whatever its
		 * number of buckets: positions past a smaller partition's buckets
		 * name nothing there (else its entries would lose their reference
		 * bits, and be evicted, more often than others').
		 */
		b = (pos / AC_NPARTITIONS) & (span - 1);
		if (b > mask)
			continue;
		start = bucket_node(part, (uint32) b, NULL);

		/*
		 * A bucket not linked yet has its entries in an ancestor's run,
		 * walked when the hand names the ancestor.
		 */
		if (!sentinel_linked(start, (uint32) b))
			continue;
		pg_read_barrier();
		p = pg_atomic_read_u64(&start->next);
		while (DsaPointerIsValid(p) && visits < max_visits)
		{
			AcEntry    *e = ac_addr(p);
			uint64		st;

			/* the next sentinel ends the bucket's run */
			if ((pg_atomic_read_u64(&e->node.so_key) & 1) == 0)
				break;
			st = pg_atomic_read_u64(&e->state);
			p = pg_atomic_read_u64(&e->node.next);
			visits++;
			if (AC_STATE(st) != AC_REMOVED)
			{
				pg_read_barrier();
				fn(e, st, arg);
			}
		}
	}
	ac_read_end();
	return visits;
}

/*
 * Is this entry garbage: abandoned, of a dropped cache, of an older
 * generation of its cache (invalidate_all), or expired?
 */
bool
ac_entry_is_garbage(AcEntry *e, uint64 now)
{
	AcCacheDesc *d = &ac_descs[e->desc_idx];

	/*
	 * An abandoned reservation (its filler gave up) that nobody took over
	 * holds memory for nothing; removing it is safe even with waiters:
	 * they see REMOVED (from ABANDONED) and look again.
	 */
	if (AC_STATE(pg_atomic_read_u64(&e->state)) == AC_ABANDONED)
		return true;
	if (pg_atomic_read_u32(&d->dropped))
		return true;
	if (!ac_desc_generation_current(e->desc_idx, e->generation))
		return true;
	return ac_entry_expired(e, now);
}

static void
sweep_one(AcEntry *e, uint64 st, void *arg)
{
	uint64		now = *(uint64 *) arg;
	uint32		s = AC_STATE(st);

	if (s == AC_UNCACHED ||
		((s == AC_READY || s == AC_FAILED || s == AC_ABANDONED) &&
		 ac_entry_is_garbage(e, now)))
	{
		AC_TEST_POINT(AC_TP_SWEEP_CANDIDATE);
		if (ac_entry_remove(e, st) && s != AC_UNCACHED &&
			ac_entry_expired(e, now))
			ac_count(ac_stat_row(e->desc_idx), AC_EXPIRATIONS, 1);
	}
}

/*
 * n entries may have become garbage (a new generation of a cache, a drop,
 * entries with a TTL, UNCACHED markers): the sweep has work.
 */
void
ac_table_garbage_hint(uint64 n)
{
	if (n > 0)
		pg_atomic_fetch_add_u64(&ac_shared->sweep_debt, n);
}

static void
sweep(uint64 max_buckets, uint64 max_visits)
{
	uint64		now = ac_now_ns();

	if (!sweep_hand_set)
	{
		pg_atomic_init_u64(&sweep_hand, (uint64) ac_my_slotno * 7919);
		sweep_hand_set = true;
	}
	(void) ac_table_walk(&sweep_hand, max_buckets, max_visits, sweep_one, &now);
}

/*
 * Remove garbage met in the next buckets, visiting at most max_visits
 * entries (a hand per backend walks the table round-robin, starting where
 * the backend's number says), and only while the hints above say there
 * may be garbage: each visit pays one off (a debt smaller than a sweep
 * still buys a whole one).  A slow-path helper: entries
 * that are invalidated by invalidate_all or drop_cache, or that expire
 * and are never asked for again, would otherwise stay until evicted.  The
 * bound keeps a fill's share of the work small however much garbage a
 * drop left, and a cache without a TTL and without invalidations pays
 * nothing.
 */
void
ac_sweep_garbage(uint64 max_visits)
{
	uint64		debt = pg_atomic_read_u64(&ac_shared->sweep_debt);
	uint64		pay;

	if (debt == 0)
		return;
	/* several backends may pay at once: never below zero */
	do
	{
		pay = Min(debt, max_visits);
	} while (!pg_atomic_compare_exchange_u64(&ac_shared->sweep_debt, &debt,
											 debt - pay));
	/* a sweep, once there is any debt, visits max_visits entries */
	sweep(ac_table_round(), max_visits);
}

/*
 * Visit every bucket, removing the garbage met (slow).  Twice: a round is
 * sized when it starts, and a partition that grows meanwhile, or a bucket
 * linked into a run the hand had passed, can leave entries unvisited once.
 */
void
ac_sweep_all(void)
{
	sweep(ac_table_round(), PG_UINT64_MAX);
	sweep(ac_table_round(), PG_UINT64_MAX);
}
