/*
 * template - loading templates from DataDir/templates; see template.h.
 *
 * Every template is a directory named by its decimal ID holding the meta
 * file "template" (Key value lines, parsed with the tmpl_keys table) and
 * the parts "text" and/or "html".  Hidden entries (sesctl's staging
 * directories .tmp-ID) and editor backups (~) are skipped; anything else
 * must be a template directory.
 *
 * Diagnostics: "DIR: \"x\" is not a template ID (a decimal number from 1)",
 * "DIR/ID: not a directory", "DIR/ID/template:LINE: unknown key X",
 * "DIR/ID/template:LINE: \"x y\" is not a valid account name",
 * "DIR/ID/template:LINE: Status must be between 0 and 2",
 * "DIR/ID/template: Account is missing", "DIR/ID/template: Name is missing",
 * "DIR/ID/template: cannot open: REASON", "DIR/ID/text:LINE: not valid
 * UTF-8", "DIR/ID/html: larger than 1048576 bytes", "DIR/ID/text: empty",
 * "DIR/ID: neither a text nor an html part".
 */
#include "autoconf.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "account.h"
#include "rfc2047.h"
#include "template.h"
#include "xalloc.h"

/* The meta file as the table parses it; copied into struct tmpl. */
struct tmpl_meta {
	char *account;
	char *name;
	int type;
	long long status;
	char *reason;
	bool allow_links;
};

#define TOFF(field) offsetof(struct tmpl_meta, field)

static const char *const tmpl_type_names[] = {
	[TMPL_TRIGGER] = "trigger",
	[TMPL_TRANSACTIONAL] = "transactional",
	[TMPL_NOTIFICATION] = "notification",
	[TMPL_MARKETING] = "marketing",
	NULL
};

const struct conf_key tmpl_keys[] = {
	{ "Account", CONF_STRING, "", 0, 0, NULL, TOFF(account),
	  "The account that owns the template (required)." },
	{ "Name", CONF_STRING, "", 0, 0, NULL, TOFF(name),
	  "The template's name, for people (required)." },
	{ "Type", CONF_ENUM, "transactional", 0, 0, tmpl_type_names, TOFF(type),
	  "What the template is for; sets the word minimum of the review." },
	{ "Status", CONF_INT, "1", 0, 2, NULL, TOFF(status),
	  "Review status: 0 approved, 1 under review, 2 rejected; only approved templates send." },
	{ "Reason", CONF_STRING, "", 0, 0, NULL, TOFF(reason),
	  "Why the template was rejected." },
	{ "AllowLinks", CONF_BOOL, "no", 0, 0, NULL, TOFF(allow_links),
	  "The operator allows URLs and links in this template." },
	{ NULL, 0, NULL, 0, 0, NULL, 0, NULL }
};

const char *tmpl_type_name(enum tmpl_type type)
{
	if ((unsigned)type > TMPL_MARKETING)
		return "unknown";
	return tmpl_type_names[type];
}

int tmpl_type_parse(const char *name, enum tmpl_type *type)
{
	int i;

	for (i = 0; tmpl_type_names[i] != NULL; i++)
		if (strcasecmp(name, tmpl_type_names[i]) == 0) {
			*type = (enum tmpl_type)i;
			return 0;
		}
	return -1;
}

bool tmpl_id_parse(const char *s, unsigned long *id)
{
	unsigned long v = 0;
	size_t i;

	if (s[0] < '1' || s[0] > '9')
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 9)
			return false;	/* 9 digits: TMPL_ID_MAX */
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	*id = v;
	return true;
}

/* True for a character of a variable name. */
static bool tmpl_var_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '-';
}

