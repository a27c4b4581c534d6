/*
 * psl - Public Suffix List lookups; see psl.h.
 *
 * The rules live in one array sorted by (name, kind) and are found with
 * bsearch: about 10,000 rules need some 14 comparisons per label, and the
 * table is never written after psl_load, so threads share it freely.
 * A wildcard rule "*.ck" is stored as name "ck" of kind PSL_RULE_WILDCARD,
 * an exception "!www.ck" as "www.ck" of kind PSL_RULE_EXCEPTION.
 */
#include "autoconf.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "psl.h"
#include "punycode.h"
#include "xalloc.h"

#define PSL_MAX_LABELS 128	/* 253 octets hold at most 127 labels */

enum psl_rule_kind {
	PSL_RULE_NORMAL,
	PSL_RULE_WILDCARD,
	PSL_RULE_EXCEPTION,
};

struct psl_rule {
	char *name;
	enum psl_rule_kind kind;
};

struct psl {
	struct psl_rule *rules;
	size_t n;
	size_t cap;
};

/* Orders rules by name, then kind. */
static int psl_rule_cmp(const void *a, const void *b)
{
	const struct psl_rule *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c != 0 ? c : (int)x->kind - (int)y->kind;
}

/* True when the table holds the rule (name, kind). */
static bool psl_has(const struct psl *p, const char *name, enum psl_rule_kind kind)
{
	struct psl_rule key = { (char *)name, kind };

	return p->n > 0 && bsearch(&key, p->rules, p->n, sizeof *p->rules, psl_rule_cmp) != NULL;
}

bool psl_normalize(const char *domain, struct strbuf *out)
{
	size_t len = strlen(domain), i, label = 0;

	if (len > 0 && domain[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)domain[i];

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if ((isalnum(c) || c == '-' || c == '_') && c < 0x80) {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	if (label == 0)
		return false;
	for (i = 0; i < len; i++)
		strbuf_appendc(out, (char)tolower((unsigned char)domain[i]));
	return true;
}

/* Adds one rule from token tok (line lineno); false on a malformed rule. */
static bool psl_add_rule(struct psl *p, const char *tok, const char *path, unsigned lineno,
			 struct diag_list *diags)
{
	struct strbuf ascii = STRBUF_INIT, norm = STRBUF_INIT;
	enum psl_rule_kind kind = PSL_RULE_NORMAL;

	if (tok[0] == '!') {
		kind = PSL_RULE_EXCEPTION;
		tok++;
	} else if (tok[0] == '*' && tok[1] == '.') {
		kind = PSL_RULE_WILDCARD;
		tok += 2;
	}
	if (punycode_domain_to_ascii(tok, &ascii) < 0 ||
	    !psl_normalize(strbuf_cstr(&ascii), &norm) ||
	    (kind == PSL_RULE_EXCEPTION && strchr(strbuf_cstr(&norm), '.') == NULL)) {
		diag_add(diags, path, lineno, "\"%s\" is not a valid public suffix rule", tok);
		strbuf_free(&ascii);
		strbuf_free(&norm);
		return false;
	}
	strbuf_free(&ascii);
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 1024;
		p->rules = xrealloc(p->rules, p->cap * sizeof *p->rules);
	}
	p->rules[p->n].name = strbuf_detach(&norm);
	p->rules[p->n].kind = kind;
	p->n++;
	return true;
}

/* Reads rules from f: the first blank-delimited token of each line. */
static bool psl_read(struct psl *p, FILE *f, const char *path, struct diag_list *diags)
{
	char line[1024];
	unsigned lineno = 0;
	bool ok = true;

	while (fgets(line, sizeof line, f) != NULL) {
		char *tok = line, *end;

		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			diag_add(diags, path, lineno, "line longer than %zu bytes", sizeof line - 2);
			ok = false;
			while (fgets(line, sizeof line, f) != NULL && strchr(line, '\n') == NULL)
				;
			continue;
		}
		while (*tok == ' ' || *tok == '\t')
			tok++;
		for (end = tok; *end != '\0' && !isspace((unsigned char)*end); end++)
			;
		*end = '\0';
		if (*tok == '\0' || (tok[0] == '/' && tok[1] == '/'))
			continue;
		if (!psl_add_rule(p, tok, path, lineno, diags))
			ok = false;
	}
	if (ferror(f)) {
		diag_add(diags, path, 0, "read error: %s", strerror(errno));
		ok = false;
	}
	return ok;
}

struct psl *psl_load(const char *path, struct diag_list *diags)
{
	struct psl *p;
	FILE *f = fopen(path, "r");
	bool ok;

	if (f == NULL) {
		diag_add(diags, path, 0, "cannot open public suffix list: %s", strerror(errno));
		return NULL;
	}
	p = xcalloc(1, sizeof *p);
	ok = psl_read(p, f, path, diags);
	fclose(f);
	if (ok && p->n == 0) {
		diag_add(diags, path, 0, "public suffix list holds no rules");
		ok = false;
	}
	if (!ok) {
		psl_free(p);
		return NULL;
	}
	qsort(p->rules, p->n, sizeof *p->rules, psl_rule_cmp);
	return p;
}

void psl_free(struct psl *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->n; i++)
		free(p->rules[i].name);
	free(p->rules);
	free(p);
}

size_t psl_rule_count(const struct psl *p)
{
	return p == NULL ? 0 : p->n;
}

/*
 * Returns the index (into off) of the label where the public suffix of
 * name starts.  off[i] is the offset of label i; n labels in all.
 * RFC 7489 3.2 / PSL algorithm: an exception rule prevails and its
 * leftmost label is not part of the suffix; otherwise the matching rule
 * with most labels wins; no match means the implicit "*" rule.
 */
static size_t psl_suffix_start(const struct psl *p, const char *name, const size_t *off,
			       size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (psl_has(p, name + off[i], PSL_RULE_EXCEPTION))
			return i + 1;
	for (i = 0; i < n; i++) {
		if (i > 0 && psl_has(p, name + off[i], PSL_RULE_WILDCARD))
			return i - 1;
		if (psl_has(p, name + off[i], PSL_RULE_NORMAL))
			return i;
	}
	return n - 1;
}

enum psl_status psl_org_domain(const struct psl *p, const char *domain, struct strbuf *out)
{
	struct strbuf norm = STRBUF_INIT;
	size_t off[PSL_MAX_LABELS], n = 0, i, start;
	const char *name;
	enum psl_status st = PSL_OK;

	if (!psl_normalize(domain, &norm))
		return PSL_BAD;
	name = strbuf_cstr(&norm);
	off[n++] = 0;
	for (i = 0; name[i] != '\0'; i++)
		if (name[i] == '.')
			off[n++] = i + 1;	/* n stays below 128: 253 octets */
	start = psl_suffix_start(p, name, off, n);
	if (start == 0) {
		st = PSL_IS_SUFFIX;
		strbuf_appends(out, name);
	} else {
		strbuf_appends(out, name + off[start - 1]);
	}
	strbuf_free(&norm);
	return st;
}
