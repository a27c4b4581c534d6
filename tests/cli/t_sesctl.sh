#!/bin/bash
# t_sesctl.sh - behaviour of the operator tool sesctl(8): accounts, domains,
# checked atomic edits of the account files, and the reload signal.
#
# Needs the built binary: $SESCTL, default "$top_builddir/sesctl/sesctl"
# (where Makefile.am builds it) or "$top_builddir/sesctl".  Every case works
# in a private DataDir under mktemp -d.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/lib/testlib.sh"
. "$top_srcdir/tests/lib/cli.sh"

cli_start t_sesctl
ACC=$DATA/accounts

# fresh [CONFIG LINES...]: empty DataDir and a config naming it.
fresh() { cli_fresh "$@"; }

# t_no_tmp NAME: no *.tmp staging file is left in the account directory.
t_no_tmp() { t_eq "$1" "$(find "$ACC" -maxdepth 1 -name '*.tmp' | wc -l)" 0; }

# ---- global options -----------------------------------------------------------
fresh
run -V
t_match "version_flag_prints_version" "$OUT" '^sesctl \(ses-milter\) [0-9]'
run -h
t_rc "help_exits_0" 0
t_match "help_lists_domain_commands" "$OUT" 'domain set-verified DOMAIN yes\|no'
run
t_rc "no_command_is_usage_error" 2
run frobnicate
t_rc "unknown_command_is_usage_error" 2
t_match "unknown_command_is_named" "$ERR" '^sesctl: unknown command "frobnicate"'
run account
t_rc "account_without_subcommand_is_usage_error" 2
t_match "account_without_subcommand_prints_usage" "$ERR" 'usage: sesctl account add NAME'
OUT=$("$SESCTL" -c "$T/nonexistent.conf" account list 2>&1); RC=$?
t_rc "missing_config_file_fails" 1
t_match "missing_config_file_is_named" "$OUT" "^sesctl: $T/nonexistent.conf: cannot open"
printf 'DataDir %s\nNoSuchKey 1\n' "$DATA" >"$CONF"
run account list
t_rc "bad_config_fails" 1
t_match "bad_config_names_file_and_line" "$ERR" "ses-milter.conf:2: unknown key NoSuchKey"

# ---- account add ----------------------------------------------------------------
fresh
rmdir "$DATA"
run account add acme --login acme-smtp --login acme-api --network 192.0.2.0/24 --custom-content yes
t_rc "account_add_succeeds" 0
t_match "account_add_says_added" "$OUT" '^account acme added$'
t_eq "account_add_creates_accounts_dir_mode_0750" "$(stat -c %a "$ACC" 2>/dev/null)" 750
t_eq "account_add_file_mode_0640" "$(stat -c %a "$ACC/acme" 2>/dev/null)" 640
t_eq "account_add_writes_logins_in_order" "$(grep '^Login' "$ACC/acme" | tr '\n' ' ')" \
	"Login acme-smtp Login acme-api "
t_match "account_add_writes_network" "$(cat "$ACC/acme")" '^Network 192\.0\.2\.0/24$'
t_match "account_add_writes_custom_content" "$(cat "$ACC/acme")" '^CustomContent yes$'
t_no_tmp "account_add_leaves_no_tmp_file"