bool tmpl_var_match(const char *p, size_t *len, const char **name, size_t *name_len)
{
	const char *q = p + 2, *start;

	if (p[0] != '{' || p[1] != '{')
		return false;
	while (*q == ' ' || *q == '\t')
		q++;
	start = q;
	while (tmpl_var_char(*q) && q - start <= TMPL_VAR_MAX)
		q++;
	if (q == start || q - start > TMPL_VAR_MAX)
		return false;
	*name = start;
	*name_len = (size_t)(q - start);
	while (*q == ' ' || *q == '\t')
		q++;
	if (q[0] != '}' || q[1] != '}')
		return false;
	*len = (size_t)(q + 2 - p);
	return true;
}

static int tmpl_str_cmp(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

size_t tmpl_collect_vars(const char *src, char ***vars)
{
	char **v = NULL;
	size_t n = 0, len, name_len, i, out;
	const char *name;

	for (; src != NULL && *src != '\0'; src++) {
		if (!tmpl_var_match(src, &len, &name, &name_len))
			continue;
		v = xrealloc(v, (n + 1) * sizeof *v);
		v[n++] = xstrndup(name, name_len);
		src += len - 1;
	}
	if (n > 1)
		qsort(v, n, sizeof *v, tmpl_str_cmp);
	for (i = 0, out = 0; i < n; i++) {
		if (out > 0 && strcmp(v[out - 1], v[i]) == 0)
			free(v[i]);
		else
			v[out++] = v[i];
	}
	*vars = v;
	return out;
}

/* Frees one template; NULL is fine. */
static void tmpl_free(struct tmpl *t)
{
	size_t i;

	if (t == NULL)
		return;
	free(t->account);
	free(t->name);
	free(t->reason);
	free(t->text);
	free(t->html);
	for (i = 0; i < t->nvars; i++)
		free(t->vars[i]);
	free(t->vars);
	free(t);
}

void tmpl_db_free(struct tmpl_db *db)
{
	size_t i;

	if (db == NULL)
		return;
	for (i = 0; i < db->n; i++)
		tmpl_free(db->v[i]);
	free(db->v);
	free(db);
}

/* Parses one meta line into m; diagnostics name label:lineno. */
static void tmpl_meta_line(struct tmpl_meta *m, const char *key, const char *value,
			   const char *label, unsigned lineno, struct diag_list *diags)
{
	const struct conf_key *k = conftab_find(tmpl_keys, key);
	char err[256];

	if (k == NULL) {
		diag_add(diags, label, lineno, "unknown key %s", key);
		return;
	}
	if (k->type == CONF_STRING && k->offset != TOFF(reason) && *value == '\0') {
		diag_add(diags, label, lineno, "%s needs a value", k->name);
		return;
	}
	if (k->offset == TOFF(account) && !account_name_valid(value)) {
		diag_add(diags, label, lineno, "\"%s\" is not a valid account name", value);
		return;
	}
	if (conftab_set(k, m, value, err, sizeof err) != 0)
		diag_add(diags, label, lineno, "%s", err);
}

/* Reads the meta file path into m (defaults first); diagnostics name label. */
static void tmpl_meta_read(struct tmpl_meta *m, const char *path, const char *label,
			   struct diag_list *diags)
{
	char *line = NULL, *key, *value;
	size_t cap = 0, before = diags->n;
	unsigned lineno = 0;
	FILE *fp;

	conftab_defaults(tmpl_keys, m);
	fp = fopen(path, "r");
	if (fp == NULL) {
		diag_add(diags, label, 0, "cannot open: %s", strerror(errno));
		return;
	}
	while (getline(&line, &cap, fp) != -1) {
		lineno++;
		if (conftab_split(line, &key, &value))
			tmpl_meta_line(m, key, value, label, lineno, diags);
	}
	if (ferror(fp))
		diag_add(diags, label, 0, "cannot read: %s", strerror(errno));
	free(line);
	fclose(fp);
	if (diags->n > before)
		return;
	if (*m->account == '\0')
		diag_add(diags, label, 0, "Account is missing");
	if (*m->name == '\0')
		diag_add(diags, label, 0, "Name is missing");
}

/* The line (from 1) of the byte at off in s. */
static unsigned tmpl_line_of(const char *s, size_t off)
{
	unsigned line = 1;
	size_t i;

	for (i = 0; i < off; i++)
		if (s[i] == '\n')
			line++;
	return line;
}

/* Checks part s[0..len) is UTF-8 without NUL; reports at its first bad line. */
static bool tmpl_part_valid(const char *s, size_t len, const char *label,
			    struct diag_list *diags)
{
	size_t start = 0, i;

	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != '\n')
			continue;
		if (memchr(s + start, '\0', i - start) != NULL || !utf8_valid(s + start, i - start)) {
			diag_add(diags, label, tmpl_line_of(s, start), "not valid UTF-8");
			return false;
		}
		start = i + 1;
	}
	return true;
}

