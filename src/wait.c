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
 *	  error inside ConditionVariableTimedSleep(), and the abort that
 *	  follows drops the pin (fill.c keeps it on the backend's stack);
 *	- the sleep is timed: every second the waiter checks that the filler's
 *	  slot still holds the session recorded in the state word, and if not
 *	  marks the entry ABANDONED so that a waiter takes the fill over (the
 *	  filler's own exit callback normally does this at once);
 *	- a wait cycle (A fills k1 and asks for k2 while B fills k2 and asks
 *	  for k1; or a fill that waits for a row lock held by one of its
 *	  waiters) is found by walking the wait-for graph (see below); one
 *	  backend of the cycle gets a deadlock error (40P01), which is never
 *	  cached, so its reservations are released and the other fills go on;
 *	- accessors are PARALLEL RESTRICTED (ddl.c), so no parallel worker
 *	  ever waits here for its own leader.
 *
 * IDENTIFICATION
 *	  src/wait.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "utils/array.h"
#include "utils/fmgrprotos.h"
#include "pgstat.h"
#include "utils/wait_event.h"

#include "compat.h"
#include "shmem.h"
#include "table.h"
#include "wait.h"

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
filler_alive(uint64 st)
{
	uint32		slot = AC_FILLER_SLOT(st);

	if (slot >= ac_shared->nslots)
		return false;
	return (uint32) pg_atomic_read_u64(&ac_slots[slot].session) ==
		AC_FILLER_SESSION(st);
}

/*
 * The wait-for graph, for deadlock detection.
 *
 * A backend sleeping on a fill has one edge, to the filler's slot
 * (waiting_for).  A backend waiting for a heavyweight lock has edges to
 * the backends that block it (pg_blocking_pids); PostgreSQL's own
 * detector cannot see our edges, so a cycle that mixes both kinds (a fill
 * that waits for a row lock held by one of its waiters) must be found
 * here.  Lock edges cost a walk of the lock table, so they are followed
 * only after a first timed sleep, like PostgreSQL's deadlock_timeout.
 *
 * Edges are read without locks and may be out of date (a waiter that was just
 * woken still points to its filler), so a cycle counts only when it is
 * seen twice, AC_DEADLOCK_CONFIRM_MS apart.  Every backend on a cycle of
 * fill waits sees the same cycle; only the one with the highest slot
 * number among the fill waiters on it gives up, so one error suffices.
 */
#define AC_DEADLOCK_CONFIRM_MS	200

typedef struct WaitWalk
{
	bool	   *visited;
	uint32	   *path;
	int			depth;
	bool		follow_locks;
	uint32		victim;			/* highest slot of a fill waiter on the cycle */
} WaitWalk;

static bool
walk_from(WaitWalk *w, uint32 slot)
{
	uint32		edge;
	PGPROC	   *proc;
	bool		found = false;

	if ((int) slot == ac_my_slotno)
	{
		int			i;

		/* a cycle: pick the victim among its fill waiters (and us) */
		w->victim = slot;
		for (i = 0; i < w->depth; i++)
			if (pg_atomic_read_u32(&ac_slots[w->path[i]].waiting_for) != 0 &&
				w->path[i] > w->victim)
				w->victim = w->path[i];
		return true;
	}
	if (slot >= ac_shared->nslots || w->visited[slot])
		return false;
	w->visited[slot] = true;
	w->path[w->depth++] = slot;

	edge = pg_atomic_read_u32(&ac_slots[slot].waiting_for);
	if (edge != 0)
		found = walk_from(w, edge - 1);
	else if (w->follow_locks &&
			 (proc = GetPGProcByNumber(slot)) != NULL &&
			 proc->pid != 0 && proc->waitLock != NULL)
	{
		ArrayType  *arr;
		Datum	   *pids;
		int			npids;
		int			i;

		arr = DatumGetArrayTypeP(DirectFunctionCall1(pg_blocking_pids,
													 Int32GetDatum(proc->pid)));
		deconstruct_array(arr, INT4OID, 4, true, TYPALIGN_INT,
						  &pids, NULL, &npids);
		for (i = 0; i < npids && !found; i++)
		{
			PGPROC	   *blocker = BackendPidGetProc(DatumGetInt32(pids[i]));

			if (blocker != NULL)
				found = walk_from(w, (uint32) ac_proc_number(blocker));
		}
		pfree(pids);
		pfree(arr);
	}
	w->depth--;
	return found;
}

/*
 * Does waiting for the fill of `filler` close a cycle through us?  If so,
 * is this backend the one that must give up?
 */
static bool
cycle_victim(uint32 filler, bool follow_locks)
{
	WaitWalk	w;
	bool		found;

	w.visited = palloc0(sizeof(bool) * ac_shared->nslots);
	w.path = palloc(sizeof(uint32) * ac_shared->nslots);
	w.depth = 0;
	w.follow_locks = follow_locks;
	w.victim = 0;
	found = walk_from(&w, filler);
	pfree(w.visited);
	pfree(w.path);
	return found && (int) w.victim == ac_my_slotno;
}

static void
deadlock_error(const char *cache_name)
{
	ereport(ERROR,
			(errcode(ERRCODE_T_R_DEADLOCK_DETECTED),
			 errmsg("deadlock detected while waiting for a fill of cache \"%s\"",
					cache_name),
			 errdetail("The fill this session waits for waits, directly or through locks, for this session."),
			 errhint("Fill functions must not wait for each other, or for locks their callers hold, in a cycle.")));
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
 * word.  May ERROR (cancel, timeout, deadlock, recursion); the caller
 * drops its pin then.  The waiting_for edge never outlives the call.
 */
uint64
ac_wait_fill(AcEntry *entry, const char *cache_name)
{
	ConditionVariable *cv = ac_entry_cv(entry);
	volatile uint64 st = 0;
	volatile uint64 suspect_since = 0;	/* first sight of a cycle */
	volatile int sleeps = 0;

	PG_TRY();
	{
		ConditionVariablePrepareToSleep(cv);
		for (;;)
		{
			uint32		filler;
			uint64		w;
			long		timeout = AC_WAIT_RECHECK_MS;

			w = pg_atomic_read_u64(&entry->state);
			st = w;
			if (AC_STATE(w) != AC_PENDING)
				break;
			filler = AC_FILLER_SLOT(w);
			if ((int) filler == ac_my_slotno &&
				AC_FILLER_SESSION(w) == (uint32) ac_my_session)
				ac_recursion_error(cache_name);
			if (!filler_alive(w))
			{
				ac_entry_abandon(entry, w);
				continue;
			}
			pg_atomic_write_u32(&ac_my_slot->waiting_for, filler + 1);
			/* partner: the same barrier in the other waiters of a cycle */
			pg_memory_barrier();
			if (cycle_victim(filler, sleeps > 0))
			{
				uint64		now = ac_now_ns();

				if (suspect_since == 0)
					suspect_since = now;
				else if (now - suspect_since >=
						 (uint64) AC_DEADLOCK_CONFIRM_MS * 1000000)
					deadlock_error(cache_name);
				timeout = AC_DEADLOCK_CONFIRM_MS;
			}
			else
				suspect_since = 0;
			(void) ConditionVariableTimedSleep(cv, timeout, fill_wait_event());
			sleeps++;
		}
	}
	PG_CATCH();
	{
		pg_atomic_write_u32(&ac_my_slot->waiting_for, 0);
		ConditionVariableCancelSleep();
		PG_RE_THROW();
	}
	PG_END_TRY();
	pg_atomic_write_u32(&ac_my_slot->waiting_for, 0);
	ConditionVariableCancelSleep();
	/* partner: the CAS in ac_entry_publish; the caller reads the value */
	pg_read_barrier();
	return st;
}

/* No wait edge survives the end of a (sub)transaction.  Cannot ERROR. */
void
ac_wait_reset(void)
{
	if (ac_my_slot != NULL)
		pg_atomic_write_u32(&ac_my_slot->waiting_for, 0);
}
