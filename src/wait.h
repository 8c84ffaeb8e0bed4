/*-------------------------------------------------------------------------
 *
 * wait.h
 *	  Waiting for another backend's fill of atomiccache (wait.c).
 *
 * IDENTIFICATION
 *	  src/wait.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AC_WAIT_H
#define AC_WAIT_H

#include "table.h"

extern uint64 ac_wait_fill(AcEntry *entry, const char *cache_name);
extern void ac_wait_reset(void);
extern void ac_recursion_error(const char *cache_name) pg_attribute_noreturn();

#endif							/* AC_WAIT_H */
