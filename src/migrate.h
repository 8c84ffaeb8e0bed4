/*-------------------------------------------------------------------------
 *
 * migrate.h
 *	  The update from 0.1.0's registry table (migrate.c).
 *
 * IDENTIFICATION
 *	  src/migrate.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AC_MIGRATE_H
#define AC_MIGRATE_H

extern void ac_migrate_registry(void);

#endif							/* AC_MIGRATE_H */
