/*
 * test_config - unit tests for policy/conf/config.c and policy/conf/conftab.c: the
 * built-in defaults, reading ses-milter.conf (comments, case-insensitive
 * keys, sizes, octal modes, choices), every diagnostic with its FILE:LINE,
 * reporting all errors of a file at once, the dump round trip and the man
 * page generated from the key table.
 *
 * Table rows are named after the behaviour they pin down; main() turns
 * every row into its own cmocka test.  Each row writes its own file into
 * one scratch directory made by the group setup.
 *
 * Diagnostics: a failing case prints "got X, want Y", listing every
 * diagnostic the loader produced.
 */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <cmocka.h>

#include "config.h"
#include "conftab.h"
#include "diag.h"
#include "strbuf.h"
#include "testutil.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define CONF_NAME "ses-milter.conf"

static char *tmpdir;		/* made by group_setup, one file per test inside */
static unsigned file_seq;

static int group_setup(void **state)
{
	tmpdir = testutil_tmpdir();
	return 0;
}

static int group_teardown(void **state)
{
	testutil_rmtree(tmpdir);
	free(tmpdir);
	tmpdir = NULL;
	return 0;
}

/* Writes content to a fresh file in tmpdir; returns its path (caller frees). */
static char *write_conf(const char *content)
{
	char name[64];

	snprintf(name, sizeof name, "conf%u/" CONF_NAME, ++file_seq);
	testutil_write_file(tmpdir, name, content);
	return testutil_path(tmpdir, name);
}

/* Fails unless dl holds want, with a leading "FILE" replaced by path. */
static void expect_diag(const struct diag_list *dl, const char *path, const char *want)
{
	testutil_expect_diag(dl, "FILE", path, want);
}

/* Loads path and fails unless it loads cleanly.  Caller frees. */
static struct ses_config *load_ok(const char *path)
{
	struct diag_list dl = DIAG_LIST_INIT;
	struct ses_config *conf = config_load(path, &dl);

	if (conf == NULL || dl.n != 0) {
		char *all = testutil_diag_text(&dl);

		fail_msg("config_load(%s): got %s with diagnostics %s, want a config and none",
			 path != NULL ? path : "NULL", conf ? "a config" : "NULL", all);
	}
	return conf;
}

/* The value config_dump prints for key, or NULL.  Caller frees. */
static char *dump_value(const struct ses_config *conf, const char *key)
{
	struct strbuf out = STRBUF_INIT;
	const char *line;
	char *value = NULL;
	size_t klen = strlen(key);

	config_dump(conf, &out);
	for (line = strbuf_cstr(&out); *line != '\0'; line = strchr(line, '\n') + 1) {
		const char *v = line + klen, *end = strchr(line, '\n');

		if (strncmp(line, key, klen) == 0 && (*v == ' ' || *v == '\n')) {
			while (*v == ' ')
				v++;
			value = strndup(v, (size_t)(end - v));
			break;
		}
	}
	strbuf_free(&out);
	return value;
}

static void expect_dump_value(const struct ses_config *conf, const char *key,
			      const char *want)
{
	char *got = dump_value(conf, key);

	if (got == NULL || strcmp(got, want) != 0)
		fail_msg("%s: got \"%s\", want \"%s\"", key, got ? got : "(missing)", want);
	free(got);
}

/* ---- defaults ------------------------------------------------------------ */

struct value_case {
	const char *name;
	const char *key;
	const char *want;
};

static const struct value_case default_cases[] = {
	{ "default_socket_is_unix_socket_in_run", "Socket",
	  "unix:/run/ses-milter/ses-milter.sock" },
	{ "default_socket_owner_is_empty", "SocketOwner", "" },
	{ "default_socket_group_is_empty", "SocketGroup", "" },
	{ "default_socket_mode_is_0660", "SocketMode", "0660" },
	{ "default_user_is_empty", "UserID", "" },
	{ "default_pid_file_is_empty", "PidFile", "" },
	{ "default_log_to_is_syslog", "LogTo", "syslog" },
	{ "default_syslog_facility_is_mail", "SyslogFacility", "mail" },
	{ "default_log_level_is_info", "LogLevel", "info" },
	{ "default_data_dir_is_var_lib", "DataDir", "/var/lib/ses-milter" },
	{ "default_local_account_is_empty", "LocalAccount", "" },
	{ "default_on_failure_is_tempfail", "OnFailure", "tempfail" },
	{ "default_milter_timeout_is_300", "MilterTimeout", "300" },
	{ "default_dmarc_discovery_is_treewalk", "DmarcDiscovery", "treewalk" },
	{ "default_max_recipients_is_50", "MaxRecipients", "50" },
	{ "default_max_message_size_is_4_mib", "MaxMessageSize", "4194304" },
	{ "default_max_attachments_is_10", "MaxAttachments", "10" },
	{ "default_subject_min_chars_is_1", "SubjectMinChars", "1" },
	{ "default_subject_max_chars_is_998", "SubjectMaxChars", "998" },
	{ "default_subject_warn_chars_is_78", "SubjectWarnChars", "78" },
	{ "default_domain_recheck_interval_is_6_hours", "DomainRecheckInterval", "6h" },
};

