#!/bin/bash
# t_tracking.sh - end-to-end: open and click tracking in a real browser.
# A template message from an account with "Tracking open,click" goes
# through a private Postfix and ses-milter; the delivered HTML part,
# saved to a file, is opened by headless Chromium, which loads the pixel
# from the tracking endpoint (one open event); Chromium then follows the
# rewritten link, which redirects to the original URL on a local
# python3 http.server (one click event, the query and fragment intact).
# sesctl status and sesctl stats show them; a forged token gets 404 and
# no event; a HEAD request is a machine open that the unique counters
# leave out; with memcached hanging, redirects still come at once.  The delivered message's DKIM signature verifies (python3-dkim):
# tracking rewrites the body before it is signed.
#
#   127.0.0.2  account news: templates only, tracked
#   127.0.0.3  account shop: custom content, tracked (its HTML parts are
#              rewritten in the client's own MIME, attachments untouched)
#
# Run as root: bash tests/e2e/t_tracking.sh (top_builddir: the build);
# KEEP=1 keeps the work directory.  Chromium runs with --no-sandbox (as
# root it must) and resolves no name but loopback addresses.

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lib/e2e.sh
. "$here/../lib/e2e.sh"

NEWS=(--local-interface 127.0.0.2 --from news@news.example)
SHOP=(--local-interface 127.0.0.3 --from sales@shop.example)
SESCTL=${SESCTL:-${top_builddir:-.}/sesctl/sesctl}
CHROMIUM=${CHROMIUM:-chromium}

# ---- the cases (they run in order: each builds on the one before) ---------------

case_delivered_html_has_a_pixel_and_tracked_links() {
	pf_send "$A" "$T/out" "${NEWS[@]}" --to ann@example.net --header "Subject: Offer" \
		--header "X-SES-Template: $OFFER" --header 'X-SES-Template-Data: {"name":"Ann"}'
	expect "end of data" "$(pf_status "$T/out" dot)" "250 2.0.0 Ok:"
	mbox_take "$A" ann@example.net "$WORK/delivered"
	msg_part_text "$WORK/delivered" text/html > "$WORK/mail.html"
	expect_match "pixel before </body>" "$(cat "$WORK/mail.html")" \
		"<img src=\"http://127\.0\.0\.1:$HTTP/o/[A-Za-z0-9_-]+\" width=\"1\" height=\"1\"[^>]*></body>"
	expect_match "shop link tracked" "$(cat "$WORK/mail.html")" \
		"<a href=\"http://127\.0\.0\.1:$HTTP/c/[A-Za-z0-9_-]+\">Shop</a>"
	expect_match "untracked link kept" "$(cat "$WORK/mail.html")" \
		"<a href=\"http://127\.0\.0\.1:$WEB/plain\.html\">Plain</a>"
	expect_nomatch "attribute removed" "$(cat "$WORK/mail.html")" "data-ses-track"
	expect_match "mailto unsubscribe kept" "$(cat "$WORK/mail.html")" "href=\"mailto:u-"
	expect "text part untouched" "$(msg_part_text "$WORK/delivered" text/plain | grep -c "/c/")" "0"
	expect "no control header" "$(grep -ci '^X-SES-' "$WORK/delivered")" "0"
	# tracking happens before signing: the signature covers the tracked body
	expect "dkim verifies" "$(dkim_verify "$WORK/delivered" "$WORK/dns")" "0:ok:a=rsa-sha256"
}

case_browser_loading_the_pixel_is_one_open() {
	browse "file://$WORK/mail.html" > "$T/dom"
	t_wait_until 15 events_are open 1 || ERRS+=("no open event after 15 s")
	expect_match "open event" "$(grep '"event":"open"' "$EVENTS")" \
		"\"email\":\"ann@example.net\".*\"templateId\":\"$OFFER\".*\"account\":\"news\".*\"ip\":\"127\.0\.0\.1\",\"machine\":false"
	expect_match "browser user agent" "$(grep '"event":"open"' "$EVENTS")" "HeadlessChrome"
}

