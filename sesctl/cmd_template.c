/*
 * cmd_template - "sesctl template ...": add, list, show, review, approve,
 * reject, delete and render templates (one directory per template in
 * DataDir/templates/, see template.h).
 *
 * Every change is staged whole, checked and renamed into place by
 * tmpl_store (policy/template/tmpl_store.h, shared with the HTTP API), so
 * ses-milter never sees half a template.  Changes hold the account
 * directory's lock, like account edits, and end with a reload signal.
 *
 * Diagnostics: "no template ID", "\"x\" is not a template ID", "no account
 * NAME", "--text FILE: cannot open: REASON", "--html FILE: larger than
 * 1048576 bytes", "warning: template ID fails the automatic review: links,
 * css", "InvalidParameterValue.TemplateNotMatchData: missing: \"x\"",
 * plus the loader's own "FILE:LINE: ..." lines when the data would not
 * load after a change.
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd_template.h"
#include "durable.h"
#include "rfc2047.h"
#include "sesctl.h"
#include "template.h"
#include "tmpl_review.h"
#include "tmpl_store.h"

enum {
	CMD_TEMPLATE_OPT_ACCOUNT = 1,
	CMD_TEMPLATE_OPT_NAME,
	CMD_TEMPLATE_OPT_TYPE,
	CMD_TEMPLATE_OPT_TEXT,
	CMD_TEMPLATE_OPT_HTML,
	CMD_TEMPLATE_OPT_LINKS,
	CMD_TEMPLATE_OPT_REASON,
};

static const char *const cmd_template_status_names[] = {
	[TMPL_APPROVED] = "approved",
	[TMPL_UNDER_REVIEW] = "under-review",
	[TMPL_REJECTED] = "rejected",
};

char *cmd_template_dir(const struct sesctl *ctx)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_appendf(&sb, "%s/templates", ctx->conf->data_dir);
	return strbuf_detach(&sb);
}

const char *cmd_template_status_name(enum tmpl_status status)
{
	return (unsigned)status <= TMPL_REJECTED ? cmd_template_status_names[status] : "unknown";
}

struct tmpl_db *cmd_template_load(const char *dir)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct tmpl_db *db = tmpl_db_load(dir, &diags);
	size_t i;

	for (i = 0; i < diags.n; i++)
		sesctl_err("%s", diags.msgs[i]);
	if (diags.n > 0) {
		tmpl_db_free(db);
		db = NULL;
	}
	diag_free(&diags);
	return db;
}

const struct tmpl *cmd_template_find(const struct tmpl_db *db, const char *arg)
{
	const struct tmpl *t = NULL;
	unsigned long id;

	if (!tmpl_id_parse(arg, &id))
		sesctl_err("\"%s\" is not a template ID (a decimal number from 1)", arg);
	else if ((t = tmpl_by_id(db, id)) == NULL)
		sesctl_err("no template %lu", id);
	return t;
}

/* Prints the findings as "pass|FAIL check: detail"; true when all pass. */
static bool cmd_template_print_review(const struct tmpl *t)
{
	struct tmpl_finding f[TMPL_REVIEW_CHECKS];
	bool all = tmpl_review(t, f);
	size_t i;

	for (i = 0; i < TMPL_REVIEW_CHECKS; i++)
		printf("%s %s: %s\n", f[i].pass ? "pass" : "FAIL", f[i].check, f[i].detail);
	return all;
}

/* tmpl_store_chown_fn: hands what sesctl made to UserID. */
static void cmd_template_chown(void *arg, const char *path)
{
	sesctl_chown_path(arg, path);
}

/*
 * Checks the templates directory with the change (stage, or the removal
 * of the template) and makes it live.  Prints done, reloads ses-milter
 * and, for a staged change, hands the loaded template to review (NULL:
 * no review).  Returns SESCTL_OK or SESCTL_FAIL (nothing changed).
 */