static void run_default_case(void **state)
{
	const struct value_case *c = *state;
	struct ses_config *conf = load_ok(NULL);

	expect_dump_value(conf, c->key, c->want);
	config_free(conf);
}

/* The struct holds what the dump shows; the SPEC section 3 limits. */
static void defaults_fill_the_struct(void **state)
{
	struct ses_config *conf = load_ok(NULL);
	const struct {
		const char *what;
		long long got, want;
	} nums[] = {
		{ "limits.max_recipients", conf->limits.max_recipients, 50 },
		{ "limits.max_message_size", conf->limits.max_message_size, 4194304 },
		{ "limits.max_attachments", conf->limits.max_attachments, 10 },
		{ "limits.subject_min_chars", conf->limits.subject_min_chars, 1 },
		{ "limits.subject_max_chars", conf->limits.subject_max_chars, 998 },
		{ "limits.subject_warn_chars", conf->limits.subject_warn_chars, 78 },
		{ "socket_mode", conf->socket_mode, 0660 },
		{ "milter_timeout", conf->milter_timeout, 300 },
		{ "log_to", conf->log_to, CONFIG_LOG_SYSLOG },
		{ "on_failure", conf->on_failure, CONFIG_FAIL_TEMPFAIL },
		{ "log priority", config_log_priority(conf), LOG_INFO },
		{ "syslog facility", config_syslog_facility(conf), LOG_MAIL },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(nums); i++)
		if (nums[i].got != nums[i].want)
			fail_msg("%s: got %lld, want %lld", nums[i].what, nums[i].got,
				 nums[i].want);
	if (strcmp(conf->path, "(defaults)") != 0)
		fail_msg("path: got \"%s\", want \"(defaults)\"", conf->path);
	config_free(conf);
}

/* ---- accepted settings ------------------------------------------------- */

struct set_case {
	const char *name;
	const char *content;
	const char *key;
	const char *want;	/* as config_dump prints it */
};

