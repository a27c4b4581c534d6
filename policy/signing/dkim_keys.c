/*
 * dkim_keys - the DKIM key ring: loading and checking key files with
 * OpenSSL, DNS records of public keys, and making new keys for the
 * operator tool; see dkim_sign.h.
 *
 * Keys are parsed with OpenSSL once, when the ring is loaded (once per
 * configuration snapshot): a broken or mismatched key is an operator
 * diagnostic at start-up (`ses-milter -n`) rather than a failure on every
 * message, and signing costs no PEM parsing.  The EVP_PKEY is then only
 * read, by every signing thread at once (OpenSSL allows that).  The PEM
 * text is kept too, NUL-terminated, for tools that want the file's text.
 *
 * Diagnostics of dkim_keyring_load, each "PATH: message":
 *   cannot open: REASON, cannot read: REASON
 *   not a directory, not a regular file
 *   "NAME" is not a valid domain name
 *   not a key file name (want SELECTOR.rsa.pem or SELECTOR.ed25519.pem)
 *   readable by others (chmod 0640)
 *   larger than N bytes
 *   not a PEM private key (or an encrypted one)
 *   RSA key of N bits (want 1024..4096)
 *   KIND key in a file named for KIND
 * Files and directories whose name starts with '.' or ends with ".tmp"
 * (staged edits) are skipped.  dkim_key_generate reports "PATH: cannot
 * create: REASON" and the like in its err.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "account.h"
#include "dkim_sign.h"
#include "durable.h"
#include "strbuf.h"
#include "xalloc.h"

#define DKIM_KEY_FILE_MAX (64 * 1024)	/* a 4096-bit RSA PEM is ~3.3 KB */
#define DKIM_SELECTOR_MAX 63

/* ---- names -------------------------------------------------------------- */

/* A selector: dot-separated labels of letters, digits and inner '-'. */
static bool dkim_selector_valid(const char *s, size_t len)
{
	size_t i, label = 0;

	if (len == 0 || len > DKIM_SELECTOR_MAX)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
		} else if (isalnum(c) || (c == '-' && label > 0)) {
			label++;
		} else {
			return false;
		}
	}
	return label > 0 && s[len - 1] != '-';
}

/* True when name ends with suffix. */
static bool dkim_has_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), m = strlen(suffix);

	return n >= m && strcmp(name + n - m, suffix) == 0;
}

/* Names the loader passes over: hidden files and staged edits. */
static bool dkim_skipped_name(const char *name)
{
	return name[0] == '.' || dkim_has_suffix(name, ".tmp");
}

/* Splits "SELECTOR.rsa.pem" / "SELECTOR.ed25519.pem"; false if neither. */
static bool dkim_parse_file_name(const char *name, enum dkim_key_type *type, size_t *sel_len)
{
	static const struct {
		const char *suffix;
		enum dkim_key_type type;
	} kinds[] = { { ".rsa.pem", DKIM_KEY_RSA }, { ".ed25519.pem", DKIM_KEY_ED25519 } };
	size_t i;

	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		if (!dkim_has_suffix(name, kinds[i].suffix))
			continue;
		*sel_len = strlen(name) - strlen(kinds[i].suffix);
		*type = kinds[i].type;
		return dkim_selector_valid(name, *sel_len);
	}
	return false;
}

/* "RSA" or "Ed25519", for messages. */
static const char *dkim_type_name(enum dkim_key_type type)
{
	return type == DKIM_KEY_RSA ? "RSA" : "Ed25519";
}

/* ---- keys with OpenSSL ---------------------------------------------------- */

/* Refuses to prompt for a passphrase: encrypted keys are not supported. */
static int dkim_no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* Parses a PEM private key; NULL if it is none.  Caller frees. */
static EVP_PKEY *dkim_pem_parse(const unsigned char *pem, size_t len)
{
	EVP_PKEY *pkey;
	BIO *bio;

	if (len > INT32_MAX)
		return NULL;
	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio == NULL)
		return NULL;
	pkey = PEM_read_bio_PrivateKey(bio, NULL, dkim_no_passphrase, NULL);
	BIO_free(bio);
	return pkey;
}

/* Checks that pkey is a usable key of the type its file name says. */
static bool dkim_pkey_check(EVP_PKEY *pkey, enum dkim_key_type want, const char *path,
			    struct diag_list *diags)
{
	int id = EVP_PKEY_get_base_id(pkey), bits = EVP_PKEY_get_bits(pkey);
	enum dkim_key_type got;

