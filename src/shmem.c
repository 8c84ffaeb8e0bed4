/*-------------------------------------------------------------------------
 *
 * shmem.c
 *	  The shared state of atomiccache: the small control block in the main
 *	  shared memory and the DSA area it names, and each backend's
 *	  attachment to them.  The bottom layer: it calls nothing of ours (the
 *	  layers above act at attach and exit through the hooks the module file
 *	  gives ac_shmem_init).
 *
 * The extension must work without shared_preload_libraries.  A backend
 * that loads the library after start-up can still create a small named
 * struct in the main shared memory: ShmemInitStruct() under
 * AddinShmemInitLock serves it from the slack the segment keeps for such
 * late requests.  The struct only holds the handle of a DSA area, created
 * and pinned by the first backend that needs it; everything else (the
 * partitions of the index, locks, condition variables, backend slots,
 * cache descriptors) lives in that area.  When preloaded, the struct is reserved properly
 * with shmem_request_hook and zeroed by shmem_startup_hook, and the area
 * is still created lazily by the first backend, so both modes run the
 * same code.
 *
 * After a crash the postmaster re-creates the main shared memory and
 * destroys all DSM segments, so the caches start empty and the first
 * backend creates a new area.
 *
 * Each backend attaches once (ac_attach), pins the area's mapping for its
 * lifetime, takes the slot indexed by its pgprocno, and registers one
 * before_shmem_exit callback, which runs the exit hook (releasing the
 * backend's reservations and pins) and then leaves the slot.
 *
 * IDENTIFICATION
 *	  src/shmem.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <time.h>

#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "utils/memutils.h"

#include "compat.h"
#include "shmem.h"

#ifdef AC_HAVE_DSM_REGISTRY
#include "storage/dsm_registry.h"
#endif

/* atomiccache.memory_limit, in kB (the module file defines the setting) */
int			ac_memory_limit_kb = 64 * 1024;

dsa_area   *ac_area = NULL;
AcShared   *ac_shared = NULL;
AcBackendSlot *ac_slots = NULL;
AcBackendSlot *ac_my_slot = NULL;
int			ac_my_slotno = -1;
uint64		ac_my_session = 0;
AcCacheDesc *ac_descs = NULL;

static AcControl *ac_control = NULL;
static bool exit_callback_registered = false;
#ifndef AC_HAVE_DSM_REGISTRY
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;
#endif
static AcShmemHook attach_hook = NULL;
static AcShmemHook exit_hook = NULL;

#ifndef AC_HAVE_DSM_REGISTRY
static void
ac_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(sizeof(AcControl)));
}

static void
ac_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	/* a restart after a crash makes new shared memory: forget the old */
	ac_control = NULL;
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	ac_control = ShmemInitStruct(AC_CONTROL_NAME, sizeof(AcControl), &found);
	if (!found)
		memset(ac_control, 0, sizeof(AcControl));
	LWLockRelease(AddinShmemInitLock);
}
#endif

#ifdef AC_HAVE_DSM_REGISTRY
/* A new control block in the DSM registry: zeroed, not initialized. */
static void
control_init(void *ptr)
{
	memset(ptr, 0, sizeof(AcControl));
}
#endif

/* The shared header's fields, locks and condition variables. */
static void
init_header(AcShared *sh, int tranche_id)
{
	int			j;

	pg_atomic_init_u64(&sh->global_epoch, 1);
	pg_atomic_init_u64(&sh->session_counter, 0);
	for (j = 0; j < 3; j++)
		pg_atomic_init_u64(&sh->retired[j], InvalidDsaPointer);
	pg_atomic_init_u64(&sh->ddl_generation, 1);
	pg_atomic_init_u64(&sh->bytes_used, 0);
	pg_atomic_init_u64(&sh->entry_count, 0);
	pg_atomic_init_u64(&sh->peak_bytes, 0);
	pg_atomic_init_u64(&sh->clock_hand, 0);
	pg_atomic_init_u64(&sh->nbuckets, AC_NPARTITIONS * AC_SEG0_BUCKETS);
	pg_atomic_init_u64(&sh->retired_segments, InvalidDsaPointer);
	sh->retire_backlog = InvalidDsaPointer;
	pg_atomic_init_u64(&sh->sweep_debt, 0);
	pg_atomic_init_u64(&sh->dsa_limit, 0);
	pg_atomic_init_u64(&sh->grow_blocked_until, 0);
	pg_atomic_init_u64(&sh->blocked_limit, 0);
	sh->nslots = ProcGlobal->allProcCount;
	LWLockInitialize(&sh->reclaim_lock, tranche_id);
	LWLockInitialize(&sh->desc_lock, tranche_id);
	for (j = 0; j < AC_NCVS; j++)
		ConditionVariableInit(&sh->cvs[j]);
}

/*
 * The index's partitions, each with its first segment of buckets, empty
 * (table.c): bucket 0's sentinel is the head of the list.
 */
