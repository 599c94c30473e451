#!/usr/bin/env bash
# UPnP eventing (GENA): SUBSCRIBE, renew, UNSUBSCRIBE, the initial NOTIFY
# and NOTIFY on change (CONFORMANCE E48-E51), and CallStranger
# (CVE-2020-12695): a callback anywhere but the subscriber itself is refused
# and never receives anything.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/upnp_common.bash"
lab_up
upnp_start || exit 1

catcher() { gena_catcher "$@"; }
MAILN=$LAB_DIR/mail.notify
WSN=$LAB_DIR/ws.notify
catcher "$NS_MAIL" 5100 "$MAILN"
catcher "$NS_WS" 5100 "$WSN"

# gena NS METHOD URL HEADER...: print the answer's status line and headers.
gena() {
	local ns=$1 method=$2 url=$3 h=""
	shift 3
	for x in "$@"; do h+="$x\r\n"; done
	http_raw "$ns" $GW_LAN_IP "$method $url HTTP/1.1\r\nHOST: $GW_LAN_IP:$UPNP_PORT\r\n${h}CONNECTION: close\r\n\r\n" | tr -d '\r'
}
status() { head -1 | awk '{print $2}'; }

# --- E48 subscribe and the initial event ---------------------------------------
R=$(gena "$NS_MAIL" SUBSCRIBE /evt/IPConn2 "CALLBACK: <http://$MAIL_IP:5100/cb>" "NT: upnp:event" "TIMEOUT: Second-60")
check_eq "E48 SUBSCRIBE -> 200" 200 "$(status <<<"$R")"
SID=$(sed -n 's/^SID: //Ip' <<<"$R")
check_match "E48 SID: uuid:..." '^uuid:[0-9a-f-]{36}$' "$SID"
check_match "E48 TIMEOUT is at least 1800 s, never infinite" '^TIMEOUT: Second-(1[89][0-9]{2}|[2-9][0-9]{3,})$' "$R"
check "E48 the initial NOTIFY arrives" wait_for "$MAILN" '^SEQ: 0'
N=$(nth_notify "$MAILN" 1)
check_match "E48 initial NOTIFY request line" '^NOTIFY /cb HTTP/1.1' "$N"
check_match "E48 initial NOTIFY NT/NTS" 'NTS: upnp:propchange' "$N"
check_match "E48 initial NOTIFY carries our SID" "^SID: $SID" "$N"
check_match "E48 initial NOTIFY: ExternalIPAddress" "<ExternalIPAddress>$EXT_IP</ExternalIPAddress>" "$N"
check_match "E48 initial NOTIFY: PortMappingNumberOfEntries" '<PortMappingNumberOfEntries>0</PortMappingNumberOfEntries>' "$N"
check_match "E48 initial NOTIFY: ConnectionStatus" '<ConnectionStatus>Connected</ConnectionStatus>' "$N"
check_match "E48 initial NOTIFY: SystemUpdateID" '<SystemUpdateID>[0-9]+</SystemUpdateID>' "$N"
check "E48 the NOTIFY body is a well-formed propertyset" bash -c \
	'sed -n "/^<?xml/,\$p" <<<"$1" | xmllint --noout -' _ "$N"

# --- E51 events on change -------------------------------------------------------
in_mail timeout 20 upnpc -i -u "http://$GW_LAN_IP:$UPNP_PORT/igd2.xml" -a $MAIL_IP 2525 2525 TCP 600 >/dev/null
check "E51 adding a mapping sends a NOTIFY with SEQ 1" wait_for "$MAILN" '^SEQ: 1'
N=$(nth_notify "$MAILN" 2)
check_match "E51 ... PortMappingNumberOfEntries 1" '<PortMappingNumberOfEntries>1</PortMappingNumberOfEntries>' "$N"
check_match "E51 ... with SystemUpdateID in the same message" '<SystemUpdateID>[0-9]+</SystemUpdateID>' "$N"
n=$(nnotify "$MAILN")
in_ws natpmpc -g $GW_LAN_IP -a 8080 8080 tcp 3600 >/dev/null 2>&1
check "E51 a NAT-PMP mapping is evented too (PortMappingNumberOfEntries 2)" \
	wait_after "$MAILN" "$n" '<PortMappingNumberOfEntries>2</PortMappingNumberOfEntries>'
