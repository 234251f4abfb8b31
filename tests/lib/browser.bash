# browser.bash: what tests/browser.bats needs beyond lib/web (which starts
# nginx + fcgiwrap + slapd + the shared spool): the web page's files put
# where that nginx serves them, under the Content-Security-Policy the
# site's etc/web/nginx-soca.conf sends, and a flow of tests/browser/
# run in Debian's chromium through npm's puppeteer-core.
#
#   load lib/helper
#   load lib/web
#   load lib/browser
#   setup_file()    { browser_need && web_start && browser_site; }
#   teardown_file() { web_stop; }
#   setup()         { [ -z "${BROWSER_SKIP:-}" ] || skip "$BROWSER_SKIP"; web_setup || skip "$WEB_SKIP"; }
#   @test ...       { browser_run FLOW ARGS...; assert_line ...; }
#
# Screenshots go to $BROWSER_SHOTS ($SOCA_BROWSER_SHOTS, else
# tests/browser-shots in the build tree).

: "${CHROMIUM:=/usr/bin/chromium}"
export CHROMIUM
BROWSER_SHOTS=${SOCA_BROWSER_SHOTS:-$(cd "$SOCA_BUILDDIR" && pwd)/tests/browser-shots}
export BROWSER_SHOTS
# the policy of etc/web/nginx-soca.conf when the tree has none
BROWSER_CSP_DEFAULT="default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'"

# browser_need: node and chromium are there (else BROWSER_SKIP says why;
# setup_file's exports reach the tests, the file's top level runs again);
# puppeteer-core missing is a failure: tests/setup-deps installs it
browser_need() {
	export BROWSER_SKIP=
	if ! command -v node >/dev/null; then
		BROWSER_SKIP="node is not installed (tests/setup-deps test installs nodejs)"
		return 0
	fi
	if ! [ -x "$CHROMIUM" ]; then
		BROWSER_SKIP="chromium is not installed at $CHROMIUM (tests/setup-deps test installs it)"
		return 0
	fi
	if ! [ -f "$SOCA_SRCDIR/tests/npm/node_modules/puppeteer-core/package.json" ]; then
		echo "puppeteer-core is missing from tests/npm: run tests/setup-deps test" >&2
		return 1
	fi
}

# browser_site: the page's files in the test site's document root, served
# with their MIME types (a module script is refused as anything but
# JavaScript) and the shipped CSP header (nginx reloaded, waited for)
browser_site() {
	[ -n "${WEB_DIR:-}" ] || return 0
	local csp conf="$WEB_DIR/nginx/nginx.conf" i
	install -m 0644 "$SOCA_SRCDIR"/lib/web/www/* "$WEB_DIR/www/"
	if [ -f "$SOCA_SRCDIR/etc/web/nginx-soca.conf" ]; then
		csp=$(sed -n 's/^[[:space:]]*add_header Content-Security-Policy "\(.*\)" always;$/\1/p' \
		    "$SOCA_SRCDIR/etc/web/nginx-soca.conf" | head -n 1)
	fi
	export BROWSER_CSP=${csp:-$BROWSER_CSP_DEFAULT}
	if ! grep -q mime.types "$conf"; then
		sed -i 's|^\([[:space:]]*\)http {|&\n\1    include /etc/nginx/mime.types;|' "$conf"
	fi
	if ! grep -q Content-Security-Policy "$conf"; then
		sed -i "s|location / {|location / { add_header Content-Security-Policy \"$BROWSER_CSP\" always;|" "$conf"
	fi
	kill -HUP "$(cat "$SERVICE_DIR/nginx.pid")"
	for i in $(seq 100); do
		curl -sS -o /dev/null -D - --cacert "$WEB_DIR/tls.crt" "$WEB_URL/app.js" 2>/dev/null |
		    grep -qi '^content-type: [a-z]*/javascript' &&
		curl -sS -o /dev/null -D - --cacert "$WEB_DIR/tls.crt" "$WEB_URL/" 2>/dev/null |
		    grep -qi '^content-security-policy:' && return 0
		sleep 0.1
	done
	echo "nginx does not serve the page with its types and CSP after a reload" >&2
	return 1
}

# browser_run FLOW ARGS...: `run` the flow as socatest-alice (as
# socatest-$BROWSER_USER when that is set); a flow that finds the API
# without the part it needs exits 77 and the test skips
browser_run() {
	local u=${BROWSER_USER:-alice} pw
	pw=WEB_PW_$u
	run timeout 240 env TMPDIR="$BATS_TEST_TMPDIR" SOCA_WEB_URL="$WEB_URL" SOCA_WEB_USER="socatest-$u" \
	    SOCA_WEB_PASSWORD="${!pw}" SOCA_SHOTS="$BROWSER_SHOTS" \
	    node "$SOCA_SRCDIR/tests/browser/flows.mjs" "$@"
	if [ "$status" -eq 77 ]; then
		skip "$(sed -n 's/^skip //p' <<<"$output")"
	fi
}

# browser_planned METHOD PATH: the API's document marks the route planned
browser_planned() {
	jq -e --arg m "$(tr '[:upper:]' '[:lower:]' <<<"$1")" --arg p "$2" \
	    '.paths[$p][$m]["x-soca-status"] == "planned"' \
	    "$SOCA_SRCDIR/lib/web/openapi.json" >/dev/null
}

# jobs_total: every job of the spool, finished ones too
jobs_total() {
	soca-stat -x -n -o id </dev/null | wc -l
}
