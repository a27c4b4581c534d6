#!/bin/bash
# t_sesctl_apikey.sh - sesctl(8) account key new|list|revoke: a key is an
# "ApiKey ID SECRET" line in the account file (mode 0640), its secret shown
# once, ids listed without secrets, revoked by id; malformed ApiKey lines
# keep the data from loading.
#
# Needs the built sesctl (see t_sesctl.sh).

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/lib/testlib.sh"
. "$top_srcdir/tests/lib/cli.sh"

cli_start t_sesctl_apikey
mkdir -p "$DATA"
printf 'DataDir %s\n' "$DATA" >"$CONF"
ok --no-reload account add acme --login acme-smtp

run --no-reload account key new acme
t_rc "key_new_exits_0" 0
ID=$(printf '%s\n' "$OUT" | awk '$1 == "SecretId:" { print $2 }')
SECRET=$(printf '%s\n' "$OUT" | awk '$1 == "SecretKey:" { print $2 }')
t_match "key_new_prints_an_id" "$ID" '^AKID[A-Za-z0-9]{32}$'
t_match "key_new_prints_a_secret" "$SECRET" '^[A-Za-z0-9]{40}$'
t_match "key_new_says_once" "$OUT" 'not shown again'
t_eq "key_in_the_account_file" "$(grep -c "^ApiKey $ID $SECRET\$" "$DATA/accounts/acme")" 1
t_eq "account_file_mode_0640" "$(stat -c %a "$DATA/accounts/acme")" 640

ok --no-reload account key new acme
run account key list acme
t_rc "key_list_exits_0" 0
t_eq "key_list_two_ids" "$(printf '%s\n' "$OUT" | wc -l)" 2
t_match "key_list_has_the_id" "$OUT" "^$ID\$"
t_nomatch "key_list_hides_secrets" "$OUT" "$SECRET"

run --no-reload account key revoke acme "$ID"
t_rc "key_revoke_exits_0" 0
t_eq "revoked_key_gone" "$(grep -c "$ID" "$DATA/accounts/acme")" 0
run --no-reload account key revoke acme "$ID"
t_rc "revoke_unknown_key_exits_1" 1
t_match "revoke_unknown_key_says_so" "$ERR" "has no API key $ID"

run --no-reload account key new nobody
t_rc "key_for_missing_account_exits_1" 1

printf 'ApiKey short secret\n' >>"$DATA/accounts/acme"
run account list
t_rc "bad_apikey_line_refused" 1
t_match "bad_apikey_line_named" "$ERR" 'ApiKey needs an id and a secret'

t_done
