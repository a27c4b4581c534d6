/*
 * confdoc - writes ses-milter.conf(5) from its template and the key table.
 *
 *   confdoc TEMPLATE > ses-milter.conf.5
 *
 * Copies TEMPLATE to standard output, replacing the line "@KEYS@" with
 * one .TP entry per configuration key, so the man page documents exactly
 * the keys, types, defaults and bounds the daemon parses.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "config.h"
#include "strbuf.h"

int main(int argc, char **argv)
{
	struct strbuf keys = STRBUF_INIT;
	char *line = NULL;
	size_t cap = 0;
	FILE *fp;

	if (argc != 2) {
		fprintf(stderr, "usage: confdoc TEMPLATE\n");
		return 2;
	}
	fp = fopen(argv[1], "r");
	if (fp == NULL) {
		perror(argv[1]);
		return 1;
	}
	while (getline(&line, &cap, fp) != -1) {
		if (strcmp(line, "@KEYS@\n") == 0) {
			strbuf_reset(&keys);
			conftab_man(config_keys, &keys);
			fputs(strbuf_cstr(&keys), stdout);
		} else if (strcmp(line, "@ACCOUNT_KEYS@\n") == 0) {
			strbuf_reset(&keys);
			conftab_man(account_keys, &keys);
			fputs(strbuf_cstr(&keys), stdout);
		} else {
			fputs(line, stdout);
		}
	}
	free(line);
	fclose(fp);
	strbuf_free(&keys);
	return ferror(stdout) ? 1 : 0;
}