n=$(nnotify "$MAILN")
in_mail timeout 20 upnpc -i -d 2525 TCP >/dev/null
check "E51 removing a mapping is evented (PortMappingNumberOfEntries 1)" \
	wait_after "$MAILN" "$n" '<PortMappingNumberOfEntries>1</PortMappingNumberOfEntries>'
# Keep the new address when the old primary goes.
in_gw sysctl -qw net.ipv4.conf.wan0.promote_secondaries=1
in_gw ip addr add 203.0.113.9/24 dev wan0
in_gw ip addr del $EXT_IP/24 dev wan0
check "E51 an external address change is evented" wait_for "$MAILN" '<ExternalIPAddress>203.0.113.9</ExternalIPAddress>'
n=$(nnotify "$MAILN")
in_gw ip addr add $EXT_IP/24 dev wan0
in_gw ip addr del 203.0.113.9/24 dev wan0
check "E51 ... and back" wait_after "$MAILN" "$n" "<ExternalIPAddress>$EXT_IP</ExternalIPAddress>"
n=$(nnotify "$MAILN")
in_gw ip addr del $EXT_IP/24 dev wan0
check "E51 losing the WAN address is evented: ConnectionStatus Disconnected" \
	wait_after "$MAILN" "$n" '<ConnectionStatus>Disconnected</ConnectionStatus>'
check_eq "E40 ... and GetStatusInfo says so" Disconnected \
	"$(soap "$NS_MAIL" $IPC2_URL $IPC2 GetStatusInfo "" | xval NewConnectionStatus)"
n=$(nnotify "$MAILN")
in_gw ip addr add $EXT_IP/24 dev wan0
check "E51 getting it back is evented: ConnectionStatus Connected" \
	wait_after "$MAILN" "$n" '<ConnectionStatus>Connected</ConnectionStatus>'
n=$(nnotify "$MAILN")
soap "$NS_MAIL" $IPC2_URL $IPC2 AddPortMapping "$(add_args 2600 UDP 2600 $MAIL_IP 2)" >/dev/null
check "E44 E51 a v2 mapping added ... (PortMappingNumberOfEntries 2)" \
	wait_after "$MAILN" "$n" '<PortMappingNumberOfEntries>2</PortMappingNumberOfEntries>'
n=$(nnotify "$MAILN")
sleep 2
check "E44 E51 ... and its expiry are evented (PortMappingNumberOfEntries 1)" \
	wait_after "$MAILN" "$n" '<PortMappingNumberOfEntries>1</PortMappingNumberOfEntries>'
SEQS=$(grep '^SEQ: ' "$MAILN" | awk '{print $2}' | tr '\n' ' ')
check_match "E48 SEQ rises by one per message ($SEQS)" '^0 1 2 3 4 5 6 7 8 9 ' "$SEQS"

# --- E48/E49 renew and unsubscribe -----------------------------------------------------
R=$(gena "$NS_MAIL" SUBSCRIBE /evt/IPConn2 "SID: $SID" "TIMEOUT: Second-3600")
check_eq "E48 renew with SID -> 200" 200 "$(status <<<"$R")"
check_match "E48 renew grants the time asked for" '^TIMEOUT: Second-3600$' "$R"
check_eq "E49 renew with an unknown SID -> 412" 412 \
	"$(gena "$NS_MAIL" SUBSCRIBE /evt/IPConn2 "SID: uuid:00000000-0000-4000-8000-000000000000" | status)"
check_eq "E49 SID together with CALLBACK -> 400" 400 \
	"$(gena "$NS_MAIL" SUBSCRIBE /evt/IPConn2 "SID: $SID" "CALLBACK: <http://$MAIL_IP:5100/>" | status)"
check_eq "E49 SID together with NT -> 400" 400 \
	"$(gena "$NS_MAIL" SUBSCRIBE /evt/IPConn2 "SID: $SID" "NT: upnp:event" | status)"
check_eq "E49 no CALLBACK -> 412" 412 "$(gena "$NS_MAIL" SUBSCRIBE /evt/IPConn2 "NT: upnp:event" | status)"
check_eq "E49 a CALLBACK that is not an http URL -> 412" 412 \
	"$(gena "$NS_MAIL" SUBSCRIBE /evt/IPConn2 "CALLBACK: <ftp://$MAIL_IP/>" "NT: upnp:event" | status)"