static const struct set_case set_cases[] = {
	{ "reads_a_plain_setting", "MaxRecipients 7\n", "MaxRecipients", "7" },
	{ "reads_last_line_without_newline", "MaxRecipients 7", "MaxRecipients", "7" },
	{ "skips_comments_and_blank_lines",
	  "# ses-milter.conf\n\n   \n\t# indented comment\nMaxRecipients 7\n# MaxRecipients 8\n\n",
	  "MaxRecipients", "7" },
	{ "trims_blanks_around_key_and_value", "  \tMaxRecipients \t 7 \t \n", "MaxRecipients",
	  "7" },
	{ "accepts_crlf_line_ends", "# dos\r\nMaxRecipients 7\r\n", "MaxRecipients", "7" },
	{ "matches_lowercase_key", "maxrecipients 7\n", "MaxRecipients", "7" },
	{ "matches_uppercase_key", "MAXRECIPIENTS 7\n", "MaxRecipients", "7" },
	{ "accepts_lowest_max_recipients", "MaxRecipients 1\n", "MaxRecipients", "1" },
	{ "accepts_highest_max_recipients", "MaxRecipients 100000\n", "MaxRecipients", "100000" },
	{ "reads_size_in_bytes", "MaxMessageSize 2048\n", "MaxMessageSize", "2048" },
	{ "reads_size_with_m_suffix", "MaxMessageSize 4M\n", "MaxMessageSize", "4194304" },
	{ "reads_size_with_k_suffix", "MaxMessageSize 512K\n", "MaxMessageSize", "524288" },
	{ "reads_size_with_lowercase_suffix", "MaxMessageSize 512k\n", "MaxMessageSize", "524288" },
	{ "reads_size_with_g_suffix", "MaxMessageSize 1G\n", "MaxMessageSize", "1073741824" },
	{ "accepts_smallest_size", "MaxMessageSize 1K\n", "MaxMessageSize", "1024" },
	{ "reads_octal_socket_mode", "SocketMode 0600\n", "SocketMode", "0600" },
	{ "reads_socket_mode_as_octal_without_zero", "SocketMode 660\n", "SocketMode", "0660" },
	{ "accepts_socket_mode_0777", "SocketMode 0777\n", "SocketMode", "0777" },
	{ "accepts_socket_mode_0", "SocketMode 0\n", "SocketMode", "0000" },
	{ "reads_choice", "LogTo stderr\n", "LogTo", "stderr" },
	{ "reads_choice_case_insensitively", "LogLevel DEBUG\n", "LogLevel", "debug" },
	{ "reads_facility", "SyslogFacility local3\n", "SyslogFacility", "local3" },
	{ "reads_on_failure_accept", "OnFailure accept\n", "OnFailure", "accept" },
	{ "reads_dmarc_discovery_psl", "DmarcDiscovery psl\n", "DmarcDiscovery", "psl" },
	{ "keeps_blanks_inside_string", "PidFile /run/ses milter.pid\n", "PidFile",
	  "/run/ses milter.pid" },
	{ "accepts_empty_string", "SocketGroup\n", "SocketGroup", "" },
	{ "accepts_inet_socket", "Socket inet:8891@127.0.0.1\n", "Socket", "inet:8891@127.0.0.1" },
	{ "accepts_inet6_socket", "Socket inet6:8891@[::1]\n", "Socket", "inet6:8891@[::1]" },
	{ "accepts_local_socket", "Socket local:/run/m.sock\n", "Socket", "local:/run/m.sock" },
	{ "accepts_bare_socket_path", "Socket /run/m.sock\n", "Socket", "/run/m.sock" },
	{ "accepts_subject_min_equal_to_max", "SubjectMinChars 100\nSubjectMaxChars 100\n",
	  "SubjectMinChars", "100" },
	{ "accepts_subject_min_zero", "SubjectMinChars 0\n", "SubjectMinChars", "0" },
	{ "accepts_longest_milter_timeout", "MilterTimeout 7200\n", "MilterTimeout", "7200" },
	{ "reads_duration_in_plain_seconds", "DomainRecheckInterval 90\n", "DomainRecheckInterval",
	  "90s" },
	{ "prints_duration_in_largest_exact_unit", "DomainRecheckInterval 7200s\n",
	  "DomainRecheckInterval", "2h" },
	{ "reads_duration_in_minutes", "DomainRecheckInterval 30m\n", "DomainRecheckInterval",
	  "30m" },
	{ "reads_duration_suffix_in_upper_case", "DomainRecheckInterval 1H\n",
	  "DomainRecheckInterval", "1h" },
	{ "accepts_zero_duration_turning_recheck_off", "DomainRecheckInterval 0\n",
	  "DomainRecheckInterval", "0" },
	{ "accepts_one_second_recheck", "DomainRecheckInterval 1s\n", "DomainRecheckInterval",
	  "1s" },
	{ "accepts_longest_recheck_of_7_days", "DomainRecheckInterval 7d\n",
	  "DomainRecheckInterval", "7d" },
};

static void run_set_case(void **state)
{
	const struct set_case *c = *state;
	char *path = write_conf(c->content);
	struct ses_config *conf = load_ok(path);

	expect_dump_value(conf, c->key, c->want);
	if (strcmp(conf->path, path) != 0)
		fail_msg("path: got \"%s\", want \"%s\"", conf->path, path);
	config_free(conf);
	free(path);
}

