#!/usr/bin/env bash
# A LAN host on IPv6 is a host like one on IPv4 (daemon/pcp/NOTES.md G64-):
# G64 GENA events to an IPv6 subscriber (global and link-local callbacks),
#     with CallStranger's rule and the per-host limit as on IPv4;
# G65 a control point on IPv6 calling WANIPConnection maps for its own IPv4
#     address (the neighbour table says it is the same host), not another's;
# G66 rate_limit and max_per_host count an IPv6 host by its link-layer
#     address, not by its /64, and share the quota with its IPv4 address;
# and the wait for the neighbour table parks the request, not the daemon.
# Every NOTIFY is received by a listener on the LAN host; every mapping and
# pinhole is checked with real TCP from the WAN.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/upnp_common.bash"
lab_up
lab_ipv6
HTTP_PORT=$UPNP_PORT
# The mail server's privacy address (RFC 8981), same link-layer address. Its
# stable address is added again after it, so that it stays the usual source
# (the newest address wins); the privacy one is used where a check binds it.
MAIL6_TMP=2001:db8:1::7e57:10
in_mail ip addr add $MAIL6_TMP/64 dev eth0 nodad
in_mail ip addr del $MAIL6/64 dev eth0
in_mail ip addr add $MAIL6/64 dev eth0 nodad
in_mail ip -6 route replace default via $GW_LAN6
MAIL_LL=$(in_mail ip -6 -o addr show dev eth0 scope link | awk '{sub("/.*", "", $4); print $4}')
GW_LL=$(in_gw ip -6 -o addr show dev br-lan scope link | awk '{sub("/.*", "", $4); print $4}')
CONF=$(ph_config "allow 1024-65535 $LAN6_NET 1024-65535" "http_port=$HTTP_PORT")
check "portholed starts" ph_start "$CONF"

# --- helpers ------------------------------------------------------------------
catcher() { gena_catcher "$@" v6; }
# gena NS DEST METHOD URL HEADER...: one request to the gateway at DEST (an
# IPv4 address, or an IPv6 one, with %zone if link-local, in brackets);
# prints the answer's status line and headers.
gena() {
	local ns=$1 dest=$2 method=$3 url=$4 h="" host to
	shift 4
	for x in "$@"; do h+="$x\r\n"; done
	if [[ $dest == \[* ]]; then host=${dest%%\%*}; host=${host%]}]; to="TCP6:$dest:$HTTP_PORT"
	else host=$dest; to="TCP:$dest:$HTTP_PORT"; fi
	printf '%b' "$method $url HTTP/1.1\r\nHOST: $host:$HTTP_PORT\r\n${h}CONNECTION: close\r\n\r\n" |
		ip netns exec "$ns" socat -T3 - "$to,connect-timeout=2" 2>/dev/null | tr -d '\r'
}
status() { head -1 | awk '{print $2}'; }
sid_of() { sed -n 's/^SID: //Ip'; }
GW6="[$GW_LAN6]"

# --- G64 GENA to IPv6 subscribers ---------------------------------------------
MAILN=$LAB_DIR/mail6.notify
MAILLLN=$LAB_DIR/mail_ll.notify
WSN=$LAB_DIR/ws6.notify
catcher "$NS_MAIL" 4000 "$MAILN"
catcher "$NS_MAIL" 4001 "$MAILLLN"
catcher "$NS_WS" 4000 "$WSN"

R=$(gena "$NS_MAIL" "$GW6" SUBSCRIBE /evt/IPConn2 "CALLBACK: <http://[$MAIL6]:4000/cb>" "NT: upnp:event")
check_eq "G64 SUBSCRIBE over IPv6 with CALLBACK <http://[$MAIL6]:4000/cb> -> 200" 200 "$(status <<<"$R")"
SID=$(sid_of <<<"$R")
check "G64 the initial NOTIFY (SEQ 0) reaches the IPv6 listener" wait_for "$MAILN" '^SEQ: 0'
check_match "G64 ... NOTIFY /cb, HOST in brackets" "^HOST: \[$MAIL6\]:4000" \
	"$(grep -B1 -A0 '^HOST:' "$MAILN" | head -2)"