run account add acme
t_rc "account_add_refuses_existing_account" 1
t_match "account_add_existing_says_exists" "$ERR" 'account acme already exists'
run account add -bad
t_rc "account_add_dash_name_is_usage_error" 2
run account add 'bad/name'
t_rc "account_add_refuses_bad_account_name" 1
t_match "account_add_bad_name_explains" "$ERR" '"bad/name" is not a valid account name'
run account add .hidden
t_rc "account_add_refuses_hidden_name" 1
run account add acme.tmp
t_rc "account_add_refuses_name_of_staging_file" 1
run account add beta --network 10.0.0.0/33
t_rc "account_add_refuses_bad_cidr" 1
t_match "account_add_bad_cidr_explains" "$ERR" 'bad network "10\.0\.0\.0/33"'
t_eq "account_add_bad_cidr_creates_nothing" "$(ls "$ACC")" "acme"
run account add beta --login acme-smtp
t_rc "account_add_refuses_login_of_other_account" 1
t_match "account_add_login_conflict_names_owner" "$ERR" 'login acme-smtp already belongs to account acme'
run account add beta --network 192.0.2.0/24
t_rc "account_add_refuses_network_of_other_account" 1
run account add beta --custom-content maybe
t_rc "account_add_refuses_bad_custom_content" 1
run account add beta --colour red
t_rc "account_add_unknown_option_is_usage_error" 2
t_match "account_add_usage_shown" "$ERR" 'usage: sesctl account add NAME'
run account add
t_rc "account_add_without_name_is_usage_error" 2
run account add beta --network 198.51.100.7/24
t_rc "account_add_accepts_host_bits" 0
t_match "account_add_normalises_network" "$(cat "$ACC/beta")" '^Network 198\.51\.100\.0/24$'
t_match "account_add_defaults_custom_content_no" "$(cat "$ACC/beta")" '^CustomContent no$'
run --no-reload account add gamma --login=g1
t_rc "account_add_accepts_option_equals_value" 0
t_match "account_add_equals_value_written" "$(cat "$ACC/gamma")" '^Login g1$'

# ---- account list / show --------------------------------------------------------
run account list
t_rc "account_list_succeeds" 0
t_eq "account_list_one_line_per_account" "$(printf '%s\n' "$OUT" | sed 1d | wc -l)" 3
t_match "account_list_has_header" "$OUT" '^ACCOUNT +LOGINS +NETWORKS +DOMAINS +SUSPENDED'
t_match "account_list_shows_logins_and_networks" "$OUT" \
	'acme +acme-smtp,acme-api +192\.0\.2\.0/24 +0 +no'
t_match "account_list_shows_dash_for_none" "$OUT" 'beta +- +198\.51\.100\.0/24 +0 +no'

run account show acme
t_rc "account_show_succeeds" 0
t_match "account_show_names_account" "$OUT" '^Account +acme$'
t_match "account_show_lists_logins" "$OUT" '^Login +acme-api$'
t_match "account_show_lists_networks" "$OUT" '^Network +192\.0\.2\.0/24$'
t_match "account_show_counts_domains" "$OUT" '^Domains +0 of 10$'
t_match "account_show_marks_file_setting" "$OUT" '^CustomContent +yes +\(account file\)$'
t_match "account_show_marks_builtin_default" "$OUT" '^ReputationLevel +1 +\(default\)$'
t_match "account_show_shows_inherited_limit" "$OUT" '^MaxRecipients +50 +\(ses-milter\.conf\)$'
printf 'MaxRecipients 20\n' >>"$CONF"
run account show acme
t_match "account_show_inherits_config_limit" "$OUT" '^MaxRecipients +20 +\(ses-milter\.conf\)$'
run account show nobody
t_rc "account_show_unknown_account_fails" 1
t_match "account_show_unknown_account_says_so" "$ERR" '^sesctl: no account nobody$'
run account show
t_rc "account_show_without_name_is_usage_error" 2

# ---- account set ----------------------------------------------------------------
fresh
cat >"$ACC.hand" <<'EOF'
# Acme Corp, ticket 4711 -- keep this comment
Login   acme-smtp

# limits agreed with the customer
MaxRecipients   50
Suspended no
EOF
mkdir -p "$ACC" && cp "$ACC.hand" "$ACC/acme" && rm "$ACC.hand"
chmod 0644 "$ACC/acme"
run account set acme MaxRecipients 200
t_rc "account_set_succeeds" 0
t_match "account_set_says_what" "$OUT" '^account acme: MaxRecipients set to 200$'
want='# Acme Corp, ticket 4711 -- keep this comment
Login   acme-smtp

