/*-------------------------------------------------------------------------
 *
 * table.c
 *	  The lock-free index of atomiccache and the safe reclamation of the
 *	  memory of removed entries.
 *
 * The index is a fixed array of buckets, each the head of a singly linked
 * chain of entries, all in the DSA area.  The number of buckets is fixed
 * when the shared state is created.
 *
 * Lookups take no lock: they load the bucket head and follow the chain
 * with atomic loads.  Insertion is lock-free too: a new entry is only ever
 * linked at the head of its chain, by compare-and-swap of the head after a
 * scan found no live entry with the same key.  Because every insertion
 * changes the head, a CAS that succeeds proves that no other entry was
 * inserted since the scan, so a key never has two live entries.
 *
 * Unlinking (physical removal from a chain) is serialized by a partition
 * LWLock.  Removers never race each other, and an inserter only changes
 * the head, so a remover may set a predecessor's next pointer with a
 * plain atomic write, and needs a CAS only when the entry is the head.
 * Before unlinking, the remover moves the entry's state to REMOVED by CAS,
 * which decides who unlinks it and lets lookups skip it.  The CAS starts
 * from a live word the remover loaded itself; a REMOVED (or PENDING) word
 * is refused, so a remover that loaded the state after another removed
 * the entry can never remove it a second time (test/t/100_removers.pl
 * forces every pair of removers to interleave there).  Removal and
 * eviction are slow paths; the hit path takes no lock (README.md, Design).
 *
 * Reclamation is epoch based.  A backend announces the global epoch in
 * its slot before it reads the table (ac_read_begin) and clears it after
 * (ac_read_end), each with a full barrier.  A removed entry is pushed on
 * a shared stack with the global epoch read after its unlink.  The
 * reclaimer advances the epoch and frees an entry only when every
 * announced epoch is newer than the entry's retire epoch and nobody pins
 * it.  Argument: a reader that can hold a pointer to entry X read the
 * global epoch g before it loaded X from the chain, and X was still
 * linked then, so X's retire epoch r, read after the unlink, is >= g.
 * The reader stored g in its slot and then executed a full barrier before
 * loading the chain; the unlink is a full barrier before the reclaimer
 * loads the slots; so the reclaimer sees g (or a later value from a later
 * read section, which cannot reach X).  Hence min(announced) <= g <= r
 * and X is kept.
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

#include "common/hashfn.h"
#include "miscadmin.h"

#include "memory.h"
#include "stats.h"
#include "table.h"

static int	read_depth = 0;
static uint32 sweep_cursor = 0;

static inline pg_atomic_uint64 *
bucket_for(uint64 hash)
{
	pg_atomic_uint64 *buckets = ac_addr(ac_shared->buckets);

	return &buckets[hash & (ac_shared->nbuckets - 1)];
}

static inline LWLock *
partition_lock_for(uint64 hash)
{
	return &ac_shared->partition_locks[(hash & (ac_shared->nbuckets - 1)) % AC_NPARTITIONS];
}

pg_atomic_uint64 *
ac_bucket_array(void)
{
	return ac_addr(ac_shared->buckets);
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
 * longer if pinned.
 */
AcEntry *
ac_table_find(uint64 hash, const char *key, uint32 keylen)
{
	dsa_pointer p;

	Assert(read_depth > 0);
	p = pg_atomic_read_u64(bucket_for(hash));
	while (DsaPointerIsValid(p))
	{
		AcEntry    *e = ac_addr(p);

		if (e->hash == hash && e->keylen == keylen &&
			memcmp(e->key, key, keylen) == 0 &&
			AC_STATE(pg_atomic_read_u64(&e->state)) != AC_REMOVED)
			return e;
		p = pg_atomic_read_u64(&e->next);
	}
	return NULL;
}

/* The bytes of an entry with a key of keylen bytes. */
Size
ac_entry_size(uint32 keylen)
{
	return offsetof(AcEntry, key) + keylen;
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

	e = ac_addr(dp);
	pg_atomic_init_u64(&e->next, InvalidDsaPointer);
	pg_atomic_init_u64(&e->state,
					   AC_MAKE_STATE(AC_PENDING, ac_my_slotno, ac_my_session));
	pg_atomic_init_u32(&e->refcount, 1);
	pg_atomic_init_u32(&e->refbit, 0);
	e->hash = hash;
	e->desc_idx = desc_idx;
	e->keylen = keylen;
	e->generation = generation;
	e->self = dp;
	e->filled_at = 0;
	e->expires_at = 0;
	e->flags = 0;
	e->value_len = 0;
	e->value = InvalidDsaPointer;
	e->inline_value = (Datum) 0;
	e->retire_epoch = 0;
	e->retire_next = InvalidDsaPointer;
	memcpy(e->key, key, keylen);
	return e;
}

