/*
 * api_actions - the table of SES actions (see api_actions.h).
 */
#include "autoconf.h"

#include <string.h>

#include "api_actions.h"

static const struct api_action api_actions[] = {
	{ NULL, NULL },
};

const struct api_action *api_action_find(const char *name)
{
	const struct api_action *a;

	for (a = api_actions; a->name != NULL; a++)
		if (strcmp(a->name, name) == 0)
			return a;
	return NULL;
}
