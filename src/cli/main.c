/*
 * main.c - the ferry binary: everything lives in libferry; see cli/cli.h.
 */
#include "cli/cli.h"

int main(int argc, char **argv)
{
    cli_buffer_stdout();
    return cli_close_stdout(cli_main(argc, argv));
}