/* Reads part file path into *out (NULL when it does not exist). */
static void tmpl_part_read(const char *path, const char *label, char **out,
			   struct diag_list *diags)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[8192];
	size_t n;
	FILE *fp;

	*out = NULL;
	fp = fopen(path, "r");
	if (fp == NULL) {
		if (errno != ENOENT)
			diag_add(diags, label, 0, "cannot open: %s", strerror(errno));
		return;
	}
	while ((n = fread(buf, 1, sizeof buf, fp)) > 0 && sb.len <= TMPL_PART_MAX)
		strbuf_append(&sb, buf, n);
	if (ferror(fp))
		diag_add(diags, label, 0, "cannot read: %s", strerror(errno));
	else if (sb.len > TMPL_PART_MAX)
		diag_add(diags, label, 0, "larger than %d bytes", TMPL_PART_MAX);
	else if (sb.len == 0)
		diag_add(diags, label, 0, "empty (remove the file instead)");
	else if (tmpl_part_valid(sb.data, sb.len, label, diags))
		*out = strbuf_detach(&sb);
	fclose(fp);
	strbuf_free(&sb);
}

/* Moves the meta values and parts into a new template.  Caller frees. */
static struct tmpl *tmpl_make(unsigned long id, struct tmpl_meta *m, char *text, char *html)
{
	struct tmpl *t = xcalloc(1, sizeof *t);
	struct strbuf all = STRBUF_INIT;

	t->id = id;
	t->account = m->account;
	t->name = m->name;
	t->reason = m->reason;
	m->account = m->name = m->reason = NULL;
	t->type = (enum tmpl_type)m->type;
	t->status = (enum tmpl_status)m->status;
	t->allow_links = m->allow_links;
	t->text = text;
	t->html = html;
	/* one pass over both parts; a variable cannot span them */
	strbuf_appends(&all, text != NULL ? text : "");
	strbuf_appendc(&all, '\n');
	strbuf_appends(&all, html != NULL ? html : "");
	t->nvars = tmpl_collect_vars(strbuf_cstr(&all), &t->vars);
	strbuf_free(&all);
	return t;
}

/* Loads template id from directory path; diagnostics name label.  NULL on error. */
static struct tmpl *tmpl_read(const char *path, const char *label, unsigned long id,
			      struct diag_list *diags)
{
	struct strbuf file = STRBUF_INIT, lab = STRBUF_INIT;
	struct tmpl_meta m;
	char *text = NULL, *html = NULL;
	size_t before = diags->n;
	struct tmpl *t = NULL;
	static const char *const parts[] = { "template", "text", "html" };
	size_t i;