/* The struct fields behind the enum and octal keys. */
static void settings_reach_the_struct(void **state)
{
	char *path = write_conf("LogLevel debug\nSyslogFacility local3\nLogTo stderr\n"
				"OnFailure accept\nSocketMode 0600\nMaxMessageSize 512K\n"
				"DataDir /srv/ses\n");
	struct ses_config *conf = load_ok(path);

	if (config_log_priority(conf) != LOG_DEBUG)
		fail_msg("log priority: got %d, want LOG_DEBUG", config_log_priority(conf));
	if (config_syslog_facility(conf) != LOG_LOCAL3)
		fail_msg("facility: got %d, want LOG_LOCAL3", config_syslog_facility(conf));
	if (conf->log_to != CONFIG_LOG_STDERR || conf->on_failure != CONFIG_FAIL_ACCEPT)
		fail_msg("log_to, on_failure: got %d, %d, want stderr, accept", conf->log_to,
			 conf->on_failure);
	if (conf->socket_mode != 0600)
		fail_msg("socket_mode: got %llo, want 600", conf->socket_mode);
	if (conf->limits.max_message_size != 512 * 1024)
		fail_msg("max_message_size: got %lld, want 524288", conf->limits.max_message_size);
	if (strcmp(conf->data_dir, "/srv/ses") != 0)
		fail_msg("data_dir: got \"%s\", want \"/srv/ses\"", conf->data_dir);
	config_free(conf);
	free(path);
}

/* ---- booleans (no config key is one today; account files use them) --- */

struct bool_case {
	const char *in;
	bool valid;
	bool value;
};

static const struct bool_case bool_cases[] = {
	{ "yes", true, true }, { "true", true, true }, { "on", true, true },
	{ "1", true, true }, { "YES", true, true }, { "True", true, true },
	{ "no", true, false }, { "false", true, false }, { "off", true, false },
	{ "0", true, false }, { "No", true, false }, { "OFF", true, false },
	{ "", false, false }, { "y", false, false }, { "n", false, false },
	{ "2", false, false }, { "yes please", false, false }, { "enabled", false, false },
};

static void parses_booleans(void **state)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bool_cases); i++) {
		const struct bool_case *c = &bool_cases[i];
		bool out = !c->value, ok = conftab_parse_bool(c->in, &out);

		if (ok != c->valid || (ok && out != c->value))
			fail_msg("conftab_parse_bool(\"%s\"): got %s/%s, want %s/%s", c->in,
				 ok ? "valid" : "invalid", out ? "true" : "false",
				 c->valid ? "valid" : "invalid", c->value ? "true" : "false");
	}
}

struct bool_target {
	bool flag;
};

static const struct conf_key bool_keys[] = {
	{ "Flag", CONF_BOOL, "no", 0, 0, NULL, offsetof(struct bool_target, flag), "A flag." },
	{ NULL, 0, NULL, 0, 0, NULL, 0, NULL }
};

static void sets_and_formats_a_bool_key(void **state)
{
	struct bool_target t = { false };
	struct strbuf out = STRBUF_INIT;
	char err[256] = "";

	conftab_defaults(bool_keys, &t);
	if (t.flag)
		fail_msg("default: got yes, want no");
	if (conftab_set(&bool_keys[0], &t, "On", err, sizeof err) != 0 || !t.flag)
		fail_msg("set On: got %s (%s), want yes", t.flag ? "yes" : "no", err);
	conftab_format(&bool_keys[0], &t, &out);
	if (strstr(strbuf_cstr(&out), " yes\n") == NULL)
		fail_msg("format: got \"%s\", want it to end in \" yes\"", strbuf_cstr(&out));
	if (conftab_set(&bool_keys[0], &t, "maybe", err, sizeof err) != -1)
		fail_msg("set maybe: got 0, want -1");
	if (strcmp(err, "Flag must be yes or no, not \"maybe\"") != 0)
		fail_msg("error: got \"%s\", want \"Flag must be yes or no, not "
			 "\\\"maybe\\\"\"", err);
	if (!t.flag)
		fail_msg("after a bad value: got no, want the old yes kept");
	strbuf_free(&out);
}

/* ---- diagnostics ----------------------------------------------------- */

struct error_case {
	const char *name;
	const char *content;
	const char *want;	/* the one diagnostic; "FILE" stands for the path */
};