	if (id == EVP_PKEY_RSA) {
		got = DKIM_KEY_RSA;
	} else if (id == EVP_PKEY_ED25519) {
		got = DKIM_KEY_ED25519;
	} else {
		diag_add(diags, path, 0, "%s key, want RSA or Ed25519", OBJ_nid2sn(id));
		return false;
	}
	if (got != want) {
		diag_add(diags, path, 0, "%s key in a file named for %s", dkim_type_name(got),
			 dkim_type_name(want));
		return false;
	}
	if (got == DKIM_KEY_RSA && (bits < DKIM_RSA_BITS_MIN || bits > DKIM_RSA_BITS_MAX)) {
		diag_add(diags, path, 0, "RSA key of %d bits (want %d..%d)", bits,
			 DKIM_RSA_BITS_MIN, DKIM_RSA_BITS_MAX);
		return false;
	}
	return true;
}

/* Appends base64 of data (one line, no newlines) to out. */
static void dkim_base64(struct strbuf *out, const unsigned char *data, size_t len)
{
	size_t enc = 4 * ((len + 2) / 3);
	int n;

	strbuf_reserve(out, enc + 1);
	n = EVP_EncodeBlock((unsigned char *)out->data + out->len, data, (int)len);
	out->len += (size_t)n;
	out->data[out->len] = '\0';
}

/*
 * Appends the TXT record of pkey's public half: the DER
 * SubjectPublicKeyInfo for RSA (RFC 6376), the raw 32-byte key for
 * Ed25519 (RFC 8463).  0 or -1.
 */
static int dkim_pkey_txt(EVP_PKEY *pkey, struct strbuf *out)
{
	unsigned char raw[64], *der = NULL;
	size_t rawlen = sizeof raw;
	int len;

	if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_ED25519) {
		if (EVP_PKEY_get_raw_public_key(pkey, raw, &rawlen) != 1)
			return -1;
		strbuf_appends(out, "v=DKIM1; k=ed25519; p=");
		dkim_base64(out, raw, rawlen);
		return 0;
	}
	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA)
		return -1;
	len = i2d_PUBKEY(pkey, &der);
	if (len <= 0)
		return -1;
	strbuf_appends(out, "v=DKIM1; k=rsa; p=");
	dkim_base64(out, der, (size_t)len);
	OPENSSL_free(der);
	return 0;
}

int dkim_key_public_txt(const struct dkim_key *k, struct strbuf *out)
{
	return k->pkey != NULL ? dkim_pkey_txt(k->pkey, out) : -1;
}

/* ---- loading ---------------------------------------------------------- */

/* Reads an open key file whole, NUL-terminated.  NULL on error, reported.  Caller frees. */
static unsigned char *dkim_read_key(int fd, const char *path, size_t *len,
				    struct diag_list *diags)
{
	unsigned char *buf = xmalloc(DKIM_KEY_FILE_MAX + 1);
	size_t have = 0;
	ssize_t n;

	while (have <= DKIM_KEY_FILE_MAX &&
	       (n = read(fd, buf + have, DKIM_KEY_FILE_MAX + 1 - have)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			diag_add(diags, path, 0, "cannot read: %s", strerror(errno));
			free(buf);
			return NULL;
		}
		have += (size_t)n;
	}
	if (have > DKIM_KEY_FILE_MAX) {
		diag_add(diags, path, 0, "larger than %d bytes", DKIM_KEY_FILE_MAX);
		free(buf);
		return NULL;
	}
	buf[have] = '\0';
	*len = have;
	return buf;
}

/* Opens a key file and checks its kind and mode; -1 when reported. */
static int dkim_open_key(const char *path, bool allow_world_readable, struct diag_list *diags)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK);

	if (fd < 0) {
		diag_add(diags, path, 0, "cannot open: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		diag_add(diags, path, 0, "not a regular file");
		close(fd);
		return -1;
	}
	if ((st.st_mode & S_IROTH) != 0 && !allow_world_readable) {
		diag_add(diags, path, 0, "readable by others (chmod 0640)");
		close(fd);
		return -1;
	}
	return fd;
}