check_eq "E49 a wrong NT -> 412" 412 \
	"$(gena "$NS_MAIL" SUBSCRIBE /evt/IPConn2 "CALLBACK: <http://$MAIL_IP:5100/>" "NT: upnp:propchange" | status)"
check_eq "E49 UNSUBSCRIBE with an unknown SID -> 412" 412 \
	"$(gena "$NS_MAIL" UNSUBSCRIBE /evt/IPConn2 "SID: uuid:00000000-0000-4000-8000-000000000000" | status)"
check_eq "E49 UNSUBSCRIBE with SID and NT -> 400" 400 \
	"$(gena "$NS_MAIL" UNSUBSCRIBE /evt/IPConn2 "SID: $SID" "NT: upnp:event" | status)"
check_eq "E48 UNSUBSCRIBE -> 200" 200 "$(gena "$NS_MAIL" UNSUBSCRIBE /evt/IPConn2 "SID: $SID" | status)"
check_eq "E49 the SID is gone afterwards -> 412" 412 "$(gena "$NS_MAIL" SUBSCRIBE /evt/IPConn2 "SID: $SID" | status)"
# The control: a subscriber of the workstation's gets the event mail no longer gets.
WSN2=$LAB_DIR/ws2.notify
catcher "$NS_WS" 5101 "$WSN2"
R=$(gena "$NS_WS" SUBSCRIBE /evt/IPConn2 "CALLBACK: <http://$WS_IP:5101/>" "NT: upnp:event")
SID_W=$(sed -n 's/^SID: //Ip' <<<"$R")
wait_for "$WSN2" '^SEQ: 0'
before=$(grep -c '^SEQ: ' "$MAILN")
in_mail timeout 20 upnpc -i -a $MAIL_IP 2526 2526 TCP 600 >/dev/null
check "E48 (control) another subscriber gets the next event" wait_for "$WSN2" '^SEQ: 1'
check_eq "E48 no NOTIFY after UNSUBSCRIBE" "$before" "$(grep -c '^SEQ: ' "$MAILN")"
gena "$NS_WS" UNSUBSCRIBE /evt/IPConn2 "SID: $SID_W" >/dev/null

# --- E50 CallStranger ---------------------------------------------------------------
check_eq "E50 CALLBACK on a WAN address -> 412" 412 \
	"$(gena "$NS_MAIL" SUBSCRIBE /evt/IPConn2 "CALLBACK: <http://$WAN_IP:5100/>" "NT: upnp:event" | status)"
check_eq "E50 CALLBACK on 8.8.8.8 -> 412" 412 \
	"$(gena "$NS_MAIL" SUBSCRIBE /evt/IPConn2 "CALLBACK: <http://8.8.8.8/>" "NT: upnp:event" | status)"
check_eq "E50 CALLBACK on another LAN host -> 412" 412 \
	"$(gena "$NS_MAIL" SUBSCRIBE /evt/IPConn2 "CALLBACK: <http://$WS_IP:5100/>" "NT: upnp:event" | status)"
check_eq "E50 CALLBACK by host name -> 412" 412 \
	"$(gena "$NS_MAIL" SUBSCRIBE /evt/IPConn2 "CALLBACK: <http://localhost:5100/>" "NT: upnp:event" | status)"
in_mail timeout 20 upnpc -i -d 2526 TCP >/dev/null
sleep 1
check_eq "E50 the other LAN host never received a NOTIFY" "" "$(cat "$WSN")"

# --- the other services ---------------------------------------------------------
R=$(gena "$NS_WS" SUBSCRIBE /evt/CmnIfCfg "CALLBACK: <http://$WS_IP:5100/cic>" "NT: upnp:event")
check_eq "E48 SUBSCRIBE to WANCommonInterfaceConfig -> 200" 200 "$(status <<<"$R")"
check "E48 its initial NOTIFY: PhysicalLinkStatus" wait_for "$WSN" '<PhysicalLinkStatus>Up</PhysicalLinkStatus>'
check_eq "E49 SUBSCRIBE to a URL that is not an event URL -> 404" 404 \
	"$(gena "$NS_WS" SUBSCRIBE /evt/nothing "CALLBACK: <http://$WS_IP:5100/>" "NT: upnp:event" | status)"