static const struct error_case error_cases[] = {
	{ "reports_unknown_key", "# x\nFrobnicate 1\n", "FILE:2: unknown key Frobnicate" },
	{ "reports_duplicate_key_with_first_line",
	  "MaxRecipients 5\n\n# again\nmaxrecipients 6\n",
	  "FILE:4: MaxRecipients given twice (first on line 1)" },
	{ "reports_zero_max_recipients", "MaxRecipients 0\n",
	  "FILE:1: MaxRecipients must be between 1 and 100000" },
	{ "reports_max_recipients_over_100000", "MaxRecipients 100001\n",
	  "FILE:1: MaxRecipients must be between 1 and 100000" },
	{ "reports_negative_max_recipients", "MaxRecipients -1\n",
	  "FILE:1: MaxRecipients must be between 1 and 100000" },
	{ "reports_subject_max_chars_999", "SubjectMaxChars 999\n",
	  "FILE:1: SubjectMaxChars must be between 1 and 998" },
	{ "reports_word_for_number", "MaxRecipients ten\n",
	  "FILE:1: MaxRecipients: \"ten\" is not a number" },
	{ "reports_number_with_junk", "MaxRecipients 5x\n",
	  "FILE:1: MaxRecipients: \"5x\" is not a number" },
	{ "reports_missing_number", "MaxRecipients\n",
	  "FILE:1: MaxRecipients: \"\" is not a number" },
	{ "reports_suffix_on_plain_number", "MaxRecipients 1K\n",
	  "FILE:1: MaxRecipients: \"1K\" is not a number" },
	{ "reports_hex_number", "MaxRecipients 0x10\n",
	  "FILE:1: MaxRecipients: \"0x10\" is not a number" },
	{ "reports_number_beyond_long_long", "MaxRecipients 99999999999999999999\n",
	  "FILE:1: MaxRecipients: \"99999999999999999999\" is not a number" },
	{ "reports_two_letter_size_suffix", "MaxMessageSize 4MB\n",
	  "FILE:1: MaxMessageSize: \"4MB\" is not a size (bytes, or with K, M, G)" },
	{ "reports_unknown_size_suffix", "MaxMessageSize 4T\n",
	  "FILE:1: MaxMessageSize: \"4T\" is not a size (bytes, or with K, M, G)" },
	{ "reports_size_below_1k", "MaxMessageSize 1023\n",
	  "FILE:1: MaxMessageSize must be between 1024 and 1073741824" },
	{ "reports_size_over_1g", "MaxMessageSize 2G\n",
	  "FILE:1: MaxMessageSize must be between 1024 and 1073741824" },
	{ "reports_size_overflowing_with_suffix", "MaxMessageSize 9000000000000G\n",
	  "FILE:1: MaxMessageSize: \"9000000000000G\" is not a size (bytes, or with K, M, G)" },
	/* -(2^34 - 1) * 2^30 would wrap to exactly 2^30, inside the bounds */
	{ "reports_negative_size_that_would_wrap_into_range", "MaxMessageSize -17179869183G\n",
	  "FILE:1: MaxMessageSize: \"-17179869183G\" is not a size (bytes, or with K, M, G)" },
	{ "reports_unknown_duration_suffix", "DomainRecheckInterval 6x\n",
	  "FILE:1: DomainRecheckInterval: \"6x\" is not a duration (seconds, or with s, m, h, d)" },
	{ "reports_duration_with_two_units", "DomainRecheckInterval 1h30m\n",
	  "FILE:1: DomainRecheckInterval: \"1h30m\" is not a duration (seconds, or with s, m, h, d)" },
	{ "reports_negative_duration", "DomainRecheckInterval -1s\n",
	  "FILE:1: DomainRecheckInterval must be between 0 and 7d" },
	{ "reports_duration_over_7_days", "DomainRecheckInterval 8d\n",
	  "FILE:1: DomainRecheckInterval must be between 0 and 7d" },
	{ "reports_non_octal_mode", "SocketMode 0999\n",
	  "FILE:1: SocketMode: \"0999\" is not an octal mode" },
	{ "reports_mode_over_0777", "SocketMode 01000\n",
	  "FILE:1: SocketMode must be between 0 and 777" },
	{ "reports_unknown_choice", "LogLevel loud\n",
	  "FILE:1: LogLevel must be one of error, warning, notice, info, debug" },
	{ "reports_unknown_dmarc_discovery", "DmarcDiscovery dns\n",
	  "FILE:1: DmarcDiscovery must be one of treewalk, psl" },
	{ "reports_subject_min_above_max", "SubjectMinChars 10\nSubjectMaxChars 5\n",
	  "FILE:2: SubjectMinChars (10) is larger than SubjectMaxChars (5)" },
	{ "reports_relative_data_dir", "DataDir var/lib/ses-milter\n",
	  "FILE:1: DataDir \"var/lib/ses-milter\" must be an absolute path" },
	{ "reports_socket_without_known_prefix", "Socket tcp:8891\n",
	  "FILE:1: Socket \"tcp:8891\" must start with unix:, inet: or inet6:" },
	{ "reports_empty_socket", "Socket\n",
	  "FILE:1: Socket \"\" must start with unix:, inet: or inet6:" },
};

