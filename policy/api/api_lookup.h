/*
 * api_lookup - the SES actions that read the operator's data in the
 * snapshot: the account's templates and sender domains (identities).
 *
 *   GetEmailTemplate     one template of the account (content base64)
 *   ListEmailTemplates   the account's templates, by ID
 *   ListEmailIdentities  the account's sender domains
 *   GetEmailIdentity     one domain and the records it must publish
 *                        (domain_check_build, as "sesctl domain show")
 *
 * A template or domain of another account is as unknown as a missing one.
 */
#ifndef SES_API_LOOKUP_H
#define SES_API_LOOKUP_H

#include "api_actions.h"

api_action_fn api_get_template;
api_action_fn api_list_templates;
api_action_fn api_list_identities;
api_action_fn api_get_identity;

/* api_templates.c: changes, made as sesctl makes them (tmpl_store.h). */
api_action_fn api_create_template;
api_action_fn api_update_template;
api_action_fn api_delete_template;

#endif