check_match "G64 ... with our SID" "^SID: $SID" "$(cat "$MAILN")"
ph_ctl add tcp 2700 $MAIL_IP 25 >/dev/null
check "G64 a change is evented to it (SEQ 1, PortMappingNumberOfEntries 1)" \
	wait_after "$MAILN" 1 '<PortMappingNumberOfEntries>1</PortMappingNumberOfEntries>'
check_eq "G64 renewal from the subscriber -> 200" 200 \
	"$(gena "$NS_MAIL" "$GW6" SUBSCRIBE /evt/IPConn2 "SID: $SID" | status)"
check_eq "G64 its SID from another host (ws, IPv6) -> 412" 412 \
	"$(gena "$NS_WS" "$GW6" SUBSCRIBE /evt/IPConn2 "SID: $SID" | status)"
check_eq "G64 ... UNSUBSCRIBE from another host -> 412" 412 \
	"$(gena "$NS_WS" "$GW6" UNSUBSCRIBE /evt/IPConn2 "SID: $SID" | status)"
check_eq "G64 ... and from the subscriber's IPv4 address -> 412 (bound to the address)" 412 \
	"$(gena "$NS_MAIL" $GW_LAN_IP SUBSCRIBE /evt/IPConn2 "SID: $SID" | status)"
n=$(nnotify "$MAILN")
ph_ctl del tcp 2700 >/dev/null
check "G64 ... the subscription still gets events (PortMappingNumberOfEntries 0)" \
	wait_after "$MAILN" "$n" '<PortMappingNumberOfEntries>0</PortMappingNumberOfEntries>'

# Link-local: the callback is reached on the interface the SUBSCRIBE came in on.
R=$(gena "$NS_MAIL" "[$GW_LL%eth0]" SUBSCRIBE /evt/IPConn2 \
	"CALLBACK: <http://[$MAIL_LL%25eth0]:4001/ll>" "NT: upnp:event")
check_eq "G64 SUBSCRIBE from a link-local address with a link-local CALLBACK -> 200" 200 \
	"$(status <<<"$R")"
SID_LL=$(sid_of <<<"$R")
check "G64 ... its initial NOTIFY arrives over link-local" wait_for "$MAILLLN" '^NOTIFY /ll HTTP/1.1'

# CallStranger over IPv6: only the subscriber's own address; nothing is sent elsewhere.
check_eq "G64 CALLBACK on another LAN host (ws) -> 412" 412 \
	"$(gena "$NS_MAIL" "$GW6" SUBSCRIBE /evt/IPConn2 "CALLBACK: <http://[$WS6]:4000/>" "NT: upnp:event" | status)"
check_eq "G64 CALLBACK on a WAN host -> 412" 412 \
	"$(gena "$NS_MAIL" "$GW6" SUBSCRIBE /evt/IPConn2 "CALLBACK: <http://[$WAN6]:4000/>" "NT: upnp:event" | status)"
check_eq "G64 CALLBACK on the gateway's address -> 412" 412 \
	"$(gena "$NS_MAIL" "$GW6" SUBSCRIBE /evt/IPConn2 "CALLBACK: <http://[$GW_LAN6]:$HTTP_PORT/>" "NT: upnp:event" | status)"
check_eq "G64 the gateway subscribing itself over IPv6 (callback = its own address) -> 412" 412 \
	"$(gena "$NS_GW" "$GW6" SUBSCRIBE /evt/IPConn2 "CALLBACK: <http://[$GW_LAN6]:4000/>" "NT: upnp:event" | status)"
