/*-------------------------------------------------------------------------
 *
 * spi.c
 *	  The only SQL atomiccache runs for itself, and how it runs it.
 *
 * The statements: the event triggers' reads of pg_event_trigger_*()
 * (events.c), and once the update from 0.1.0 reading its registry table
 * (migrate.c).  Each runs with SPI as the role issuing the command, with
 * search_path pinned to "pg_catalog, pg_temp" (pg_temp is searched for
 * relations and types only, never for functions or operators), so that
 * nothing a role can create (a look-alike function in its own schema, or
 * in public) is ever resolved, whoever runs the command.  An ERROR in
 * between is cleaned up by the (sub)transaction abort, which unwinds the
 * GUC nest level.
 *
 * IDENTIFICATION
 *	  src/spi.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "utils/guc.h"

#include "spi.h"

/* Connect to SPI with search_path pinned; returns the GUC nest level. */
int
ac_spi_begin(void)
{
	int			guc_level = NewGUCNestLevel();

	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
							 true, 0, false);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	return guc_level;
}

void
ac_spi_end(int guc_level)
{
	SPI_finish();
	AtEOXact_GUC(true, guc_level);
}
