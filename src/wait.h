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

#include "compat.h"
#include "table.h"

extern uint64 ac_wait_fill(AcEntry *entry, const char *cache_name);
extern void ac_wait_reset(void);
ac_noreturn extern void ac_recursion_error(const char *cache_name);

#endif							/* AC_WAIT_H */