check_eq "G64 CALLBACK on the host's own other address (not the one it came from) -> 412" 412 \
	"$(gena "$NS_MAIL" "$GW6" SUBSCRIBE /evt/IPConn2 "CALLBACK: <http://[$MAIL6_TMP]:4000/>" "NT: upnp:event" | status)"
check_eq "G64 an IPv4 CALLBACK from an IPv6 peer -> 412" 412 \
	"$(gena "$NS_MAIL" "$GW6" SUBSCRIBE /evt/IPConn2 "CALLBACK: <http://$MAIL_IP:4000/>" "NT: upnp:event" | status)"
check_eq "G64 the gateway subscribing itself over IPv4 -> 412" 412 \
	"$(gena "$NS_GW" $GW_LAN_IP SUBSCRIBE /evt/IPConn2 "CALLBACK: <http://$GW_LAN_IP:4000/>" "NT: upnp:event" | status)"
R=$(gena "$NS_WS" "$GW6" SUBSCRIBE /evt/IPConn2 "CALLBACK: <http://[$WS6]:4000/w>" "NT: upnp:event")
check_eq "G64 control: ws subscribing itself over IPv6 -> 200" 200 "$(status <<<"$R")"
SID_WS=$(sid_of <<<"$R")
check "G64 control: ws gets its initial NOTIFY" wait_for "$WSN" '^NOTIFY /w HTTP/1.1'
check_eq "G64 ... and ws's listener got nothing else (the refused callbacks sent nothing)" 1 \
	"$(nnotify "$WSN")"