static void run_error_case(void **state)
{
	const struct error_case *c = *state;
	struct diag_list dl = DIAG_LIST_INIT;
	char *path = write_conf(c->content);
	struct ses_config *conf = config_load(path, &dl);

	if (conf != NULL) {
		config_free(conf);
		fail_msg("config_load: got a config, want NULL for [%s]", c->want);
	}
	expect_diag(&dl, path, c->want);
	if (dl.n != 1) {
		char *all = testutil_diag_text(&dl);

		fail_msg("diagnostics: got %zu %s, want 1", dl.n, all);
	}
	diag_free(&dl);
	free(path);
}

static void reports_every_error_in_a_file(void **state)
{
	static const char *const want[] = {
		"FILE:2: unknown key Frobnicate",
		"FILE:3: MaxRecipients must be between 1 and 100000",
		"FILE:5: MaxRecipients given twice (first on line 3)",
		"FILE:6: SubjectWarnChars must be between 1 and 998",
		"FILE:7: MaxMessageSize: \"4MB\" is not a size (bytes, or with K, M, G)",
		"FILE:8: LogLevel must be one of error, warning, notice, info, debug",
		"FILE:10: unknown key Bogus",
		"FILE:11: Socket \"tcp:1\" must start with unix:, inet: or inet6:",
		"FILE:12: DataDir \"relative\" must be an absolute path",
		"FILE:9: SubjectMinChars (500) is larger than SubjectMaxChars (400)",
	};
	struct diag_list dl = DIAG_LIST_INIT;
	char *path = write_conf("# all wrong\n"
				"Frobnicate 1\n"
				"MaxRecipients 0\n"
				"SubjectMinChars 500\n"
				"MaxRecipients 20\n"
				"SubjectWarnChars 999\n"
				"MaxMessageSize 4MB\n"
				"LogLevel loud\n"
				"SubjectMaxChars 400\n"
				"Bogus\n"
				"Socket tcp:1\n"
				"DataDir relative\n");
	struct ses_config *conf = config_load(path, &dl);
	size_t i;

	if (conf != NULL)
		fail_msg("config_load: got a config, want NULL");
	for (i = 0; i < ARRAY_SIZE(want); i++)
		expect_diag(&dl, path, want[i]);
	if (dl.n != ARRAY_SIZE(want)) {
		char *all = testutil_diag_text(&dl);

		fail_msg("diagnostics: got %zu %s, want %zu", dl.n, all, ARRAY_SIZE(want));
	}
	diag_free(&dl);
	free(path);
}

static void reports_each_repetition_of_a_key(void **state)
{
	struct diag_list dl = DIAG_LIST_INIT;
	char *path = write_conf("LogTo stderr\nLogTo syslog\nlogto stderr\n");

	assert_null(config_load(path, &dl));
	expect_diag(&dl, path, "FILE:2: LogTo given twice (first on line 1)");
	expect_diag(&dl, path, "FILE:3: LogTo given twice (first on line 1)");
	if (dl.n != 2)
		fail_msg("diagnostics: got %zu, want 2", dl.n);
	diag_free(&dl);
	free(path);
}

static void reports_missing_file(void **state)
{
	struct diag_list dl = DIAG_LIST_INIT;
	char *path = testutil_path(tmpdir, "no-such.conf");

	assert_null(config_load(path, &dl));
	expect_diag(&dl, path, "FILE: cannot open: No such file or directory");
	diag_free(&dl);
	free(path);
}

/* Earlier diagnostics in the list are kept and do not fail a good file. */
static void appends_to_existing_diagnostics(void **state)
{
	struct diag_list dl = DIAG_LIST_INIT;
	char *path = write_conf("MaxRecipients 5\n");
	struct ses_config *conf;

	diag_add(&dl, "earlier", 1, "something else");
	conf = config_load(path, &dl);
	if (conf == NULL)
		fail_msg("config_load: got NULL, want a config despite an older diagnostic");
	if (dl.n != 1)
		fail_msg("diagnostics: got %zu, want the 1 older one", dl.n);
	config_free(conf);
	diag_free(&dl);
	free(path);
}

