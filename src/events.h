/*-------------------------------------------------------------------------
 *
 * events.h
 *	  The event triggers of atomiccache (events.c).
 *
 * IDENTIFICATION
 *	  src/events.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AC_EVENTS_H
#define AC_EVENTS_H

#include "nodes/nodes.h"

extern void ac_events_ddl_start(Node *parsetree);
extern void ac_events_ddl_end(Node *parsetree);
extern void ac_events_sql_drop(void);
extern void ac_events_xact_end(void);

#endif							/* AC_EVENTS_H */