static int cmd_template_commit(struct sesctl *ctx, struct tmpl_store_change *ch, bool remove,
			       bool exists, const char *done, bool review)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct strbuf err = STRBUF_INIT;
	struct tmpl_db *db = NULL;
	size_t i;
	int rc;

	rc = tmpl_store_commit(ch, remove, exists, &db, &diags, &err) == 0 ? SESCTL_OK : SESCTL_FAIL;
	for (i = 0; i < diags.n; i++)
		sesctl_err("%s", diags.msgs[i]);
	diag_free(&diags);
	if (rc != SESCTL_OK)
		sesctl_err("%s", strbuf_cstr(&err));
	if (rc == SESCTL_OK) {
		printf("%s\n", done);
		if (review)
			(void)cmd_template_print_review(tmpl_by_id(db, ch->id));
		if (!ctx->no_reload)
			(void)sesctl_reload(ctx, true); /* the change is made either way */
	}
	tmpl_db_free(db);
	strbuf_free(&err);
	return rc;
}

/* Sets up ch for template id (create: an empty stage); SESCTL_OK or SESCTL_FAIL. */
static int cmd_template_stage(const struct sesctl *ctx, struct tmpl_store_change *ch,
			      unsigned long id, bool create)
{
	struct strbuf err = STRBUF_INIT;
	char *dir = cmd_template_dir(ctx);
	int rc;

	ch->chown = cmd_template_chown;
	ch->chown_arg = (void *)ctx;
	rc = tmpl_store_stage(ch, dir, id, create, &err) == 0 ? SESCTL_OK : SESCTL_FAIL;
	if (rc != SESCTL_OK)
		sesctl_err("%s", strbuf_cstr(&err));
	strbuf_free(&err);
	free(dir);
	return rc;
}

/* Reads a part given on the command line into out. */
static int cmd_template_read_part(const char *opt, const char *path, struct strbuf *out)
{
	const char *why = NULL;
	char buf[8192];
	size_t n;
	FILE *fp = fopen(path, "r");

	if (fp == NULL) {
		sesctl_err("--%s %s: cannot open: %s", opt, path, strerror(errno));
		return SESCTL_FAIL;
	}
	while ((n = fread(buf, 1, sizeof buf, fp)) > 0 && out->len <= TMPL_PART_MAX)
		strbuf_append(out, buf, n);
	if (ferror(fp))
		why = strerror(errno);
	else if (out->len > TMPL_PART_MAX)
		why = "larger than 1048576 bytes";
	else if (out->len == 0)
		why = "empty";
	else if (!utf8_valid(out->data, out->len) || memchr(out->data, '\0', out->len) != NULL)
		why = "not valid UTF-8";
	fclose(fp);
	if (why != NULL)
		sesctl_err("--%s %s: %s", opt, path, why);
	return why == NULL ? SESCTL_OK : SESCTL_FAIL;
}

/* What "template add" was given. */
struct cmd_template_new {
	const char *account, *name, *type, *text, *html;
	bool allow_links;
};

/* Checks the values of "template add" before anything is locked. */
static int cmd_template_check_new(const struct cmd_template_new *n, enum tmpl_type *type)
{
	if (n->account == NULL || n->name == NULL || n->type == NULL ||
	    (n->text == NULL && n->html == NULL))
		return SESCTL_USAGE;
	if (tmpl_type_parse(n->type, type) != 0) {
		sesctl_err("--type must be one of trigger, transactional, notification, "
			   "marketing, not \"%s\"", n->type);
		return SESCTL_FAIL;
	}
	if (!tmpl_store_line_ok(n->name)) {
		sesctl_err("--name must be one line of UTF-8 text without control characters "
			   "or leading or trailing blanks");
		return SESCTL_FAIL;
	}
	return SESCTL_OK;
}

/* Writes the new template's files into the staging directory. */
static int cmd_template_write_new(const struct tmpl_store_change *ch,
				  const struct cmd_template_new *n, enum tmpl_type type,
				  const struct strbuf *text, const struct strbuf *html)
{
	struct tmpl_new tn = { n->account, n->name, type, TMPL_UNDER_REVIEW, n->allow_links,
			       n->text != NULL ? strbuf_cstr(text) : NULL,
			       n->html != NULL ? strbuf_cstr(html) : NULL };
	struct strbuf err = STRBUF_INIT;
	int rc = tmpl_store_write_new(ch, &tn, &err) == 0 ? SESCTL_OK : SESCTL_FAIL;

	if (rc != SESCTL_OK)
		sesctl_err("%s", strbuf_cstr(&err));
	strbuf_free(&err);
	return rc;
}

