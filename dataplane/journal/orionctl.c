/* orionctl: the operator command line. Each subcommand lives with its module
 * and is dispatched from here; exit codes 0 ok, 1 failure/damage, 2 usage. */
#include <stdio.h>
#include <string.h>

#include "common/journal/jr_tool.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: orionctl <command> ...\n"
		"commands:\n"
		"  journal dump|verify|stats ...   inspect a journal directory (orionctl journal help)\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "journal"))
		return jr_tool_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "orionctl: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
