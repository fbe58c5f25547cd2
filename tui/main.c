/* Program entry: locale for UTF-8 text, then the command line decides. */
#include "config.h"

#include <locale.h>

#include "tui/cli.h"

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    return cli_main(argc, argv);
}
