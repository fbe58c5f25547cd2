/* Filling sw_error: formatting, truncation on a character boundary. */
#include "config.h"

#include "core/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

sw_status sw_error_set(sw_error *err, sw_status status, const char *fmt, ...)
{
    if (!err)
        return status;
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    size_t len = strlen(msg);
    if (len >= sizeof err->message) {
        /* Cut before a UTF-8 continuation byte, never inside a character. */
        len = sizeof err->message - 4;
        while (len > 0 && ((unsigned char)msg[len] & 0xC0) == 0x80)
            len--;
        memcpy(err->message, msg, len);
        memcpy(err->message + len, "...", 4);
    } else {
        memcpy(err->message, msg, len + 1);
    }
    free(msg);
    err->status = status;
    return status;
}

void sw_error_clear(sw_error *err)
{
    if (!err)
        return;
    err->status = SW_OK;
    err->message[0] = '\0';
}
