/* SHA-256 of a buffer (FIPS 180-4): the migration checksums. */
#ifndef STEPWISE_SHA256_H
#define STEPWISE_SHA256_H

#include <stddef.h>
#include <stdint.h>

void sha256_digest(const void *data, size_t length, unsigned char out[32]);

#endif