case_browser_following_the_link_lands_on_the_original_url() {
	local link
	link=$(grep -Eo "http://127\.0\.0\.1:$HTTP/c/[A-Za-z0-9_-]+" "$WORK/mail.html" | head -n 1)
	browse "$link" > "$T/dom"
	expect_match "landing page shown" "$(cat "$T/dom")" "LANDING-OK"
	expect_match "original query reached the site" "$(cat "$WORK/web.log")" \
		"GET /landing\.html\?a=1&b=2 "
	t_wait_until 15 events_are click 1 || ERRS+=("no click event after 15 s")
	expect_match "click event names the url" "$(grep '"event":"click"' "$EVENTS")" \
		"\"url\":\"http://127\.0\.0\.1:$WEB/landing\.html\?a=1&b=2#top\".*\"machine\":false"
}

case_redirect_is_the_signed_url_exactly() {
	local link
	link=$(grep -Eo "http://127\.0\.0\.1:$HTTP/c/[A-Za-z0-9_-]+" "$WORK/mail.html" | head -n 1)
	expect "location" "$(http_head "$link" Location)" \
		"302 http://127.0.0.1:$WEB/landing.html?a=1&b=2#top"
	t_wait_until 15 events_are click 2 || ERRS+=("no event for the HEAD")
	expect_match "HEAD is a machine" "$(grep '"event":"click"' "$EVENTS" | tail -n 1)" \
		"\"machine\":true"
}

