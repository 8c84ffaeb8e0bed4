/*-------------------------------------------------------------------------
 *
 * atomiccache.c
 *	  The module: what PostgreSQL calls when it loads the library, the
 *	  setting, and the transaction and exit callbacks, which call each
 *	  layer in a stated order.
 *
 * The layers, from the bottom (test/layers.sh holds the same list and
 * fails the test command when a file includes the header of a layer
 * above its own; calls up go only through a function pointer handed down,
 * the hooks of ac_shmem_init and the visitor of ac_table_scan):
 *
 *	  compat     what differs between PostgreSQL versions (compat.h)
 *	  shmem      the control block, the DSA area, backend slots (shmem.c)
 *	  stats      per-backend counters and their sums (stats.c)
 *	  memory     the byte budget and DSA allocations (memory.c)
 *	  key        key images: arguments to bytes and hash (key.c)
 *	  table      the lock-free index, entry states, reclamation (table.c)
 *	  evict      room for new entries: allocation with eviction (evict.c)
 *	  value      value and error images of entries (value.c)
 *	  wait       sleeping on a fill, take-over, wait cycles (wait.c)
 *	  fill       single flight: hit, wait, fill, publish (fill.c)
 *	  spi        the pinned SPI of the extension's own statements (spi.c)
 *	  proc       functions in the catalog: attributes, owners (proc.c)
 *	  registry   the caches' definition functions (registry.c)
 *	  desc       shared cache descriptors, pending drops (desc.c)
 *	  cacheinfo  what a backend knows of its caches (cacheinfo.c)
 *	  ddl        create_cache, drop_cache, memoize (ddl.c)
 *	  events     the event triggers (events.c)
 *	  migrate    the update from 0.1.0's registry table (migrate.c)
 *	  inspect    the inspection functions and the view's (inspect.c)
 *	  api        the SQL entry points and the accessor (api.c)
 *	  atomiccache  this file
 *
 * Wording, one meaning per word:
 *	  cache       a named cache of one database: definition, accessor, fill
 *	  definition  the function atomiccache.<name>(atomiccache.cache)
 *	  descriptor  a cache's place in shared memory (AcCacheDesc)
 *	  slot        a backend's place in shared memory (AcBackendSlot)
 *	  filler      the backend that fills an entry (its slot and session
 *	              are in the entry's state word)
 *	  owner       a role: of a cache (its accessor's owner), of a function
 *	  body        what a function runs (pg_proc's source and attributes),
 *	              as opposed to a cache's definition
 *	  info        what a backend knows of a cache (AcCacheInfo)
 *	  entry       one key's place in the index, with its value or error
 *	  remove      take an entry out of the index (it is then retired)
 *	  retire      put a removed entry on the stack that reclamation frees
 *	  reclaim     free retired entries no backend can still read
 *	  drop        end a cache: its descriptor is marked dropped at commit
 *	  stale       an info replaced by a newer one, freed at transaction end
 *
 * IDENTIFICATION
 *	  src/atomiccache.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "fmgr.h"
#include "utils/guc.h"

#include "shmem.h"
#include "stats.h"
#include "table.h"
#include "wait.h"
#include "fill.h"
#include "desc.h"
#include "cacheinfo.h"
#include "events.h"
#include "api.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* Once per backend, when it attaches: counters a former owner of the slot left. */
static void
at_attach(void)
{
	ac_stats_fold_all();
}

/* Before the backend exits (cannot ERROR): fills, read sections, counters. */
static void
before_exit(void)
{
	ac_fill_release_all();
	ac_read_reset();
	ac_stats_fold_all();
}

/*
 * Transaction end, in this order: the SQL layer frees the call states its
 * aborted calls left busy; what the event triggers watched is
 * forgotten (events.c), stale infos are freed (cacheinfo.c), and pending
 * drops and invalidations applied or forgotten (desc.c); then the fill layer
 * releases reservations an ERROR left behind, the table's read section is
 * closed and the wait is cleared.  Nothing may stay reserved, pinned or
 * announced past the end of a transaction.
 */
static void
xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		ac_api_abort(0);
	if (event == XACT_EVENT_PRE_PREPARE)
		ac_desc_pre_prepare();
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
		event == XACT_EVENT_PREPARE)
	{
		ac_events_xact_end();
		ac_cacheinfo_xact_end();
		ac_desc_xact_end(event == XACT_EVENT_COMMIT ? AC_XACT_COMMIT :
						 event == XACT_EVENT_ABORT ? AC_XACT_ABORT :
						 AC_XACT_PREPARE);
	}
	if (ac_my_slot == NULL)
		return;
	switch (event)
	{
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PREPARE:
			ac_fill_release_all();
			ac_read_reset();
			ac_wait_reset();
			break;
		default:
			break;
	}
}

/*
 * The abort of a subtransaction (a PL/pgSQL EXCEPTION block, a savepoint)
 * releases what was taken inside it and left by an ERROR, in the same
 * order.  Read sections never span SQL, so none can legitimately be open
 * here.  Its commit hands its pending actions to its parent.
 */
static void
subxact_callback(SubXactEvent event, SubTransactionId mySubid,
				 SubTransactionId parentSubid, void *arg)
{
	int			level = GetCurrentTransactionNestLevel();

	if (event == SUBXACT_EVENT_COMMIT_SUB)
		ac_desc_subxact_commit(level);
	if (event != SUBXACT_EVENT_ABORT_SUB)
		return;
	ac_api_abort(level);
	ac_desc_subxact_abort(level);
	if (ac_my_slot == NULL)
		return;
	ac_fill_release(level);
	ac_read_reset();
	ac_wait_reset();
}

void
_PG_init(void)
{
	DefineCustomIntVariable("atomiccache.memory_limit",
							"Bytes of shared memory all caches together may use.",
							"Entries are evicted when a new one does not fit.",
							&ac_memory_limit_kb,
							64 * 1024,
							1024,
							INT_MAX / 2,
							PGC_SIGHUP,
							GUC_UNIT_KB,
							NULL, NULL, NULL);
	MarkGUCPrefixReserved("atomiccache");

	ac_shmem_init(at_attach, before_exit);
	RegisterXactCallback(xact_callback, NULL);
	RegisterSubXactCallback(subxact_callback, NULL);
	ac_fill_init();
	ac_cacheinfo_init();
}