static void
init_partitions(AcShared *sh, int tranche_id)
{
	int			i;

	for (i = 0; i < AC_NPARTITIONS; i++)
	{
		AcPartition *part = &sh->partitions[i];
		int			j;

		pg_atomic_init_u32(&part->mask, AC_SEG0_BUCKETS - 1);
		for (j = 0; j < AC_MAX_SEGMENTS; j++)
		{
			pg_atomic_init_u64(&part->segments[j], InvalidDsaPointer);
			pg_atomic_init_u64(&part->mapped[j], InvalidDsaPointer);
		}
		LWLockInitialize(&part->lock, tranche_id);
		pg_atomic_init_u32(&part->count, 0);
		/* bucket 0's sentinel is the list, empty; the others wait */
		pg_atomic_init_u64(&part->seg0[0].next, InvalidDsaPointer);
		for (j = 1; j < AC_SEG0_BUCKETS; j++)
			pg_atomic_init_u64(&part->seg0[j].next, AC_NOT_LINKED);
	}
}

/* The backend slots, each starting on a cache line (only its backend writes it). */
static void
init_slots(AcShared *sh)
{
	AcBackendSlot *slots;
	uint32		i;

	sh->slots = dsa_allocate_extended(ac_area,
									  sizeof(AcBackendSlot) * sh->nslots + PG_CACHE_LINE_SIZE,
									  DSA_ALLOC_HUGE | DSA_ALLOC_ZERO);
	sh->slots_offset = (uint32) (TYPEALIGN(PG_CACHE_LINE_SIZE,
										   dsa_get_address(ac_area, sh->slots)) -
								 (uintptr_t) dsa_get_address(ac_area, sh->slots));
	slots = (AcBackendSlot *) ((char *) dsa_get_address(ac_area, sh->slots) +
							   sh->slots_offset);
	for (i = 0; i < sh->nslots; i++)
	{
		int			j;

		pg_atomic_init_u64(&slots[i].epoch, 0);
		pg_atomic_init_u64(&slots[i].session, 0);
		pg_atomic_init_u32(&slots[i].waiting_for, 0);
		for (j = 0; j < AC_STAT_ROWS; j++)
		{
			int			k;

			pg_atomic_init_u32(&slots[i].stats[j].desc_idx, (uint32) -1);
			for (k = 0; k < AC_NCOUNTERS; k++)
				pg_atomic_init_u64(&slots[i].stats[j].c[k], 0);
		}
	}
}

/* The cache descriptors, all free. */
static void
init_descs(AcShared *sh)
{
	AcCacheDesc *descs;
	uint32		i;

	sh->descs = dsa_allocate_extended(ac_area,
									  sizeof(AcCacheDesc) * AC_MAX_CACHES,
									  DSA_ALLOC_HUGE | DSA_ALLOC_ZERO);
	descs = dsa_get_address(ac_area, sh->descs);
	for (i = 0; i < AC_MAX_CACHES; i++)
	{
		int			k;

		pg_atomic_init_u32(&descs[i].dbid, InvalidOid);
		pg_atomic_init_u32(&descs[i].nentries, 0);
		/* even, the slot in bit 1 (AcCacheDesc) */
		pg_atomic_init_u64(&descs[i].generation[0], 4);
		pg_atomic_init_u64(&descs[i].generation[1], 6);
		for (k = 0; k < 2; k++)
		{
			pg_atomic_init_u64(&descs[i].variant[k], 0);
			pg_atomic_init_u64(&descs[i].ttl_ns[k], 0);
			pg_atomic_init_u32(&descs[i].used_ms[k], 0);
		}
		pg_atomic_init_u32(&descs[i].dropped, 0);
		pg_atomic_init_u64(&descs[i].fill_time_max_us, 0);
		pg_atomic_init_u32(&descs[i].shared_row.desc_idx, i);
		descs[i].shared_row.shared = 1;
		for (k = 0; k < AC_NCOUNTERS; k++)
			pg_atomic_init_u64(&descs[i].shared_row.c[k], 0);
	}
}

/* Create the area and the shared header.  Caller holds AddinShmemInitLock. */
static void
create_shared_state(AcControl *ctl)
{
	dsa_pointer sp;
	AcShared   *sh;

	ctl->tranche_id = LWLockNewTrancheId();
	LWLockRegisterTranche(ctl->tranche_id, AC_TRANCHE_NAME);
	if (ac_area != NULL)
		dsa_detach(ac_area);	/* left by a failed earlier attempt */
	ac_area = dsa_create(ctl->tranche_id);
	dsa_pin(ac_area);
	dsa_pin_mapping(ac_area);

	sp = dsa_allocate0(ac_area, sizeof(AcShared));
	sh = dsa_get_address(ac_area, sp);
	sh->self = sp;
	init_header(sh, ctl->tranche_id);
	init_partitions(sh, ctl->tranche_id);
	init_slots(sh);
	init_descs(sh);

	ctl->area_handle = dsa_get_handle(ac_area);
	ctl->shared = sp;
	ctl->magic = AC_CONTROL_MAGIC;
	ctl->initialized = true;
}