static void checks_limits_on_their_own(void **state)
{
	struct policy_limits lim = {
		.max_recipients = 50, .max_message_size = 4194304, .max_attachments = 10,
		.subject_min_chars = 5, .subject_max_chars = 5, .subject_warn_chars = 78,
	};
	struct diag_list dl = DIAG_LIST_INIT;

	config_check_limits(&lim, "acct", 3, &dl);
	if (dl.n != 0)
		fail_msg("min == max: got %zu diagnostics, want 0", dl.n);
	lim.subject_min_chars = 6;
	config_check_limits(&lim, "acct", 3, &dl);
	expect_diag(&dl, NULL, "acct:3: SubjectMinChars (6) is larger than SubjectMaxChars (5)");
	diag_free(&dl);
}

/* ---- dump round trip and man page -------------------------------------- */

static void round_trip(const char *content)
{
	struct strbuf first = STRBUF_INIT, second = STRBUF_INIT;
	char *path = write_conf(content), *path2;
	struct ses_config *conf = load_ok(path), *conf2;

	config_dump(conf, &first);
	path2 = write_conf(strbuf_cstr(&first));
	conf2 = load_ok(path2);
	config_dump(conf2, &second);
	if (strcmp(strbuf_cstr(&first), strbuf_cstr(&second)) != 0)
		fail_msg("second dump: got\n%s\nwant\n%s", strbuf_cstr(&second),
			 strbuf_cstr(&first));
	strbuf_free(&first);
	strbuf_free(&second);
	config_free(conf);
	config_free(conf2);
	free(path);
	free(path2);
}

static void dump_of_defaults_loads_back_the_same(void **state)
{
	round_trip("");
}

static void dump_of_every_key_loads_back_the_same(void **state)
{
	round_trip("Socket inet:8891@127.0.0.1\nSocketOwner ses\nSocketGroup postfix\n"
		   "SocketMode 0640\nUserID ses:ses\nPidFile /run/ses-milter.pid\n"
		   "LogTo stderr\nSyslogFacility local7\nLogLevel debug\n"
		   "DataDir /srv/ses milter\nLocalAccount local\nOnFailure accept\n"
		   "MilterTimeout 60\nMaxRecipients 100000\nMaxMessageSize 1G\n"
		   "MaxAttachments 0\nSubjectMinChars 0\nSubjectMaxChars 100\n"
		   "SubjectWarnChars 90\nDomainRecheckInterval 45m\n");
}

static void dump_lists_every_key_once(void **state)
{
	struct ses_config *conf = load_ok(NULL);
	struct strbuf out = STRBUF_INIT;
	const struct conf_key *k;
	size_t lines = 0, keys = 0;
	const char *p;

	config_dump(conf, &out);
	for (p = strbuf_cstr(&out); *p != '\0'; p++)
		lines += *p == '\n';
	for (k = config_keys; k->name != NULL; k++) {
		char *v = dump_value(conf, k->name);

		if (v == NULL)
			fail_msg("dump: got no line for %s, want one", k->name);
		free(v);
		keys++;
	}
	if (lines != keys)
		fail_msg("dump: got %zu lines, want %zu (one per key)", lines, keys);
	strbuf_free(&out);
	config_free(conf);
}

static void man_page_names_every_key(void **state)
{
	struct strbuf out = STRBUF_INIT;
	const struct conf_key *k;

	conftab_man(config_keys, &out);
	for (k = config_keys; k->name != NULL; k++) {
		char want[128];

		snprintf(want, sizeof want, ".TP\n\\fB%s\\fR ", k->name);
		if (strstr(strbuf_cstr(&out), want) == NULL)
			fail_msg("man page: got no entry for %s, want \"%s\"", k->name, want);
	}
	if (strstr(strbuf_cstr(&out), "Default: \\fB50\\fR; from 1 to 100000.") == NULL)
		fail_msg("man page: got no \"Default: 50; from 1 to 100000.\" for MaxRecipients");
	if (strstr(strbuf_cstr(&out), "\\fBDomainRecheckInterval\\fR (duration)\n") == NULL ||
	    strstr(strbuf_cstr(&out), "Default: \\fB6h\\fR; from 0 to 7d.") == NULL)
		fail_msg("man page: got no duration entry \"Default: 6h; from 0 to 7d.\" for "
			 "DomainRecheckInterval");
	strbuf_free(&out);
}

