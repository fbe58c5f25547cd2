/* Shared by the source tests: a whole file as a NUL-terminated string
 * (NULL when it cannot be opened). Include after <cmocka.h>. */
#ifndef STEPWISE_READ_TEXT_H
#define STEPWISE_READ_TEXT_H

#include <stdio.h>

#include "core/util.h"

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    strbuf sb = {0};
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        strbuf_append_len(&sb, buf, n);
    fclose(f);
    return strbuf_detach(&sb);
}

#endif
