/*
 * api_lookup - templates and identities of the key's account (see
 * api_lookup.h).
 */
#include "autoconf.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api_lookup.h"
#include "domain_check.h"
#include "template.h"

/* The account's template named by TemplateID, or NULL with err set. */
static const struct tmpl *api_own_template(const struct api_ctx *c, json_t *req,
					   struct api_error *err)
{
	unsigned long long id = 0;
	const struct tmpl *t;
	int rc = api_get_uint(req, "TemplateID", &id, err);

	if (rc < 0)
		return NULL;
	if (rc == 0) {
		api_fail(err, "MissingParameter", "TemplateID is required");
		return NULL;
	}
	t = id <= TMPL_ID_MAX ? tmpl_by_id(c->snap->templates, (unsigned long)id) : NULL;
	if (t == NULL || strcmp(t->account, c->acct->name) != 0) {
		api_fail(err, "ResourceNotFound", "no template %llu", id);
		return NULL;
	}
	return t;
}

/* s in base64, or "" for NULL. */
static json_t *api_b64_json(const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;
	unsigned char *buf = malloc(4 * ((n + 2) / 3) + 1);
	json_t *j;

	if (buf == NULL)
		return json_string("");
	EVP_EncodeBlock(buf, (const unsigned char *)(s != NULL ? s : ""), (int)n);
	j = json_string((char *)buf);
	free(buf);
	return j;
}

int api_get_template(const struct api_ctx *c, const char *body, size_t len, json_t **out,
		     struct api_error *err)
{
	json_t *req = api_parse_body(body, len, err);
	const struct tmpl *t;

	if (req == NULL)
		return -1;
	t = api_own_template(c, req, err);
	json_decref(req);
	if (t == NULL)
		return -1;
	*out = json_pack("{s:{s:o,s:o},s:i,s:s,s:s}", "TemplateContent", "Html",
			 api_b64_json(t->html), "Text", api_b64_json(t->text), "TemplateStatus",
			 (int)t->status, "TemplateName", t->name, "ReviewReason", t->reason);
	return *out != NULL ? 0 : api_fail(err, "InternalError", "template %lu", t->id);
}

int api_list_templates(const struct api_ctx *c, const char *body, size_t len, json_t **out,
		       struct api_error *err)
{
	json_t *req = api_parse_body(body, len, err), *list;
	size_t offset, limit, total = 0, i;

	if (req == NULL)
		return -1;
	if (api_get_page(req, &offset, &limit, err) != 0) {
		json_decref(req);
		return -1;
	}
	list = json_array();
	for (i = 0; i < c->snap->templates->n; i++) {
		const struct tmpl *t = c->snap->templates->v[i];

		if (strcmp(t->account, c->acct->name) != 0)
			continue;
		if (total++ < offset || json_array_size(list) >= limit)
			continue;
		json_array_append_new(list,
				      json_pack("{s:I,s:s,s:i,s:s,s:I}", "TemplateID",
						(json_int_t)t->id, "TemplatesName", t->name,
						"TemplateStatus", (int)t->status, "ReviewReason",
						t->reason, "CreatedTimestamp", (json_int_t)0));
	}
	*out = json_pack("{s:o,s:I}", "TemplatesMetadata", list, "TotalCount", (json_int_t)total);
	json_decref(req);
	return 0;
}

int api_list_identities(const struct api_ctx *c, const char *body, size_t len, json_t **out,
			struct api_error *err)
{
	json_t *req = api_parse_body(body, len, err), *list;
	size_t i;

	if (req == NULL)
		return -1;
	list = json_array();
	for (i = 0; i < c->acct->ndomains; i++)
		json_array_append_new(
			list, json_pack("{s:s,s:s,s:b,s:I}", "IdentityName",
					c->acct->domains[i].name, "IdentityType", "DOMAIN",
					"SendingEnabled", c->acct->domains[i].verified,
					"CurrentReputationLevel", (json_int_t)c->acct->level));
	*out = json_pack("{s:o}", "EmailIdentities", list);
	json_decref(req);
	return 0;
}

int api_get_identity(const struct api_ctx *c, const char *body, size_t len, json_t **out,
		     struct api_error *err)
{
	struct domain_check_records recs;
	struct strbuf why = STRBUF_INIT;
	const struct account_domain *d;
	json_t *req = api_parse_body(body, len, err), *attrs;
	const char *name = NULL;
	size_t i;
	int rc;

	if (req == NULL)
		return -1;
	rc = api_get_string(req, "EmailIdentity", &name, err);
	if (rc == 0)
		rc = api_fail(err, "MissingParameter", "EmailIdentity is required");
	d = rc > 0 ? account_domain(c->acct, name) : NULL;
	if (rc > 0 && d == NULL)
		rc = api_fail(err, "ResourceNotFound", "no sender domain %.200s", name);
	if (rc < 0) {
		json_decref(req);
		return -1;
	}
	if (domain_check_build(c->snap->conf, c->snap->keys, d->name, &recs, &why) != 0) {
		rc = api_fail(err, "FailedOperation", "%s", strbuf_cstr(&why));
	} else {
		attrs = json_array();
		for (i = 0; i < recs.n; i++)
			json_array_append_new(attrs,
					      json_pack("{s:s,s:s,s:s,s:s,s:b}", "Type",
							domain_check_type_name(recs.v[i].kind),
							"SendField", recs.v[i].name,
							"ExpectedValue", recs.v[i].value,
							"CurrentValue", "", "Status", d->verified));
		*out = json_pack("{s:s,s:b,s:o}", "IdentityType", "DOMAIN",
				 "VerifiedForSendingStatus", d->verified, "Attributes", attrs);
		rc = 0;
	}
	domain_check_free(&recs);
	strbuf_free(&why);
	json_decref(req);
	return rc;
}
