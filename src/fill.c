/*-------------------------------------------------------------------------
 *
 * fill.c
 *	  The single-flight lookup of atomiccache: hit, wait, or reserve the
 *	  key and run the fill function, then publish its value or its error.
 *
 * ac_get() loops over the states of the key's entry (see table.h):
 *
 *	READY/FAILED, fresh  -> copy the value out (or raise the error): a hit,
 *							with no lock and no shared write but the CLOCK
 *							reference bit when it is clear (and, every
 *							256th hit, the version's use time, at most
 *							ten times a second: ac_desc_touch);
 *	READY/FAILED, expired -> remove it and look again;
 *	PENDING (another)	 -> pin it, sleep until it is done, and return what
 *							its filler published;
 *	PENDING (ours)		 -> the fill asks for its own key: error at once;
 *	ABANDONED			 -> take the fill over by CAS;
 *	absent				 -> link a new PENDING entry (lock-free) and fill.
 *
 * The fill runs in PG_TRY.  On error the filler copies the ErrorData and
 * either publishes it as the key's value (FAILED, same TTL) or, for the
 * transient classes of README.md (Semantics), abandons the reservation so that a waiter
 * takes over; then it re-throws the original error.  FATAL skips PG_CATCH:
 * the backend's exit callback (shmem.c) then releases every reservation
 * still on this backend's stack (held[]); the transaction callback does
 * the same at abort as a last resort.  No per-fill exit callback is
 * registered, so nesting depth is bounded only by the stack.
 *
 * IDENTIFICATION
 *	  src/fill.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "utils/memutils.h"

#include "evict.h"
#include "fill.h"
#include "value.h"
#include "wait.h"

/*
 * Entries this backend is filling (held: reserved and pinned) and entries
 * it pins while waiting (pinned), with the transaction nesting level at
 * which each was taken, so that the abort of a subtransaction releases
 * exactly what was taken inside it.
 */
typedef struct AcStackItem
{
	AcEntry    *entry;
	int			level;
} AcStackItem;

typedef struct AcEntryStack
{
	AcStackItem *items;
	int			n;
	int			size;
} AcEntryStack;

static AcEntryStack held;
static AcEntryStack pinned;

void
ac_fill_init(void)
{
	held.size = pinned.size = 16;
	held.items = MemoryContextAlloc(TopMemoryContext, sizeof(AcStackItem) * held.size);
	pinned.items = MemoryContextAlloc(TopMemoryContext, sizeof(AcStackItem) * pinned.size);
	held.n = pinned.n = 0;
}

/*
 * Make room for one more item.  Called before a reservation or pin is
 * taken, so that recording it cannot fail afterwards.  May ERROR.
 */
static void
stack_reserve(AcEntryStack *s)
{
	if (s->n >= s->size)
	{
		s->size *= 2;
		s->items = repalloc(s->items, sizeof(AcStackItem) * s->size);
	}
}

/* Record an item; room was reserved.  Cannot ERROR. */
static void
stack_push(AcEntryStack *s, AcEntry *e)
{
	Assert(s->n < s->size);
	s->items[s->n].entry = e;
	s->items[s->n].level = GetCurrentTransactionNestLevel();
	s->n++;
}

static void
stack_remove(AcEntryStack *s, AcEntry *e)
{
	int			i;

	for (i = s->n - 1; i >= 0; i--)
		if (s->items[i].entry == e)
		{
			memmove(&s->items[i], &s->items[i + 1], sizeof(AcStackItem) * (s->n - i - 1));
			s->n--;
			return;
		}
}

/*
 * Release the reservations and pins taken at nesting level min_level or
 * deeper: all of them at exit and at the end of a transaction (min_level
 * 0), those of an aborted subtransaction otherwise.  Cannot ERROR.
 */
void
ac_fill_release(int min_level)
{
	uint64		mine = AC_MAKE_STATE(AC_PENDING, ac_my_slotno, ac_my_session);

	while (held.n > 0 && held.items[held.n - 1].level >= min_level)
	{
		AcEntry    *e = held.items[--held.n].entry;

		ac_entry_abandon(e, mine);
		ac_entry_unpin(e);
	}
	while (pinned.n > 0 && pinned.items[pinned.n - 1].level >= min_level)
		ac_entry_unpin(pinned.items[--pinned.n].entry);
}

void
ac_fill_release_all(void)
{
	ac_fill_release(0);
}

/* Make room on both stacks; call before entering a read section. */
static void
fill_make_room(void)
{
	stack_reserve(&pinned);
	stack_reserve(&held);
}

