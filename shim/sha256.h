/* sha256.h: SHA-256 (FIPS 180-4) of a buffer, for the shim's socket name. */
#ifndef SHIM_SHA256_H
#define SHIM_SHA256_H

#include <stddef.h>
#include <stdint.h>

void sh_sha256 (const void *data, size_t len, uint8_t digest[32]);
/* Lowercase hex digest into out (65 bytes with the NUL). */
void sh_sha256_hex (const void *data, size_t len, char out[65]);

#endif
