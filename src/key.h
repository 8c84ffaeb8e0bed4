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

#include "common/hashfn.h"
#include "lib/stringinfo.h"

/* What the key and value code needs to know of a type. */
typedef struct AcTypeInfo
{
	Oid			type;
	int16		len;
	bool		byval;
	char		align;
} AcTypeInfo;

/*
 * The version of a cache's definition that a key belongs to, as this
 * backend's catalog shows it: the raw xmin of the fill's pg_proc row, and
 * a hash of the layout of the key and result types (cacheinfo.c), of the
 * fill's OID and of the TTL.  Never 0 (a raw xmin of a pg_proc row is
 * at least BootstrapTransactionId).  The descriptor maps it to a generation (shmem.h,
 * AcCacheDesc).
 */
static inline uint64
ac_key_variant(TransactionId fill_version, uint32 layout, Oid fill,
			   uint64 ttl_ns)
{
	uint32		h = hash_combine(layout, (uint32) fill);

	h = hash_combine(h, (uint32) ttl_ns);
	h = hash_combine(h, (uint32) (ttl_ns >> 32));
	return ((uint64) fill_version << 32) | h;
}

extern void ac_type_info(Oid type, AcTypeInfo *ti);
extern Oid	ac_type_inner(Oid type);

extern void ac_key_add_slow(StringInfo buf, const AcTypeInfo *ti, Datum value, bool isnull);

/*
 * Start a key image: the calling role, for a per_role cache (role is then
 * valid), and the call's collation, when a key type is collatable
 * (collation is then valid).  buf must come from initStringInfo() (its
 * data is maxaligned, with room for more than both).
 */
static inline void
ac_key_begin(StringInfo buf, Oid role, Oid collation)
{
	buf->len = 0;
	if (OidIsValid(role))
	{
		memcpy(buf->data, &role, sizeof(Oid));
		buf->len = sizeof(Oid);
	}
	if (OidIsValid(collation))
	{
		memcpy(buf->data + buf->len, &collation, sizeof(Oid));
		buf->len += sizeof(Oid);
	}
	buf->data[buf->len] = '\0';
}

/* The bytes before the arguments in a key image of a cache. */
static inline uint32
ac_key_header_len(bool per_role, bool collatable)
{
	return (per_role ? sizeof(Oid) : 0) + (collatable ? sizeof(Oid) : 0);
}

/* The role of a key image of a per_role cache. */
static inline Oid
ac_key_role(const char *image)
{
	Oid			role;

	memcpy(&role, image, sizeof(Oid));
	return role;
}

/* Make a key image of a per_role cache another role's. */
static inline void
ac_key_set_role(StringInfo buf, Oid role)
{
	memcpy(buf->data, &role, sizeof(Oid));
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
extern uint64 ac_key_hash(StringInfo buf, int desc_idx, uint64 generation);
extern bool ac_key_first_is_null(const char *image, uint32 len, uint32 hdrlen);
extern char *ac_key_to_text(const char *image, uint32 len, uint32 hdrlen,
							const AcTypeInfo *args, int nargs);

#endif							/* AC_KEY_H */
