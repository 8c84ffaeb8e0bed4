/*-------------------------------------------------------------------------
 *
 * key.c
 *	  Key images and value images of atomiccache.
 *
 * A key image is the binary form of a cache key: a header naming the
 * database, the collation of the call (when a key argument has a
 * collatable type: the fill may answer 'I' differently under two
 * collations), the cache (its uid), the cache's generation and the
 * version of its fill function as this backend's catalog shows it (the
 * raw xmin of its pg_proc row: a backend still running with the catalog
 * of before a CREATE OR REPLACE of the fill fills keys of the old version,
 * which the others never look up), then each
 * argument in order: one byte saying whether it is NULL, and the value's
 * bytes.  By-value and fixed-length values contribute their typlen bytes;
 * varlena values are detoasted and contribute a 4-byte length and their
 * data without the varlena header (so a short and a long header of the
 * same bytes make the same key); cstrings contribute their bytes and the
 * terminating zero.  Two keys are equal exactly when their images are:
 * binary identity after detoasting, as SPEC.md says.  The image is hashed
 * once with hash_bytes_extended().
 *
 * A value image is a result stored in an entry: by-value results live in
 * the entry itself (no second allocation), other results are copied into
 * a DSA chunk in their flat, detoasted form.  An error is stored as an
 * AcErrorImage: SQLSTATE, message, detail and hint.
 *
 * IDENTIFICATION
 *	  src/key.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/tupmacs.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "utils/lsyscache.h"
#include "utils/builtins.h"

#include "key.h"
#include "memory.h"

void
ac_type_info(Oid type, AcTypeInfo *ti)
{
	ti->type = type;
	get_typlenbyvalalign(type, &ti->len, &ti->byval, &ti->align);
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
ac_key_hash(StringInfo buf)
{
	return hash_bytes_extended((const unsigned char *) buf->data, buf->len, 0);
}

/* Output one value of a type, as text; NULL as "NULL". */
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
ac_key_first_is_null(const char *image, uint32 len)
{
	return len > sizeof(AcKeyHeader) && image[sizeof(AcKeyHeader)] == 0;
}

/*
 * Render a key image as text, for inspection: the single argument's
 * output, or a parenthesized list like a row.  The image must be a copy
 * (it is read after the read section ends).
 */
char *
ac_key_to_text(const char *image, uint32 len, const AcTypeInfo *args, int nargs)
{
	StringInfoData out;
	const char *p = image + sizeof(AcKeyHeader);
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

/*
 * Store a result in a PENDING entry, before it is published.  Returns
 * false when memory is short.  May ERROR while detoasting, before it
 * allocates shared memory.
 */
bool
ac_value_store(AcEntry *entry, const AcTypeInfo *ti, Datum value, bool isnull)
{
	const char *src;
	Size		len;
	struct varlena *flat = NULL;
	dsa_pointer dp;

	if (isnull)
	{
		entry->flags = AC_VAL_NULL;
		return true;
	}
	if (ti->byval)
	{
		entry->flags = AC_VAL_INLINE;
		entry->inline_value = value;
		return true;
	}
	if (ti->len > 0)
	{
		src = DatumGetPointer(value);
		len = ti->len;
	}
	else if (ti->len == -1)
	{
		/* flattens compressed, external and expanded values */
		flat = PG_DETOAST_DATUM(value);
		src = (const char *) flat;
		len = VARSIZE(flat);
	}
	else
	{
		src = DatumGetCString(value);
		len = strlen(src) + 1;
	}
	if (len > PG_UINT32_MAX)
		return false;
	dp = ac_mem_alloc(len);
	if (!DsaPointerIsValid(dp))
	{
		if (flat != NULL && (Pointer) flat != DatumGetPointer(value))
			pfree(flat);
		return false;
	}
	memcpy(ac_addr(dp), src, len);
	entry->value = dp;
	entry->value_len = (uint32) len;
	entry->flags = 0;
	if (flat != NULL && (Pointer) flat != DatumGetPointer(value))
		pfree(flat);
	return true;
}

/*
 * Copy a stored result out, in CurrentMemoryContext.  The entry must be
 * READY and protected (read section or pin).
 */
Datum
ac_value_fetch(AcEntry *entry, const AcTypeInfo *ti, bool *isnull)
{
	char	   *copy;

	*isnull = false;
	if (entry->flags & AC_VAL_NULL)
	{
		*isnull = true;
		return (Datum) 0;
	}
	if (entry->flags & AC_VAL_INLINE)
		return entry->inline_value;
	copy = palloc(entry->value_len);
	memcpy(copy, ac_addr(entry->value), entry->value_len);
	return PointerGetDatum(copy);
}

Size
ac_value_bytes(AcEntry *entry)
{
	return entry->value_len;
}

/* Store an error in a PENDING entry.  Returns false when memory is short. */
bool
ac_error_store(AcEntry *entry, ErrorData *edata)
{
	const char *parts[3];
	uint32		offs[3];
	Size		len = offsetof(AcErrorImage, data) + 1;
	dsa_pointer dp;
	AcErrorImage *img;
	int			i;

	parts[0] = edata->message;
	parts[1] = edata->detail;
	parts[2] = edata->hint;
	for (i = 0; i < 3; i++)
		if (parts[i] != NULL)
			len += strlen(parts[i]) + 1;
	if (len > PG_UINT32_MAX)
		return false;
	dp = ac_mem_alloc(len);
	if (!DsaPointerIsValid(dp))
		return false;
	img = ac_addr(dp);
	img->sqlerrcode = edata->sqlerrcode;
	len = 1;
	for (i = 0; i < 3; i++)
	{
		offs[i] = 0;
		if (parts[i] != NULL)
		{
			Size		n = strlen(parts[i]) + 1;

			memcpy(img->data + len, parts[i], n);
			offs[i] = (uint32) len;
			len += n;
		}
	}
	img->message_off = offs[0];
	img->detail_off = offs[1];
	img->hint_off = offs[2];
	entry->value = dp;
	entry->value_len = (uint32) (offsetof(AcErrorImage, data) + len);
	entry->flags = AC_VAL_ERROR;
	return true;
}

/* Copy a stored error out, in CurrentMemoryContext. */
ErrorData *
ac_error_fetch(AcEntry *entry)
{
	AcErrorImage *img = ac_addr(entry->value);
	ErrorData  *edata = palloc0(sizeof(ErrorData));

	edata->elevel = ERROR;
	edata->sqlerrcode = img->sqlerrcode;
	if (img->message_off)
		edata->message = pstrdup(img->data + img->message_off);
	if (img->detail_off)
		edata->detail = pstrdup(img->data + img->detail_off);
	if (img->hint_off)
		edata->hint = pstrdup(img->data + img->hint_off);
	return edata;
}

/* Raise a stored error as this backend's own. */
void
ac_error_throw(ErrorData *edata)
{
	ereport(ERROR,
			(errcode(edata->sqlerrcode),
			 errmsg_internal("%s", edata->message ? edata->message : "fill function failed"),
			 edata->detail ? errdetail_internal("%s", edata->detail) : 0,
			 edata->hint ? errhint("%s", edata->hint) : 0));
	pg_unreachable();
}
