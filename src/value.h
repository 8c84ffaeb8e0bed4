/*-------------------------------------------------------------------------
 *
 * value.h
 *	  Value images (the stored form of a result or an error) of
 *	  atomiccache (value.c).
 *
 * IDENTIFICATION
 *	  src/value.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AC_VALUE_H
#define AC_VALUE_H

#include "utils/elog.h"

#include "key.h"
#include "table.h"

extern bool ac_value_store(AcEntry *entry, const AcTypeInfo *ti, Datum value, bool isnull);
extern Datum ac_value_fetch(AcEntry *entry, const AcTypeInfo *ti, bool *isnull);
extern Size ac_value_bytes(AcEntry *entry);

extern bool ac_error_store(AcEntry *entry, ErrorData *edata);
extern ErrorData *ac_error_fetch(AcEntry *entry);
extern void ac_error_throw(ErrorData *edata) pg_attribute_noreturn();

#endif							/* AC_VALUE_H */