/*
 * Pin an entry found in the current read section, end the section, and
 * sleep until its fill is done; the pin is on the backend's stack, so an
 * ERROR or FATAL meanwhile releases it.  Returns the state word (a REMOVED
 * word carries the state it was removed from).  fill_make_room() must
 * have been called before the read section.
 */
static uint64
pin_and_wait(AcEntry *e, const char *cache_name)
{
	uint64		st;

	ac_entry_pin(e);
	stack_push(&pinned, e);
	ac_read_end();
	st = ac_wait_fill(e, cache_name);
	stack_remove(&pinned, e);
	ac_entry_unpin(e);
	return st;
}

/* README.md (Semantics): errors that say nothing about the key are never cached. */
static bool
error_is_transient(int code)
{
	int			cat = ERRCODE_TO_CATEGORY(code);

	if (cat == ERRCODE_OPERATOR_INTERVENTION ||
		cat == ERRCODE_INSUFFICIENT_RESOURCES ||
		cat == ERRCODE_CONNECTION_EXCEPTION ||
		cat == ERRCODE_SYSTEM_ERROR ||
		cat == ERRCODE_INTERNAL_ERROR)
		return true;
	/*
	 * Beyond the README's list: "stack depth limit exceeded" depends on the
	 * caller's max_stack_depth and call depth, not on the key.
	 */
	/*
	 * Also beyond it: a privilege error (42501, e.g. no SELECT on a table
	 * the fill reads) says something about the caller, not the key; cached,
	 * it would deny every other role too.
	 */
	/*
	 * And class 42 (undefined table, function or column, ...) and 3F000: in
	 * a fill that works for its owner, they come from the caller's session
	 * (search_path, temporary objects), not from the key.
	 */
	if (cat == ERRCODE_SYNTAX_ERROR_OR_ACCESS_RULE_VIOLATION ||
		code == ERRCODE_INVALID_SCHEMA_NAME)
		return true;

	/*
	 * Class 25 (invalid transaction state: a read-only transaction, "cannot
	 * ... during a parallel operation") is about the caller's transaction.
	 */
	if (cat == ERRCODE_INVALID_TRANSACTION_STATE)
		return true;
	return code == ERRCODE_STATEMENT_TOO_COMPLEX ||
		code == ERRCODE_T_R_SERIALIZATION_FAILURE ||
		code == ERRCODE_T_R_DEADLOCK_DETECTED ||
		code == ERRCODE_LOCK_NOT_AVAILABLE;
}

static AcStatRow *
stats_row(AcFillCall *call)
{
	if (pg_atomic_read_u32(&call->stats->desc_idx) != (uint32) call->desc_idx)
		call->stats = ac_stat_row(call->desc_idx);
	return call->stats;
}

static void
set_times(AcFillCall *call, AcEntry *e)
{
	uint64		now = ac_now_ns();

	e->life.filled_at = now;
	/* its version's slot is in use (AcCacheDesc) */
	ac_desc_touch(call->desc_idx, call->generation, now);
	/* it will be garbage once expired: the sweep has one more to find */
	if (call->ttl_ns)
		ac_table_garbage_hint(1);
}

/*
 * Did the fill of a per_role cache end as another role than its key's (a
 * SET ROLE or set_config('role', ...) in it)?  What it computed is then
 * not the key's role's view: it is returned, never published.
 */
static inline bool
role_moved(const AcFillCall *call)
{
	return OidIsValid(call->key_role) && GetUserId() != call->key_role;
}

/*
 * Run the fill for a reserved, pinned entry (already on the held stack)
 * and publish the outcome.
 * Returns the value (in the caller's memory context) or re-throws the
 * fill's error.
 */
