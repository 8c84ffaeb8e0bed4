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

#include "compat.h"
#include "key.h"
#include "table.h"

/* value flags */
#define AC_VAL_NULL		0x01		/* the result is SQL NULL */
#define AC_VAL_INLINE	0x02		/* by-value Datum in inline_value */
#define AC_VAL_ERROR	0x04		/* value holds an AcErrorImage */

/* Serialized error, the value of a FAILED entry. */
typedef struct AcErrorImage
{
	int			sqlerrcode;
	uint32		message_off;	/* offsets into data, 0 = absent */
	uint32		detail_off;
	uint32		hint_off;
	char		data[FLEXIBLE_ARRAY_MEMBER];	/* data[0] unused */
} AcErrorImage;

extern bool ac_value_store(AcEntry *entry, const AcTypeInfo *ti, Datum value, bool isnull);
extern Datum ac_value_fetch(AcEntry *entry, const AcTypeInfo *ti, bool *isnull);

extern bool ac_error_store(AcEntry *entry, ErrorData *edata);
extern ErrorData *ac_error_fetch(AcEntry *entry);
ac_noreturn extern void ac_error_throw(ErrorData *edata);

#endif							/* AC_VALUE_H */
