/* Journal format helpers: record slot and header checks, segment names. */
#include "common/journal/jr_format.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

enum jr_slot jr_slot_check(const uint8_t *seg, uint64_t size, uint64_t off, struct jr_rec_hdr *hdr)
{
	if (off > size || size - off < JR_REC_HDR_SIZE)
		return JR_SLOT_END;
	memcpy(hdr, seg + off, JR_REC_HDR_SIZE);
	if (hdr->tag != JR_REC_TAG) {
		static const uint8_t zero[JR_REC_HDR_SIZE];
		return memcmp(hdr, zero, JR_REC_HDR_SIZE) == 0 ? JR_SLOT_END : JR_SLOT_BAD_TAG;
	}
	if ((uint64_t)hdr->len > size - off - JR_REC_HDR_SIZE)
		return JR_SLOT_BAD_LEN;
	if (jr_rec_crc(hdr, seg + off + JR_REC_HDR_SIZE) != hdr->crc)
		return JR_SLOT_BAD_CRC;
	return JR_SLOT_OK;
}

const char *jr_slot_name(enum jr_slot s)
{
	static const char *const names[JR_SLOT__COUNT] = {
		[JR_SLOT_OK] = "ok",
		[JR_SLOT_END] = "zero",
		[JR_SLOT_BAD_TAG] = "bad record tag",
		[JR_SLOT_BAD_LEN] = "record length beyond end of segment",
		[JR_SLOT_BAD_CRC] = "record CRC mismatch",
	};
	return (unsigned)s < JR_SLOT__COUNT ? names[s] : "?";
}

const char *jr_seg_hdr_check(const struct jr_seg_hdr *h)
{
	if (h->magic != JR_SEG_MAGIC)
		return "bad segment magic";
	if (h->version != JR_VERSION)
		return "unsupported segment version";
	if (h->hdr_size != JR_SEG_HDR_SIZE)
		return "bad segment header size";
	if (h->hdr_crc != jr_seg_hdr_crc(h))
		return "segment header CRC mismatch";
	if (h->flags != 0 || h->rsvd0 != 0 || h->rsvd1 != 0)
		return "unknown segment header flags";
	return NULL;
}

void jr_seg_hdr_init(struct jr_seg_hdr *h, uint64_t index, uint64_t seg_size, uint64_t create_ns)
{
	memset(h, 0, sizeof(*h));
	h->magic = JR_SEG_MAGIC;
	h->version = JR_VERSION;
	h->hdr_size = JR_SEG_HDR_SIZE;
	h->seg_index = index;
	h->seg_size = seg_size;
	h->create_ns = create_ns;
	h->hdr_crc = jr_seg_hdr_crc(h);
}

void jr_seg_name(char *buf, uint64_t index)
{
	snprintf(buf, JR_SEG_NAME_LEN + 1, "seg-%016llx.jrn", (unsigned long long)index);
}

int jr_seg_parse_name(const char *name, uint64_t *index)
{
	if (strlen(name) != JR_SEG_NAME_LEN || memcmp(name, "seg-", 4) != 0 ||
	    memcmp(name + 20, ".jrn", 4) != 0)
		return -EINVAL;
	uint64_t v = 0;
	for (int i = 4; i < 20; i++) {
		char c = name[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else
			return -EINVAL;
		v = (v << 4) | d;
	}
	*index = v;
	return 0;
}