/* A doc line starting with '.' or '\'' would be eaten as a roff request. */
static void man_page_has_only_its_own_requests(void **state)
{
	struct strbuf out = STRBUF_INIT;
	const char *line;

	conftab_man(config_keys, &out);
	for (line = strbuf_cstr(&out); *line != '\0'; line = strchr(line, '\n') + 1)
		if ((line[0] == '.' || line[0] == '\'') && strncmp(line, ".TP\n", 4) != 0 &&
		    strncmp(line, ".BR ", 4) != 0)
			fail_msg("man page line: got \"%.*s\", want .TP, .BR or text",
				 (int)(strchr(line, '\n') - line), line);
	strbuf_free(&out);
}

/* ---- conftab_split ------------------------------------------------- */

struct split_case {
	const char *in;
	int want;
	const char *key, *value;
};

static const struct split_case split_cases[] = {
	{ "", 0, NULL, NULL },
	{ "   \t\r\n", 0, NULL, NULL },
	{ "# comment\n", 0, NULL, NULL },
	{ "   # indented comment\n", 0, NULL, NULL },
	{ "Key value\n", 1, "Key", "value" },
	{ "\tKey\t  two words  \r\n", 1, "Key", "two words" },
	{ "Key\n", 1, "Key", "" },
	{ "Key   \n", 1, "Key", "" },
};

static void splits_lines_into_key_and_value(void **state)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(split_cases); i++) {
		const struct split_case *c = &split_cases[i];
		char line[64], *key = NULL, *value = NULL;
		int got;

		snprintf(line, sizeof line, "%s", c->in);
		got = conftab_split(line, &key, &value);
		if (got != c->want)
			fail_msg("conftab_split(\"%s\"): got %d, want %d", c->in, got, c->want);
		if (got == 1 && (strcmp(key, c->key) != 0 || strcmp(value, c->value) != 0))
			fail_msg("conftab_split: got \"%s\" \"%s\", want \"%s\" \"%s\"", key,
				 value, c->key, c->value);
	}
}

static const struct CMUnitTest other_tests[] = {
	cmocka_unit_test(defaults_fill_the_struct),
	cmocka_unit_test(settings_reach_the_struct),
	cmocka_unit_test(parses_booleans),
	cmocka_unit_test(sets_and_formats_a_bool_key),
	cmocka_unit_test(reports_every_error_in_a_file),
	cmocka_unit_test(reports_each_repetition_of_a_key),
	cmocka_unit_test(reports_missing_file),
	cmocka_unit_test(appends_to_existing_diagnostics),
	cmocka_unit_test(checks_limits_on_their_own),
	cmocka_unit_test(dump_of_defaults_loads_back_the_same),
	cmocka_unit_test(dump_of_every_key_loads_back_the_same),
	cmocka_unit_test(dump_lists_every_key_once),
	cmocka_unit_test(man_page_names_every_key),
	cmocka_unit_test(man_page_has_only_its_own_requests),
	cmocka_unit_test(splits_lines_into_key_and_value),
};

static struct CMUnitTest row_test(const char *name, CMUnitTestFunction fn,
				  const void *row)
{
	struct CMUnitTest t = { name, fn, NULL, NULL, (void *)row };

	return t;
}

int main(void)
{
	struct CMUnitTest tests[ARRAY_SIZE(default_cases) + ARRAY_SIZE(set_cases) +
				ARRAY_SIZE(error_cases) + ARRAY_SIZE(other_tests)];
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(default_cases); i++)
		tests[n++] = row_test(default_cases[i].name, run_default_case, &default_cases[i]);
	for (i = 0; i < ARRAY_SIZE(set_cases); i++)
		tests[n++] = row_test(set_cases[i].name, run_set_case, &set_cases[i]);
	for (i = 0; i < ARRAY_SIZE(error_cases); i++)
		tests[n++] = row_test(error_cases[i].name, run_error_case, &error_cases[i]);
	for (i = 0; i < ARRAY_SIZE(other_tests); i++)
		tests[n++] = other_tests[i];
	return cmocka_run_group_tests_name("config", tests, group_setup, group_teardown);
}
