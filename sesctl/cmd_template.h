/*
 * cmd_template - what the "sesctl template" commands share:
 * cmd_template.c (add, list, show, check, approve, reject, del) and
 * cmd_template_render.c (render).
 */
#ifndef SES_CMD_TEMPLATE_H
#define SES_CMD_TEMPLATE_H

#include "sesctl.h"
#include "template.h"

/* DataDir/templates.  Caller frees. */
char *cmd_template_dir(const struct sesctl *ctx);

/* Loads dir, printing the loader's diagnostics; NULL on any problem. */
struct tmpl_db *cmd_template_load(const char *dir);

/* The template the argument names, or NULL after printing why. */
const struct tmpl *cmd_template_find(const struct tmpl_db *db, const char *arg);

/* "approved", "under-review" or "rejected". */
const char *cmd_template_status_name(enum tmpl_status status);

/* "template render ID --data JSON" (cmd_template_render.c). */
sesctl_cmd_fn sesctl_cmd_template_render;

#endif
