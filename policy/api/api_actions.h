/*
 * api_actions - the SES actions of the HTTP API other than SendEmail
 * (which needs the MTA and lives in milter/api_http.c): each parses its
 * body (api_req.h), calls the same policy code as sesctl and fills the
 * fields of its answer.
 */
#ifndef SES_API_ACTIONS_H
#define SES_API_ACTIONS_H

#include <jansson.h>
#include <time.h>

#include "account.h"
#include "api_req.h"
#include "snapshot.h"

/* Who asks, with what: the snapshot in force and the key's account. */
struct api_ctx {
	const struct policy_snapshot *snap;
	const struct account *acct;
	time_t now;
};

/* An action: 0 with *out (a JSON object, owned by the caller), or -1 with err. */
typedef int api_action_fn(const struct api_ctx *c, const char *body, size_t len, json_t **out,
			  struct api_error *err);

struct api_action {
	const char *name;
	api_action_fn *fn;
	bool changes; /* a replayed request would change something again: refused */
	bool reloads; /* changes operator data: the daemon reloads after success */
};

/* Offset and Limit (1..100, default 100) of a listing; -1 with err set when bad. */
int api_get_page(json_t *body, size_t *offset, size_t *limit, struct api_error *err);

/* The action called name, or NULL. */
const struct api_action *api_action_find(const char *name);

#endif
