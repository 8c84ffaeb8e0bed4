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
 * node keeps its next, which still leads forward in the list, so a lookup
 * standing on it finishes its walk correctly, missing at most entries
 * inserted after it started.
 *
 * References.  A node's next is a reference: an entry's dsa_pointer (even:
 * entries are maxaligned), 0 at the end of the list, or, for a sentinel,
 * an odd word naming its partition and bucket (sentinel_ref).  A
 * sentinel is then only its next (8 bytes a bucket), its place is
 * computed from its bucket, and a walk learns the place of the node ahead
 * from the reference alone.  A sentinel's reference leads to its memory
 * through AcPartition.mapped, which a shrink leaves set until the segment
 * is freed, so that a reference loaded before the shrink still leads to a
 * sentinel (unlinked, with its next leading forward: see below); the
 * partition grows into that segment's place again only after.
 *
 * Growing: after an insert, a partition with more than two entries per
 * bucket wants a segment for twice its buckets (table_growth_wanted); the
 * caller allocates it (evict.c: the bytes count in the memory limit), and
 * table_grow installs it and publishes the new mask (write barrier
 * between); new buckets are linked lazily, by the first insert that needs
 * one.  Shrinking: after an unlink, a partition with fewer than one entry
 * per two buckets halves its mask, unlinks the sentinels of the upper
 * half and clears the segment's pointer for lookups, under the lock, then
 * retires the segment (below) after letting go of it.  Growing and those
 * steps of shrinking run under the lock; a lookup that read the old mask
 * reaches either a sentinel still linked, an unlinked one (see above), or,
 * the segment pointer gone, the ancestor.  Growing and shrinking never
 * stop a lookup.
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
 * (ac_read_end), each with a full barrier.  A removed entry is pushed, by
 * its remover, on the retire list of the global epoch r read after its
 * unlink (AcShared.retired[r % 3], linked through the entry's
 * life.retire_next: an entry keeps no epoch).  The reclaimer advances the
 * global epoch from E to E + 1 only when every announced epoch is E (or
 * none is announced), and then frees list (E - 1) % 3, but for the pinned
 * entries (below), which it pushes on the list of E + 1.  A reclaimer
 * frees at most AC_FREE_BATCH entries a call, holding reclaim_lock for a
 * bounded time (a drop of a cache of millions retires millions): what is
 * left of the list it took stays in AcShared.retire_backlog, safe to free
 * already, which the next reclaimer frees first; no epoch advances while
 * a backlog is left, so the backlog is always one chain.  Argument: the
 * entries on list (E - 1) % 3 were retired with r = E - 1 (or E - 4, ...:
 * r <= E and r = E - 1 modulo 3).  A reader that can hold a pointer to
 * entry X read the global epoch g before it loaded X from the list, and
 * X was still linked then, so X's r, read after the unlink, is >= g.  The
 * reader stored g in its slot and then executed a full barrier before
 * loading the list; the unlink is a full barrier before the reclaimer
 * loads the slots; so the reclaimer sees g (or a later value from a later
 * read section, which cannot reach X), g <= r < E, and does not advance.
 * A remover that read r and is slow to push just finds its list freed at
 * a later advance: never earlier.
 *
 * A segment of sentinels unlinked by a shrink keeps its own retire epoch
 * (read after its pointer for lookups was cleared) and is freed once every
 * announced epoch is newer, by the same argument: a lookup that can reach
 * it read the pointer while it was set, or a reference to one of its
 * sentinels while it was linked, after announcing its epoch.  The same
 * holds for the node an unlinked node's next leads to: it was linked when
 * the first was unlinked, and a reader that reached the first did so
 * before -- or, for a sentinel that a shrink unlinked, before the shrink
 * cleared its segment's pointer, or through a reference loaded before the
 * unlink; the shrink holds the partition's lock from the first unlink to
 * that clearing, so no successor is unlinked, let alone retired, in
 * between.  A change that let go of the lock there would break this.
 *
 * Waiters and fillers keep an entry across sleeps and fills, outside any
 * read section, with a pin (refcount).  They take the pin inside a read
 * section (a full-barrier fetch-add) before they clear their epoch, so a
 * reclaimer that sees the epoch cleared also sees the pin: it reads the
 * slots, executes a full barrier, then reads the refcount.
 *
 * The orders argued above are forced, one backend stopped at a test
 * point (table.h) while others act, by test/t/250_interleavings.pl.
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
	uint32		partition;		/* whose mapped[s] to clear once freed */
	uint32		s;
	AcNode		buckets[FLEXIBLE_ARRAY_MEMBER];
} AcSegment;

