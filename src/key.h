/*-------------------------------------------------------------------------
 *
 * key.h
 *	  Key images (the binary form of a cache key) of atomiccache (key.c).
 *
 * IDENTIFICATION
 *	  src/key.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AC_KEY_H
#define AC_KEY_H

#include "lib/stringinfo.h"

/* What the key and value code needs to know of a type. */
typedef struct AcTypeInfo
{
	Oid			type;
	int16		len;
	bool		byval;
	char		align;
} AcTypeInfo;

/* The start of every key image (see key.c). */
typedef struct AcKeyHeader
{
	Oid			dbid;
	Oid			collation;		/* of the call, when a key type is collatable */
	uint64		uid;
	uint64		generation;
	TransactionId fill_version; /* raw xmin of the fill's pg_proc row */
	uint32		layout;			/* of the key and result types, as the
								 * catalog says now (cacheinfo.c) */
} AcKeyHeader;

extern void ac_type_info(Oid type, AcTypeInfo *ti);

extern void ac_key_add_slow(StringInfo buf, const AcTypeInfo *ti, Datum value, bool isnull);

/*
 * Start a key image.  buf must come from initStringInfo() (its data is
 * maxaligned and has room for the header).
 */
static inline void
ac_key_begin(StringInfo buf, Oid dbid, Oid collation, uint64 uid,
			 uint64 generation, TransactionId fill_version, uint32 layout)
{
	AcKeyHeader *h = (AcKeyHeader *) buf->data;

	Assert(buf->maxlen > (int) sizeof(AcKeyHeader));
	h->dbid = dbid;
	h->collation = collation;
	h->fill_version = fill_version;
	h->layout = layout;
	h->uid = uid;
	h->generation = generation;
	buf->len = sizeof(AcKeyHeader);
}

/*
 * Append one argument to a key image.  The hit path's common case, a
 * by-value argument with room in the buffer, is inline; the rest is in
 * ac_key_add_slow().
 */
static inline void
ac_key_add(StringInfo buf, const AcTypeInfo *ti, Datum value, bool isnull)
{
	if (likely(ti->byval && buf->len + 1 + (int) sizeof(Datum) < buf->maxlen))
	{
		char	   *p = buf->data + buf->len;

		if (isnull)
		{
			p[0] = 0;
			buf->len += 1;
			return;
		}
		p[0] = 1;
		switch (ti->len)
		{
			case 8:
				{
					int64		v = DatumGetInt64(value);

					memcpy(p + 1, &v, 8);
					break;
				}
			case 4:
				{
					int32		v = DatumGetInt32(value);

					memcpy(p + 1, &v, 4);
					break;
				}
			case 2:
				{
					int16		v = DatumGetInt16(value);

					memcpy(p + 1, &v, 2);
					break;
				}
			default:
				p[1] = DatumGetChar(value);
				break;
		}
		buf->len += 1 + ti->len;
		buf->data[buf->len] = '\0';
		return;
	}
	ac_key_add_slow(buf, ti, value, isnull);
}
extern uint64 ac_key_hash(StringInfo buf);

/* Is this key image one of cache (dbid, uid)? */
static inline bool
ac_key_is_of(const char *image, uint32 len, Oid dbid, uint64 uid)
{
	AcKeyHeader h;

	if (len < sizeof(AcKeyHeader))
		return false;
	memcpy(&h, image, sizeof(AcKeyHeader));
	return h.dbid == dbid && h.uid == uid;
}
extern bool ac_key_first_is_null(const char *image, uint32 len);
extern char *ac_key_to_text(const char *image, uint32 len, const AcTypeInfo *args, int nargs);

#endif							/* AC_KEY_H */