static Datum
do_fill(AcFillCall *call, AcEntry *entry, bool *isnull)
{
	MemoryContext cxt = CurrentMemoryContext;
	uint64		mine = AC_MAKE_STATE(AC_PENDING, ac_my_slotno, ac_my_session);
	uint64		start = ac_now_ns();
	uint64		us;
	Datum		result = (Datum) 0;

	AC_TEST_POINT(AC_TP_FILL_START, 0, 0);
	PG_TRY();
	{
		call->fcinfo->isnull = false;
		result = FunctionCallInvoke(call->fcinfo);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		us = (ac_now_ns() - start) / 1000;
		if (error_is_transient(edata->sqlerrcode) || *call->no_publish ||
			role_moved(call) || !ac_error_store(entry, edata))
			ac_entry_abandon(entry, mine);
		else
		{
			set_times(call, entry);
			ac_entry_publish(entry, AC_FAILED);
			ac_count(stats_row(call), AC_FILL_ERRORS, 1);
		}
		ac_count(stats_row(call), AC_FILLS, 1);
		ac_count(stats_row(call), AC_FILL_TIME_US, us);
		ac_stats_fill_time(call->desc_idx, us);
		stack_remove(&held, entry);
		ac_entry_unpin(entry);
		ReThrowError(edata);
	}
	PG_END_TRY();
	AC_TEST_POINT(AC_TP_FILL_DONE, 0, 0);

	*isnull = call->fcinfo->isnull;
	us = (ac_now_ns() - start) / 1000;
	ac_count(stats_row(call), AC_FILLS, 1);
	ac_count(stats_row(call), AC_FILL_TIME_US, us);
	ac_stats_fill_time(call->desc_idx, us);

	/*
	 * A value that cannot be stored is returned uncached; its waiters learn
	 * so and run the fill themselves.  So is a value computed while this
	 * transaction has changed a fill or a type (the fill itself may have
	 * done it): other sessions must not see it before the change commits;
	 * and a value of a per_role cache whose fill ended as another role than
	 * the key's (role_moved).
	 */
	if (!*call->no_publish && !role_moved(call) &&
		ac_value_store(entry, call->result, result, *isnull))
	{
		set_times(call, entry);
		ac_entry_publish(entry, AC_READY);
	}
	else
	{
		ac_entry_publish(entry, AC_UNCACHED);
		ac_table_garbage_hint(1);
		ac_count(stats_row(call), AC_UNCACHED_VALUES, 1);
	}
	stack_remove(&held, entry);
	ac_entry_unpin(entry);
	return result;
}

/*
 * Sleep on another backend's fill of a pinned entry, then drop the pin.
 * Gives the value if the fill published one; raises the error if it
 * published an error.
 */
typedef enum WaitOutcome
{
	WAIT_VALUE,					/* the fill published a value */
	WAIT_AGAIN,					/* abandoned: look again, maybe take over */
	WAIT_UNCACHED				/* the value did not fit: fill yourself */
} WaitOutcome;

static WaitOutcome
wait_and_fetch(AcFillCall *call, AcEntry *e, bool *isnull, Datum *value)
{
	ErrorData  *volatile edata = NULL;
	volatile WaitOutcome outcome = WAIT_AGAIN;
	uint64		st;

	PG_TRY();
	{
		st = ac_wait_fill(e, call->cache_name);
		AC_TEST_POINT(AC_TP_WOKEN, e->partition, e->so_key);
		/* published, then removed before we woke: still ours to return */
		if (AC_STATE(st) == AC_REMOVED)
			st = AC_MAKE_STATE(AC_REMOVED_FROM(st), 0, 0);
		if (AC_STATE(st) == AC_READY)
		{
			*value = ac_value_fetch(e, call->result, isnull);
			outcome = WAIT_VALUE;
		}
		else if (AC_STATE(st) == AC_FAILED)
			edata = ac_error_fetch(e);
		else if (AC_STATE(st) == AC_UNCACHED)
			outcome = WAIT_UNCACHED;
	}
	PG_CATCH();
	{
		stack_remove(&pinned, e);
		ac_entry_unpin(e);
		PG_RE_THROW();
	}
	PG_END_TRY();
	stack_remove(&pinned, e);
	ac_entry_unpin(e);
	if (edata)
		ac_error_throw(edata);
	return outcome;
}

/* Run the fill without a reservation and without storing its value. */
Datum
ac_fill_uncached(AcFillCall *call, bool *isnull)
{
	Datum		v;

	call->fcinfo->isnull = false;
	v = FunctionCallInvoke(call->fcinfo);
	*isnull = call->fcinfo->isnull;
	ac_count(stats_row(call), AC_FILLS, 1);
	return v;
}

/*
 * A call whose version of the cache has no slot (shmem.h, AcCacheDesc):
 * a miss, filled and returned uncached, and counted so.
 */
Datum
ac_fill_no_slot(AcFillCall *call, bool *isnull)
{
	ac_count(stats_row(call), AC_MISSES, 1);
	ac_count(stats_row(call), AC_UNCACHED_VALUES, 1);
	return ac_fill_uncached(call, isnull);
}

/*
 * One call of ac_get, as its steps see it.
 */
typedef struct GetCall
{
	AcFillCall *call;
	StringInfo	key;
	uint64		hash;
	bool		missed;			/* counted as a miss already */
	bool	   *isnull;
	Datum		result;			/* when a step is done */
} GetCall;

/* A call counts as one miss, however many rounds it takes. */
static void
count_miss(GetCall *g)
{
	if (!g->missed)
		ac_count(stats_row(g->call), AC_MISSES, 1);
	g->missed = true;
}