/* an int key (5 bytes of image) makes a 64-byte entry (table.h) */
StaticAssertDecl(offsetof(AcEntry, key) <= 59,
				 "the fields of an entry must leave 5 bytes of a cache line");

#define GROW_LOAD	2			/* entries a bucket, on average, to grow */
#define AC_FREE_BATCH 4096		/* entries a reclaimer frees at most */
#define MAX_BUCKETS (AC_SEG0_BUCKETS << (AC_MAX_SEGMENTS - 1))

/* references (head comment) */
#define REF_IS_SENTINEL(r)	(((r) & 1) != 0)
#define REF_PARTITION(r)	((uint32) (((r) >> 1) & (AC_NPARTITIONS - 1)))
#define REF_BUCKET(r)		((uint32) ((r) >> 8))

StaticAssertDecl(AC_NPARTITIONS <= 128, "a reference has 7 bits of partition");

static int	read_depth = 0;
static pg_atomic_uint64 sweep_hand;
static bool sweep_hand_set = false;

static inline uint64
sentinel_ref(uint32 partition, uint32 b)
{
	return ((uint64) b << 8) | ((uint64) partition << 1) | 1;
}

/* x with its 32 bits in the reverse order */
static inline uint32
reverse32(uint32 x)
{
	x = pg_bswap32(x);
	x = ((x >> 4) & 0x0F0F0F0F) | ((x & 0x0F0F0F0F) << 4);
	x = ((x >> 2) & 0x33333333) | ((x & 0x33333333) << 2);
	x = ((x >> 1) & 0x55555555) | ((x & 0x55555555) << 1);
	return x;
}

/* The partition of a hash, and the bits that order it within. */
static inline uint32
partition_of(uint64 hash)
{
	return (uint32) (hash % AC_NPARTITIONS);
}

static inline uint32
inner_hash(uint64 hash)
{
	return (uint32) (hash / AC_NPARTITIONS);
}

/*
 * An entry's place: odd, after its bucket's sentinel.  The top bit of
 * the inner hash gives way to the odd bit: no partition has 2^31 buckets.
 */
static inline uint32
entry_so_key(uint32 inner)
{
	return reverse32(inner) | 1;
}

/* the inner hash an entry's place keeps (all but its top bit) */
static inline uint32
entry_inner(const AcEntry *e)
{
	return reverse32(e->so_key);
}