# limits agreed with the customer
MaxRecipients   200
Suspended no'
t_eq "account_set_keeps_comments_order_and_spacing" "$(cat "$ACC/acme")" "$want"
t_eq "account_set_leaves_file_mode_0640" "$(stat -c %a "$ACC/acme")" 640
run account set acme suspended YES
t_match "account_set_normalises_bool" "$(cat "$ACC/acme")" '^Suspended yes$'
run account set acme ReputationLevel 7
t_match "account_set_appends_missing_key" "$(tail -n 1 "$ACC/acme")" '^ReputationLevel 7$'
run account show acme
t_match "account_set_is_seen_by_show" "$OUT" '^ReputationLevel +7 +\(account file\)$'
printf 'maxrecipients 10\n' >>"$ACC/acme"
run account set acme MaxRecipients 30
t_eq "account_set_removes_later_duplicates" "$(grep -ci '^maxrecipients' "$ACC/acme")" 1
t_match "account_set_duplicate_keeps_first" "$(cat "$ACC/acme")" '^MaxRecipients   30$'

cp "$ACC/acme" "$T/before"
run account set acme NoSuchKey 1
t_rc "account_set_refuses_unknown_key" 1
t_match "account_set_unknown_key_lists_keys" "$ERR" 'unknown key NoSuchKey \(one of: CustomContent,'
t_same "account_set_unknown_key_leaves_file_identical" "$ACC/acme" "$T/before"
run account set acme MaxRecipients 0
t_rc "account_set_refuses_out_of_range_value" 1
t_match "account_set_out_of_range_gives_bounds" "$ERR" 'MaxRecipients must be between 1 and 100000'
t_same "account_set_out_of_range_leaves_file_identical" "$ACC/acme" "$T/before"
run account set acme MaxMessageSize lots
t_rc "account_set_refuses_non_number" 1
run account set acme Login other
t_rc "account_set_refuses_repeatable_key" 1
t_match "account_set_repeatable_key_points_to_command" "$ERR" 'add-login'
run account set acme SubjectMinChars 900
run account set acme SubjectMaxChars 100
t_rc "account_set_refuses_change_the_loader_rejects" 1
t_match "account_set_loader_diagnostic_names_file" "$ERR" \
	"$ACC/acme: SubjectMinChars \\(900\\) is larger than SubjectMaxChars \\(100\\)"
t_match "account_set_loader_refusal_says_nothing_changed" "$ERR" 'nothing changed'
ok account set acme SubjectMinChars 1
ok account set acme SubjectMaxChars 10
cp "$ACC/acme" "$T/before"
run account set acme SubjectMinChars 11
t_rc "account_set_refuses_min_above_max" 1
t_same "account_set_failed_check_leaves_file_identical" "$ACC/acme" "$T/before"
t_no_tmp "account_set_failed_check_leaves_no_tmp_file"
run account set nobody MaxRecipients 5
t_rc "account_set_unknown_account_fails" 1
run account set acme MaxRecipients
t_rc "account_set_missing_value_is_usage_error" 2
run account set acme MaxRecipients -5
t_rc "account_set_negative_value_is_a_bad_value" 1

# ---- logins and networks ----------------------------------------------------------
fresh
ok account add acme --login a1
ok account add beta --login b1
run account add-login acme a2
t_rc "add_login_succeeds" 0
t_eq "add_login_keeps_logins_together" "$(grep -n '^Login' "$ACC/acme" | cut -d: -f1 | tr '\n' ' ')" "2 3 "
run account add-login acme a2
t_rc "add_login_refuses_duplicate" 1
run account add-login acme b1
t_rc "add_login_refuses_login_of_other_account" 1
t_match "add_login_conflict_names_owner" "$ERR" 'already belongs to account beta'
run account add-login acme 'two words'
t_rc "add_login_refuses_blank_in_login" 1
run account add-login nobody x1
t_rc "add_login_unknown_account_fails" 1
run account del-login acme a1
t_rc "del_login_succeeds" 0
t_nomatch "del_login_removes_line" "$(cat "$ACC/acme")" '^Login a1$'
run account del-login acme a1
t_rc "del_login_refuses_missing_login" 1
t_match "del_login_missing_says_so" "$ERR" 'account acme has no login a1'

