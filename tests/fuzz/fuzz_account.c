/*
 * fuzz_account - libFuzzer target: an account file (logins, networks,
 * domains, limits, callback URLs) through account_load with the default
 * configuration, and the lookups over the loaded account.
 */
#include "autoconf.h"

#include <stdlib.h>

#include "account.h"
#include "config.h"
#include "diag.h"
#include "fuzzutil.h"

static struct ses_config *fuzz_conf;

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct diag_list diags = { NULL, 0 };

	fuzz_conf = config_load(NULL, &diags);
	if (fuzz_conf == NULL)
		abort();
	diag_free(&diags);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag_list diags = { NULL, 0 };
	struct account *acct;
	const char *path = fuzz_write_file("account", data, size);
	size_t i;

	if (path == NULL)
		return 0;
	acct = account_load(path, "acme", fuzz_conf, &diags);
	if (acct != NULL) {
		for (i = 0; i < acct->ndomains; i++)
			(void)account_domain(acct, acct->domains[i].name);
		(void)account_domain(acct, "example.com");
		account_free(acct);
	}
	diag_free(&diags);
	return 0;
}