/* Appends a slot to ring and returns it, zeroed. */
static struct dkim_key *dkim_ring_add(struct dkim_keyring *ring)
{
	struct dkim_key *v = xrealloc(ring->v, (ring->n + 1) * sizeof *v);

	ring->v = v;
	memset(&v[ring->n], 0, sizeof v[ring->n]);
	return &v[ring->n++];
}

/* Loads DIR/DOMAIN/NAME into ring when it is a good key; else reports. */
static void dkim_load_file(struct dkim_keyring *ring, const char *domain, const char *path,
			   const char *name, bool allow_world_readable, struct diag_list *diags)
{
	enum dkim_key_type type;
	unsigned char *pem;
	struct dkim_key *k;
	EVP_PKEY *pkey;
	size_t sel_len, len;
	bool ok;
	int fd;

	if (!dkim_parse_file_name(name, &type, &sel_len)) {
		diag_add(diags, path, 0,
			 "not a key file name (want SELECTOR.rsa.pem or SELECTOR.ed25519.pem)");
		return;
	}
	if ((fd = dkim_open_key(path, allow_world_readable, diags)) < 0)
		return;
	pem = dkim_read_key(fd, path, &len, diags);
	close(fd);
	if (pem == NULL)
		return;
	pkey = dkim_pem_parse(pem, len);
	if (pkey == NULL)
		diag_add(diags, path, 0, "not a PEM private key (or an encrypted one)");
	ok = pkey != NULL && dkim_pkey_check(pkey, type, path, diags);
	if (!ok) {
		EVP_PKEY_free(pkey);
		OPENSSL_cleanse(pem, len);
		free(pem);
		return;
	}
	k = dkim_ring_add(ring);
	k->domain = xstrdup(domain);
	k->selector = xstrndup(name, sel_len);
	k->type = type;
	k->pem = pem;
	k->pem_len = len;
	k->pkey = pkey;
}

/* Opens a directory; NULL (reported unless missing_ok and absent). */
static DIR *dkim_open_dir(const char *path, bool missing_ok, struct diag_list *diags)
{
	DIR *d = opendir(path);

	if (d == NULL && !(missing_ok && errno == ENOENT))
		diag_add(diags, path, 0, errno == ENOTDIR ? "not a directory" : "cannot open: %s",
			 strerror(errno));
	return d;
}

/* Loads every key file of one domain directory. */
static void dkim_load_domain(struct dkim_keyring *ring, const char *path, const char *name,
			     bool allow_world_readable, struct diag_list *diags)
{
	struct strbuf file = STRBUF_INIT, domain = STRBUF_INIT;
	struct dirent *de;
	size_t i;
	DIR *d;

	for (i = 0; name[i] != '\0'; i++)
		strbuf_appendc(&domain, (char)tolower((unsigned char)name[i]));
	if (!account_domain_name_valid(strbuf_cstr(&domain))) {
		diag_add(diags, path, 0, "\"%s\" is not a valid domain name", name);
		strbuf_free(&domain);
		return;
	}
	if ((d = dkim_open_dir(path, false, diags)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (dkim_skipped_name(de->d_name))
				continue;
			strbuf_reset(&file);
			strbuf_appendf(&file, "%s/%s", path, de->d_name);
			dkim_load_file(ring, strbuf_cstr(&domain), strbuf_cstr(&file), de->d_name,
				       allow_world_readable, diags);
		}
		closedir(d);
	}
	strbuf_free(&file);
	strbuf_free(&domain);
}

/* Ring order: domain, RSA before Ed25519, then selector. */
static int dkim_key_cmp(const void *x, const void *y)
{
	const struct dkim_key *a = x, *b = y;
	int c = strcmp(a->domain, b->domain);

	if (c != 0)
		return c;
	if (a->type != b->type)
		return a->type == DKIM_KEY_RSA ? -1 : 1;
	return strcmp(a->selector, b->selector);
}

struct dkim_keyring *dkim_keyring_load(const char *dir, bool allow_world_readable,
				       struct diag_list *diags)
{
	struct dkim_keyring *ring = xcalloc(1, sizeof *ring);
	struct strbuf path = STRBUF_INIT;
	size_t before = diags->n;
	struct dirent *de;
	DIR *d;