run account add-network acme 2001:db8::/32
t_rc "add_network_accepts_ipv6" 0
run account add-network acme 10.1.2.3/8
t_match "add_network_normalises" "$OUT" 'network 10\.0\.0\.0/8 added'
run account add-network acme 10.0.0.0/8
t_rc "add_network_refuses_duplicate" 1
run account add-network acme 300.1.1.1
t_rc "add_network_refuses_bad_cidr" 1
t_match "add_network_bad_cidr_explains" "$ERR" 'bad network "300\.1\.1\.1"'
run account add-network beta 10.0.0.0/8
t_rc "add_network_refuses_network_of_other_account" 1
run account del-network acme 10.9.9.9/8
t_rc "del_network_matches_by_value" 0
t_nomatch "del_network_removes_line" "$(cat "$ACC/acme")" '^Network 10\.'
run account del-network acme 192.0.2.0/24
t_rc "del_network_refuses_missing_network" 1

# ---- account del ------------------------------------------------------------------
ok account add gamma
ok domain add example.com --account acme
run account del acme
t_rc "account_del_refuses_account_with_domains" 1
t_match "account_del_names_domains" "$ERR" 'still has 1 sender domain \(example\.com\): .*--force'
t_eq "account_del_refusal_keeps_file" "$(test -f "$ACC/acme" && echo yes)" yes
run account del acme --force
t_rc "account_del_force_deletes_account_with_domains" 0
t_eq "account_del_force_removes_file" "$(test -e "$ACC/acme" && echo yes || echo no)" no
run account del gamma
t_rc "account_del_deletes_empty_account" 0
t_match "account_del_says_deleted" "$OUT" '^account gamma deleted$'
run account del gamma
t_rc "account_del_unknown_account_fails" 1
fresh 'LocalAccount local'
mkdir -p "$ACC" && printf 'Login l\n' >"$ACC/local"
run account del local
t_rc "account_del_refuses_local_account" 1
t_match "account_del_local_account_explains" "$ERR" 'LocalAccount local: no such account'
t_eq "account_del_local_account_keeps_file" "$(cat "$ACC/local")" "Login l"
fresh 'LocalAccount ghost'
run account add other
t_rc "change_allowed_while_local_account_already_missing" 0
run reload
t_rc "reload_refuses_missing_local_account" 1
t_match "reload_missing_local_account_explains" "$ERR" 'LocalAccount ghost: no such account'
run account add ghost
t_rc "adding_the_local_account_repairs_data" 0

# ---- domains ----------------------------------------------------------------------
fresh
ok account add acme
ok account add beta
run domain add Example.COM --account acme
t_rc "domain_add_succeeds" 0
t_match "domain_add_says_unverified" "$OUT" '^domain example\.com added to account acme \(unverified\)$'
t_match "domain_add_lowercases_and_writes_unverified" "$(cat "$ACC/acme")" '^Domain example\.com unverified$'
cp "$ACC/beta" "$T/beta.before"
run domain add example.com --account beta
t_rc "domain_add_refuses_domain_of_other_account" 1
t_match "domain_add_conflict_names_owner" "$ERR" 'domain example\.com already belongs to account acme'
t_same "domain_add_conflict_leaves_file_identical" "$ACC/beta" "$T/beta.before"
run domain add EXAMPLE.com --account acme
t_rc "domain_add_refuses_duplicate_in_same_account" 1
run domain add 'bad_domain!.com' --account acme
t_rc "domain_add_refuses_invalid_name" 1
t_match "domain_add_invalid_name_explains" "$ERR" 'is not a valid domain name'
run domain add localhost --account acme
t_rc "domain_add_refuses_single_label" 1
run domain add example.net --account nobody
t_rc "domain_add_refuses_unknown_account" 1
run domain add example.net
t_rc "domain_add_without_account_is_usage_error" 2
for i in 2 3 4 5 6 7 8 9 10; do ok domain add "d$i.example" --account acme; done
cp "$ACC/acme" "$T/acme.before"
run domain add d11.example --account acme
t_rc "domain_add_refuses_eleventh_domain" 1
t_match "domain_add_eleventh_explains" "$ERR" 'already has 10 sender domains'
t_same "domain_add_eleventh_leaves_file_identical" "$ACC/acme" "$T/acme.before"
ok domain add example.org --account beta