# One host, four subscriptions, whichever family and address it uses.
codes=""
for a in "$GW6" $GW_LAN_IP; do
	[[ $a == \[* ]] && cb="[$MAIL6]" || cb=$MAIL_IP
	codes+="$(gena "$NS_MAIL" "$a" SUBSCRIBE /evt/IPConn1 "CALLBACK: <http://$cb:4000/v1>" "NT: upnp:event" | status) "
done
# The mail server holds 2 IPv6 ones and now 2 more: a fifth, from its privacy address, is one too many.
R=$(printf 'SUBSCRIBE /evt/IPConn2 HTTP/1.1\r\nHOST: [%s]:%s\r\nCALLBACK: <http://[%s]:4000/t>\r\nNT: upnp:event\r\nCONNECTION: close\r\n\r\n' \
	$GW_LAN6 $HTTP_PORT $MAIL6_TMP $HTTP_PORT |
	in_mail socat -T3 - "TCP6:[$GW_LAN6]:$HTTP_PORT,bind=[$MAIL6_TMP]" | tr -d '\r')
codes+=$(status <<<"$R")
check_eq "G64 per host across families: IPv4 and IPv6 make 4, the 5th from a privacy address -> 503" \
	"200 200 503" "$codes"
check_eq "G64 control: ws (another host on the same /64) still subscribes" 200 \
	"$(gena "$NS_WS" "$GW6" SUBSCRIBE /evt/CmnIfCfg "CALLBACK: <http://[$WS6]:4000/c>" "NT: upnp:event" | status)"
check_eq "G64 UNSUBSCRIBE over IPv6 -> 200" 200 \
	"$(gena "$NS_MAIL" "$GW6" UNSUBSCRIBE /evt/IPConn2 "SID: $SID" | status)"
n=$(grep -c '^NOTIFY /cb ' "$MAILN")
nv1=$(grep -c '^NOTIFY /v1 ' "$MAILN")
nws=$(nnotify "$WSN")
ph_ctl add tcp 2701 $MAIL_IP 25 >/dev/null
check "G64 control: ws gets the next event" wait_after "$WSN" "$nws" '<PortMappingNumberOfEntries>1<'
check "G64 control: so does the mail server's IPv6 IPConn1 subscription" bash -c \
	'for _ in $(seq 30); do [ $(grep -c "^NOTIFY /v1 " "$1") -ge $(($2 + 1)) ] && exit 0; sleep 0.1; done; exit 1' \
	_ "$MAILN" "$nv1"
check_eq "G64 ... the unsubscribed one does not" "$n" "$(grep -c '^NOTIFY /cb ' "$MAILN")"
ph_ctl del tcp 2701 >/dev/null
gena "$NS_MAIL" "[$GW_LL%eth0]" UNSUBSCRIBE /evt/IPConn2 "SID: $SID_LL" >/dev/null
gena "$NS_WS" "$GW6" UNSUBSCRIBE /evt/IPConn2 "SID: $SID_WS" >/dev/null
check "G64 the daemon is still running" ph_alive

# --- G65 WANIPConnection from a control point on IPv6 ----------------------------
# soap6 NS ACTION ARGS [URL]: an action over IPv6 (IGD:2 unless URL says).
soap6() { UPNP_GW="[$GW_LAN6]" soap "$1" "${4:-$IPC2_URL}" "$([ "${4:-}" = "$IPC1_URL" ] && echo $IPC1 || echo $IPC2)" "$2" "$3"; }
serve_tcp "$NS_MAIL" 2525
serve_tcp "$NS_WS" 2526
check_not "G65 control: no mapping, the WAN cannot reach $EXT_IP:2525" probe_tcp "$NS_WAN" $EXT_IP 2525
out=$(ip netns exec "$NS_MAIL" timeout 20 upnpc -6 -i -a $MAIL_IP 2525 2525 TCP 600 2>&1)
check_match "G65 upnpc -6 (IGD found over IPv6) maps its host's IPv4 address $MAIL_IP" \
	"external $EXT_IP:2525 TCP is redirected to internal $MAIL_IP:2525" "$out"
check_eq "G65 ... and the WAN reaches the mail server through it" "$WAN_IP" \
	"$(probe_tcp "$NS_WAN" $EXT_IP 2525)"
check_match "G65 ... listed as the mail server's UPnP mapping" "^tcp +2525 +$MAIL_IP:2525 +upnp " "$(ph_ctl list)"
check_eq "G65 GetListOfPortMappings NewManage=0 over IPv6 lists the caller's own" ok \
	"$(soap6 "$NS_MAIL" GetListOfPortMappings "$(xarg NewStartPort 1; xarg NewEndPort 65535; xarg NewProtocol TCP; xarg NewManage 0; xarg NewNumberOfPorts 0)" | errcode)"
check_eq "G65 from ws over IPv6 the same listing finds none of ws's -> 730" 730 \
	"$(soap6 "$NS_WS" GetListOfPortMappings "$(xarg NewStartPort 1; xarg NewEndPort 65535; xarg NewProtocol TCP; xarg NewManage 0; xarg NewNumberOfPorts 0)" | errcode)"
check_eq "G65 the mail server over IPv6 for ws's address -> 606 (IGD:2)" 606 \
	"$(soap6 "$NS_MAIL" AddPortMapping "$(add_args 2526 TCP 2526 $WS_IP 600)" | errcode)"
check_eq "G65 ... -> 718 (IGD:1)" 718 \
	"$(soap6 "$NS_MAIL" AddPortMapping "$(add_args 2526 TCP 2526 $WS_IP 600)" $IPC1_URL | errcode)"
check_not "G65 ... and the WAN cannot reach ws's port 2526" probe_tcp "$NS_WAN" $EXT_IP 2526
check_eq "G65 ws over IPv6 may not delete the mail server's mapping -> 606" 606 \
	"$(soap6 "$NS_WS" DeletePortMapping "$(key_args 2525 TCP)" | errcode)"
check_eq "G65 ... which still works" "$WAN_IP" "$(probe_tcp "$NS_WAN" $EXT_IP 2525)"
check_eq "G65 control: ws over IPv6 maps its own address" ok \
	"$(soap6 "$NS_WS" AddPortMapping "$(add_args 2526 TCP 2526 $WS_IP 600)" | errcode)"
check_eq "G65 ... and the WAN reaches ws" "$WAN_IP" "$(probe_tcp "$NS_WAN" $EXT_IP 2526)"
check_eq "G65 from the mail server's privacy address (same link-layer address) -> allowed" ok \
	"$(UPNP_BIND="[$MAIL6_TMP]" soap6 "$NS_MAIL" AddPortMapping "$(add_args 2527 UDP 2527 $MAIL_IP 600)" | errcode)"
check_match "G65 ... a UDP mapping for $MAIL_IP" "^udp +2527 +$MAIL_IP:2527 +upnp " "$(ph_ctl list)"
check_eq "G65 the mail server over IPv6 deletes its own mapping" ok \
	"$(soap6 "$NS_MAIL" DeletePortMapping "$(key_args 2525 TCP)" | errcode)"
check_not "G65 ... and the WAN no longer reaches it" probe_tcp "$NS_WAN" $EXT_IP 2525
# secure_mode=no: another host's address needs a third-party rule, as on IPv4.
soap6 "$NS_WS" DeletePortMapping "$(key_args 2526 TCP)" >/dev/null
cp "$CONF" "$LAB_DIR/orig.conf"
# hup_with SED_EXPR LINE...: the original config edited by SED_EXPR, plus LINEs, in force.
hup_with() {
	local n
	n=$(grep -c reloaded "$LAB_DIR/portholed.log")
	{ sed -e "$1" "$LAB_DIR/orig.conf"; printf '%s\n' "${@:2}"; } >"$CONF"
	kill -HUP "$PH_PID"
	wait_until 50 bash -c '[ $(grep -c reloaded "$1") -gt "$2" ]' _ "$LAB_DIR/portholed.log" "$n"
}
hup_with "" "secure_mode=no"
check_eq "G65 secure_mode=no, no third-party rule: the mail server over IPv6 for ws -> 606" 606 \
	"$(soap6 "$NS_MAIL" AddPortMapping "$(add_args 2526 TCP 2526 $WS_IP 600)" | errcode)"
check_not "G65 ... and the WAN cannot reach ws's port 2526" probe_tcp "$NS_WAN" $EXT_IP 2526
hup_with "s|^allow 1-65535 $LAN_NET 1-65535\$|& third-party|" "secure_mode=no"
check_eq "G65 ... with a third-party rule -> allowed" ok \
	"$(soap6 "$NS_MAIL" AddPortMapping "$(add_args 2526 TCP 2526 $WS_IP 600)" | errcode)"
check_eq "G65 ... and the WAN reaches ws" "$WAN_IP" "$(probe_tcp "$NS_WAN" $EXT_IP 2526)"
soap6 "$NS_WS" DeletePortMapping "$(key_args 2526 TCP)" >/dev/null
soap6 "$NS_MAIL" DeletePortMapping "$(key_args 2527 UDP)" >/dev/null
check_eq "G65 ... nothing left mapped for the next part" "" "$(ph_ctl list | grep upnp)"

# --- G66 max_per_host and rate_limit: an IPv6 host is its link-layer address ---
# max_per_host=3 for the mail server: one IPv4 mapping and two pinholes (its
# stable and its privacy address) are its three; ws, on the same /64, has its own.
P="$BIN/tests/pcptest"
upnpc6() { local ns=$1; shift; ip netns exec "$ns" timeout 20 upnpc -6 -i "$@" 2>&1; }
pcp6() { local ns=$1; shift; ip netns exec "$ns" "$P" -k 3 -t 700 "$@" $GW_LAN6; }
for port in 3101 3102 3103; do serve_tcp6 "$NS_MAIL" $port; done
serve_tcp6 "$NS_WS" 3105
hup_with "" "max_per_host=3"
check_match "G66 the mail server maps a port over IPv4 (1 of 3)" "is redirected to internal $MAIL_IP:3100" \
	"$(ip netns exec "$NS_MAIL" timeout 20 upnpc -i -u "http://$GW_LAN_IP:$HTTP_PORT/igd2.xml" -a $MAIL_IP 3100 3100 TCP 600 2>&1)"
check_match "G66 ... a pinhole for its stable address (2 of 3)" "Pinhole ID = [0-9]+" \
	"$(upnpc6 "$NS_MAIL" -A :: 0 $MAIL6 3101 6 600)"
check_match "G66 ... one for its privacy address (3 of 3)" "Pinhole ID = [0-9]+" \
	"$(upnpc6 "$NS_MAIL" -A :: 0 $MAIL6_TMP 3102 6 600)"
check_match "G66 ... a fourth, a pinhole, is over its quota -> 701" "failed with code 701" \
	"$(upnpc6 "$NS_MAIL" -A :: 0 $MAIL6 3103 6 600)"
check_not "G66 ... and the WAN cannot reach [$MAIL6]:3103" reach6 "$NS_WAN" $MAIL6 3103
check "G66 ... while [$MAIL6]:3101 is open" reach6 "$NS_WAN" $MAIL6 3101
check_match "G66 a fourth over IPv4 is over it too -> 728" "failed with code 728" \
	"$(ip netns exec "$NS_MAIL" timeout 20 upnpc -i -u "http://$GW_LAN_IP:$HTTP_PORT/igd2.xml" -a $MAIL_IP 3106 3106 TCP 600 2>&1)"
check_match "G66 ws on the same /64 opens a pinhole (the /64 holds 2 already)" "Pinhole ID = [0-9]+" \
	"$(upnpc6 "$NS_WS" -A :: 0 $WS6 3104 6 600)"
check_match "G66 ... and a second (a per-/64 count would be 3 of 3 before it)" "Pinhole ID = [0-9]+" \
	"$(upnpc6 "$NS_WS" -A :: 0 $WS6 3105 6 600)"
check "G66 ... which the WAN reaches" reach6 "$NS_WAN" $WS6 3105
check_eq "G66 ws's third over PCP -> SUCCESS" SUCCESS \
	"$(pcp6 "$NS_WS" -i 3107 -n 0102030405060708090a0b0c -l 600 | grep -o 'result_name=[A-Z_]*' | cut -d= -f2)"
check_eq "G66 ws's fourth over PCP -> USER_EX_QUOTA" USER_EX_QUOTA \
	"$(pcp6 "$NS_WS" -i 3108 -n 0102030405060708090a0b0c -l 600 | grep -o 'result_name=[A-Z_]*' | cut -d= -f2)"
soap "$NS_MAIL" $IPC2_URL $IPC2 DeletePortMapping "$(key_args 3100 TCP)" >/dev/null
check_match "G66 the mail server's IPv4 mapping gone, its pinhole fits" "Pinhole ID = [0-9]+" \
	"$(upnpc6 "$NS_MAIL" -A :: 0 $MAIL6 3103 6 600)"
check "G66 ... and the WAN reaches [$MAIL6]:3103" reach6 "$NS_WAN" $MAIL6 3103

# rate_limit=1 (a burst of 1, then 1 a second): the mail server's two IPv6
# addresses draw on one budget; ws, on the same /64, on its own.
hup_with "" "rate_limit=1"
burst() { UPNP_GW="[$GW_LAN6]" soap_burst "$@" $IPC2_URL $IPC2 GetExternalIPAddress 6 | grep -o '^HTTP/1.1 [0-9]*' | awk '{print $2}' | tr '\n' ' '; }
t0=$(now_ms)
mail=$(burst "$NS_MAIL")
priv=$(UPNP_BIND="[$MAIL6_TMP]" burst "$NS_MAIL")
t1=$(now_ms)
ws=$(burst "$NS_WS")
ok=$(grep -o 200 <<<"$mail $priv" | wc -l)
earned=$(( (t1 - t0) / 1000 ))
check_match "G66 the mail server's flood over IPv6 meets the limit ($mail)" 503 "$mail"
check "G66 ... its privacy address shares the budget: $ok answered of 12, at most 1 + the $earned s its $((t1 - t0)) ms earned" \
	test "$ok" -le $((1 + earned))
check_match "G66 control: ws, on the same /64, is answered ($ws)" 200 "$ws"
hup_with ""
check "G66 the daemon is still running" ph_alive

# --- the neighbour wait parks the request, not the event loop ----------------
# N calls over IPv6 from the mail server, by turns AddPortMapping for an IPv4
# address and AddPinhole for an IPv6 one that nobody on the LAN has: the
# neighbour table cannot resolve them, so each waits its 100 ms for the table
# (UPnP clients do not retry) and is then refused (606: not the caller's own
# address, on either service). The calls come on separate connections, all
# connected first and then sent at once, so the daemon has them all in hand
# together; the mail server binds four addresses of its own (HTTP takes 6
# connections per address). Meanwhile ws asks NAT-PMP for the external
# address, question after question, until every call is answered. A daemon
# whose event loop the waits held (10 ms sleeps) answered the calls one
# after another, the last after N x 100 ms, and ws only between them (mostly
# after all of them); parked, the waits run side by side and ws is answered
# at once.
N=20
EXTRA6=(2001:db8:1::7e57:20 2001:db8:1::7e57:21 2001:db8:1::7e57:22 2001:db8:1::7e57:23)
for a in "${EXTRA6[@]}"; do in_mail ip addr add $a/64 dev eth0 nodad; done
in_mail ip addr del $MAIL6/64 dev eth0	# the stable address stays the usual source
in_mail ip addr add $MAIL6/64 dev eth0 nodad
# parked_wait: prints "natpmp=N natpmp_worst_ms=T answered=N refused606=N min_ms=T
# max_ms=T" (the calls' times from sending them; NAT-PMP's from each question).
parked_wait() {
	in_mail /usr/bin/python3 - "$GW_LAN6" "$HTTP_PORT" "$GW_LAN_IP" "/run/netns/$NS_WS" "$N" \
		"$IPC2_URL" "$IPC2" "${EXTRA6[@]}" <<'PY'
import ctypes, os, re, select, socket, struct, sys, time
gw6, port, gw4, ws_ns, n, url, svc = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6], sys.argv[7]
srcs = sys.argv[8:]
libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000
def enter(fd):
    if libc.setns(fd, CLONE_NEWNET) != 0:
        sys.exit("setns: %s" % os.strerror(ctypes.get_errno()))
# ws's NAT-PMP socket, made in ws's namespace; the rest from the mail server's.
mail_ns = os.open("/proc/self/ns/net", os.O_RDONLY)
enter(os.open(ws_ns, os.O_RDONLY))
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.connect((gw4, 5351))
enter(mail_ns)
# Even calls AddPortMapping for an IPv4 address, odd ones AddPinhole for an
# IPv6 one: nobody on the LAN has either.
def request(i):
    if i % 2 == 0:
        u, v, act = url, svc, "AddPortMapping"
        args = ("<NewRemoteHost></NewRemoteHost><NewExternalPort>%d</NewExternalPort>"
                "<NewProtocol>TCP</NewProtocol><NewInternalPort>%d</NewInternalPort>"
                "<NewInternalClient>192.168.77.%d</NewInternalClient><NewEnabled>1</NewEnabled>"
                "<NewPortMappingDescription>parked</NewPortMappingDescription>"
                "<NewLeaseDuration>600</NewLeaseDuration>") % (4000 + i, 4000 + i, 200 + i)
    else:
        u, v, act = "/ctl/IP6FCtl", "urn:schemas-upnp-org:service:WANIPv6FirewallControl:1", "AddPinhole"
        args = ("<RemoteHost></RemoteHost><RemotePort>0</RemotePort>"
                "<InternalClient>2001:db8:1::e0:%d</InternalClient><InternalPort>%d</InternalPort>"
                "<Protocol>6</Protocol><LeaseTime>600</LeaseTime>") % (i, 4000 + i)
    body = ('<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
            's:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>'
            '<u:%s xmlns:u="%s">%s</u:%s></s:Body></s:Envelope>') % (act, v, args, act)
    return ("POST %s HTTP/1.1\r\nHOST: [%s]:%d\r\nCONTENT-TYPE: text/xml; charset=\"utf-8\"\r\n"
            "SOAPACTION: \"%s#%s\"\r\nCONTENT-LENGTH: %d\r\nCONNECTION: close\r\n\r\n%s"
            % (u, gw6, port, v, act, len(body), body)).encode()
conns = []
for i in range(n):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.bind((srcs[i % len(srcs)], 0))
    s.settimeout(5)
    s.connect((gw6, port))
    conns.append(s)
reqs = [request(i) for i in range(n)]
time.sleep(0.3)			# every connection accepted and idle
t0 = time.monotonic()
for s in range(n):
    conns[s].sendall(reqs[s])
# ws asks NAT-PMP (external address) again and again, one question at a time,
# until every call is answered; the slowest answer counts.
left = {s.fileno(): [s, b""] for s in conns}
done, probes, worst = [], 0, 0.0
udp.send(struct.pack("!BB", 0, 0))
asked = time.monotonic()
while (left or asked) and time.monotonic() - t0 < 15:
    socks = [v[0] for v in left.values()] + ([udp] if asked else [])
    ready, _, _ = select.select(socks, [], [], 1)
    now = time.monotonic()
    for s in ready:
        if s is udp:
            udp.recv(64)
            probes += 1
            worst = max(worst, now - asked)
            asked = None
            if left:
                time.sleep(0.002)	# a question every few ms is plenty
                udp.send(struct.pack("!BB", 0, 0))
                asked = time.monotonic()
            continue
        d = s.recv(65536)
        if d:
            left[s.fileno()][1] += d
            continue
        done.append(((now - t0) * 1000, left.pop(s.fileno())[1]))
        s.close()
codes = [re.search(rb"<errorCode>(\d+)</errorCode>", b) for _, b in done]
times = [t for t, _ in done] or [-1]
print("natpmp=%d natpmp_worst_ms=%d answered=%d refused606=%d min_ms=%d max_ms=%d" % (
      probes, worst * 1000 if not asked else -1, len(done),
      sum(1 for c in codes if c and c.group(1) == b"606"), min(times), max(times)))
PY
}
R=$(parked_wait)
echo "# $R"
val() { sed -n "s/.*\b$1=\(-\?[0-9]*\).*/\1/p" <<<"$R"; }
check_eq "parked: all $N AddPortMapping/AddPinhole for unresolvable addresses answered, each 606" "$N $N" \
	"$(val answered) $(val refused606)"
# (the daemon's clock counts whole milliseconds: 100 ms can end 99.x ms later)
check "parked: ... none before its 100 ms wait for the neighbour table ($(val min_ms) ms first)" \
	test "$(val min_ms)" -ge 99
check "parked: ... all within $(val max_ms) ms, under 1000 (one after another: at least $N x 100)" \
	test "$(val max_ms)" -lt 1000
check "parked: ws's NAT-PMP answered $(val natpmp) times meanwhile, the slowest in $(val natpmp_worst_ms) ms, under 500" \
	test "$(val natpmp)" -ge 1 -a "$(val natpmp_worst_ms)" -ge 0 -a "$(val natpmp_worst_ms)" -lt 500
check_eq "parked: ... nothing was mapped or opened" "" "$(ph_ctl list | grep -E ':40[01][0-9] ')"
check "parked: the daemon is still running" ph_alive