codes=$(for i in $(seq 10); do gena "$NS_WS" SUBSCRIBE /evt/IPConn1 "CALLBACK: <http://$WS_IP:5100/$i>" "NT: upnp:event" | status; done | tr '\n' ' ')
check_match "E48 one host holds at most 4 subscriptions, then 503 ($codes)" '^(200 ){3}(503 ){7}$' "$codes"
check_eq "E48 ... while another host can still subscribe" 200 \
	"$(gena "$NS_MAIL" SUBSCRIBE /evt/IPConn1 "CALLBACK: <http://$MAIL_IP:5100/x>" "NT: upnp:event" | status)"
check "E48 the daemon is still running" ph_alive

# --- E48 expiry: a subscription not renewed ends when its TIMEOUT (at least
# 1800 s) runs out; a renewed one lives on. The daemon is restarted with
# clockskew.so, which moves its monotonic clock ahead by the seconds in a
# file; each move is noticed when the next request wakes the daemon ---
upnp_stop
SKEW=$LAB_DIR/clock_skew
echo 0 >"$SKEW"
export PORTHOLE_CLOCK_SKEW=$SKEW LD_PRELOAD=$BIN/tests/clockskew.so
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
check "E48 portholed restarts with its clock under the test's control" upnp_start
unset LD_PRELOAD PORTHOLE_CLOCK_SKEW
MAILX=$LAB_DIR/mail.expiry
WSX=$LAB_DIR/ws.expiry
catcher "$NS_MAIL" 5102 "$MAILX"
catcher "$NS_WS" 5103 "$WSX"
R=$(gena "$NS_MAIL" SUBSCRIBE /evt/IPConn2 "CALLBACK: <http://$MAIL_IP:5102/>" "NT: upnp:event" "TIMEOUT: Second-1800")
SID_M=$(sed -n 's/^SID: //Ip' <<<"$R")
R=$(gena "$NS_WS" SUBSCRIBE /evt/IPConn2 "CALLBACK: <http://$WS_IP:5103/>" "NT: upnp:event" "TIMEOUT: Second-1800")
SID_W=$(sed -n 's/^SID: //Ip' <<<"$R")
check_match "E48 both subscriptions granted ($SID_M, $SID_W)" '^uuid:[0-9a-f-]{36} uuid:[0-9a-f-]{36}$' \
	"$SID_M $SID_W"
check "E48 both subscribers get their initial NOTIFY" \
	bash -c 'for _ in $(seq 30); do grep -q "^SEQ: 0" "$1" && grep -q "^SEQ: 0" "$2" && exit 0; sleep 0.1; done; exit 1' \
	_ "$MAILX" "$WSX"
echo 1000 >"$SKEW"
check_eq "E48 after 1000 s the workstation renews for 1800 s" 200 \
	"$(gena "$NS_WS" SUBSCRIBE /evt/IPConn2 "SID: $SID_W" "TIMEOUT: Second-1800" | status)"
echo 2000 >"$SKEW"
gena "$NS_MAIL" GET /igd2.xml >/dev/null	# wakes the daemon: its timers run
check_eq "E48 after 2000 s the unrenewed subscription is gone (renewal -> 412)" 412 \
	"$(gena "$NS_MAIL" SUBSCRIBE /evt/IPConn2 "SID: $SID_M" "TIMEOUT: Second-1800" | status)"
ph_ctl add tcp 2700 $MAIL_IP 25 >/dev/null
check "E48 ... the renewed one still gets events" wait_for "$WSX" '^SEQ: 1'
check_eq "E48 ... the expired one gets none" 1 "$(nnotify "$MAILX")"
echo 3000 >"$SKEW"
gena "$NS_WS" GET /igd2.xml >/dev/null
check_eq "E48 1800 s after its renewal the other is gone too" 412 \
	"$(gena "$NS_WS" SUBSCRIBE /evt/IPConn2 "SID: $SID_W" "TIMEOUT: Second-1800" | status)"
check "E48 the daemon is still running" ph_alive