/* a sentinel's place: even (bucket 0's is 0) */
static inline uint32
sentinel_so_key(uint32 b)
{
	return reverse32(b);
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
 * Bucket b's sentinel through the segment pointers lookups start from
 * (segments), or through those references lead to (mapped); NULL when the
 * segment is not there.
 */
static inline AcNode *
bucket_node(AcPartition *part, uint32 b, bool by_ref)
{
	uint32		idx;
	int			s;
	dsa_pointer seg;

	if (b < AC_SEG0_BUCKETS)
		return &part->seg0[b];
	s = segment_of(b, &idx);
	seg = pg_atomic_read_u64(by_ref ? &part->mapped[s] : &part->segments[s]);
	if (!DsaPointerIsValid(seg))
		return NULL;
	pg_read_barrier();
	return &((AcSegment *) ac_addr(seg))->buckets[idx];
}

/* The node a (valid) reference leads to. */
static inline AcNode *
ref_node(uint64 r)
{
	if (REF_IS_SENTINEL(r))
	{
		AcNode	   *n = bucket_node(&ac_shared->partitions[REF_PARTITION(r)],
									REF_BUCKET(r), true);

		/* mapped until freed, and freed only when nobody can hold r */
		Assert(n != NULL);
		return n;
	}
	return ac_addr(r);
}

/* The place of the node a (valid) reference leads to. */
static inline uint32
ref_so_key(uint64 r, const AcNode *n)
{
	return REF_IS_SENTINEL(r) ? sentinel_so_key(REF_BUCKET(r)) :
		((const AcEntry *) n)->so_key;
}

/* is this sentinel in the list, a place to start from? */
static inline bool
sentinel_linked(AcNode *n)
{
	return n != NULL && pg_atomic_read_u64(&n->next) != AC_NOT_LINKED;
}

/* A partition's mask, for the segment pointers read after it. */
static inline uint32
read_mask(AcPartition *part)
{
	uint32		mask = pg_atomic_read_u32(&part->mask);

	pg_read_barrier();			/* partner: table_grow's write barrier */
	return mask;
}

/*
 * The sentinel to start a walk from for bucket *b: its own, or the
 * nearest linked ancestor's, whose bucket is left in *b.  Lock-free.
 */
static AcNode *
start_at(AcPartition *part, uint32 *b)
{
	for (;;)
	{
		AcNode	   *n = bucket_node(part, *b, false);

		if (*b == 0 || sentinel_linked(n))
			return n;
		*b = parent_bucket(*b);
	}
}

/* The sentinel to start a walk from for inner hash h.  Lock-free. */
static AcNode *
start_node(AcPartition *part, uint32 h)
{
	uint32		b = h & read_mask(part);

	return start_at(part, &b);
}

/*
 * Link bucket b's sentinel (and its ancestors') if it is not linked yet.
 * Caller holds the partition's lock; b is within its mask.
 */
static AcNode *
link_bucket(AcPartition *part, uint32 pi, uint32 b)
{
	AcNode	   *n = bucket_node(part, b, false);
	AcNode	   *pred;
	uint32		key = sentinel_so_key(b);
	uint64		p;

	Assert(n != NULL);
	if (b == 0 || sentinel_linked(n))
		return n;
	pred = link_bucket(part, pi, parent_bucket(b));
	for (;;)
	{
		AcNode	   *pn;

		p = pg_atomic_read_u64(&pred->next);
		if (p == InvalidDsaPointer)
			break;
		pn = ref_node(p);
		if (ref_so_key(p, pn) > key)
			break;
		pred = pn;
	}

	/*
	 * Its next makes it linked for lookups (sentinel_linked), which may
	 * start from it at once: it leads on correctly, and no insert can come
	 * between, the lock being held.
	 */
	pg_atomic_write_u64(&n->next, p);
	pg_write_barrier();
	AC_TEST_POINT(AC_TP_LINK, pi, b);
	pg_atomic_write_u64(&pred->next, sentinel_ref(pi, b));
	return n;
}

#ifdef AC_TEST_POINTS
/* the points this backend calls ac_test_point() at (table.h) */
uint32		ac_test_armed = AC_TEST_POINTS_ARMED;

/*
 * An empty function that a test stops a backend in (gdb breakpoint, with
 * a condition on the point and its arguments, read from the registers
 * that carry them at its entry).  The barrier keeps the compiler from
 * dropping the call as side-effect free; noipa, where the compiler has
 * it, from cloning the function without its unused arguments.
 */
#if defined(__has_attribute)
#if __has_attribute(noipa)
__attribute__((noipa))
#endif
#endif
pg_noinline void
ac_test_point(AcTestPoint point, uint64 a, uint64 b)
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

/* Is e the entry of this key in this cache and generation? */
static inline bool
entry_matches(const AcEntry *e, int desc_idx, uint64 generation,
			  const char *key, uint32 keylen)
{
	if (e->generation != generation || e->desc_idx != desc_idx)
		return false;
	if (likely(keylen < AC_KEYLEN_LONG))
		return e->keylen == keylen && memcmp(e->key, key, keylen) == 0;
	return e->keylen == AC_KEYLEN_LONG && ac_entry_keylen(e) == keylen &&
		memcmp(ac_entry_key(e), key, keylen) == 0;
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
	uint32		h = inner_hash(hash);
	uint32		so_key = entry_so_key(h);
	uint32		pi = partition_of(hash);
	AcPartition *part = &ac_shared->partitions[pi];
	uint32		b;
	AcNode	   *start;
	uint64		p;

	Assert(read_depth > 0);
	b = h & read_mask(part);
	AC_TEST_POINT(AC_TP_FIND_MASK, pi, b);
	start = start_at(part, &b);
	AC_TEST_POINT(AC_TP_FIND_START, pi, b);
	p = pg_atomic_read_u64(&start->next);
	while (p != InvalidDsaPointer)
	{
		AcEntry    *e;

		if (REF_IS_SENTINEL(p))
		{
			if (sentinel_so_key(REF_BUCKET(p)) > so_key)
				break;
			p = pg_atomic_read_u64(&ref_node(p)->next);
			continue;
		}
		e = ac_addr(p);
		if (e->so_key > so_key)
			break;
		/* one list and one so_key: (nearly) one hash; the key decides */
		if (e->so_key == so_key &&
			entry_matches(e, desc_idx, generation, key, keylen) &&
			AC_STATE(pg_atomic_read_u64(&e->state)) != AC_REMOVED)
			return e;
		AC_TEST_POINT(AC_TP_FIND_STEP, pi, e->so_key);
		p = pg_atomic_read_u64(&e->node.next);
	}
	return NULL;
}

/* The bytes of an entry with a key image of keylen bytes. */
Size
ac_entry_size(uint32 keylen)
{
	return MAXALIGN(offsetof(AcEntry, key) + keylen +
					(keylen < AC_KEYLEN_LONG ? 0 : sizeof(uint32)));
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

	Assert(desc_idx >= 0 && desc_idx < AC_MAX_CACHES);
	e = ac_addr(dp);
	pg_atomic_init_u64(&e->node.next, InvalidDsaPointer);
	e->so_key = entry_so_key(inner_hash(hash));
	e->desc_idx = (int16) desc_idx;
	pg_atomic_init_u64(&e->state,
					   AC_MAKE_STATE(AC_PENDING, ac_my_slotno, ac_my_session));
	pg_atomic_init_u32(&e->refcount, 1);
	e->value_len = 0;
	e->generation = generation;
	e->life.filled_at = 0;
	e->value.dp = InvalidDsaPointer;
	e->flags = 0;
	e->refbit = 0;
	e->partition = (uint8) partition_of(hash);
	if (keylen < AC_KEYLEN_LONG)
	{
		e->keylen = (uint16) keylen;
		memcpy(e->key, key, keylen);
	}
	else
	{
		e->keylen = AC_KEYLEN_LONG;
		memcpy(e->key, &keylen, sizeof(uint32));
		memcpy(e->key + sizeof(uint32), key, keylen);
	}
	return e;
}

/*
 * Free an entry and its value.  Each free is recorded before the next can
 * ERROR (dsa_free mapping a segment), so an entry whose own free failed
 * can be freed again later without freeing its value twice.
 */
static void
entry_free(dsa_pointer dp, AcEntry *e)
{
	if (e->value_len > 0)
	{
		ac_mem_free(e->value.dp, e->value_len);
		e->value_len = 0;
	}
	ac_mem_free(dp, ac_entry_size(ac_entry_keylen(e)));
}

/* Free an entry that was never linked. */
void
ac_entry_discard(AcEntry *entry, dsa_pointer dp)
{
	entry_free(dp, entry);
}

/*
 * Link a new entry (dp its reference), unless a live entry with its key
 * is there already: then that one is returned and the new one is left
 * unlinked.  Must be called inside a read section.  Takes the
 * partition's lock; does not ERROR.
 */
AcEntry *
ac_table_insert(AcEntry *newentry, dsa_pointer dp)
{
	AcPartition *part = &ac_shared->partitions[newentry->partition];
	uint32		so_key = newentry->so_key;
	uint32		keylen = ac_entry_keylen(newentry);
	const char *key = ac_entry_key(newentry);
	AcNode	   *pred;
	uint64		p;

	Assert(read_depth > 0);
	LWLockAcquire(&part->lock, LW_EXCLUSIVE);
	pred = link_bucket(part, newentry->partition,
					   entry_inner(newentry) & pg_atomic_read_u32(&part->mask));
	for (;;)
	{
		AcEntry    *e;

		p = pg_atomic_read_u64(&pred->next);
		if (p == InvalidDsaPointer || REF_IS_SENTINEL(p))
			break;				/* the next bucket's run: ours ends here */
		e = ac_addr(p);
		if (e->so_key > so_key)
			break;
		if (e->so_key == so_key &&
			entry_matches(e, newentry->desc_idx, newentry->generation,
						  key, keylen) &&
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
	AC_TEST_POINT(AC_TP_LINK, newentry->partition, 0);
	pg_atomic_write_u64(&pred->next, dp);
	pg_atomic_fetch_add_u32(&part->count, 1);
	LWLockRelease(&part->lock);
	pg_atomic_fetch_add_u64(&ac_shared->entry_count, 1);
	pg_atomic_fetch_add_u32(&ac_descs[newentry->desc_idx].nentries, 1);
	return newentry;
}

/* Push a retired segment (its self, and its link field) on a stack. */
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
shrink(uint32 pi)
{
	AcPartition *part = &ac_shared->partitions[pi];
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
		AcNode	   *n = &sp->buckets[b - half];
		uint64		ref = sentinel_ref(pi, b);
		AcNode	   *pred;
		uint64		p;

		if (!sentinel_linked(n))
			continue;
		/* its parent, in the lower half, is linked before it */
		pred = bucket_node(part, parent_bucket(b), false);
		while ((p = pg_atomic_read_u64(&pred->next)) != ref)
		{
			Assert(p != InvalidDsaPointer);
			pred = ref_node(p);
		}
		pg_atomic_write_u64(&pred->next, pg_atomic_read_u64(&n->next));
	}
	/* lookups no longer find it; references still lead to it (mapped) */
	pg_atomic_write_u64(&part->segments[s], InvalidDsaPointer);
	pg_atomic_fetch_sub_u64(&ac_shared->nbuckets, half);
	LWLockRelease(&part->lock);
	AC_TEST_POINT(AC_TP_SHRINK, pi, half);

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
 * the partition's buckets after); does not ERROR.  Once it returned true,
 * the entry's fill time is its retire link (table.h): a caller that needs
 * to know whether it had expired asks before.
 */
bool
ac_entry_remove(AcEntry *entry, uint64 expected)
{
	uint32		pi = entry->partition;
	AcPartition *part = &ac_shared->partitions[pi];
	uint64		st = expected;
	AcNode	   *pred;
	uint64		p;
	uint64		r;
	uint32		count;
	uint32		nb;

	/*
	 * Only a word that shows the entry live may be swapped for REMOVED.  A
	 * caller that loaded the state after another backend removed the entry
	 * (its lookup still saw it live, its load did not) holds a REMOVED word,
	 * and a CAS from it would succeed, REMOVED -> REMOVED: the entry would be
	 * unlinked, counted out and retired twice, and a retire list would
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
	AC_TEST_POINT(AC_TP_MARKED, pi, entry->so_key);

	LWLockAcquire(&part->lock, LW_EXCLUSIVE);
	/* its predecessor is after its bucket's (or an ancestor's) sentinel */
	pred = start_node(part, entry_inner(entry));
	for (;;)
	{
		p = pg_atomic_read_u64(&pred->next);
		Assert(p != InvalidDsaPointer);
		if (!REF_IS_SENTINEL(p) && ac_addr(p) == (void *) entry)
			break;
		pred = ref_node(p);
	}
	pg_atomic_write_u64(&pred->next, pg_atomic_read_u64(&entry->node.next));
	count = pg_atomic_sub_fetch_u32(&part->count, 1);
	nb = pg_atomic_read_u32(&part->mask) + 1;
	LWLockRelease(&part->lock);
	pg_atomic_fetch_sub_u64(&ac_shared->entry_count, 1);
	pg_atomic_fetch_sub_u32(&ac_descs[entry->desc_idx].nentries, 1);

	/*
	 * Retire it (only the winner of the CAS above gets here, once per
	 * entry), on the list of the epoch read after the unlink (partner:
	 * ac_read_begin).  p, the reference its predecessor held, is its own.
	 */
	pg_memory_barrier();
	r = pg_atomic_read_u64(&ac_shared->global_epoch);
	AC_TEST_POINT(AC_TP_RETIRE, pi, r);
	push_one(&ac_shared->retired[r % 3], p, &entry->life.retire_next);

	if (nb > AC_SEG0_BUCKETS && count < nb / 2)
		shrink(pi);
	return true;
}

/*
 * How many bytes of segment the partition of hash wants, to double its
 * buckets, or 0.  A racy reading: ac_table_grow checks again.
 */
Size
ac_table_growth_wanted(uint64 hash)
{
	AcPartition *part = &ac_shared->partitions[partition_of(hash)];
	uint32		nb = pg_atomic_read_u32(&part->mask) + 1;
	uint32		idx;

	if (pg_atomic_read_u32(&part->count) <= GROW_LOAD * nb ||
		nb >= MAX_BUCKETS)
		return 0;
	/* the segment of a shrink not freed yet keeps the place (head comment) */
	if (DsaPointerIsValid(pg_atomic_read_u64(&part->mapped[segment_of(nb, &idx)])))
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
	uint32		pi = partition_of(hash);
	AcPartition *part = &ac_shared->partitions[pi];
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
	sp->partition = pi;
	for (i = 0; i < (size - offsetof(AcSegment, buckets)) / sizeof(AcNode); i++)
		pg_atomic_init_u64(&sp->buckets[i].next, AC_NOT_LINKED);

	AC_TEST_POINT(AC_TP_GROW_BEGIN, pi, 0);
	LWLockAcquire(&part->lock, LW_EXCLUSIVE);
	nb = pg_atomic_read_u32(&part->mask) + 1;
	if (pg_atomic_read_u32(&part->count) <= GROW_LOAD * nb ||
		nb >= MAX_BUCKETS ||
		size != offsetof(AcSegment, buckets) + (Size) nb * sizeof(AcNode) ||
		DsaPointerIsValid(pg_atomic_read_u64(&part->mapped[segment_of(nb, &idx)])))
	{
		LWLockRelease(&part->lock);
		return false;
	}
	s = segment_of(nb, &idx);
	Assert(idx == 0 && segment_buckets(s) == nb);
	Assert(!DsaPointerIsValid(pg_atomic_read_u64(&part->segments[s])));
	sp->s = (uint32) s;
	/* the segment before its pointers, the pointers before the mask */
	pg_write_barrier();
	pg_atomic_write_u64(&part->mapped[s], segment);
	pg_atomic_write_u64(&part->segments[s], segment);
	pg_write_barrier();
	pg_atomic_write_u32(&part->mask, 2 * nb - 1);
	AC_TEST_POINT(AC_TP_GROW, pi, 2 * nb);
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

/* the condition variable of an entry: by its place and partition */
ConditionVariable *
ac_entry_cv(AcEntry *entry)
{
	return &ac_shared->cvs[((entry->so_key >> 1) ^ entry->partition) % AC_NCVS];
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

/*
 * Has this (ready or failed) entry expired?  The TTL of its version after
 * its fill (table.h: of a removed entry, the answer means nothing; of an
 * entry whose slot changed hands, it is garbage anyway).
 */
bool
ac_entry_expired(AcEntry *entry, uint64 now)
{
	uint64		ttl = ac_desc_ttl(entry->desc_idx, entry->generation);

	return ttl != 0 && now > entry->life.filled_at + ttl;
}

/*
 * Free the entries of a chain of retired entries that nobody can reach any
 * more (head comment), at most *budget of them, so that the reclaimer
 * holds reclaim_lock for a bounded time however long the chain (dropping
 * a cache of millions of entries retires millions at once); the rest is
 * left in AcShared.retire_backlog, which the next reclaimer frees first.
 * Pinned entries go on the list of epoch "now".  Caller holds
 * reclaim_lock.  May ERROR (in dsa_free, before it frees anything): then
 * the rest, that entry included, is the backlog, so nothing retired is
 * ever lost.
 */
static void
free_chain(dsa_pointer chain, uint64 now, int *budget)
{
	volatile dsa_pointer list = chain;
	pg_atomic_uint64 *keep = &ac_shared->retired[now % 3];
	uint32		holdoff = InterruptHoldoffCount;	/* the lock's holdoff */

	Assert(!DsaPointerIsValid(ac_shared->retire_backlog));
	PG_TRY();
	{
		while (DsaPointerIsValid(list) && *budget > 0)
		{
			dsa_pointer dp = list;
			AcEntry    *e = ac_addr(dp);
			dsa_pointer next = e->life.retire_next;

			if (pg_atomic_read_u32(&e->refcount) == 0)
			{
				entry_free(dp, e);
				(*budget)--;
			}
			else
				push_one(keep, dp, &e->life.retire_next);
			list = next;
		}
	}
	PG_CATCH();
	{
		ac_shared->retire_backlog = list;
		/* errfinish() zeroed it: the release must not take it below 0 */
		InterruptHoldoffCount = holdoff;
		LWLockRelease(&ac_shared->reclaim_lock);
		PG_RE_THROW();
	}
	PG_END_TRY();
	ac_shared->retire_backlog = list;
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
	uint32		holdoff = InterruptHoldoffCount;	/* the lock's holdoff */

	/* an epoch read from the slots, never "everything" */
	Assert(min_epoch <= pg_atomic_read_u64(&ac_shared->global_epoch));
	list = pg_atomic_exchange_u64(&ac_shared->retired_segments,
								  InvalidDsaPointer);
	PG_TRY();
	{
		while (DsaPointerIsValid(list))
		{
			AcSegment  *sp = ac_addr(list);
			dsa_pointer next = sp->retire_next;

			if (sp->retire_epoch < min_epoch)
			{
				AcPartition *part = &ac_shared->partitions[sp->partition];
				int			s = (int) sp->s;

				ac_mem_free(sp->self, sp->size);
				/* nobody holds a reference into it: its place is free */
				pg_atomic_write_u64(&part->mapped[s], InvalidDsaPointer);
			}
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
		/* errfinish() zeroed it: the release must not take it below 0 */
		InterruptHoldoffCount = holdoff;
		LWLockRelease(&ac_shared->reclaim_lock);
		PG_RE_THROW();
	}
	PG_END_TRY();
}

/*
 * The oldest epoch announced in a backend slot, or epoch if none is older;
 * *all_seen tells whether every announced epoch is epoch (the condition to
 * advance).  Caller holds reclaim_lock and read epoch from global_epoch.
 */
static uint64
oldest_announced(uint64 epoch, bool *all_seen)
{
	uint64		oldest = epoch;
	uint32		i;

	/* partner: the barriers in ac_read_begin and ac_entry_remove */
	pg_memory_barrier();
	*all_seen = true;
	for (i = 0; i < ac_shared->nslots; i++)
	{
		uint64		e = pg_atomic_read_u64(&ac_slots[i].epoch);

		if (e != 0 && e < epoch)
		{
			*all_seen = false;
			oldest = Min(oldest, e);
		}
	}
	return oldest;
}

/*
 * Free what can be freed of the retired entries and segments: advance the
 * epoch while every reader has seen it (three times at most: then every
 * list had its turn), freeing the list each advance makes safe (head
 * comment).  Runs on slow paths; skips the work if another backend is
 * reclaiming.  May ERROR (in dsa_free); then nothing retired is lost.
 */
void
ac_reclaim(void)
{
	uint64		min_epoch;
	int			round;
	int			k;
	int			budget = AC_FREE_BATCH;
	bool		all_seen;

	for (k = 0; k < 3; k++)
		if (DsaPointerIsValid(pg_atomic_read_u64(&ac_shared->retired[k])))
			break;
	/* (an unlocked read of the backlog: a hint, checked again below) */
	if (k == 3 &&
		!DsaPointerIsValid(pg_atomic_read_u64(&ac_shared->retired_segments)) &&
		!DsaPointerIsValid(*(volatile dsa_pointer *) &ac_shared->retire_backlog))
		return;
	if (!LWLockConditionalAcquire(&ac_shared->reclaim_lock, LW_EXCLUSIVE))
		return;

	/*
	 * The oldest epoch a reader may be in, for the segments (below): read
	 * now, and again at each advance.  Never left unread: a reclaimer that
	 * advances nothing (a backlog left) must not free every segment.
	 */
	min_epoch = oldest_announced(pg_atomic_read_u64(&ac_shared->global_epoch),
								 &all_seen);

	/* what the last batch left first: it is safe to free already */
	if (DsaPointerIsValid(ac_shared->retire_backlog))
	{
		dsa_pointer chain = ac_shared->retire_backlog;

		AC_TEST_POINT(AC_TP_RECLAIM_BACKLOG,
					  pg_atomic_read_u64(&ac_shared->global_epoch), 0);
		ac_shared->retire_backlog = InvalidDsaPointer;
		free_chain(chain, pg_atomic_read_u64(&ac_shared->global_epoch),
				   &budget);
	}

	/* an advance makes a list free to free: not while a backlog is left */
	for (round = 0; round < 3 && !DsaPointerIsValid(ac_shared->retire_backlog);
		 round++)
	{
		/* only a reclaimer, under the lock, moves the epoch */
		uint64		epoch = pg_atomic_read_u64(&ac_shared->global_epoch);

		min_epoch = oldest_announced(epoch, &all_seen);
		if (!all_seen)
			break;
		pg_atomic_write_u64(&ac_shared->global_epoch, epoch + 1);
		/* pins are taken before epochs are cleared (see head comment) */
		pg_memory_barrier();
		AC_TEST_POINT(AC_TP_RECLAIM_ADVANCED, epoch + 1, 0);
		free_chain(pg_atomic_exchange_u64(&ac_shared->retired[(epoch - 1) % 3],
										  InvalidDsaPointer),
				   epoch + 1, &budget);
	}
	reclaim_segments(min_epoch);
	LWLockRelease(&ac_shared->reclaim_lock);
}

/*
 * Call fn for every linked entry not REMOVED.  Opens its own read
 * sections, one per partition; fn must not ERROR (it runs inside one) and
 * must not keep the pointer.  May ERROR between partitions (a cancel).
 */
void
ac_table_scan(AcScanFn fn, void *arg)
{
	int			i;

	for (i = 0; i < AC_NPARTITIONS; i++)
	{
		uint64		p;

		/*
		 * A read section per partition, and a chance to be cancelled
		 * between them: a scan of millions of entries neither holds back
		 * every reclaimer of the server for its whole length nor ignores a
		 * cancel.
		 */
		CHECK_FOR_INTERRUPTS();
		ac_read_begin();
		p = pg_atomic_read_u64(&ac_shared->partitions[i].seg0[0].next);

		while (p != InvalidDsaPointer)
		{
			AcEntry    *e;
			uint64		st;

			if (REF_IS_SENTINEL(p))
			{
				p = pg_atomic_read_u64(&ref_node(p)->next);
				continue;
			}
			e = ac_addr(p);
			st = pg_atomic_read_u64(&e->state);
			if (AC_STATE(st) != AC_REMOVED)
			{
				pg_read_barrier();
				fn(e, st, arg);
			}
			p = pg_atomic_read_u64(&e->node.next);
		}
		ac_read_end();
	}
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
		uint64		p;

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
		start = bucket_node(part, (uint32) b, false);

		/*
		 * A bucket not linked yet has its entries in an ancestor's run,
		 * walked when the hand names the ancestor.
		 */
		if (b != 0 && !sentinel_linked(start))
			continue;
		p = pg_atomic_read_u64(&start->next);
		/* the next sentinel ends the bucket's run */
		while (p != InvalidDsaPointer && !REF_IS_SENTINEL(p) &&
			   visits < max_visits)
		{
			AcEntry    *e = ac_addr(p);
			uint64		st;

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
		/* before the removal, which takes the fill time (table.h) */
		bool		expired = s != AC_UNCACHED && ac_entry_expired(e, now);

		AC_TEST_POINT(AC_TP_SWEEP_CANDIDATE, e->partition, e->so_key);
		if (ac_entry_remove(e, st) && expired)
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
 * May ERROR between steps of 1,024 buckets (a cancel).
 */
void
ac_sweep_all(void)
{
	int			pass;

	/*
	 * Two rounds, each as long as the table is when it starts (it may grow
	 * meanwhile), in steps with a chance to be cancelled between them.
	 */
	for (pass = 0; pass < 2; pass++)
	{
		uint64		left = ac_table_round();

		while (left > 0)
		{
			uint64		step = Min(left, 1024);

			CHECK_FOR_INTERRUPTS();
			sweep(step, PG_UINT64_MAX);
			left -= step;
		}
	}
}

#ifdef AC_TEST_POINTS
/*
 * Where a linked entry is: its inner hash (all but the top bit), and the
 * bucket whose sentinel a lookup of it starts from now.  Caller is in a
 * read section.
 */
void
ac_table_test_place(const AcEntry *e, uint32 *inner, uint32 *start_bucket)
{
	AcPartition *part = &ac_shared->partitions[e->partition];
	uint32		b;

	Assert(read_depth > 0);
	*inner = entry_inner(e);
	b = *inner & read_mask(part);
	(void) start_at(part, &b);
	*start_bucket = b;
}

/*
 * The shape of partition pi.  Reads without its lock: exact only while
 * nobody changes the partition.  Opens its own read section.
 */
void
ac_table_test_partition(uint32 pi, AcTestPartition *out)
{
	AcPartition *part = &ac_shared->partitions[pi];
	uint32		b;
	int			s;

	ac_read_begin();
	out->buckets = read_mask(part) + 1;
	out->entries = pg_atomic_read_u32(&part->count);
	out->linked = 0;
	for (b = 0; b < AC_SEG0_BUCKETS; b++)
		if (b == 0 || sentinel_linked(&part->seg0[b]))
			out->linked++;
	out->segments = 0;
	out->mapped = 0;
	out->segment_bytes = 0;
	for (s = 1; s < AC_MAX_SEGMENTS; s++)
	{
		dsa_pointer seg = pg_atomic_read_u64(&part->segments[s]);

		/* the size follows from s: the header need not be read */
		if (DsaPointerIsValid(pg_atomic_read_u64(&part->mapped[s])))
		{
			out->mapped++;
			out->segment_bytes += offsetof(AcSegment, buckets) +
				(uint64) segment_buckets(s) * sizeof(AcNode);
		}
		if (!DsaPointerIsValid(seg))
			continue;
		out->segments++;
		pg_read_barrier();
		for (b = 0; b < segment_buckets(s); b++)
			if (sentinel_linked(&((AcSegment *) ac_addr(seg))->buckets[b]))
				out->linked++;
	}
	ac_read_end();
}
#endif