/* Creates the template n describes under the lock; parts already read. */
static int cmd_template_create(struct sesctl *ctx, const struct cmd_template_new *n,
			       enum tmpl_type type, const struct strbuf *text,
			       const struct strbuf *html)
{
	struct tmpl_store_change ch = { NULL, 0, NULL, NULL, NULL, NULL };
	struct strbuf done = STRBUF_INIT;
	struct tmpl_db *db = NULL;
	struct sesctl_edit ed;
	char *dir = cmd_template_dir(ctx);
	int rc;

	rc = sesctl_edit_begin(ctx, &ed);
	if (rc == SESCTL_OK && account_by_name(ed.db, n->account) == NULL) {
		sesctl_err("no account %s", n->account);
		rc = SESCTL_FAIL;
	}
	if (rc == SESCTL_OK && (db = cmd_template_load(dir)) == NULL) {
		sesctl_err("nothing changed: fix the template data first");
		rc = SESCTL_FAIL;
	}
	if (rc == SESCTL_OK)
		rc = cmd_template_stage(ctx, &ch, tmpl_store_next_id(db), true);
	if (rc == SESCTL_OK)
		rc = cmd_template_write_new(&ch, n, type, text, html);
	if (rc == SESCTL_OK) {
		strbuf_appendf(&done, "template %lu added (under review)", ch.id);
		rc = cmd_template_commit(ctx, &ch, false, false, strbuf_cstr(&done), true);
	}
	tmpl_store_end(&ch);
	tmpl_db_free(db);
	sesctl_edit_end(&ed);
	strbuf_free(&done);
	free(dir);
	return rc;
}

/* sesctl template add --account NAME --name NAME --type TYPE [--text F] [--html F] [--allow-links] */
static int cmd_template_add(struct sesctl *ctx, int argc, char **argv)
{
	static const struct sesctl_opt opts[] = {
		{ "account", true, CMD_TEMPLATE_OPT_ACCOUNT },
		{ "name", true, CMD_TEMPLATE_OPT_NAME },
		{ "type", true, CMD_TEMPLATE_OPT_TYPE },
		{ "text", true, CMD_TEMPLATE_OPT_TEXT },
		{ "html", true, CMD_TEMPLATE_OPT_HTML },
		{ "allow-links", false, CMD_TEMPLATE_OPT_LINKS },
		{ NULL, false, 0 },
	};
	struct cmd_template_new n = { NULL, NULL, NULL, NULL, NULL, false };
	const char **slots[] = { NULL, &n.account, &n.name, &n.type, &n.text, &n.html };
	struct strbuf text = STRBUF_INIT, html = STRBUF_INIT;
	struct sesctl_args args;
	enum tmpl_type type;
	const char *value;
	int opt, rc = SESCTL_OK;

	sesctl_args_init(&args, argc, argv);
	while (rc == SESCTL_OK && (opt = sesctl_args_next(ctx, &args, opts, &value)) != 0) {
		if (opt < 0)
			rc = SESCTL_USAGE;
		else if (opt == CMD_TEMPLATE_OPT_LINKS)
			n.allow_links = true;
		else
			*slots[opt] = value;
	}
	if (rc == SESCTL_OK && args.noperands != 0)
		rc = SESCTL_USAGE;
	if (rc == SESCTL_OK)
		rc = cmd_template_check_new(&n, &type);
	if (rc == SESCTL_OK && n.text != NULL)
		rc = cmd_template_read_part("text", n.text, &text);
	if (rc == SESCTL_OK && n.html != NULL)
		rc = cmd_template_read_part("html", n.html, &html);
	if (rc == SESCTL_OK)
		rc = cmd_template_create(ctx, &n, type, &text, &html);
	strbuf_free(&text);
	strbuf_free(&html);
	sesctl_args_free(&args);
	return rc;
}

