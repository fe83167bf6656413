/* `orionctl journal ...`: operator commands on a journal directory.
 *
 *   journal dump   [--from SEQ] [--limit N] [--full] [--json] DIR
 *                  one line per record (seq, ts, type, flags, len, segment,
 *                  offset, then the payload: decoded fields when a decoder
 *                  knows the type, else hex: first 32 bytes, all with
 *                  --full); --json: one JSON object per line instead
 *   journal verify DIR
 *                  full check (jr_verify, read-only); reports a torn tail
 *                  (recoverable: the next writer open truncates it) or damage
 *   journal stats  DIR
 *                  records per type, bytes, segments, first/last seq, time span
 *
 * Read-only: never modifies the journal, so it may run beside a live writer
 * (whose unfinished last record then shows as a torn tail).
 * Output on stdout, diagnostics on stderr.
 */
#ifndef ORION_COMMON_JOURNAL_TOOL_H
#define ORION_COMMON_JOURNAL_TOOL_H

#include <stdint.h>
#include <stdio.h>

#define JR_TOOL_OK 0        /* success, journal valid */
#define JR_TOOL_DAMAGE 1    /* damage found, or the journal could not be read */
#define JR_TOOL_USAGE 2     /* bad command line */

/* Where a decoder writes one record's fields: " key=value" in text mode,
 * ',"key":value' in JSON mode. Owned by jr_tool; valid during decode(). */
struct jr_tool_out {
	FILE *f;
	int json;
};

/* Field writers for decoders. Keys are plain identifiers (not escaped).
 * str: bytes up to the first NUL or maxlen, escaped for the mode (JSON
 * string escapes; text: quoted with \xNN escapes when not plain printable).
 * dec: fixed-point v / 10^digits as a decimal number (trailing zeros cut). */
void jr_tool_put_u64(struct jr_tool_out *o, const char *key, uint64_t v);
void jr_tool_put_i64(struct jr_tool_out *o, const char *key, int64_t v);
void jr_tool_put_str(struct jr_tool_out *o, const char *key, const void *s, size_t maxlen);
void jr_tool_put_dec(struct jr_tool_out *o, const char *key, int64_t v, unsigned digits);

/* How a journal's producer names and decodes its record types; the journal
 * itself does not interpret them. All members may be NULL. */
struct jr_tool_decoder {
	/* Short name of a type, or NULL when unknown. */
	const char *(*type_name)(uint16_t type);
	/* Write the payload's fields with jr_tool_put_*(). Return 0 when
	 * decoded, -1 when the type or length is unknown (the tool then prints
	 * the payload in hex). */
	int (*decode)(struct jr_tool_out *o, uint16_t type, const void *payload, uint32_t len);
};

/* argv[0] is "journal", argv[1] the action. Returns a JR_TOOL_* exit code.
 * dec (may be NULL) decodes record types for dump and names them in dump
 * and stats. Main thread of a tool process (uses stdio). */
int jr_tool_main_dec(int argc, char **argv, const struct jr_tool_decoder *dec);

/* jr_tool_main_dec() without a decoder (types shown as numbers, payloads in hex). */
int jr_tool_main(int argc, char **argv);

#endif
