#!/usr/bin/env bash
# What an operator sees: the status page (rendered by headless Chromium), its
# JSON twin, Prometheus metrics, one log line per mapping change, and what
# `make install` puts where (issue 8).
. "$(dirname "$0")/../lib.sh"
lab_up
PORT=5000
ph_start "$(ph_config "http_port=$PORT")"
serve_tcp "$NS_MAIL" 25
get() { printf 'GET %s HTTP/1.1\r\nHost: %s:%s\r\nConnection: close\r\n\r\n' "$3" "$2" $PORT |
	ip netns exec "$1" socat -T3 - TCP:"$2":$PORT,connect-timeout=2 2>/dev/null; }

ph_ctl add tcp 2525 $MAIL_IP 25 0 'smtp <b>relay</b>' >/dev/null
in_mail natpmpc -g $GW_LAN_IP -a 993 993 tcp 3600 >/dev/null 2>&1
probe_tcp "$NS_WAN" $EXT_IP 2525 >/dev/null
ph_ctl add tcp 2525 $WS_IP 25 >/dev/null 2>&1	# refused: held by the mail server

# --- the page, as a browser renders it ---
out=$(get "$NS_WS" $GW_LAN_IP /status)
check_match "GET /status answers 200 with HTML" "^HTTP/1.1 200" "$out"
check_match "the page needs no JavaScript (none in it, CSP forbids it)" \
	"Content-Security-Policy: default-src 'none'" "$out"
check_not "no script element" grep -qi "<script" <<<"$out"
dom=$(in_ws timeout 180 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	--disable-background-networking --disable-component-update --disable-sync \
	--user-data-dir="$LAB_DIR/chromium" --dump-dom "http://$GW_LAN_IP:$PORT/status" 2>/dev/null)
check_match "Chromium renders the mappings table" '<table id="mappings">' "$dom"
check_match "... with the static mapping, its client, owner and lease" \
	"<td>tcp</td><td class=\"n\">2525</td><td>$MAIL_IP:25</td><td>static</td><td>permanent</td>" "$dom"
check_match "... with the NAT-PMP mapping and its lease left" \
	"<td class=\"n\">993</td><td>$MAIL_IP:993</td><td>natpmp</td><td class=\"n\">3[0-9]{3}s</td>" "$dom"
check_match "... with counters that saw the WAN host's connection" \
	"2525</td>.*<td class=\"n\">[1-9][0-9]*</td><td class=\"n\">[1-9][0-9]*</td>" "$dom"
check_match "... the description escaped, not markup" "smtp &lt;b&gt;relay&lt;/b&gt;" "$dom"
check_match "... and the external address" "<strong id=\"external\">$EXT_IP</strong>" "$dom"
in_ws timeout 180 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	--disable-background-networking --disable-component-update --disable-sync \
	--user-data-dir="$LAB_DIR/chromium" --window-size=1100,400 \
	--screenshot="$LAB_DIR/status.png" "http://$GW_LAN_IP:$PORT/status" >/dev/null 2>&1
check "Chromium takes a screenshot of the page" test -s "$LAB_DIR/status.png"
ink=$(python3 "$ROOT/tests/helpers/png_ink.py" "$LAB_DIR/status.png")
check_match "... which shows the page drawn: text on a background ($ink)" \
	"ink=([2-9]|[1-9][0-9])\.[0-9]+% dark=([1-9][0-9]*\.|0\.[5-9])" "$ink"
# The control: a blank page, shot the same way, measures as blank.
in_ws timeout 180 chromium --headless --no-sandbox --disable-gpu --no-first-run \
	--disable-background-networking --disable-component-update --disable-sync \
	--user-data-dir="$LAB_DIR/chromium" --window-size=1100,400 \
	--screenshot="$LAB_DIR/blank.png" "data:text/html,<html></html>" >/dev/null 2>&1
check_match "... while a blank page measures blank (control)" "ink=0\.00% dark=0\.00%" \
	"$(python3 "$ROOT/tests/helpers/png_ink.py" "$LAB_DIR/blank.png")"
[ -n "${KEEP_SCREENSHOT:-}" ] && cp "$LAB_DIR/status.png" "$KEEP_SCREENSHOT"

# --- JSON and metrics ---
out=$(get "$NS_WS" $GW_LAN_IP /status.json)
check_match "GET /status.json is JSON" "Content-Type: application/json" "$out"
check_match "... with the same fields" \
	"\"protocol\":\"tcp\",\"external_port\":993,\"internal_address\":\"$MAIL_IP\",\"internal_port\":993,\"owner\":\"natpmp\",\"lease_seconds\":3[0-9]{3},\"remote_host\":null" "$out"
check_match "... and the external address" "\"external_address\":\"$EXT_IP\"" "$out"
out=$(get "$NS_WS" $GW_LAN_IP /metrics)
check_match "metrics: mappings by protocol" 'porthole_mappings\{protocol="natpmp"\} 1' "$out"
check_match "metrics: requests by protocol" 'porthole_requests_total\{protocol="natpmp"\} [1-9]' "$out"
check_match "metrics: refusals by reason" 'porthole_refused_total\{reason="conflict"\} 1' "$out"
check_eq "the status page is not served to the WAN" "" "$(get "$NS_WAN" $EXT_IP /status)"

# --- logs: one line per mapping added, removed or refused, with the reason ---
ph_ctl del tcp 2525 >/dev/null
log=$(cat "$LAB_DIR/portholed.log")
check_match "log: mapping added" "mapping added: natpmp tcp 993 -> $MAIL_IP:993, lease 3600s" "$log"
check_match "log: mapping refused, with the reason" \
	"mapping refused: static tcp 2525 for $WS_IP: the port is held by another host" "$log"
check_match "log: mapping removed" "mapping removed: static tcp 2525 -> $MAIL_IP:25" "$log"
ph_stop

# --- make install honours PREFIX and DESTDIR ---
dest=$LAB_DIR/dest
make -s -C "$ROOT" B="$B" install PREFIX=/usr DESTDIR="$dest" >/dev/null 2>&1
for f in usr/sbin/portholed usr/sbin/portholectl usr/bin/porthole usr/lib/libporthole.so.0 \
	usr/lib/libporthole.so usr/lib/libporthole.a usr/include/porthole.h \
	usr/lib/pkgconfig/libporthole.pc usr/share/man/man8/portholed.8 \
	usr/share/man/man5/portholed.conf.5 usr/share/man/man8/portholectl.8 \
	usr/share/man/man1/porthole.1 usr/share/man/man3/libporthole.3 \
	usr/share/doc/porthole/portholed.conf.example usr/lib/systemd/system/portholed.service \
	usr/lib/systemd/system/porthole-keep.service; do
	check "make install DESTDIR PREFIX=/usr: $f" test -e "$dest/$f"
done
check_match "the installed unit runs the installed daemon" "ExecStart=/usr/sbin/portholed" \
	"$(cat "$dest/usr/lib/systemd/system/portholed.service")"
check_match "the pkg-config file names the prefix" "^prefix=/usr$" "$(cat "$dest/usr/lib/pkgconfig/libporthole.pc")"
