/* `orionctl journal ...`: operator commands on a journal directory.
 *
 *   journal dump   [--from SEQ] [--limit N] [--full] DIR
 *                  one line per record (seq, ts, type, flags, len, segment,
 *                  offset, payload hex: first 32 bytes, all with --full)
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

#define JR_TOOL_OK 0        /* success, journal valid */
#define JR_TOOL_DAMAGE 1    /* damage found, or the journal could not be read */
#define JR_TOOL_USAGE 2     /* bad command line */

/* argv[0] is "journal", argv[1] the action. Returns a JR_TOOL_* exit code.
 * Main thread of a tool process (uses stdio). */
int jr_tool_main(int argc, char **argv);

#endif
