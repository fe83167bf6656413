/* libFuzzer target: the journal verifier and reader on hostile segment files.
 *
 * Input: byte 0 = mode bits, byte 1..2 = split point, rest = file image(s).
 *   bit0  repair the segment header (magic, version, index, size, CRC) so the
 *         record walk is reached; first_seq stays what the input says
 *   bit1  repair record tags, lengths and CRCs along the chain
 *   bit2  renumber the repaired records sequentially (deep paths)
 *   bit3  split the image in two consecutive segments
 *   bit4  run verify with JR_VERIFY_REPAIR (zeroes torn tails, deletes spares)
 * Images are padded with zeros to a multiple of 4096 (at least 16 KiB when
 * the header is repaired). Must never crash, leak or read out of bounds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "common/journal/jr_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_IMAGE (64u * 1024u)

static char g_dir[64];

static void fix_records(uint8_t *img, size_t n, int renumber)
{
	uint64_t off = JR_SEG_HDR_SIZE, seq = 0;
	memcpy(&seq, img + offsetof(struct jr_seg_hdr, first_seq), 8);
	for (int i = 0; i < 4096 && off + JR_REC_HDR_SIZE <= n; i++) {
		struct jr_rec_hdr h;
		memcpy(&h, img + off, sizeof(h));
		static const uint8_t zero[JR_REC_HDR_SIZE];
		if (!memcmp(&h, zero, sizeof(h)))
			break;
		h.tag = JR_REC_TAG;
		uint64_t room = n - off - JR_REC_HDR_SIZE;
		if (h.len > room)
			h.len = (uint32_t)(h.len % (room + 1));
		if (renumber)
			h.seq = seq++;
		h.crc = jr_rec_crc(&h, img + off + JR_REC_HDR_SIZE);
		memcpy(img + off, &h, sizeof(h));
		off += JR_REC_SIZE(h.len);
	}
}

static void write_seg(uint64_t index, const uint8_t *data, size_t len, unsigned mode)
{
	size_t n = (len + 4095) & ~(size_t)4095;
	if (n == 0)
		n = 4096;
	if ((mode & 1) && n < JR_SEG_MIN_SIZE)
		n = JR_SEG_MIN_SIZE;
	uint8_t *img = calloc(1, n);
	if (!img)
		return;
	memcpy(img, data, len);
	if (mode & 1) {
		struct jr_seg_hdr h, in;
		memcpy(&in, img, sizeof(in));
		jr_seg_hdr_init(&h, index, n, in.create_ns);
		h.first_seq = in.first_seq;
		memcpy(img, &h, sizeof(h));
	}
	if (mode & 2)
		fix_records(img, n, (mode & 4) != 0);
	char path[256], name[JR_SEG_NAME_LEN + 1];
	jr_seg_name(name, index);
	snprintf(path, sizeof(path), "%s/%s", g_dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		if (write(fd, img, n) != (ssize_t)n)
			fprintf(stderr, "fuzz: short write\n");
		close(fd);
	}
	free(img);
}

static int touch_rec(void *ctx, const struct jr_rec *r)
{
	uint64_t *acc = ctx;
	const uint8_t *p = r->payload;
	for (uint32_t i = 0; i < r->len; i++)
		*acc += p[i];
	return 0;
}

static void cleanup(void)
{
	char path[256], name[JR_SEG_NAME_LEN + 1];
	for (uint64_t i = 0; i < 2; i++) {
		jr_seg_name(name, i);
		snprintf(path, sizeof(path), "%s/%s", g_dir, name);
		unlink(path);
	}
	rmdir(g_dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!g_dir[0]) {
		snprintf(g_dir, sizeof(g_dir), "/tmp/orion-jr-fuzz-XXXXXX");
		if (!mkdtemp(g_dir))
			abort();
		atexit(cleanup);
	}
	char path[256], name[JR_SEG_NAME_LEN + 1];
	for (uint64_t i = 0; i < 2; i++) {
		jr_seg_name(name, i);
		snprintf(path, sizeof(path), "%s/%s", g_dir, name);
		unlink(path);
	}
	if (size < 3)
		return 0;
	unsigned mode = data[0];
	size_t split = (size_t)data[1] | ((size_t)data[2] << 8);
	data += 3;
	size -= 3;
	if (size > 2 * MAX_IMAGE)
		size = 2 * MAX_IMAGE;
	if ((mode & 8) && size > 1) {
		split %= size;
		write_seg(0, data, split < MAX_IMAGE ? split : MAX_IMAGE, mode);
		size_t rest = size - split;
		write_seg(1, data + split, rest < MAX_IMAGE ? rest : MAX_IMAGE, mode);
	} else {
		write_seg(0, data, size < MAX_IMAGE ? size : MAX_IMAGE, mode);
	}

	struct jr_diag d;
	uint64_t acc = 0;
	struct jr_visit v = { .on_record = touch_rec, .ctx = &acc };
	int rc = jr_verify(g_dir, (mode & 16) ? JR_VERIFY_REPAIR : 0, &d, &v);
	if (rc == 0 && d.segments && d.last_seq < d.first_seq - 1)
		abort();   /* invariant: last_seq >= first_seq - 1 */

	struct jr_reader *r;
	if (jr_reader_open(&r, g_dir, 0) == 0) {
		struct jr_rec rec;
		for (int i = 0; i < 100000 && jr_reader_next(r, JR_SEQ_ALL, &rec) == 1; i++)
			touch_rec(&acc, &rec);
		jr_reader_close(r);
	}
	return acc == 0xdeadbeefcafeull;   /* keep acc live; libFuzzer ignores the value */
}
