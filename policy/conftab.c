/*
 * conftab - generic table-driven configuration values; see conftab.h.
 *
 * Diagnostics: conftab_set explains a bad value in one phrase
 * ("must be between 1 and 998"), the caller adds file and line.
 */
#include "autoconf.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conftab.h"

#define FIELD(base, key, type) ((type *)((char *)(base) + (key)->offset))
#define CFIELD(base, key, type) ((const type *)((const char *)(base) + (key)->offset))

const struct conf_key *conftab_find(const struct conf_key *table, const char *name)
{
	for (; table->name != NULL; table++)
		if (strcasecmp(table->name, name) == 0)
			return table;
	return NULL;
}

bool conftab_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1", NULL };
	static const char *const no[] = { "no", "false", "off", "0", NULL };
	int i;

	for (i = 0; yes[i] != NULL; i++)
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return true;
		}
	for (i = 0; no[i] != NULL; i++)
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return true;
		}
	return false;
}

/* Parses a decimal (or octal) number with an optional K/M/G suffix. */
static int conftab_number(const char *s, int base, bool suffixes, long long *out)
{
	char *end;
	long long v, mult = 1;

	if (*s == '\0' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoll(s, &end, base);
	if (errno != 0 || end == s)
		return -1;
	if (suffixes && *end != '\0' && end[1] == '\0') {
		switch (toupper((unsigned char)*end)) {
		case 'K':
			mult = 1024LL;
			break;
		case 'M':
			mult = 1024LL * 1024;
			break;
		case 'G':
			mult = 1024LL * 1024 * 1024;
			break;
		default:
			return -1;
		}
		end++;
	}
	if (*end != '\0')
		return -1;
	if (v > (1LL << 62) / mult || v < -((1LL << 62) / mult))
		return -1;	/* the multiplication would overflow */
	*out = v * mult;
	return 0;
}

int conftab_set(const struct conf_key *key, void *base, const char *value,
		char *err, size_t errlen)
{
	long long n;
	bool b;
	int i;
	char *copy;

	switch (key->type) {
	case CONF_STRING:
		copy = strdup(value);
		if (copy == NULL)
			abort();
		free(*FIELD(base, key, char *));
		*FIELD(base, key, char *) = copy;
		return 0;
	case CONF_BOOL:
		if (!conftab_parse_bool(value, &b)) {
			snprintf(err, errlen, "%s must be yes or no, not \"%s\"", key->name, value);
			return -1;
		}
		*FIELD(base, key, bool) = b;
		return 0;
	case CONF_ENUM:
		for (i = 0; key->choices[i] != NULL; i++)
			if (strcasecmp(value, key->choices[i]) == 0) {
				*FIELD(base, key, int) = i;
				return 0;
			}
		snprintf(err, errlen, "%s must be one of", key->name);
		for (i = 0; key->choices[i] != NULL; i++) {
			size_t len = strlen(err);

			snprintf(err + len, errlen - len, "%s %s", i ? "," : "", key->choices[i]);
		}
		return -1;
	case CONF_INT:
	case CONF_SIZE:
	case CONF_MODE:
		if (conftab_number(value, key->type == CONF_MODE ? 8 : 10,
				   key->type == CONF_SIZE, &n) != 0) {
			snprintf(err, errlen, "%s: \"%s\" is not %s", key->name, value,
				 key->type == CONF_MODE ? "an octal mode" :
				 key->type == CONF_SIZE ? "a size (bytes, or with K, M, G)" : "a number");
			return -1;
		}
		if (n < key->min || n > key->max) {
			if (key->type == CONF_MODE)
				snprintf(err, errlen, "%s must be between %llo and %llo", key->name,
					 key->min, key->max);
			else
				snprintf(err, errlen, "%s must be between %lld and %lld", key->name,
					 key->min, key->max);
			return -1;
		}
		*FIELD(base, key, long long) = n;
		return 0;
	}
	snprintf(err, errlen, "%s: unknown type", key->name);
	return -1;
}

void conftab_defaults(const struct conf_key *table, void *base)
{
	char err[256];

	for (; table->name != NULL; table++)
		if (conftab_set(table, base, table->def, err, sizeof err) != 0)
			abort();	/* a bad default is a programming error */
}

void conftab_free(const struct conf_key *table, void *base)
{
	for (; table->name != NULL; table++)
		if (table->type == CONF_STRING) {
			free(*FIELD(base, table, char *));
			*FIELD(base, table, char *) = NULL;
		}
}

void conftab_format(const struct conf_key *key, const void *base, struct strbuf *out)
{
	const char *s;

	strbuf_appendf(out, "%-22s ", key->name);
	switch (key->type) {
	case CONF_STRING:
		s = *CFIELD(base, key, char *);
		strbuf_appends(out, s != NULL ? s : "");
		break;
	case CONF_BOOL:
		strbuf_appends(out, *CFIELD(base, key, bool) ? "yes" : "no");
		break;
	case CONF_ENUM:
		strbuf_appends(out, key->choices[*CFIELD(base, key, int)]);
		break;
	case CONF_INT:
	case CONF_SIZE:
		strbuf_appendf(out, "%lld", *CFIELD(base, key, long long));
		break;
	case CONF_MODE:
		strbuf_appendf(out, "%04llo", *CFIELD(base, key, long long));
		break;
	}
	strbuf_appendc(out, '\n');
}

/* Escapes roff's special characters in text. */
static void conftab_roff(struct strbuf *out, const char *text)
{
	for (; *text != '\0'; text++) {
		if (*text == '\\')
			strbuf_appends(out, "\\e");
		else if (*text == '-')
			strbuf_appends(out, "\\-");
		else
			strbuf_appendc(out, *text);
	}
}

void conftab_man(const struct conf_key *table, struct strbuf *out)
{
	static const char *const type_names[] = {
		[CONF_STRING] = "string", [CONF_INT] = "number", [CONF_SIZE] = "size",
		[CONF_BOOL] = "yes|no", [CONF_ENUM] = "choice", [CONF_MODE] = "octal mode",
	};
	int i;

	for (; table->name != NULL; table++) {
		strbuf_appendf(out, ".TP\n\\fB%s\\fR ", table->name);
		if (table->type == CONF_ENUM) {
			strbuf_appendc(out, '(');
			for (i = 0; table->choices[i] != NULL; i++)
				strbuf_appendf(out, "%s%s", i ? "|" : "", table->choices[i]);
			strbuf_appendc(out, ')');
		} else {
			strbuf_appendf(out, "(%s)", type_names[table->type]);
		}
		strbuf_appendc(out, '\n');
		conftab_roff(out, table->doc);
		strbuf_appends(out, "\nDefault: ");
		if (*table->def == '\0')
			strbuf_appends(out, "empty");
		else {
			strbuf_appends(out, "\\fB");
			conftab_roff(out, table->def);
			strbuf_appends(out, "\\fR");
		}
		if (table->type == CONF_INT || table->type == CONF_SIZE)
			strbuf_appendf(out, "; from %lld to %lld", table->min, table->max);
		strbuf_appends(out, ".\n");
	}
}

int conftab_split(char *line, char **key, char **value)
{
	char *p = line, *end;

	while (isspace((unsigned char)*p))
		p++;
	if (*p == '\0' || *p == '#')
		return 0;
	*key = p;
	while (*p != '\0' && !isspace((unsigned char)*p))
		p++;
	if (*p != '\0')
		*p++ = '\0';
	while (isspace((unsigned char)*p))
		p++;
	*value = p;
	end = p + strlen(p);
	while (end > p && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return 1;
}
