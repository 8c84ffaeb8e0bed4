/*-------------------------------------------------------------------------
 *
 * api.h
 *	  What the module file calls of the SQL layer of atomiccache (api.c).
 *
 * IDENTIFICATION
 *	  src/api.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AC_API_H
#define AC_API_H

extern void ac_api_abort(int min_level);

#endif							/* AC_API_H */