run domain list
t_rc "domain_list_succeeds" 0
t_match "domain_list_has_header" "$OUT" '^DOMAIN +ACCOUNT +STATUS$'
t_eq "domain_list_one_line_per_domain" "$(printf '%s\n' "$OUT" | sed 1d | wc -l)" 11
t_match "domain_list_shows_owner_and_state" "$OUT" 'example\.org +beta +unverified'
t_eq "domain_list_sorted_by_domain" "$(printf '%s\n' "$OUT" | sed 1d | awk '{print $1}' | sort -c && echo sorted)" sorted
run domain list --account beta
t_eq "domain_list_filters_by_account" "$(printf '%s\n' "$OUT" | sed 1d | awk '{print $1}')" example.org
run domain list --account nobody
t_rc "domain_list_unknown_account_fails" 1

run domain show EXAMPLE.com
t_rc "domain_show_succeeds" 0
t_match "domain_show_names_account" "$OUT" '^Account +acme$'
t_match "domain_show_names_state" "$OUT" '^Status +unverified$'
run domain show nowhere.example
t_rc "domain_show_unknown_domain_fails" 1
t_match "domain_show_unknown_domain_says_so" "$ERR" 'no account has domain nowhere\.example'

run domain set-verified example.com yes
t_rc "domain_set_verified_succeeds" 0
t_match "domain_set_verified_rewrites_line" "$(cat "$ACC/acme")" '^Domain example\.com verified$'
run domain list --account acme
t_match "domain_set_verified_seen_by_list" "$OUT" 'example\.com +acme +verified'
run account show acme
t_match "account_show_lists_domain_with_state" "$OUT" '^Domain +example\.com verified$'
run domain set-verified example.com yes
t_match "domain_set_verified_twice_says_already" "$OUT" 'already verified'
run domain set-verified example.com no
t_match "domain_set_verified_no_unverifies" "$(cat "$ACC/acme")" '^Domain example\.com unverified$'
run domain set-verified example.com perhaps
t_rc "domain_set_verified_refuses_bad_value" 1
run domain set-verified nowhere.example yes
t_rc "domain_set_verified_unknown_domain_fails" 1

printf 'Domain MiXeD.example Verified\n' >>"$ACC/beta"
run domain del mixed.example
t_rc "domain_del_matches_case_insensitively" 0
t_nomatch "domain_del_removes_line" "$(cat "$ACC/beta")" '[Mm][Ii][Xx][Ee][Dd]'
run domain del example.com
t_match "domain_del_says_removed" "$OUT" '^domain example\.com removed from account acme$'
t_nomatch "domain_del_keeps_other_domains" "$(cat "$ACC/acme")" '^Domain example\.com'
run domain del example.com
t_rc "domain_del_unknown_domain_fails" 1

# ---- checking before a change ------------------------------------------------------
fresh
ok account add acme
mkdir -p "$ACC"
printf '# broken by hand\nMaxRecipients many\n' >"$ACC/broken"
cp "$ACC/acme" "$T/acme.before"
run account set acme MaxRecipients 5
t_rc "broken_account_data_blocks_changes" 1
t_match "broken_account_data_is_reported_with_line" "$ERR" "$ACC/broken:2: MaxRecipients"
t_same "broken_account_data_change_leaves_file_identical" "$ACC/acme" "$T/acme.before"
run account list
t_rc "broken_account_data_list_fails" 1
rm "$ACC/broken"
printf 'Login acme-dup\n' >"$ACC/acme"
printf 'Login acme-dup\n' >"$ACC/other"
run account set acme Suspended yes
t_rc "cross_account_conflict_blocks_changes" 1
t_match "cross_account_conflict_reported" "$ERR" 'other:1: Login acme-dup already belongs to account acme'
rm "$ACC/other"
mkdir "$ACC/archive"
run account list
t_eq "subdirectory_in_accounts_is_not_an_account" "$(printf '%s\n' "$OUT" | sed 1d | awk '{print $1}')" acme
rmdir "$ACC/archive"
printf 'ignored\n' >"$ACC/acme.tmp"
run account list
t_eq "stale_tmp_file_is_ignored" "$(printf '%s\n' "$OUT" | sed 1d | awk '{print $1}')" acme
run account set acme Suspended yes
t_rc "stale_tmp_file_does_not_block_edit" 0
t_no_tmp "edit_replaces_stale_tmp_file"