/*
 * The steps of ac_get.  Each is called inside the read section in which
 * the key's entry e (state word st) was found, and ends that section.
 * It returns true when the call is done (g->result set; or it raised the
 * cached error), false when the table must be looked at again.
 */

/* A ready or failed entry: the hit; or expired: remove it, look again. */
static bool
step_hit(GetCall *g, AcEntry *e, uint64 st)
{
	ErrorData  *edata = NULL;
	int			expiry = ac_entry_expiry(e, st);

	if (expiry < 0)
	{
		/* removed meanwhile: look again */
		ac_read_end();
		return false;
	}
	if (expiry > 0)
	{
		/* remove it while the read section still protects it */
		bool		removed = ac_entry_remove(e, st);

		ac_read_end();
		if (removed)
			ac_count(stats_row(g->call), AC_EXPIRATIONS, 1);
		return false;
	}
	AC_TEST_POINT(AC_TP_HIT, e->partition, e->so_key);
	if (e->refbit == 0)
		e->refbit = 1;
	if (AC_STATE(st) == AC_FAILED)
		edata = ac_error_fetch(e);
	else
		g->result = ac_value_fetch(e, g->call->result, g->isnull);
	ac_read_end();
	/* a call that missed before was counted then */
	if (!g->missed)
	{
		static uint32 hits;

		ac_count(stats_row(g->call), AC_HITS, 1);
		/* hits use the version's slot too: say so now and then */
		if ((++hits & 255) == 0)
			ac_desc_touch(g->call->desc_idx, g->call->generation,
						  ac_now_ns());
	}
	if (edata)
		ac_error_throw(edata);
	return true;
}

/*
 * A fill in progress: our own (recursion: an error at once), or another
 * backend's: sleep until it publishes, then take its value or error, or
 * fill uncached if its value did not fit, or look again if it gave up.
 */
static bool
step_wait(GetCall *g, AcEntry *e, uint64 st)
{
	if ((int) AC_FILLER_SLOT(st) == ac_my_slotno &&
		AC_FILLER_SESSION(st) == (uint32) ac_my_session)
	{
		ac_read_end();
		ac_recursion_error(g->call->cache_name);
	}
	ac_entry_pin(e);
	stack_push(&pinned, e);
	ac_read_end();
	count_miss(g);
	ac_count(stats_row(g->call), AC_WAITS, 1);
	switch (wait_and_fetch(g->call, e, g->isnull, &g->result))
	{
		case WAIT_VALUE:
			return true;
		case WAIT_UNCACHED:
			g->result = ac_fill_uncached(g->call, g->isnull);
			return true;
		case WAIT_AGAIN:
			break;
	}
	CHECK_FOR_INTERRUPTS();
	return false;
}

/* An abandoned fill: take it over (one backend wins the CAS) and fill. */
static bool
step_take_over(GetCall *g, AcEntry *e, uint64 st)
{
	if (!ac_entry_takeover(e, st))
	{
		ac_read_end();
		return false;
	}
	ac_entry_pin(e);
	stack_push(&held, e);
	ac_read_end();
	count_miss(g);
	g->result = do_fill(g->call, e, g->isnull);
	return true;
}

/*
 * No entry: reserve the key with a new PENDING entry and fill it; if
 * another backend inserted one first, look again; if there is no memory
 * even for the reservation, fill uncached.  Called outside a read section.
 */
static bool
step_reserve(GetCall *g)
{
	AcEntry    *newe;
	AcEntry    *e;
	dsa_pointer dp;

	count_miss(g);
	/* its version's slot is in use from now on (AcCacheDesc) */
	ac_desc_touch(g->call->desc_idx, g->call->generation, ac_now_ns());
	ac_reclaim();
	ac_sweep_garbage(8);
	newe = ac_entry_new(g->hash, g->key->data, g->key->len,
						g->call->desc_idx, g->call->generation, &dp);
	if (newe == NULL)
	{
		ac_count(stats_row(g->call), AC_UNCACHED_VALUES, 1);
		g->result = ac_fill_uncached(g->call, g->isnull);
		return true;
	}
	AC_TEST_POINT(AC_TP_RESERVE, newe->partition, 0);
	ac_read_begin();
	e = ac_table_insert(newe, dp);
	if (e == newe)
		stack_push(&held, newe);
	ac_read_end();
	if (e != newe)
	{
		ac_entry_discard(newe, dp);
		return false;
	}
	/* one entry more: the index may want more buckets (table.c) */
	ac_index_grow(g->hash);
	g->result = do_fill(g->call, newe, g->isnull);
	return true;
}

