#!/usr/bin/env bash
# The operator's listener (status_port, status_http.c): /status, /status.json
# and /metrics on each LAN address whether or not UPnP runs, never to the WAN,
# GET and HEAD only, no rebound Host; without status_port (the default) none.
. "$(dirname "$0")/../lib.sh"
lab_up

SP=5380		# as in the example configuration
get() {		# get NS ADDR PATH [METHOD] [HOST]
	printf '%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "${4:-GET}" "$3" \
		"${5:-$2:$SP}" | ip netns exec "$1" socat -T3 - TCP:"$2":$SP,connect-timeout=2 2>/dev/null
}

# --- UPnP off: the pages are still there, on their own port ---
check "portholed starts with enable_upnp=no, status_port=$SP" \
	ph_start "$(ph_config enable_upnp=no status_port=$SP)"
in_mail natpmpc -g $GW_LAN_IP -a 2700 2700 tcp 600 >/dev/null 2>&1
out=$(get "$NS_WS" $GW_LAN_IP /status)
check_match "GET /status on status_port answers 200 with HTML" "^HTTP/1.1 200" "$out"
check_match "... listing the mapping" "$MAIL_IP" "$out"
check_match "... and forbids scripts" "Content-Security-Policy: default-src 'none'" "$out"
out=$(get "$NS_WS" $GW_LAN_IP /status.json)
check_match "GET /status.json is JSON" "Content-Type: application/json" "$out"
check_match "... with the mapping" "\"external_port\": ?2700" "$out"
check_match "GET /metrics counts it" 'porthole_mappings\{protocol="natpmp"\} 1' \
	"$(get "$NS_WS" $GW_LAN_IP /metrics)"
check_match "no UPnP description here: /igd2.xml is 404" "^HTTP/1.1 404" \
	"$(get "$NS_WS" $GW_LAN_IP /igd2.xml)"
check_match "POST is 405" "^HTTP/1.1 405" "$(get "$NS_WS" $GW_LAN_IP /status POST)"
check_match "a Host that is a name (DNS rebinding) is 403" "^HTTP/1.1 403" \
	"$(get "$NS_WS" $GW_LAN_IP /status GET rebind.example:$SP)"
check_eq "the WAN gets nothing on the external address" "" "$(get "$NS_WAN" $EXT_IP /status)"
ph_stop

# --- no status_port (the default): no listener (the same request, now unanswered) ---
check "portholed starts without status_port" ph_start "$(ph_config enable_upnp=no)"
check_not "nothing listens on $SP" grep -q ":$SP " <<<"$(in_gw ss -ltn)"
check_eq "and GET /status gets no answer" "" "$(get "$NS_WS" $GW_LAN_IP /status)"
ph_stop
