/*-------------------------------------------------------------------------
 *
 * value.c
 *	  Value images of atomiccache: a result or an error stored in an entry.
 *
 * By-value results live in the entry itself (no second allocation); other
 * results are copied into a DSA chunk in their flat, detoasted form.  An
 * error is stored as an AcErrorImage: SQLSTATE, message, detail and hint.
 * Chunks are allocated with eviction (evict.c) and freed with the entry
 * (table.c).
 *
 * IDENTIFICATION
 *	  src/value.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/tupmacs.h"
#include "fmgr.h"
#include "utils/lsyscache.h"
#include "utils/builtins.h"

#include "compat.h"
#include "evict.h"
#include "value.h"

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
		entry->value.datum = value;
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
	dp = ac_alloc(len);
	if (!DsaPointerIsValid(dp))
	{
		if (flat != NULL && (Pointer) flat != DatumGetPointer(value))
			pfree(flat);
		return false;
	}
	memcpy(ac_addr(dp), src, len);
	entry->value.dp = dp;
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
		return entry->value.datum;
	copy = palloc(entry->value_len);
	memcpy(copy, ac_addr(entry->value.dp), entry->value_len);
	return PointerGetDatum(copy);
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
	dp = ac_alloc(len);
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
	entry->value.dp = dp;
	entry->value_len = (uint32) (offsetof(AcErrorImage, data) + len);
	entry->flags = AC_VAL_ERROR;
	return true;
}

/* Copy a stored error out, in CurrentMemoryContext. */
ErrorData *
ac_error_fetch(AcEntry *entry)
{
	AcErrorImage *img = ac_addr(entry->value.dp);
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
