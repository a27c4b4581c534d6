/*
 * cmd_template_render - "sesctl template render ID --data JSON": prints
 * the MIME message ses-milter would make of the template with that data
 * (the same renderer and MIME builder as policy/engine/rules/rule_template.c): the
 * headers it sets (MIME-Version, Content-Type, Content-Transfer-Encoding
 * when there is one), a blank line and the body, CRLF line ends.
 *
 * Diagnostics: the error name the milter would reply with and why, e.g.
 * "InvalidParameterValue.TemplateNotMatchData: missing: \"name\"",
 * "InvalidParameterValue.TemplateDataError: ...",
 * "InvalidParameterValue.TemplateDataLenLimit: ..."; a note on stderr when
 * the template is not approved (the milter refuses it:
 * OperationDenied.TemplateStatusError).
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_template.h"
#include "mime_build.h"
#include "tmpl_render.h"

enum {
	CMD_RENDER_OPT_DATA = 1,
};

/* The error name the milter gives for a rendering status. */
static const char *cmd_render_error(enum tmpl_render_status st)
{
	switch (st) {
	case TMPL_DATA_TOO_LONG:
		return "InvalidParameterValue.TemplateDataLenLimit";
	case TMPL_DATA_NOT_JSON:
		return "InvalidParameterValue.TemplateDataError";
	case TMPL_DATA_NOT_MATCH:
		return "InvalidParameterValue.TemplateNotMatchData";
	case TMPL_RENDER_OK:
		break;
	}
	return "ok";
}

/* Prints the message ses-milter would make of t with data. */
static int cmd_render_print(const struct tmpl *t, const char *data)
{
	struct strbuf why = STRBUF_INIT, text = STRBUF_INIT, html = STRBUF_INIT;
	struct tmpl_data td = { NULL, NULL, 0 };
	enum tmpl_render_status st;
	struct mime_built b;
	int rc = SESCTL_OK;

	memset(&b, 0, sizeof b);
	st = tmpl_data_parse(data, strlen(data), &td, &why);
	/* each recipient gets its own link; show where it goes */
	if (st == TMPL_RENDER_OK && tmpl_uses_var(t, TMPL_VAR_UNSUBSCRIBE))
		tmpl_data_set(&td, TMPL_VAR_UNSUBSCRIBE, "https://unsubscribe.invalid/u-RECIPIENT-TOKEN");
	if (st == TMPL_RENDER_OK)
		st = tmpl_render(t, &td, &text, &html, &why);
	if (st != TMPL_RENDER_OK) {
		sesctl_err("%s: %s", cmd_render_error(st), strbuf_cstr(&why));
		rc = SESCTL_FAIL;
	} else if (mime_build(text.len ? text.data : NULL, html.len ? html.data : NULL, NULL, 0,
			      &b) != 0) {
		sesctl_err("cannot build the MIME message");
		rc = SESCTL_FAIL;
	} else {
		printf("MIME-Version: 1.0\r\nContent-Type: %s\r\n", strbuf_cstr(&b.content_type));
		if (b.transfer_encoding.len > 0)
			printf("Content-Transfer-Encoding: %s\r\n",
			       strbuf_cstr(&b.transfer_encoding));
		fputs("\r\n", stdout);
		fwrite(b.body.data, 1, b.body.len, stdout);
	}
	mime_built_free(&b);
	tmpl_data_free(&td);
	strbuf_free(&why);
	strbuf_free(&text);
	strbuf_free(&html);
	return rc;
}

/* sesctl template render ID --data JSON */
int sesctl_cmd_template_render(struct sesctl *ctx, int argc, char **argv)
{
	static const struct sesctl_opt opts[] = {
		{ "data", true, CMD_RENDER_OPT_DATA },
		{ NULL, false, 0 },
	};
	const char *data = NULL, *value;
	const struct tmpl *t = NULL;
	struct tmpl_db *db = NULL;
	struct sesctl_args args;
	char *dir;
	int opt, rc = SESCTL_OK;

	sesctl_args_init(&args, argc, argv);
	while (rc == SESCTL_OK && (opt = sesctl_args_next(ctx, &args, opts, &value)) != 0)
		if (opt < 0)
			rc = SESCTL_USAGE;
		else
			data = value;
	if (rc == SESCTL_OK && (args.noperands != 1 || data == NULL))
		rc = SESCTL_USAGE;
	if (rc == SESCTL_OK) {
		dir = cmd_template_dir(ctx);
		db = cmd_template_load(dir);
		free(dir);
		if (db == NULL || (t = cmd_template_find(db, args.operands[0])) == NULL)
			rc = SESCTL_FAIL;
	}
	if (rc == SESCTL_OK && t->status != TMPL_APPROVED)
		sesctl_err("note: template %lu is %s: ses-milter refuses it "
			   "(OperationDenied.TemplateStatusError)", t->id,
			   cmd_template_status_name(t->status));
	if (rc == SESCTL_OK)
		rc = cmd_render_print(t, data);
	tmpl_db_free(db);
	sesctl_args_free(&args);
	return rc;
}