	if ((d = dkim_open_dir(dir, true, diags)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (dkim_skipped_name(de->d_name))
				continue;
			strbuf_reset(&path);
			strbuf_appendf(&path, "%s/%s", dir, de->d_name);
			dkim_load_domain(ring, strbuf_cstr(&path), de->d_name,
					 allow_world_readable, diags);
		}
		closedir(d);
	}
	strbuf_free(&path);
	if (diags->n > before) {
		dkim_keyring_free(ring);
		return NULL;
	}
	if (ring->n > 1)
		qsort(ring->v, ring->n, sizeof *ring->v, dkim_key_cmp);
	return ring;
}

void dkim_keyring_free(struct dkim_keyring *ring)
{
	size_t i;

	if (ring == NULL)
		return;
	for (i = 0; i < ring->n; i++) {
		free(ring->v[i].domain);
		free(ring->v[i].selector);
		if (ring->v[i].pem != NULL)
			OPENSSL_cleanse(ring->v[i].pem, ring->v[i].pem_len);
		free(ring->v[i].pem);
		EVP_PKEY_free(ring->v[i].pkey);
	}
	free(ring->v);
	free(ring);
}

void dkim_keyring_find(const struct dkim_keyring *ring, const char *domain, size_t *first,
		       size_t *count)
{
	size_t lo = 0, hi = ring != NULL ? ring->n : 0, end;

	/* lower bound: the ring is sorted by lower-case domain */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcasecmp(ring->v[mid].domain, domain) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	end = lo;
	while (ring != NULL && end < ring->n && strcasecmp(ring->v[end].domain, domain) == 0)
		end++;
	*first = lo;
	*count = end - lo;
}

/* ---- key generation, for sesctl ------------------------------------------ */

/* A new key of type; NULL with a reason in err.  Caller frees. */
static EVP_PKEY *dkim_keygen(enum dkim_key_type type, int rsa_bits, struct strbuf *err)
{
	EVP_PKEY *pkey;

	if (type == DKIM_KEY_RSA && (rsa_bits < DKIM_RSA_BITS_MIN || rsa_bits > DKIM_RSA_BITS_MAX)) {
		strbuf_appendf(err, "RSA key size %d (want %d..%d)", rsa_bits, DKIM_RSA_BITS_MIN,
			       DKIM_RSA_BITS_MAX);
		return NULL;
	}
	if (type == DKIM_KEY_RSA)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)rsa_bits);
	else
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (pkey == NULL)
		strbuf_appendf(err, "cannot generate an %s key", dkim_type_name(type));
	return pkey;
}

/* Writes pkey as PKCS#8 PEM to a new file path, mode 0640.  0 or -1. */
static int dkim_key_write(const char *path, EVP_PKEY *pkey, struct strbuf *err)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *pem = NULL;
	long len;
	int fd, rc = -1;

	if (bio == NULL || PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) != 1 ||
	    (len = BIO_get_mem_data(bio, &pem)) <= 0) {
		strbuf_appendf(err, "%s: cannot encode the key as PEM", path);
		BIO_free(bio);
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0640);
	if (fd < 0) {
		strbuf_appendf(err, "%s: cannot create: %s", path, strerror(errno));
	} else if (fchmod(fd, 0640) != 0 || durable_write_sync(fd, pem, (size_t)len) != 0) {
		strbuf_appendf(err, "%s: cannot write: %s", path, strerror(errno));
		close(fd);
		unlink(path);
	} else if (close(fd) != 0) {
		strbuf_appendf(err, "%s: cannot write: %s", path, strerror(errno));
		unlink(path);
	} else {
		rc = 0;
	}
	OPENSSL_cleanse(pem, (size_t)len);
	BIO_free(bio);
	return rc;
}

int dkim_key_generate(const char *path, enum dkim_key_type type, int rsa_bits,
		      struct strbuf *dns_txt_value, struct strbuf *err)
{
	EVP_PKEY *pkey = dkim_keygen(type, rsa_bits, err);
	struct strbuf txt = STRBUF_INIT;
	int rc = -1;

	if (pkey == NULL)
		return -1;
	if (dkim_pkey_txt(pkey, &txt) != 0)
		strbuf_appends(err, "cannot encode the public key");
	else if (dkim_key_write(path, pkey, err) == 0)
		rc = 0;
	if (rc == 0)
		strbuf_append(dns_txt_value, txt.data, txt.len);
	strbuf_free(&txt);
	EVP_PKEY_free(pkey);
	return rc;
}
