/*-------------------------------------------------------------------------
 *
 * key.h
 *	  Key images (the binary form of a cache key) and value images (the
 *	  stored form of a result or an error) of atomiccache.
 *
 * IDENTIFICATION
 *	  src/key.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AC_KEY_H
#define AC_KEY_H

#include "lib/stringinfo.h"
#include "utils/elog.h"

#include "table.h"

/* What the key and value code needs to know of a type. */
typedef struct AcTypeInfo
{
	Oid			type;
	int16		len;
	bool		byval;
	char		align;
} AcTypeInfo;

extern void ac_type_info(Oid type, AcTypeInfo *ti);

extern void ac_key_begin(StringInfo buf, Oid dbid, uint64 uid, uint64 generation);
extern void ac_key_add(StringInfo buf, const AcTypeInfo *ti, Datum value, bool isnull);
extern uint64 ac_key_hash(StringInfo buf);
extern bool ac_key_first_is_null(const char *image, uint32 len);
extern char *ac_key_to_text(const char *image, uint32 len, const AcTypeInfo *args, int nargs);

extern bool ac_value_store(AcEntry *entry, const AcTypeInfo *ti, Datum value, bool isnull);
extern Datum ac_value_fetch(AcEntry *entry, const AcTypeInfo *ti, bool *isnull);
extern Size ac_value_bytes(AcEntry *entry);

extern bool ac_error_store(AcEntry *entry, ErrorData *edata);
extern ErrorData *ac_error_fetch(AcEntry *entry);
extern void ac_error_throw(ErrorData *edata) pg_attribute_noreturn();

#endif							/* AC_KEY_H */