case_forged_token_is_404_and_no_event() {
	local link forged
	link=$(grep -Eo "http://127\.0\.0\.1:$HTTP/o/[A-Za-z0-9_-]+" "$WORK/mail.html" | head -n 1)
	forged=$(python3 -c 'import sys; s=sys.argv[1]; i=len(s)-5; print(s[:i]+("A" if s[i]!="A" else "B")+s[i+1:])' "$link")
	expect "forged open" "$(http_head "$forged" Content-Type)" "404 text/html; charset=utf-8"
	expect "altered path" "$(http_head "${link/\/o\//\/c\/}" Content-Type)" "404 text/html; charset=utf-8"
	# a HEAD of the real pixel goes after them through the same queue
	expect "pixel" "$(http_head "$link" Content-Type)" "200 image/gif"
	t_wait_until 15 events_are open 2 || ERRS+=("no event for the real pixel")
	expect "opens: one by the browser, one machine" \
		"$(grep -c '"event":"open"' "$EVENTS")" "2"
	expect "clicks unchanged" "$(grep -c '"event":"click"' "$EVENTS")" "2"
}

case_sesctl_status_and_stats_show_them() {
	local day
	day=$(date -u +%Y-%m-%d)
	expect_match "status" "$("$SESCTL" -c "$A/ses/ses-milter.conf" status --date "$day" \
		--to ann@example.net --json)" '"UserOpened":true,"UserClicked":true'
	expect_match "stats: unique human, raw" "$("$SESCTL" -c "$A/ses/ses-milter.conf" stats \
		--from "$day" --to "$day" --domain news.example --json --raw)" \
		'"opened":1,"clicked":1,.*"opens":2,"clicks":2'
}

# Runs last: a memcached that hung leaves the daemon answering 451 until
# it has replayed its journal there, which the cases before must not meet.
case_redirect_is_not_withheld_while_memcached_hangs() {
	local link i clicks
	link=$(grep -Eo "http://127\.0\.0\.1:$HTTP/c/[A-Za-z0-9_-]+" "$WORK/mail.html" | head -n 1)
	clicks=$(grep -c '"event":"click"' "$EVENTS" 2>/dev/null)
	mc_freeze main
	for i in 1 2 3; do
		expect "redirect $i within 500 ms" "$(http_get_timed "$link")" \
			"302 http://127.0.0.1:$WEB/landing.html?a=1&b=2#top fast"
	done
	# events are written before the counters, so they reach the log all the same
	t_wait_until 15 events_at_least click $((clicks + 3)) ||
		ERRS+=("the events did not reach the log")
	mc_thaw main
}

case_custom_content_html_is_tracked_and_signed() {
	local body
	# multipart/mixed: text and quoted-printable HTML, then an HTML attachment
	# (the preamble line: swaks would read a body starting "--" as an option;
	# --add-header: --header would replace the first Content-Type in the body)
	body="A message in MIME format.
--m1
Content-Type: multipart/alternative; boundary=a1

--a1
Content-Type: text/plain; charset=utf-8

See http://127.0.0.1:$WEB/landing.html
--a1
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: quoted-printable

<html><body><p>Spring sale, every item in the shop at half price until the=
 end of the month.</p><p><a href=3D\"http://127.0.0.1:$WEB/landing.html?a=3D=
1&amp;b=3D2#top\">Sale</a> <a data-ses-track=3D\"off\" href=3D\"http://127.0.0=
.1:$WEB/plain.html\">Plain</a></p></body></html>
--a1--
--m1
Content-Type: text/html; name=terms.html
Content-Disposition: attachment; filename=terms.html

<html><body><a href=\"http://127.0.0.1:$WEB/terms.html\">Terms</a></body></html>
--m1--"
	pf_send "$A" "$T/out" "${SHOP[@]}" --to dan@example.net --header "Subject: Sale" \
		--add-header "MIME-Version: 1.0" \
		--add-header "Content-Type: multipart/mixed; boundary=m1" --body "$body"
	expect "end of data" "$(pf_status "$T/out" dot)" "250 2.0.0 Ok:"
	mbox_take "$A" dan@example.net "$WORK/custom"
	msg_part_text "$WORK/custom" text/html > "$T/html"
	expect_match "pixel before </body>" "$(cat "$T/html")" \
		"<img src=\"http://127\.0\.0\.1:$HTTP/o/[A-Za-z0-9_-]+\" width=\"1\" height=\"1\"[^>]*></body>"
	expect_match "sale link tracked" "$(cat "$T/html")" \
		"<a href=\"http://127\.0\.0\.1:$HTTP/c/[A-Za-z0-9_-]+\">Sale</a>"
	expect_match "untracked link kept" "$(cat "$T/html")" \
		"<a href=\"http://127\.0\.0\.1:$WEB/plain\.html\">Plain</a>"
	expect_match "text kept" "$(msg_part_text "$WORK/custom" text/plain)" \
		"^See http://127\.0\.0\.1:$WEB/landing\.html"
	expect "attachment untouched" "$(grep -c "<a href=\"http://127.0.0.1:$WEB/terms.html\">Terms</a>" \
		"$WORK/custom")" "1"
	expect "dkim verifies" "$(dkim_verify "$WORK/custom" "$WORK/dns")" "0:ok:a=rsa-sha256"
	# the redirect of the tracked link is the client's URL
	expect "location" "$(http_head "$(grep -Eo "http://127\.0\.0\.1:$HTTP/c/[A-Za-z0-9_-]+" \
		"$T/html" | head -n 1)" Location)" "302 http://127.0.0.1:$WEB/landing.html?a=1&b=2#top"
}

# ---- helpers --------------------------------------------------------------------

# browse URL: headless Chromium loads URL (and what it loads) and prints the DOM.
browse() {
	timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run \
		--no-default-browser-check --disable-background-networking --disable-sync \
		--disable-component-update --disable-domain-reliability --metrics-recording-only \
		--host-resolver-rules="MAP * ~NOTFOUND, EXCLUDE 127.0.0.1" \
		--user-data-dir="$WORK/chrome" --virtual-time-budget=5000 --dump-dom "$1" \
		2>>"$WORK/chrome.log"
}

# events_are TYPE N: the event log holds N events of TYPE.
events_are() {
	[ "$(grep -c "\"event\":\"$1\"" "$EVENTS" 2>/dev/null)" = "$2" ]
}