/* sesctl template list [--account NAME] */
static int cmd_template_list(struct sesctl *ctx, int argc, char **argv)
{
	static const struct sesctl_opt opts[] = {
		{ "account", true, CMD_TEMPLATE_OPT_ACCOUNT },
		{ NULL, false, 0 },
	};
	const char *account = NULL, *value;
	struct sesctl_args args;
	struct tmpl_db *db;
	char *dir;
	size_t i;
	int opt, rc = SESCTL_OK;

	sesctl_args_init(&args, argc, argv);
	while (rc == SESCTL_OK && (opt = sesctl_args_next(ctx, &args, opts, &value)) != 0)
		if (opt < 0)
			rc = SESCTL_USAGE;
		else
			account = value;
	if (rc == SESCTL_OK && args.noperands != 0)
		rc = SESCTL_USAGE;
	sesctl_args_free(&args);
	if (rc != SESCTL_OK)
		return rc;
	dir = cmd_template_dir(ctx);
	db = cmd_template_load(dir);
	free(dir);
	if (db == NULL)
		return SESCTL_FAIL;
	printf("%-9s %-20s %-13s %-12s %s\n", "ID", "ACCOUNT", "TYPE", "STATUS", "NAME");
	for (i = 0; i < db->n; i++) {
		const struct tmpl *t = db->v[i];

		if (account == NULL || strcmp(account, t->account) == 0)
			printf("%-9lu %-20s %-13s %-12s %s\n", t->id, t->account,
			       tmpl_type_name(t->type), cmd_template_status_name(t->status), t->name);
	}
	tmpl_db_free(db);
	return SESCTL_OK;
}

/* Prints one part of t under a rule naming it. */
static void cmd_template_print_part(const char *label, const char *part)
{
	size_t len;

	if (part == NULL)
		return;
	len = strlen(part);
	printf("--- %s ---\n%s%s", label, part, len > 0 && part[len - 1] == '\n' ? "" : "\n");
}

/* Prints everything about t. */
static void cmd_template_print(const struct tmpl *t)
{
	size_t i;

	printf("%-12s %lu\n", "ID", t->id);
	printf("%-12s %s\n", "Account", t->account);
	printf("%-12s %s\n", "Name", t->name);
	printf("%-12s %s\n", "Type", tmpl_type_name(t->type));
	printf("%-12s %d (%s)\n", "Status", (int)t->status, cmd_template_status_name(t->status));
	if (*t->reason != '\0')
		printf("%-12s %s\n", "Reason", t->reason);
	printf("%-12s %s\n", "AllowLinks", t->allow_links ? "yes" : "no");
	printf("%-12s ", "Variables");
	if (t->nvars == 0)
		printf("-");
	for (i = 0; i < t->nvars; i++)
		printf("%s%s", i > 0 ? ", " : "", t->vars[i]);
	printf("\n%-12s %s%s%s\n", "Parts", t->text != NULL ? "text" : "",
	       t->text != NULL && t->html != NULL ? ", " : "", t->html != NULL ? "html" : "");
	cmd_template_print_part("text", t->text);
	cmd_template_print_part("html", t->html);
}

/* Loads the templates for "template show|check ID"; prints why not. */
static int cmd_template_lookup(struct sesctl *ctx, int argc, char **argv, struct tmpl_db **db,
			       const struct tmpl **t)
{
	struct sesctl_args args;
	char *dir;
	int rc;

	*db = NULL;
	rc = sesctl_args_operands(ctx, &args, argc, argv, 1);
	if (rc == SESCTL_OK) {
		dir = cmd_template_dir(ctx);
		*db = cmd_template_load(dir);
		free(dir);
	}
	if (rc == SESCTL_OK && (*db == NULL || (*t = cmd_template_find(*db, args.operands[0])) == NULL))
		rc = SESCTL_FAIL;
	sesctl_args_free(&args);
	return rc;
}

/* sesctl template show ID */
static int cmd_template_show(struct sesctl *ctx, int argc, char **argv)
{
	const struct tmpl *t;
	struct tmpl_db *db;
	int rc = cmd_template_lookup(ctx, argc, argv, &db, &t);

	if (rc == SESCTL_OK)
		cmd_template_print(t);
	tmpl_db_free(db);
	return rc;
}

/* sesctl template check ID: exit 0 when every check passes, 1 otherwise. */
static int cmd_template_check(struct sesctl *ctx, int argc, char **argv)
{
	const struct tmpl *t;
	struct tmpl_db *db;
	int rc = cmd_template_lookup(ctx, argc, argv, &db, &t);

	if (rc == SESCTL_OK && !cmd_template_print_review(t))
		rc = SESCTL_FAIL;
	tmpl_db_free(db);
	return rc;
}

