/*
 * tokenfix - helpers shared by test_verp and test_unsub_token: keys,
 * long addresses, case changes, and failure text that shows any byte.
 */
#ifndef SES_TOKENFIX_H
#define SES_TOKENFIX_H

#include <stdbool.h>
#include <stddef.h>

#include "mac.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* A fixed key derived from seed; different seeds give different keys. */
struct mac_key test_key(unsigned char seed);

/* Writes s (first 300 bytes) into buf with unprintable bytes as \xNN. */
const char *show(const char *s, char *buf, size_t len);

/* A local part of local_len bytes ("abc..."), then "@domain".  Caller frees. */
char *long_address(size_t local_len, const char *domain);

/* The local part of addr (before the last '@').  Caller frees. */
char *local_of(const char *addr);

/* Fails the test unless s uses only lower-case base32 and '-'. */
void expect_token_alphabet(const char *what, const char *s);

/* s with ASCII letters upper-cased (all, or every other one).  Caller frees. */
char *recase(const char *s, bool alternate);

/* The VERP address for rcpt, message 4Yx2kT0pQz on example.com.  Caller frees. */
char *good_verp(const struct mac_key *key, const char *rcpt);

#endif