	memset(&m, 0, sizeof m);
	for (i = 0; i < 3; i++) {
		strbuf_reset(&file);
		strbuf_reset(&lab);
		strbuf_appendf(&file, "%s/%s", path, parts[i]);
		strbuf_appendf(&lab, "%s/%s", label, parts[i]);
		if (i == 0)
			tmpl_meta_read(&m, strbuf_cstr(&file), strbuf_cstr(&lab), diags);
		else
			tmpl_part_read(strbuf_cstr(&file), strbuf_cstr(&lab),
				       i == 1 ? &text : &html, diags);
	}
	if (diags->n == before && text == NULL && html == NULL)
		diag_add(diags, label, 0, "neither a text nor an html part");
	if (diags->n == before)
		t = tmpl_make(id, &m, text, html);
	else {
		free(text);
		free(html);
	}
	conftab_free(tmpl_keys, &m);
	strbuf_free(&file);
	strbuf_free(&lab);
	return t;
}

/* Loads path as template id (labelled dir/ID) and adds it to db. */
static void tmpl_db_add(struct tmpl_db *db, const char *dir, unsigned long id, const char *path,
			struct diag_list *diags)
{
	struct strbuf label = STRBUF_INIT;
	struct stat st;
	struct tmpl *t = NULL;

	strbuf_appendf(&label, "%s/%lu", dir, id);
	if (stat(path, &st) != 0)
		diag_add(diags, strbuf_cstr(&label), 0, "cannot open: %s", strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		diag_add(diags, strbuf_cstr(&label), 0, "not a directory");
	else
		t = tmpl_read(path, strbuf_cstr(&label), id, diags);
	strbuf_free(&label);
	if (t == NULL)
		return;
	db->v = xrealloc(db->v, (db->n + 1) * sizeof *db->v);
	db->v[db->n++] = t;
}

static int tmpl_id_cmp(const void *x, const void *y)
{
	const struct tmpl *const *a = x, *const *b = y;

	return (*a)->id < (*b)->id ? -1 : (*a)->id > (*b)->id;
}

/* Handles one entry of the templates directory. */
static void tmpl_db_entry(struct tmpl_db *db, const char *dir, const char *name,
			  const struct tmpl_change *change, struct diag_list *diags)
{
	struct strbuf path = STRBUF_INIT;
	unsigned long id;
	size_t len = strlen(name);

	if (name[0] == '.' || len == 0 || name[len - 1] == '~')
		return;
	if (!tmpl_id_parse(name, &id)) {
		diag_add(diags, dir, 0, "\"%s\" is not a template ID (a decimal number from 1 "
			 "to %lu, no leading zero)", name, TMPL_ID_MAX);
		return;
	}
	if (change != NULL && change->id == id)
		return;	/* added after the scan, or removed */
	strbuf_appendf(&path, "%s/%s", dir, name);
	tmpl_db_add(db, dir, id, strbuf_cstr(&path), diags);
	strbuf_free(&path);
}

struct tmpl_db *tmpl_db_load(const char *dir, struct diag_list *diags)
{
	return tmpl_db_load_change(dir, NULL, diags);
}

struct tmpl_db *tmpl_db_load_change(const char *dir, const struct tmpl_change *change,
				    struct diag_list *diags)
{
	struct tmpl_db *db = xcalloc(1, sizeof *db);
	size_t before = diags->n;
	struct dirent *de;
	DIR *d;

	d = opendir(dir);
	if (d == NULL && errno != ENOENT)
		diag_add(diags, dir, 0, "cannot read: %s", strerror(errno));
	while (d != NULL && (de = readdir(d)) != NULL)
		tmpl_db_entry(db, dir, de->d_name, change, diags);
	if (d != NULL)
		closedir(d);
	if (change != NULL && change->path != NULL)
		tmpl_db_add(db, dir, change->id, change->path, diags);
	if (db->n > 1)
		qsort(db->v, db->n, sizeof *db->v, tmpl_id_cmp);
	if (diags->n > before) {
		tmpl_db_free(db);
		return NULL;
	}
	return db;
}

const struct tmpl *tmpl_by_id(const struct tmpl_db *db, unsigned long id)
{
	size_t lo = 0, hi = db != NULL ? db->n : 0, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (db->v[mid]->id == id)
			return db->v[mid];
		if (db->v[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