/* Warns when t fails the automatic review, naming the failed checks. */
static void cmd_template_warn_review(const struct tmpl *t)
{
	struct tmpl_finding f[TMPL_REVIEW_CHECKS];
	struct strbuf failed = STRBUF_INIT;
	size_t i;

	if (tmpl_review(t, f))
		return;
	for (i = 0; i < TMPL_REVIEW_CHECKS; i++)
		if (!f[i].pass)
			strbuf_appendf(&failed, "%s%s: %s", failed.len > 0 ? "; " : "", f[i].check,
				       f[i].detail);
	sesctl_err("warning: template %lu fails the automatic review: %s", t->id,
		   strbuf_cstr(&failed));
	strbuf_free(&failed);
}

/* Stages t with the meta file df and its parts as they are. */
static int cmd_template_write_edit(const struct tmpl_store_change *ch, const struct datafile *df,
				   const struct tmpl *t)
{
	struct strbuf meta = STRBUF_INIT, err = STRBUF_INIT;
	int rc;
	size_t i;

	for (i = 0; i < df->n; i++)
		strbuf_appendf(&meta, "%s\n", df->lines[i]);
	rc = tmpl_store_write(ch, "template", meta.data, meta.len, &err);
	if (rc == 0 && t->text != NULL)
		rc = tmpl_store_write(ch, "text", t->text, strlen(t->text), &err);
	if (rc == 0 && t->html != NULL)
		rc = tmpl_store_write(ch, "html", t->html, strlen(t->html), &err);
	if (rc != 0)
		sesctl_err("%s", strbuf_cstr(&err));
	strbuf_free(&meta);
	strbuf_free(&err);
	return rc == 0 ? SESCTL_OK : SESCTL_FAIL;
}

/* Loads the templates under the lock and finds arg; SESCTL_OK or SESCTL_FAIL. */
static int cmd_template_edit_find(struct sesctl *ctx, struct sesctl_edit *ed, const char *arg,
				  struct tmpl_db **db, const struct tmpl **t)
{
	char *dir = cmd_template_dir(ctx);
	int rc;

	*db = NULL;
	rc = sesctl_edit_begin(ctx, ed);
	if (rc == SESCTL_OK && (*db = cmd_template_load(dir)) == NULL)
		sesctl_err("nothing changed: fix the template data first");
	if (rc == SESCTL_OK && (*db == NULL || (*t = cmd_template_find(*db, arg)) == NULL))
		rc = SESCTL_FAIL;
	free(dir);
	return rc;
}

/* Sets Status and Reason (NULL: removed) in the meta file of t, staged in ch. */
static int cmd_template_stage_status(const struct sesctl *ctx, struct tmpl_store_change *ch,
				     const struct tmpl *t, enum tmpl_status status,
				     const char *reason)
{
	struct strbuf path = STRBUF_INIT, err = STRBUF_INIT;
	struct datafile df;
	char num[8];
	int rc = SESCTL_OK;

	strbuf_appendf(&path, "%s/template", ch->live);
	if (datafile_read(&df, strbuf_cstr(&path), false, &err) != 0) {
		sesctl_err("%s", strbuf_cstr(&err));
		rc = SESCTL_FAIL;
	} else {
		(void)snprintf(num, sizeof num, "%d", (int)status);
		datafile_set(&df, "Status", num);
		if (reason != NULL)
			datafile_set(&df, "Reason", reason);
		else
			(void)datafile_remove(&df, "Reason", NULL, NULL);
		rc = cmd_template_write_edit(ch, &df, t);
	}
	datafile_free(&df);
	strbuf_free(&path);
	strbuf_free(&err);
	return rc;
}

/* Sets the Status (and Reason) of template arg under the lock. */
static int cmd_template_set_status(struct sesctl *ctx, const char *arg, enum tmpl_status status,
				   const char *reason)
{
	struct tmpl_store_change ch = { NULL, 0, NULL, NULL, NULL, NULL };
	struct strbuf done = STRBUF_INIT;
	const struct tmpl *t = NULL;
	struct tmpl_db *db = NULL;
	struct sesctl_edit ed;
	int rc;

	rc = cmd_template_edit_find(ctx, &ed, arg, &db, &t);
	if (rc == SESCTL_OK)
		rc = cmd_template_stage(ctx, &ch, t->id, true);
	if (rc == SESCTL_OK) {
		if (status == TMPL_APPROVED)
			cmd_template_warn_review(t);
		rc = cmd_template_stage_status(ctx, &ch, t, status, reason);
	}
	if (rc == SESCTL_OK) {
		strbuf_appendf(&done, "template %lu %s", t->id,
			       status == TMPL_APPROVED ? "approved" : "rejected");
		rc = cmd_template_commit(ctx, &ch, false, true, strbuf_cstr(&done), false);
	}
	tmpl_store_end(&ch);
	tmpl_db_free(db);
	sesctl_edit_end(&ed);
	strbuf_free(&done);
	return rc;
}

