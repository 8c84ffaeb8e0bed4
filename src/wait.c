/*-------------------------------------------------------------------------
 *
 * wait.c
 *	  Waiting for another backend's fill of atomiccache.
 *
 * A waiter holds a pin on the PENDING entry and sleeps on the condition
 * variable chosen by the key's hash (several keys share one; a wake-up for
 * another key only costs a re-check).  The filler changes the state word
 * with a CAS, then broadcasts; the waiter prepares to sleep before it
 * checks the state, so it cannot miss that broadcast.
 *
 * Nothing waits forever:
 *	- the sleep is interruptible: cancel and statement_timeout raise their
 *	  error inside ConditionVariableTimedSleep(), and the caller's
 *	  PG_FINALLY drops the pin;
 *	- the sleep is timed: every second the waiter checks that the filler's
 *	  slot still holds the session recorded in the state word, and if not
 *	  marks the entry ABANDONED so that a waiter takes the fill over (the
 *	  filler's own exit callback normally does this at once);
 *	- a wait cycle between fills (A fills k1 and asks for k2 while B fills
 *	  k2 and asks for k1) is found by following the waiting_for links of
 *	  the backend slots before each sleep; the backend that closes the
 *	  cycle gets a deadlock error (40P01), which is never cached, so its
 *	  reservations are released and the other fill goes on.
 *
 * IDENTIFICATION
 *	  src/wait.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "pgstat.h"
#include "utils/wait_event.h"

#include "fill.h"

#define AC_WAIT_RECHECK_MS	1000

/*
 * The wait event shown in pg_stat_activity while a backend sleeps on
 * another's fill: the Extension class on PostgreSQL 15 and 16, a named
 * event ("AtomicCacheFill") from 17 on.
 */
static uint32
fill_wait_event(void)
{
#if PG_VERSION_NUM >= 170000
	static uint32 event = 0;

	if (event == 0)
		event = WaitEventExtensionNew("AtomicCacheFill");
	return event;
#else
	return PG_WAIT_EXTENSION;
#endif
}

static bool
owner_alive(uint64 st)
{
	uint32		slot = AC_OWNER_SLOT(st);

	if (slot >= ac_shared->nslots)
		return false;
	return (uint32) pg_atomic_read_u64(&ac_slots[slot].session) ==
		AC_OWNER_SESSION(st);
}

/* Does the chain of waits starting at this slot come back to us? */
static bool
closes_cycle(uint32 slot)
{
	uint32		steps;

	for (steps = 0; steps < ac_shared->nslots; steps++)
	{
		uint32		w;

		if ((int) slot == ac_my_slotno)
			return true;
		w = pg_atomic_read_u32(&ac_slots[slot].waiting_for);
		if (w == 0)
			return false;
		slot = w - 1;
	}
	return false;
}

void
ac_recursion_error(const char *cache_name)
{
	ereport(ERROR,
			(errcode(ERRCODE_T_R_DEADLOCK_DETECTED),
			 errmsg("recursive fill of the same key in cache \"%s\"", cache_name),
			 errdetail("The fill function asked its own cache for the key it is filling."),
			 errhint("A fill function may ask for other keys of its cache, not for its own key.")));
	pg_unreachable();
}

/*
 * Sleep until the pinned entry is no longer PENDING; return its state
 * word.  May ERROR (cancel, timeout, deadlock); the caller drops its pin
 * then.
 */
uint64
ac_wait_fill(AcEntry *entry, const char *cache_name)
{
	ConditionVariable *cv = ac_entry_cv(entry);
	uint64		st;

	ConditionVariablePrepareToSleep(cv);
	for (;;)
	{
		uint32		owner;

		st = pg_atomic_read_u64(&entry->state);
		if (AC_STATE(st) != AC_PENDING)
			break;
		owner = AC_OWNER_SLOT(st);
		if ((int) owner == ac_my_slotno &&
			AC_OWNER_SESSION(st) == (uint32) ac_my_session)
		{
			ConditionVariableCancelSleep();
			ac_recursion_error(cache_name);
		}
		if (!owner_alive(st))
		{
			ac_entry_abandon(entry, st);
			continue;
		}
		pg_atomic_write_u32(&ac_my_slot->waiting_for, owner + 1);
		/* partner: the same barrier in the other waiters of the cycle */
		pg_memory_barrier();
		if (closes_cycle(owner))
		{
			pg_atomic_write_u32(&ac_my_slot->waiting_for, 0);
			ConditionVariableCancelSleep();
			ereport(ERROR,
					(errcode(ERRCODE_T_R_DEADLOCK_DETECTED),
					 errmsg("deadlock detected between fills of cache \"%s\"",
							cache_name),
					 errdetail("This fill waits for a fill in another session that waits for this one."),
					 errhint("Fill functions must not ask each other's keys in a cycle.")));
		}
		(void) ConditionVariableTimedSleep(cv, AC_WAIT_RECHECK_MS,
										   fill_wait_event());
	}
	pg_atomic_write_u32(&ac_my_slot->waiting_for, 0);
	ConditionVariableCancelSleep();
	return st;
}