/*
 * Return the value of the key, filling it if needed.  key is the key
 * image, hash its hash.  May ERROR: the fill's error, a cached error,
 * recursion, deadlock, cancel.
 *
 * Each round looks the key up in a read section and hands what it found
 * to one step (above), which ends the section and either finishes the
 * call or asks for another round.  A round repeats only when another
 * backend changed the entry meanwhile (removed it, took it over, inserted
 * its own first) or after a wait, which checks for interrupts: the loop
 * makes progress whenever the table does.
 */
Datum
ac_get(AcFillCall *call, StringInfo key, uint64 hash, bool *isnull)
{
	GetCall		g;

	g.call = call;
	g.key = key;
	g.hash = hash;
	g.missed = false;
	g.isnull = isnull;
	g.result = (Datum) 0;
	for (;;)
	{
		AcEntry    *e;
		uint64		st;
		bool		done;

		/* room to record a pin or a reservation, before taking one */
		stack_reserve(&held);
		stack_reserve(&pinned);

		ac_read_begin();
		e = ac_table_find(hash, call->desc_idx, call->generation,
						  key->data, key->len);
		if (e == NULL)
		{
			ac_read_end();
			done = step_reserve(&g);
		}
		else
		{
			AC_TEST_POINT(AC_TP_GET_FOUND, e->partition, e->so_key);
			st = pg_atomic_read_u64(&e->state);
			/* partner: the CAS in ac_entry_publish */
			pg_read_barrier();
			switch (AC_STATE(st))
			{
				case AC_READY:
				case AC_FAILED:
					done = step_hit(&g, e, st);
					break;
				case AC_PENDING:
					done = step_wait(&g, e, st);
					break;
				case AC_ABANDONED:
					done = step_take_over(&g, e, st);
					break;
				case AC_UNCACHED:
					/* a marker left by a value that did not fit: retry */
					(void) ac_entry_remove(e, st);
					ac_read_end();
					done = false;
					break;
				default:
					ac_read_end();
					done = false;
					break;
			}
		}
		if (done)
			return g.result;
		/* lost a race: nothing held here (no section, pin or reservation) */
		CHECK_FOR_INTERRUPTS();
	}
}

/*
 * contains(): is there a ready (or failed), unexpired entry for the key?
 * Never fills, never waits.
 */
bool
ac_fill_contains(int desc_idx, uint64 generation, StringInfo key, uint64 hash)
{
	AcEntry    *e;
	bool		result = false;

	ac_read_begin();
	e = ac_table_find(hash, desc_idx, generation, key->data, key->len);
	if (e != NULL)
	{
		uint64		st = pg_atomic_read_u64(&e->state);

		pg_read_barrier();
		if ((AC_STATE(st) == AC_READY || AC_STATE(st) == AC_FAILED) &&
			ac_entry_expiry(e, st) == 0)
			result = true;
	}
	ac_read_end();
	return result;
}

/*
 * invalidate(): remove the key's entry of one generation, after the fill
 * in progress if there is one (README.md, Reference).  True if a ready
 * (or failed), unexpired entry was removed (the caller counts the
 * invalidation).  Ends with a reclaim.
 */
bool
ac_fill_invalidate(int desc_idx, uint64 generation, StringInfo key,
				   uint64 hash, const char *cache_name)
{
	bool		removed = false;

	for (;;)
	{
		AcEntry    *e;
		uint64		st;
		bool		live;

		CHECK_FOR_INTERRUPTS();
		fill_make_room();
		ac_read_begin();
		e = ac_table_find(hash, desc_idx, generation, key->data, key->len);
		if (e == NULL)
		{
			ac_read_end();
			break;
		}
		AC_TEST_POINT(AC_TP_INVALIDATE_FOUND, e->partition, e->so_key);
		st = pg_atomic_read_u64(&e->state);
		/* partner: the CAS in ac_entry_publish (the fill time after it) */
		pg_read_barrier();
		if (AC_STATE(st) == AC_PENDING)
		{
			/* wait for the fill in progress, then remove its result */
			(void) pin_and_wait(e, cache_name);
			continue;
		}
		/* read before the removal, which takes the fill time (table.h) */
		live = (AC_STATE(st) == AC_READY || AC_STATE(st) == AC_FAILED) &&
			!ac_entry_expired(e, ac_now_ns());
		/* false if another backend removed it meanwhile: look again */
		if (ac_entry_remove(e, st))
		{
			removed = live;
			ac_read_end();
			break;
		}
		ac_read_end();
	}
	ac_reclaim();
	return removed;
}