# events_at_least TYPE N: the event log holds N or more events of TYPE.
events_at_least() {
	[ "$(grep -c "\"event\":\"$1\"" "$EVENTS" 2>/dev/null)" -ge "$2" ]
}

# http_head URL HEADER: "STATUS VALUE" of a HEAD request (no redirect followed).
http_head() {
	python3 - "$1" "$2" <<'PY'
import sys, http.client, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1])
c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
c.request('HEAD', u.path, headers={'User-Agent': 'test'})
r = c.getresponse()
print(r.status, r.getheader(sys.argv[2], ''))
PY
}

# http_get_timed URL: "STATUS LOCATION fast|slow" of a GET, slow past 500 ms.
http_get_timed() {
	python3 - "$1" <<'PY'
import sys, time, http.client, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1])
t = time.monotonic()
c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
c.request('GET', u.path, headers={'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64)'})
r = c.getresponse()
print(r.status, r.getheader('Location', ''), 'fast' if time.monotonic() - t < 0.5 else 'slow')
PY
}

cleanup() {
	[ -n "$WEB_PID" ] && kill "$WEB_PID" 2>/dev/null
	e2e_cleanup
}

setup() {
	local words html
	e2e_work trk || return 1
	MC_DIR=$WORK/mc
	MC=$(mc_start "$MC_DIR" main) || return 1
	HTTP=$(t_free_port)
	WEB=$(t_free_port)
	EVENTS=$A/ses/events.log
	mkdir -p "$WORK/www"
	echo '<html><body><p>LANDING-OK</p></body></html>' > "$WORK/www/landing.html"
	echo '<html><body><p>PLAIN</p></body></html>' > "$WORK/www/plain.html"
	python3 -m http.server "$WEB" --bind 127.0.0.1 --directory "$WORK/www" \
		>"$WORK/web.log" 2>&1 &
	WEB_PID=$!
	t_wait_port "$WEB" || return 1
	ses_write_conf "$A" MemcachedServers "$MC" RecipientHourlyLimit 1000 \
		MaxSendsPerSecond 1000000 UnsubscribeListen "127.0.0.1:$HTTP" \
		TrackingUrl "http://127.0.0.1:$HTTP" TrackingMachineSeconds 0
	ses_add_account "$A" news "Network 127.0.0.2/32" "Domain news.example verified" \
		"Tracking open,click"
	ses_add_account "$A" shop "CustomContent yes" "Network 127.0.0.3/32" \
		"Domain shop.example verified" "Tracking open,click"
	words="Thank you for joining our service. We are glad to have you with us and we hope you enjoy every day of it. Your account is ready now and you can sign in at any time from any device you own."
	html="<html><body><p>Hello {{name}}. $words</p>
<p><a href=\"http://127.0.0.1:$WEB/landing.html?a=1&amp;b=2#top\">Shop</a>
<a data-ses-track=\"off\" href=\"http://127.0.0.1:$WEB/plain.html\">Plain</a>
<a href=\"{{unsubscribe_url}}\">Unsubscribe</a></p></body></html>"
	OFFER=$(e2e_template news offer marketing "Hello {{name}}. $words http://127.0.0.1:$WEB/landing.html" \
		"$html") || return 1
	dkim_key "$A/ses" "$WORK/dns" news.example ses rsa || return 1
	dkim_key "$A/ses" "$WORK/dns" shop.example ses rsa || return 1
	ses_start "$A" || return 1
	t_wait_port "$HTTP" || return 1
	pf_start "$A" "$(t_free_port)" "$(ses_socket "$A")" || return 1
}

main() {
	e2e_ready python3 memcached "$CHROMIUM"
	e2e_run delivered_html_has_a_pixel_and_tracked_links browser_loading_the_pixel_is_one_open \
		browser_following_the_link_lands_on_the_original_url \
		redirect_is_the_signed_url_exactly forged_token_is_404_and_no_event \
		sesctl_status_and_stats_show_them custom_content_html_is_tracked_and_signed \
		redirect_is_not_withheld_while_memcached_hangs
}

main "$@"