static void
entry_free(AcEntry *e)
{
	if (DsaPointerIsValid(e->value))
		ac_mem_free(e->value, e->value_len);
	ac_mem_free(e->self, ac_entry_size(e->keylen));
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
 * called inside a read section.  Lock-free.
 */
AcEntry *
ac_table_insert(AcEntry *newentry)
{
	pg_atomic_uint64 *bucket = bucket_for(newentry->hash);

	Assert(read_depth > 0);
	for (;;)
	{
		uint64		head = pg_atomic_read_u64(bucket);
		dsa_pointer p = head;

		while (DsaPointerIsValid(p))
		{
			AcEntry    *e = ac_addr(p);

			if (e->hash == newentry->hash && e->keylen == newentry->keylen &&
				memcmp(e->key, newentry->key, e->keylen) == 0 &&
				AC_STATE(pg_atomic_read_u64(&e->state)) != AC_REMOVED)
				return e;
			p = pg_atomic_read_u64(&e->next);
		}
		pg_atomic_write_u64(&newentry->next, head);
		/* the CAS is a full barrier: the entry is complete before it shows */
		if (pg_atomic_compare_exchange_u64(bucket, &head, newentry->self))
		{
			pg_atomic_fetch_add_u64(&ac_shared->entry_count, 1);
			pg_atomic_fetch_add_u32(&ac_descs[newentry->desc_idx].nentries, 1);
			return newentry;
		}
		/* lost a race with another insert: bounded by contention, no CFI */
	}
}

/*
 * Remove an entry whose state word is still "expected", a live word
 * (READY, FAILED, ABANDONED or UNCACHED) the caller loaded: move it to
 * REMOVED, unlink it and retire it.  Returns false if the state changed
 * meanwhile (somebody else removed it, or a fill took it over) or if
 * "expected" is not a live word.  Takes the partition lock; does not
 * ERROR.
 */
bool
ac_entry_remove(AcEntry *entry, uint64 expected)
{
	pg_atomic_uint64 *bucket = bucket_for(entry->hash);
	LWLock	   *lock = partition_lock_for(entry->hash);
	uint64		st = expected;
	dsa_pointer old;

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

	LWLockAcquire(lock, LW_EXCLUSIVE);
	for (;;)
	{
		pg_atomic_uint64 *link = bucket;
		dsa_pointer p = pg_atomic_read_u64(link);
		bool		done = false;

		while (DsaPointerIsValid(p))
		{
			if (p == entry->self)
			{
				dsa_pointer next = pg_atomic_read_u64(&entry->next);

				if (link == bucket)
				{
					uint64		expect = p;

					/* an inserter may have pushed a new head: rescan */
					if (!pg_atomic_compare_exchange_u64(bucket, &expect, next))
						break;
				}
				else
					pg_atomic_write_u64(link, next);
				done = true;
				break;
			}
			link = &((AcEntry *) ac_addr(p))->next;
			p = pg_atomic_read_u64(link);
		}
		if (done || !DsaPointerIsValid(p))
			break;
	}
	LWLockRelease(lock);
	pg_atomic_fetch_sub_u64(&ac_shared->entry_count, 1);
	pg_atomic_fetch_sub_u32(&ac_descs[entry->desc_idx].nentries, 1);

	/* only the winner of the CAS above gets here, once per entry */
	Assert(entry->retire_epoch == 0);

	/* retire: the epoch is read after the unlink (partner: ac_read_begin) */
	pg_memory_barrier();
	entry->retire_epoch = pg_atomic_read_u64(&ac_shared->global_epoch);
	old = pg_atomic_read_u64(&ac_shared->retired);
	do
	{
		entry->retire_next = old;
	} while (!pg_atomic_compare_exchange_u64(&ac_shared->retired, &old,
											 entry->self));
	return true;
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
	return &ac_shared->cvs[entry->hash % AC_NCVS];
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
		ConditionVariableBroadcast(ac_entry_cv(entry));
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
	e->retire_next = *head;
	if (*tail == NULL)
		*tail = e;
	*head = e->self;
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
		tail->retire_next = old;
	} while (!pg_atomic_compare_exchange_u64(&ac_shared->retired, &old, head));
}

/*
 * Free what can be freed of the retired entries.  Runs on slow paths;
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

	if (DsaPointerIsValid(pg_atomic_read_u64(&ac_shared->retired)) == false)
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
			dsa_pointer next = e->retire_next;

			if (e->retire_epoch < min_epoch &&
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

			list = e->retire_next;
			keep(&keep_head, &keep_tail, e);
		}
		push_retired(keep_head, keep_tail);
		LWLockRelease(&ac_shared->reclaim_lock);
		PG_RE_THROW();
	}
	PG_END_TRY();
	push_retired(keep_head, keep_tail);
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
	pg_atomic_uint64 *buckets = ac_addr(ac_shared->buckets);
	uint32		i;

	ac_read_begin();
	for (i = 0; i < ac_shared->nbuckets; i++)
	{
		dsa_pointer p = pg_atomic_read_u64(&buckets[i]);

		while (DsaPointerIsValid(p))
		{
			AcEntry    *e = ac_addr(p);
			uint64		st = pg_atomic_read_u64(&e->state);

			if (AC_STATE(st) != AC_REMOVED)
			{
				pg_read_barrier();
				fn(e, st, arg);
			}
			p = pg_atomic_read_u64(&e->next);
		}
	}
	ac_read_end();
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
	if (e->generation != pg_atomic_read_u64(&d->generation))
		return true;
	return ac_entry_expired(e, now);
}

/*
 * Remove garbage from the next max_buckets buckets (a cursor per backend
 * walks the table round-robin).  A slow-path helper: entries that are
 * invalidated by invalidate_all or drop_cache, or that expire and are
 * never asked for again, would otherwise stay until evicted.
 */
void
ac_sweep_garbage(int max_buckets)
{
	pg_atomic_uint64 *buckets = ac_addr(ac_shared->buckets);
	uint64		now = ac_now_ns();
	int			n;

	ac_read_begin();
	for (n = 0; n < max_buckets; n++)
	{
		uint32		i = sweep_cursor++ & (ac_shared->nbuckets - 1);
		dsa_pointer p = pg_atomic_read_u64(&buckets[i]);

		while (DsaPointerIsValid(p))
		{
			AcEntry    *e = ac_addr(p);
			uint64		st = pg_atomic_read_u64(&e->state);
			uint32		s = AC_STATE(st);

			p = pg_atomic_read_u64(&e->next);
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
	}
	ac_read_end();
}