# -d overrides DataDir
fresh
OUT=$("$SESCTL" -c "$CONF" -d "$T/other" account add viad 2>&1); RC=$?
t_rc "data_dir_option_succeeds" 0
t_eq "data_dir_option_overrides_config" "$(test -f "$T/other/accounts/viad" && echo yes)" yes

# ---- reload ---------------------------------------------------------------------
fresh
run reload
t_rc "reload_without_pidfile_fails" 1
t_match "reload_without_pidfile_explains" "$ERR" 'sets no PidFile'
fresh "PidFile $T/ses-milter.pid"
run reload
t_rc "reload_without_pid_file_fails" 1
t_match "reload_without_pid_file_says_not_running" "$ERR" 'ses-milter is not running'
echo $$ >"$T/ses-milter.pid"
run reload
t_rc "reload_refuses_pid_of_other_program" 1
t_match "reload_other_program_is_named" "$ERR" "process $$ from .* is "
run account add quiet
t_match "change_without_milter_says_not_running" "$OUT" 'not running.*applies when it starts'

# A stand-in ses-milter: a copy of sleep(1) with that name; SIGHUP ends it
# (its default action restored: a test run under nohup ignores it).
# It runs under a small sh that records how it ended (bash would print a
# job notice for a child killed by a signal).
start_fake() {
	cp "$(command -v sleep)" "$T/ses-milter"
	rm -f "$T/ses-milter.pid" "$T/fake.status"
	sh -c 'env --default-signal=HUP "$1" 60 & echo $! >"$2"; wait $!; echo $? >"$3"' sh \
		"$T/ses-milter" "$T/ses-milter.pid" "$T/fake.status" 2>/dev/null &
	FAKE_SH=$!
	t_wait_file "$T/ses-milter.pid" 5
	FAKE_PID=$(cat "$T/ses-milter.pid")
	t_wait_exec "$FAKE_PID" ses-milter 5
}
# fake_end: ends the stand-in; FAKE_END is "hup" when a SIGHUP had ended it,
# "alive" when it was still running.
fake_end() {
	# a SIGHUP sesctl sent is pending or delivered by now; pending together
	# with the SIGTERM, the lower-numbered SIGHUP is delivered first
	kill -TERM "$FAKE_PID" 2>/dev/null
	wait "$FAKE_SH"
	_st=$(cat "$T/fake.status" 2>/dev/null)
	case $_st in 129) FAKE_END=hup ;; 143) FAKE_END=alive ;; *) FAKE_END="exit $_st" ;; esac
	FAKE_PID=
}
start_fake
run reload
t_rc "reload_signals_running_milter" 0
t_match "reload_says_reloaded" "$OUT" "^ses-milter \\(pid $FAKE_PID\\) reloaded$"
fake_end
t_eq "reload_sends_sighup" "$FAKE_END" hup
start_fake
run account add loud
t_match "change_reloads_running_milter" "$OUT" "ses-milter \\(pid $FAKE_PID\\) reloaded"
fake_end
t_eq "change_sends_sighup" "$FAKE_END" hup
start_fake
run --no-reload account set loud Suspended yes
t_nomatch "no_reload_option_skips_reload" "$OUT" 'reloaded'
run account set loud Suspended no --no-reload
fake_end
t_eq "no_reload_after_command_skips_signal" "$FAKE_END" alive
start_fake
run account set loud MaxRecipients 0
fake_end
t_eq "failed_change_does_not_reload" "$FAKE_END" alive
printf 'MaxRecipients many\n' >"$ACC/broken"
start_fake
run reload
t_rc "reload_refuses_broken_account_data" 1
fake_end
t_eq "reload_with_broken_data_sends_nothing" "$FAKE_END" alive

t_done
