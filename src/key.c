/*-------------------------------------------------------------------------
 *
 * key.c
 *	  Key images of atomiccache: the arguments of a call as bytes, and
 *	  their hash.  Pure values: nothing here touches shared memory.
 *
 * A key image is the binary form of a cache key: the calling role
 * (current_user) for a per_role cache (its fill runs as that role, under
 * its row-level security, so two roles may rightly get two values), the
 * collation of the call when a key argument has a collatable type (the
 * fill may answer 'I' differently under two collations), then each
 * argument in order: one byte saying whether it is NULL, and the value's
 * bytes.  By-value and fixed-length values contribute their typlen bytes;
 * varlena values are detoasted and contribute a 4-byte length and their
 * data without the varlena header (so a short and a long header of the
 * same bytes make the same key); cstrings contribute their bytes and the
 * terminating zero.  Two keys are equal exactly when their images are:
 * binary identity after detoasting, as README.md (Semantics) says.  The
 * image is hashed once with hash_bytes_extended(), seeded with the cache
 * and generation it is looked up in (which the entry holds, not the
 * image: shmem.h, AcCacheDesc), so that equal arguments of two caches, or
 * of two generations, do not share a place in the index.
 *
 * IDENTIFICATION
 *	  src/key.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/tupmacs.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "utils/lsyscache.h"
#include "utils/builtins.h"
#include "utils/syscache.h"

#include "compat.h"
#include "key.h"

void
ac_type_info(Oid type, AcTypeInfo *ti)
{
	ti->type = type;
	get_typlenbyvalalign(type, &ti->len, &ti->byval, &ti->align);
}

/*
 * The type a type is made of, one link down: a domain's base (one domain
 * at a time: a domain over a domain is changed on its own), an array's
 * element, a range's subtype, a multirange's range.  InvalidOid for
 * others (base types, enums, pseudo-types, row types, whose columns are
 * not one type), and for a type that cannot be looked up.  These links
 * never branch, so following them walks a chain.
 */
Oid
ac_type_inner(Oid type)
{
	char		typtype = get_typtype(type);
	Oid			elem;

	if (typtype == TYPTYPE_DOMAIN)
	{
		HeapTuple	tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(type));
		Oid			base = InvalidOid;

		if (HeapTupleIsValid(tup))
		{
			base = ((Form_pg_type) GETSTRUCT(tup))->typbasetype;
			ReleaseSysCache(tup);
		}
		return base;
	}
	if (OidIsValid(elem = get_element_type(type)))
		return elem;
	if (typtype == TYPTYPE_RANGE)
		return get_range_subtype(type);
	if (typtype == TYPTYPE_MULTIRANGE)
		return get_multirange_range(type);
	return InvalidOid;
}

/*
 * Append one argument: the general case of ac_key_add().  May ERROR (out
 * of memory, detoasting).  By-value arguments store the same bytes as the
 * inline path (store_att_byval writes the value at its width).
 */
void
ac_key_add_slow(StringInfo buf, const AcTypeInfo *ti, Datum value, bool isnull)
{
	char		flag = isnull ? 0 : 1;

	appendBinaryStringInfo(buf, &flag, 1);
	if (isnull)
		return;
	if (ti->byval)
	{
		char		tmp[sizeof(Datum)];

		store_att_byval(tmp, value, ti->len);
		appendBinaryStringInfo(buf, tmp, ti->len);
	}
	else if (ti->len > 0)
		appendBinaryStringInfo(buf, DatumGetPointer(value), ti->len);
	else if (ti->len == -1)
	{
		struct varlena *v = (struct varlena *) DatumGetPointer(value);
		struct varlena *flat = pg_detoast_datum_packed(v);
		uint32		len = VARSIZE_ANY_EXHDR(flat);

		appendBinaryStringInfo(buf, (const char *) &len, sizeof(len));
		appendBinaryStringInfo(buf, VARDATA_ANY(flat), len);
		if (flat != v)
			pfree(flat);
	}
	else
	{
		const char *s = DatumGetCString(value);

		appendBinaryStringInfo(buf, s, strlen(s) + 1);
	}
}

uint64
ac_key_hash(StringInfo buf, int desc_idx, uint64 generation)
{
	uint64		seed = hash_combine64(generation, (uint64) desc_idx);

	return hash_bytes_extended((const unsigned char *) buf->data, buf->len,
							   seed);
}

/* Output one (non-NULL) value of a type, as text. */
static void
append_value(StringInfo out, Oid type, Datum value)
{
	Oid			outfn;
	bool		isvarlena;

	getTypeOutputInfo(type, &outfn, &isvarlena);
	appendStringInfoString(out, OidOutputFunctionCall(outfn, value));
}

/* Is the first argument of this key image NULL? */
bool
ac_key_first_is_null(const char *image, uint32 len, uint32 hdrlen)
{
	return len > hdrlen && image[hdrlen] == 0;
}

/*
 * Render a key image as text, for inspection: the single argument's
 * output, or a parenthesized list like a row.  The image must be a copy
 * (it is read after the read section ends).
 */
char *
ac_key_to_text(const char *image, uint32 len, uint32 hdrlen,
			   const AcTypeInfo *args, int nargs)
{
	StringInfoData out;
	const char *p = image + hdrlen;
	const char *end = image + len;
	int			i;

	initStringInfo(&out);
	if (nargs != 1)
		appendStringInfoChar(&out, '(');
	for (i = 0; i < nargs && p < end; i++)
	{
		const AcTypeInfo *ti = &args[i];
		char		flag = *p++;

		if (i > 0)
			appendStringInfoString(&out, ", ");
		if (flag == 0)
		{
			appendStringInfoString(&out, "NULL");
			continue;
		}
		if (ti->byval)
		{
			Datum		d = 0;
			char		tmp[sizeof(Datum)];

			memcpy(tmp, p, ti->len);
			d = fetch_att(tmp, true, ti->len);
			append_value(&out, ti->type, d);
			p += ti->len;
		}
		else if (ti->len > 0)
		{
			char	   *copy = palloc(ti->len);

			memcpy(copy, p, ti->len);
			append_value(&out, ti->type, PointerGetDatum(copy));
			p += ti->len;
		}
		else if (ti->len == -1)
		{
			uint32		vlen;
			struct varlena *v;

			memcpy(&vlen, p, sizeof(vlen));
			p += sizeof(vlen);
			v = palloc(VARHDRSZ + vlen);
			SET_VARSIZE(v, VARHDRSZ + vlen);
			memcpy(VARDATA(v), p, vlen);
			append_value(&out, ti->type, PointerGetDatum(v));
			p += vlen;
		}
		else
		{
			append_value(&out, ti->type, CStringGetDatum(p));
			p += strlen(p) + 1;
		}
	}
	if (nargs != 1)
		appendStringInfoChar(&out, ')');
	return out.data;
}
