/*
 * main.c - the ferry binary: everything lives in libferry; see cli/cli.h.
 */
#include "cli/cli.h"

int main(int argc, char **argv)
{
    return cli_main(argc, argv);
}
