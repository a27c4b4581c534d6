/*
 * dkimfix - the fixture of the DKIM tests: keys made with OpenSSL at test
 * time, their TXT records computed independently of the module under
 * test, a sample message, and the python3-dkim verifier.
 */
#ifndef SES_DKIMFIX_H
#define SES_DKIMFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <openssl/evp.h>

#include "dkim_sign.h"
#include "strbuf.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define PYTHON "/usr/bin/python3" /* Debian's, where python3-dkim lives */
#define THREADS 8
#define PER_THREAD 3

enum pem_kind {
	PEM_RSA2048,
	PEM_RSA1024,
	PEM_ED25519,
	PEM_RSA512,
	PEM_NONE
};

extern const char verify_py[];
extern char *tmpdir;
extern char *keysdir;
extern char *records;
extern char *script;
extern char *pems[PEM_NONE];
extern struct strbuf txts[PEM_NONE];
extern struct dkim_keyring *ring;
extern bool have_verifier;
extern unsigned seq;

#define SAMPLE_HEADERS 8
extern const struct dkim_header sample_headers[SAMPLE_HEADERS];

char *pem_text(EVP_PKEY *pkey);
void b64(struct strbuf *out, const unsigned char *data, int len);
void txt_record(EVP_PKEY *pkey, struct strbuf *out);
void txt_of_file(const char *path, struct strbuf *out);
void make_keys(void);
void write_mode(const char *dir, const char *name, const char *content, mode_t mode);
void add_record(const char *selector, const char *domain, const char *value);
int group_setup(void **state);
int group_teardown(void **state);
void expect_verify(char **files, size_t nfiles, size_t nsig, bool want_ok);
void sample_body(struct strbuf *b);
char *write_message(const struct strbuf *sigs, size_t nsigs, const struct dkim_header *h, size_t nh,
		    const struct strbuf *body);
void free_sigs(struct strbuf *sigs, size_t n);
void sign_sample(const struct dkim_keyring *r, const char *domain, const struct dkim_header *h,
		 size_t nh, const struct strbuf *body, struct strbuf **sigs, size_t *nsigs);
char *sig_tag(const struct strbuf *sig, const char *tag);
void expect_tag(const struct strbuf *sig, const char *tag, const char *want);
unsigned count_in_list(const char *list, const char *name);

#endif
