/*
 * api_templates - the SES actions that change templates, made as "sesctl
 * template add|del" makes them (tmpl_store.h: staged, checked, renamed
 * into place under the account directory's lock):
 *
 *   CreateEmailTemplate  TemplateName, TemplateContent{Html, Text} in
 *                        base64: a new transactional template of the
 *                        account, under review (the operator approves)
 *   UpdateEmailTemplate  TemplateID, TemplateName, TemplateContent: the
 *                        account's template replaced, under review again
 *   DeleteEmailTemplate  TemplateID: the account's template removed
 *
 * The daemon reloads after each change (api_action.reloads).
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api_lookup.h"
#include "rfc2047.h"
#include "tmpl_store.h"

/* Decodes TemplateContent.NAME (base64 of UTF-8) into *out; 0 absent, 1, -1. */
static int api_tmpl_part(json_t *content, const char *name, char **out, struct api_error *err)
{
	const char *s;
	size_t len;
	int rc = api_get_string(content, name, &s, err);

	*out = NULL;
	if (rc <= 0)
		return rc;
	*out = (char *)api_base64_decode(s, &len);
	if (*out == NULL)
		return api_fail(err, "InvalidParameterValue", "TemplateContent.%s is not base64",
				name);
	if (len == 0 || len > TMPL_PART_MAX || memchr(*out, '\0', len) != NULL ||
	    !utf8_valid(*out, len))
		return api_fail(err, "InvalidParameterValue",
				"TemplateContent.%s must be 1 to %d bytes of UTF-8", name,
				TMPL_PART_MAX);
	return 1;
}

/* Reads TemplateName and TemplateContent into n (parts allocated in text, html). */
static int api_tmpl_fields(const struct api_ctx *c, json_t *req, struct tmpl_new *n, char **text,
			   char **html, struct api_error *err)
{
	json_t *content = json_object_get(req, "TemplateContent");
	const char *name;

	*text = *html = NULL;
	if (api_get_string(req, "TemplateName", &name, err) < 0)
		return -1;
	if (name == NULL)
		return api_fail(err, "MissingParameter", "TemplateName is required");
	if (!tmpl_store_line_ok(name) || strlen(name) > 200)
		return api_fail(err, "InvalidParameterValue",
				"TemplateName must be one line of text without control characters");
	if (content == NULL || !json_is_object(content))
		return api_fail(err, content == NULL ? "MissingParameter" : "InvalidParameterValue",
				"TemplateContent must be an object with Html and/or Text");
	if (api_tmpl_part(content, "Text", text, err) < 0 ||
	    api_tmpl_part(content, "Html", html, err) < 0)
		return -1;
	if (*text == NULL && *html == NULL)
		return api_fail(err, "MissingParameter", "TemplateContent needs Html or Text");
	*n = (struct tmpl_new){ c->acct->name, name, TMPL_TRANSACTIONAL, TMPL_UNDER_REVIEW, false,
				*text,	       *html };
	return 0;
}

/* The data directory's DIR/NAME. */
static char *api_data_path(const struct api_ctx *c, const char *name)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_appendf(&sb, "%s/%s", c->snap->conf->data_dir, name);
	return strbuf_detach(&sb);
}

/*
 * Makes one change under the lock: id 0 creates (its ID in *id), n NULL
 * removes.  The account must own an existing template.
 */
static int api_tmpl_change(const struct api_ctx *c, unsigned long *id, const struct tmpl_new *n,
			   struct api_error *err)
{
	struct tmpl_store_change ch = { NULL, 0, NULL, NULL, NULL, NULL };
	struct diag_list diags = DIAG_LIST_INIT;
	struct strbuf why = STRBUF_INIT;
	char *accounts = api_data_path(c, "accounts"), *dir = api_data_path(c, "templates");
	struct tmpl_db *db = NULL;
	const struct tmpl *t = NULL;
	int lock, rc = -1;

	lock = tmpl_store_lock(accounts, &why);
	if (lock >= 0)
		db = tmpl_db_load(dir, &diags);
	if (db != NULL && *id != 0)
		t = tmpl_by_id(db, *id);
	if (lock < 0 || db == NULL || diags.n > 0)
		api_fail(err, "FailedOperation.ServiceNotAvailable",
			 "templates cannot be changed now");
	else if (*id != 0 && (t == NULL || strcmp(t->account, c->acct->name) != 0))
		api_fail(err, "ResourceNotFound", "no template %lu", *id);
	else if (tmpl_store_stage(&ch, dir, *id != 0 ? *id : tmpl_store_next_id(db), n != NULL,
				  &why) != 0 ||
		 (n != NULL && tmpl_store_write_new(&ch, n, &why) != 0) ||
		 tmpl_store_commit(&ch, n == NULL, *id != 0, NULL, &diags, &why) != 0)
		api_fail(err, "FailedOperation", "%s%s%s", strbuf_cstr(&why),
			 diags.n > 0 ? ": " : "", diags.n > 0 ? diags.msgs[0] : "");
	else
		rc = 0;
	if (rc == 0)
		*id = ch.id;
	tmpl_store_end(&ch);
	tmpl_db_free(db);
	diag_free(&diags);
	if (lock >= 0)
		close(lock);
	strbuf_free(&why);
	free(accounts);
	free(dir);
	return rc;
}

/* CreateEmailTemplate and UpdateEmailTemplate: update when the body names a TemplateID. */
static int api_tmpl_put(const struct api_ctx *c, const char *body, size_t len, json_t **out,
			struct api_error *err, bool update)
{
	json_t *req = api_parse_body(body, len, err);
	unsigned long long want = 0;
	unsigned long id = 0;
	struct tmpl_new n;
	char *text = NULL, *html = NULL;
	int rc = -1;

	if (req == NULL)
		return -1;
	if (update && api_get_uint(req, "TemplateID", &want, err) <= 0)
		rc = err->code[0] != '\0'
			     ? -1
			     : api_fail(err, "MissingParameter", "TemplateID is required");
	else if (want > TMPL_ID_MAX)
		rc = api_fail(err, "ResourceNotFound", "no template %llu", want);
	else if (api_tmpl_fields(c, req, &n, &text, &html, err) == 0) {
		id = (unsigned long)want;
		rc = api_tmpl_change(c, &id, &n, err);
	}
	if (rc == 0)
		*out = update ? json_object() : json_pack("{s:I}", "TemplateID", (json_int_t)id);
	free(text);
	free(html);
	json_decref(req);
	return rc;
}

int api_create_template(const struct api_ctx *c, const char *body, size_t len, json_t **out,
			struct api_error *err)
{
	return api_tmpl_put(c, body, len, out, err, false);
}

int api_update_template(const struct api_ctx *c, const char *body, size_t len, json_t **out,
			struct api_error *err)
{
	return api_tmpl_put(c, body, len, out, err, true);
}

int api_delete_template(const struct api_ctx *c, const char *body, size_t len, json_t **out,
			struct api_error *err)
{
	json_t *req = api_parse_body(body, len, err);
	unsigned long long want = 0;
	unsigned long id;
	int rc;

	if (req == NULL)
		return -1;
	rc = api_get_uint(req, "TemplateID", &want, err);
	json_decref(req);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return api_fail(err, "MissingParameter", "TemplateID is required");
	if (want == 0 || want > TMPL_ID_MAX)
		return api_fail(err, "ResourceNotFound", "no template %llu", want);
	id = (unsigned long)want;
	if (api_tmpl_change(c, &id, NULL, err) != 0)
		return -1;
	*out = json_object();
	return 0;
}