/* The monotonic clock of TTLs and of the memory budget's back-off, in ns. */
uint64
ac_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64) ts.tv_sec * UINT64CONST(1000000000) + (uint64) ts.tv_nsec;
}

/* Bytes of the structures allocated once: not counted in the limit. */
uint64
ac_fixed_bytes(void)
{
	return sizeof(AcShared) +
		sizeof(AcBackendSlot) * (uint64) ac_shared->nslots +
		sizeof(AcCacheDesc) * AC_MAX_CACHES;
}

/*
 * Release what this backend holds in shared memory.  Runs at exit, and
 * cannot ERROR.
 */
static void
ac_shmem_exit(int code, Datum arg)
{
	if (ac_my_slot == NULL)
		return;
	if (exit_hook)
		exit_hook();
	pg_atomic_write_u32(&ac_my_slot->waiting_for, 0);
	pg_atomic_write_u64(&ac_my_slot->session, 0);
	ac_my_slot = NULL;
}

/*
 * Make sure this backend is attached to the shared state, creating it if
 * this is the first backend to need it.  May ERROR (cannot create the
 * area); then nothing is half done that a later call would trust.
 */
void
ac_attach(void)
{
	MemoryContext oldcxt;
	AcControl  *ctl;
	AcBackendSlot *slot;
	bool		found;

	if (likely(ac_my_slot != NULL))
		return;

	if (MyProc == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("atomiccache can only be used in a backend process")));

	oldcxt = MemoryContextSwitchTo(TopMemoryContext);
#ifdef AC_HAVE_DSM_REGISTRY
	/* found or made (zeroed) in the DSM registry, which has its own lock */
	ctl = GetNamedDSMSegment(AC_CONTROL_NAME, sizeof(AcControl),
							 control_init, &found);
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
#else
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	ctl = ShmemInitStruct(AC_CONTROL_NAME, sizeof(AcControl), &found);
	if (!found)
		memset(ctl, 0, sizeof(AcControl));
#endif
	if (!ctl->initialized)
		create_shared_state(ctl);
	else if (ctl->magic != AC_CONTROL_MAGIC)
	{
		LWLockRelease(AddinShmemInitLock);
		MemoryContextSwitchTo(oldcxt);
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("atomiccache shared memory was made by another version of the library"),
				 errhint("Restart the server to use the installed version.")));
	}
	else if (ac_area == NULL)
	{
		LWLockRegisterTranche(ctl->tranche_id, AC_TRANCHE_NAME);
		ac_area = dsa_attach(ctl->area_handle);
		dsa_pin_mapping(ac_area);
	}
	LWLockRelease(AddinShmemInitLock);
	MemoryContextSwitchTo(oldcxt);
	ac_control = ctl;

	ac_shared = dsa_get_address(ac_area, ctl->shared);
	ac_slots = (AcBackendSlot *) ((char *) dsa_get_address(ac_area, ac_shared->slots) +
								  ac_shared->slots_offset);
	ac_descs = dsa_get_address(ac_area, ac_shared->descs);
	if (ac_proc_number(MyProc) < 0 || (uint32) ac_proc_number(MyProc) >= ac_shared->nslots)
		elog(ERROR, "atomiccache: process number %d out of range", ac_proc_number(MyProc));
	ac_my_slotno = ac_proc_number(MyProc);
	ac_my_session = pg_atomic_add_fetch_u64(&ac_shared->session_counter, 1);
	/* 0 means "no backend": skip it when the low 32 bits wrap */
	if ((uint32) ac_my_session == 0)
		ac_my_session = pg_atomic_add_fetch_u64(&ac_shared->session_counter, 1);

	/*
	 * Register the exit callback before the slot says we are alive (it may
	 * ERROR when the callback slots are full), and set ac_my_slot, the
	 * "attached" flag, last.
	 */
	if (!exit_callback_registered)
	{
		before_shmem_exit(ac_shmem_exit, (Datum) 0);
		exit_callback_registered = true;
	}
	slot = &ac_slots[ac_my_slotno];
	pg_atomic_write_u64(&slot->epoch, 0);
	pg_atomic_write_u32(&slot->waiting_for, 0);
	ac_my_slot = slot;
	if (attach_hook)
		attach_hook();
	pg_atomic_write_u64(&slot->session, (uint32) ac_my_session);
}

/*
 * Called by _PG_init: the hooks of the layers above, and under
 * shared_preload_libraries (before PostgreSQL 17, which has the DSM
 * registry) the reservation of the control block.
 */
void
ac_shmem_init(AcShmemHook on_attach, AcShmemHook on_exit)
{
	attach_hook = on_attach;
	exit_hook = on_exit;
#ifndef AC_HAVE_DSM_REGISTRY
	if (process_shared_preload_libraries_in_progress)
	{
		prev_shmem_request_hook = shmem_request_hook;
		shmem_request_hook = ac_shmem_request;
		prev_shmem_startup_hook = shmem_startup_hook;
		shmem_startup_hook = ac_shmem_startup;
	}
#endif
}
