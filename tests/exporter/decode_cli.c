/* Stand-alone `decode` command for the integration test while orionctl does
 * not link the exporter yet: the same code as `orionctl decode`. */
#include "controlplane/exporter.h"

int main(int argc, char **argv)
{
	return exp_decode_main(argc, argv);
}