/* sesctl template approve ID */
static int cmd_template_approve(struct sesctl *ctx, int argc, char **argv)
{
	struct sesctl_args args;
	int rc = sesctl_args_operands(ctx, &args, argc, argv, 1);

	if (rc == SESCTL_OK)
		rc = cmd_template_set_status(ctx, args.operands[0], TMPL_APPROVED, NULL);
	sesctl_args_free(&args);
	return rc;
}

/* sesctl template reject ID --reason TEXT */
static int cmd_template_reject(struct sesctl *ctx, int argc, char **argv)
{
	static const struct sesctl_opt opts[] = {
		{ "reason", true, CMD_TEMPLATE_OPT_REASON },
		{ NULL, false, 0 },
	};
	const char *reason = NULL, *value;
	struct sesctl_args args;
	int opt, rc = SESCTL_OK;

	sesctl_args_init(&args, argc, argv);
	while (rc == SESCTL_OK && (opt = sesctl_args_next(ctx, &args, opts, &value)) != 0)
		if (opt < 0)
			rc = SESCTL_USAGE;
		else
			reason = value;
	if (rc == SESCTL_OK && (args.noperands != 1 || reason == NULL))
		rc = SESCTL_USAGE;
	if (rc == SESCTL_OK && !tmpl_store_line_ok(reason)) {
		sesctl_err("--reason must be one line of UTF-8 text without control characters "
			   "or leading or trailing blanks");
		rc = SESCTL_FAIL;
	}
	if (rc == SESCTL_OK)
		rc = cmd_template_set_status(ctx, args.operands[0], TMPL_REJECTED, reason);
	sesctl_args_free(&args);
	return rc;
}

/* sesctl template del ID */
static int cmd_template_del(struct sesctl *ctx, int argc, char **argv)
{
	struct tmpl_store_change ch = { NULL, 0, NULL, NULL, NULL, NULL };
	struct strbuf done = STRBUF_INIT;
	const struct tmpl *t = NULL;
	struct tmpl_db *db = NULL;
	struct sesctl_args args;
	struct sesctl_edit ed;
	int rc;

	rc = sesctl_args_operands(ctx, &args, argc, argv, 1);
	if (rc != SESCTL_OK) {
		sesctl_args_free(&args);
		return rc;
	}
	rc = cmd_template_edit_find(ctx, &ed, args.operands[0], &db, &t);
	if (rc == SESCTL_OK)
		rc = cmd_template_stage(ctx, &ch, t->id, false);
	if (rc == SESCTL_OK) {
		strbuf_appendf(&done, "template %lu deleted", t->id);
		rc = cmd_template_commit(ctx, &ch, true, true, strbuf_cstr(&done), false);
	}
	tmpl_store_end(&ch);
	tmpl_db_free(db);
	sesctl_edit_end(&ed);
	strbuf_free(&done);
	sesctl_args_free(&args);
	return rc;
}

static const struct sesctl_sub cmd_template_subs[] = {
	{ "add", cmd_template_add,
	  "template add --account NAME --name NAME --type TYPE [--text FILE] [--html FILE] "
	  "[--allow-links]" },
	{ "list", cmd_template_list, "template list [--account NAME]" },
	{ "show", cmd_template_show, "template show ID" },
	{ "check", cmd_template_check, "template check ID" },
	{ "approve", cmd_template_approve, "template approve ID" },
	{ "reject", cmd_template_reject, "template reject ID --reason TEXT" },
	{ "del", cmd_template_del, "template del ID" },
	{ "render", sesctl_cmd_template_render, "template render ID --data JSON" },
	{ NULL, NULL, NULL },
};

/* sesctl template SUBCOMMAND ... */
int sesctl_cmd_template(struct sesctl *ctx, int argc, char **argv)
{
	return sesctl_run_sub(ctx, cmd_template_subs, argc, argv);
}
