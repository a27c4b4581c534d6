/*
 * template - templates: operator data, one directory per template.
 *
 *     DataDir/templates/ID/template    "Key value" lines:
 *         Account  acme                 (the owner)
 *         Name     Welcome mail
 *         Type     transactional        (trigger|transactional|notification|marketing)
 *         Status   1                    (0 approved, 1 under review, 2 rejected)
 *         Reason   text                 (why it was rejected)
 *         AllowLinks no                 (URLs allowed by the operator)
 *     DataDir/templates/ID/text         the text part (optional)
 *     DataDir/templates/ID/html         the HTML part (optional; one of the two)
 *
 * ID is a decimal number.  Variables are written {{name}} with name
 * [A-Za-z0-9_.-]{1,64}.  A tmpl_db is immutable once loaded and lives in
 * the policy snapshot.
 *
 * Folder policy/template/ (main header: this one): templates as operator
 * data (template), their rendering (tmpl_render) and the review of their
 * HTML (tmpl_html, tmpl_review).  It may include util/ and conf/.
 */
#ifndef SES_TEMPLATE_H
#define SES_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

#include "conftab.h"
#include "diag.h"
#include "strbuf.h"

enum tmpl_type {
	TMPL_TRIGGER = 0,
	TMPL_TRANSACTIONAL,
	TMPL_NOTIFICATION,
	TMPL_MARKETING,
};

enum tmpl_status {
	TMPL_APPROVED = 0,
	TMPL_UNDER_REVIEW = 1,
	TMPL_REJECTED = 2,
};

#define TMPL_VAR_MAX 64		/* characters in a variable name */
#define TMPL_PART_MAX (1024 * 1024)	/* bytes in a text or html part */
#define TMPL_ID_MAX 999999999UL	/* IDs are 1..TMPL_ID_MAX, no leading zeros */

struct tmpl {
	unsigned long id;
	char *account;
	char *name;
	enum tmpl_type type;
	enum tmpl_status status;
	char *reason;		/* "" unless rejected */
	bool allow_links;
	char *text;		/* NULL when the template has no text part */
	char *html;		/* NULL when it has no HTML part */
	char **vars;		/* distinct variable names, sorted */
	size_t nvars;
};

struct tmpl_db {
	struct tmpl **v;	/* sorted by id */
	size_t n;
};

/* The keys of the template meta file (parsing, sesctl, the man page). */
extern const struct conf_key tmpl_keys[];

const char *tmpl_type_name(enum tmpl_type type);
int tmpl_type_parse(const char *name, enum tmpl_type *type);

/*
 * Loads every template under dir (DataDir/templates).  A missing
 * directory is an empty db.  NULL when any error was found (each in
 * diags, with file and line).  Caller frees.
 */
struct tmpl_db *tmpl_db_load(const char *dir, struct diag_list *diags);
void tmpl_db_free(struct tmpl_db *db);

/*
 * A pending change of one template for tmpl_db_load_change: the template
 * id is read from the directory path instead (NULL: it is removed).
 * Diagnostics still name dir/ID, the place it will take.
 */
struct tmpl_change {
	unsigned long id;
	const char *path;
};

/* tmpl_db_load with change applied (change may be NULL).  Caller frees. */
struct tmpl_db *tmpl_db_load_change(const char *dir, const struct tmpl_change *change,
				    struct diag_list *diags);

/* Parses a template ID: decimal, 1..TMPL_ID_MAX, no sign, no leading zero. */
bool tmpl_id_parse(const char *s, unsigned long *id);
const struct tmpl *tmpl_by_id(const struct tmpl_db *db, unsigned long id);

/*
 * Collects the distinct {{name}} variables of src into *vars (sorted,
 * caller frees each and the array).  A "{{" that does not open a valid
 * variable is literal text.  Returns the count.
 */
size_t tmpl_collect_vars(const char *src, char ***vars);

/*
 * True when a variable starts at p: "{{", optional blanks, a name of 1 to
 * TMPL_VAR_MAX characters [A-Za-z0-9_.-], optional blanks, "}}".  Sets
 * *len to the bytes it spans and *name, *name_len to the name inside.
 * Scanners advance one byte past a "{{" that does not match, so in
 * "{{{{x}}}}" the variable is the inner "{{x}}".
 */
bool tmpl_var_match(const char *p, size_t *len, const char **name, size_t *name_len);

#endif
