#!/usr/bin/env bash
# Behind another NAT (issue 17, CONFORMANCE H): the office router runs
# portholed behind an ISP box (lab_up_double: office WAN 192.168.178.20,
# ISP box WAN 198.51.100.1, coturn as a real STUN server on the Internet host).
#   1. STUN alone (upstream=off): the public address is learned and told.
#   2. The ISP box is a second portholed: every mapping is made there too.
#   3. The ISP box speaks no protocol: refused, or kept per upstream_required.
. "$(dirname "$0")/../lib.sh"
if ! command -v turnserver >/dev/null; then
	trap lab_finish EXIT
	skip "every check behind another NAT" "coturn not installed: apt-get install coturn (tests/deps.sh)"
	exit 0
fi
lab_up_double
P="$BIN/tests/pcptest"
field() { printf '%s\n' "$2" | grep -o " $1=[^ ]*" | head -1 | cut -d= -f2; }
status_of() { ph_ctl status | grep "^$1=" | cut -d= -f2; }
check "the Internet host's STUN server (coturn) listens" stun_serve

# --- positive control: without stun_server the private WAN address is all we know ---
check "portholed starts without stun_server" ph_start "$(ph_config upstream=off)"
out=$(in_mail natpmpc -g $GW_LAN_IP 2>&1)
check_match "61 control: NAT-PMP op 0 names the WAN address while nothing better is known" \
	"Public IP address : $OFFICE_WAN_IP" "$out"
check_match "61 control: the log says the router is behind another NAT and what to set" \
	"is private: this router is behind another NAT.*stun_server" "$(cat "$LAB_DIR/portholed.log")"
ph_stop

# --- 61: with stun_server, every protocol names the public address ---
in_ws "$P" -m $WS_IP -t 8000 >"$LAB_DIR/announce.out" &
ANN=$!
LAB_PIDS+=($ANN)
sleep 0.3
check "portholed starts with stun_server=$NET_IP" ph_start "$(ph_config "stun_server=$NET_IP" status_port=5380 upstream=off)"
check "61 STUN answers within 3 s (public_address in portholectl status)" \
	wait_until 30 bash -c "[ \"\$(ip netns exec $NS_GW $BIN/portholectl -s $CTL_SOCK status |
		grep ^public_address=)\" = public_address=$ISP_EXT_IP ]"
check_eq "portholectl status: the WAN address stays the office router's" "$OFFICE_WAN_IP" \
	"$(status_of wan_address)"
check_eq "portholectl status: what clients are told" "$ISP_EXT_IP" "$(status_of external_address)"
check_eq "portholectl status: the public address came from STUN" "stun:$NET_IP:3478" \
	"$(status_of public_source)"
check_match "the log names the STUN answer" "stun: $NET_IP:3478 sees us as $ISP_EXT_IP" \
	"$(cat "$LAB_DIR/portholed.log")"
out=$(in_mail natpmpc -g $GW_LAN_IP 2>&1)
check_match "61 NAT-PMP op 0 (natpmpc) names the public address" "Public IP address : $ISP_EXT_IP" "$out"
out=$(in_mail "$P" -o map -p tcp -i 2600 -l 600 $GW_LAN_IP)
check_match "61 a PCP MAP reply names the public address" "result_name=SUCCESS .*ext_ip=$ISP_EXT_IP" "$out"
R=$(upnpc_run "$NS_MAIL" -i -s)
check_match "61 UPnP GetExternalIPAddress (upnpc -s) names the public address" \
	"ExternalIPAddress = $ISP_EXT_IP" "$R"
wait $ANN
check_match "63 the NAT-PMP announcement on the LAN names the public address once known" \
	"version=0 opcode=0 r=1 result=0 .*ext_ip=$ISP_EXT_IP" "$(cat "$LAB_DIR/announce.out")"
check_match "the status page shows both addresses" \
	"id=\"external\">$ISP_EXT_IP<.*id=\"wan\">$OFFICE_WAN_IP<.*id=\"public\">$ISP_EXT_IP<" \
	"$(in_ws curl -s "http://$GW_LAN_IP:5380/status" | tr -d "\n")"
check_match "/metrics names both addresses" \
	"porthole_address_info\\{wan=\"$OFFICE_WAN_IP\",public=\"$ISP_EXT_IP\",external=\"$ISP_EXT_IP\",behind_nat=\"yes\"\\} 1" \
	"$(in_ws curl -s "http://$GW_LAN_IP:5380/metrics")"
out=$(in_ws curl -s "http://$GW_LAN_IP:5380/status.json")
check_match "/status.json names the address told" "\"external_address\":\"$ISP_EXT_IP\"" "$out"
check_match "/status.json names the WAN and public addresses" \
	"\"wan_address\":\"$OFFICE_WAN_IP\",\"public_address\":\"$ISP_EXT_IP\"" "$out"
check "/status.json is valid JSON" python3 -c 'import json,sys; json.loads(sys.argv[1])' "$out"
ph_stop

# --- 2. the ISP box runs portholed: mappings are made in front too (62, 63) ---
isp_listed() { isp_ctl list | grep -E "^$1 +$2 +$OFFICE_WAN_IP:$2 "; }
isp_gone() { ! isp_listed "$@"; }
check "the ISP box's portholed starts (max_lifetime 300, internal ports 23, 24, 2424 denied)" \
	isp_start "$(isp_config max_lifetime=300 "deny 1-65535 0.0.0.0/0 23" \
		"deny 1-65535 0.0.0.0/0 24" "deny 1-65535 0.0.0.0/0 2424")"
isp_ctl add tcp 2000 ${ISP_LAN_IP%.*}.99 2000 0 "another customer" >/dev/null
# The worker's poll of the gateway in front made slow (60 s, a test hook):
# the ISP box's restart and address change below are followed through its
# announcements on 224.0.0.1:5350.
export PORTHOLED_UPSTREAM_CHECK_MS=60000
check "the office router starts with upstream=auto (the default), polling every 60 s" \
	ph_start "$(ph_config status_port=5380 http_port=5000)"
unset PORTHOLED_UPSTREAM_CHECK_MS
check_eq "portholectl status: upstream forwarding is active (the WAN address is private)" yes \
	"$(status_of upstream_active)"
check "61 the ISP box's address is learned from it within 3 s" \
	wait_until 30 bash -c "ip netns exec $NS_GW $BIN/portholectl -s $CTL_SOCK status |
		grep -qx public_address=$ISP_EXT_IP"
check_eq "portholectl status: the public address came from the gateway in front" "upstream:pcp" \
	"$(status_of public_source)"
serve_tcp "$NS_MAIL" 25
serve_tcp "$NS_MAIL" 465
serve_tcp "$NS_MAIL" 587
check_not "control: before any mapping the Internet host does not reach the mail server" \
	probe_tcp "$NS_WAN" $ISP_EXT_IP 25
out=$(in_mail natpmpc -g $GW_LAN_IP -a 25 25 tcp 600 2>&1)
check_match "62 natpmpc maps tcp/25; the lifetime is the shorter one (the ISP box grants 300)" \
	"Mapped public port 25 protocol TCP to local port 25 liftime 300" "$out"
check_match "61 natpmpc names the ISP box's public address" "Public IP address : $ISP_EXT_IP" "$out"
check "62 the ISP box holds tcp 25 -> the office router's WAN address" isp_listed tcp 25
check_eq "62 the Internet host reaches the mail server through both NATs" "$NET_IP" \
	"$(probe_tcp "$NS_WAN" $ISP_EXT_IP 25 | cut -d: -f1)"
check_eq "62 the workstation reaches it through the public address (hairpin)" \
	"$ISP_EXT_IP" "$(probe_tcp "$NS_WS" $ISP_EXT_IP 25 | cut -d: -f1)"
out=$(in_mail "$P" -o map -p tcp -i 587 -e 587 -l 600 $GW_LAN_IP)
check_match "62 a PCP MAP names the public address and port, and the shorter lifetime" \
	"result_name=SUCCESS lifetime=300 .*ext_port=587 ext_ip=$ISP_EXT_IP" "$out"
R=$(in_mail timeout 20 upnpc -i -e "smtps" -a $MAIL_IP 465 465 TCP 600 2>&1)
check_match "62 upnpc maps tcp/465" "external $ISP_EXT_IP:465 TCP is redirected to internal $MAIL_IP:465" "$R"
check "62 ... and the ISP box held it before upnpc had its answer (the answer waited)" \
	isp_listed tcp 465
check_match "62 ... with the local lease's description (PCP DESCRIPTION)" "^tcp +465 .* smtps$" \
	"$(isp_ctl list)"
check_eq "portholectl status: three mappings forwarded" 3 "$(status_of upstream_mapped)"

# The mail admin's own checkup, from the mail host: porthole maps through the
# office router (which forwards to the ISP box) and the reflector on the
# Internet host connects back through both NATs.
serve_tcp "$NS_MAIL" 993
REFLECTOR_URL=http://$WAN_IP:8025/
check "a reflector starts on the Internet host" reflector_start --rate 600
export PORTHOLE_STATE=$LAB_DIR/porthole.state
check "porthole maps tcp/993 through both NATs" in_mail "$BIN/porthole" -t 1500 --port tcp/993 map
js=$(in_mail "$BIN/porthole" -t 1500 --port tcp/993 status --json --reflector "$REFLECTOR_URL")
rc=$?
check_eq "porthole status: exit 0, verdict open, reached from outside, at the public address" \
	"0 open open $ISP_EXT_IP" "$rc $(python3 -c 'import json,sys; d=json.load(sys.stdin)
print(d["verdict"], d["ports"][0]["outside"], d["public_address"])' <<<"$js")"

# UPnP answers wait for the gateway in front: its refusal is the client's (62)
U2="-u http://$GW_LAN_IP:5000/igd2.xml"
no_local() { ! ph_ctl list | grep -qE "^$1 +$2 "; }
# upnp_refused WHAT CODE [UPNPC_ARGS...] PORT: AddPortMapping of tcp/PORT
# gets CODE, and leaves no mapping here.
upnp_refused() {
	local what=$1 code=$2 port=${!#} r
	r=$(in_mail timeout 20 upnpc -i "${@:3:$#-3}" -a $MAIL_IP $port $port TCP 600 2>&1)
	check_match "62 UPnP AddPortMapping of tcp/$port, $what: $code once it said so" \
		"AddPortMapping\\($port, $port, $MAIL_IP\\) failed with code $code" "$r"
	check "62 ... and no local mapping of tcp $port is left" no_local tcp $port
	check_eq "62 ... made here once, and not again to give the answer" 1 \
		"$(grep -c "mapping added: upnp tcp $port " "$LAB_DIR/portholed.log")"
}
upnp_refused "IGD:1, denied by the ISP box's rules" 718 24
R=$(in_mail timeout 20 upnpc -i $U2 -a $MAIL_IP 2425 2425 TCP 600 2>&1)
check_match "62 control: UPnP IGD:2 AddPortMapping of tcp/2425 succeeds" \
	"external $ISP_EXT_IP:2425 TCP is redirected to internal $MAIL_IP:2425" "$R"
check "62 ... held by the ISP box before the answer came" isp_listed tcp 2425
upnp_refused "IGD:2, denied by the ISP box's rules" 606 $U2 2424
upnp_refused "another customer's at the ISP box" 718 $U2 2000
R=$(in_mail timeout 20 upnpc -i $U2 -n $MAIL_IP 2002 2000 TCP 600 2>&1)
check_match "62 AddAnyPortMapping asking for tcp/2000 gets the next port the ISP box grants, 2001" \
	"external $ISP_EXT_IP:2001 TCP is redirected to internal $MAIL_IP:2002" "$R"
check "62 ... held by the ISP box" isp_listed tcp 2001
check_match "62 ... and here" "^tcp +2001 +$MAIL_IP:2002 " "$(ph_ctl list)"
check "62 ... and not 2000 here" no_local tcp 2000

# refusals in front become refusals here (62)
out=$(in_mail natpmpc -g $GW_LAN_IP -a 23 23 tcp 600 2>&1)
check_match "62 the ISP box denies tcp/23: natpmpc gets NOT_AUTHORIZED (result 2)" \
	"[Nn]ot [Aa]uthorized|NOTAUTHORIZED" "$out"
out=$(in_mail "$P" -o map -p tcp -i 23 -e 23 -l 600 $GW_LAN_IP)
check_match "62 a PCP MAP for tcp/23 gets NOT_AUTHORIZED" "result_name=NOT_AUTHORIZED" "$out"
out=$(in_mail natpmpc -g $GW_LAN_IP -a 23 23 tcp 600 2>&1)
check_match "62 natpmpc asks for tcp/23 again: NOT_AUTHORIZED again" \
	"[Nn]ot [Aa]uthorized|NOTAUTHORIZED" "$out"
# While a refusal in front stands (10 s; these requests take milliseconds),
# the answer is given from it: the mapping was made here for the first
# request only (then removed), never again.
check_eq "62 ... tcp/23 was made here once (the first NAT-PMP request)" 1 \
	"$(grep -c "mapping added: natpmp tcp 23 " "$LAB_DIR/portholed.log")"
check_eq "62 ... and not for the PCP request while the refusal stood" 0 \
	"$(grep -c "mapping added: pcp tcp 23 " "$LAB_DIR/portholed.log")"
R=$(in_mail timeout 20 upnpc -i -a $MAIL_IP 23 23 TCP 600 2>&1)
check_match "62 ... and UPnP IGD:1 AddPortMapping of tcp/23 (refusal standing) gets 718" \
	"AddPortMapping\\(23, 23, $MAIL_IP\\) failed with code 718" "$R"
check_not "62 ... and no local mapping of tcp 23 is left" bash -c "ip netns exec $NS_GW \
	$BIN/portholectl -s $CTL_SOCK list | grep -E '^tcp +23 '"
out=$(in_mail "$P" -o map -p tcp -i 2000 -e 2000 -l 600 $GW_LAN_IP)
check_match "62 tcp/2000 is another customer's at the ISP box: CANNOT_PROVIDE_EXTERNAL" \
	"result_name=CANNOT_PROVIDE_EXTERNAL" "$out"
check_match "62 the refusals are logged with the gateway's reason" \
	"upstream: tcp 23 refused by the gateway in front .*removed here too" \
	"$(cat "$LAB_DIR/portholed.log")"

# deletion and expiry propagate (63)
in_mail natpmpc -g $GW_LAN_IP -a 25 25 tcp 0 >/dev/null 2>&1
check "63 natpmpc deletes tcp/25: the ISP box drops it within 3 s" wait_until 30 isp_gone tcp 25
check "63 ... the other mappings stay there (control)" isp_listed tcp 587
check_not "63 ... and the Internet host no longer reaches port 25" probe_tcp "$NS_WAN" $ISP_EXT_IP 25
out=$(in_mail natpmpc -g $GW_LAN_IP -a 2600 2600 udp 3 2>&1)
check_match "63 a 3-second NAT-PMP mapping (udp/2600)" "Mapped public port 2600 protocol UDP .* liftime 3" "$out"
check "63 ... is held by the ISP box" isp_listed udp 2600
check "63 ... and gone from it within 8 s of its expiry here" wait_until 80 isp_gone udp 2600

# the ISP box restarts and forgets everything (63)
isp_stop
check "63 the ISP box restarts without its mappings" isp_start "$(isp_config max_lifetime=300)"
check "63 the office router maps them there again within 5 s" wait_until 50 isp_listed tcp 587
check "63 ... all of them" wait_until 20 isp_listed tcp 465
check_eq "63 ... made anew in the restarted ISP box (its log: added twice)" 2 \
	"$(grep -c 'mapping added: pcp tcp 587 ' "$LAB_DIR/isp.log")"
check_eq "portholectl status: one restart of the gateway in front seen" 1 "$(status_of upstream_restarts)"
check_eq "63 the Internet host reaches the mail server again" "$NET_IP" \
	"$(probe_tcp "$NS_WAN" $ISP_EXT_IP 587 | cut -d: -f1)"
check_match "63 the log says the gateway in front lost them" "lost our mappings" \
	"$(cat "$LAB_DIR/portholed.log")"
check_match "63 ... which its announcement told, not the 60 s poll" \
	"the gateway in front announced itself; checking it now" "$(cat "$LAB_DIR/portholed.log")"

# the ISP box's address changes: LAN clients are told (63)
NEW_EXT=198.51.100.9
# A GENA subscriber on the mail host: every NOTIFY lands in a file.
ip netns exec "$NS_MAIL" socat -T2 TCP-LISTEN:5100,fork,reuseaddr \
	SYSTEM:"timeout 1 cat >>$LAB_DIR/notify.out" 2>/dev/null &
LAB_PIDS+=($!)
wait_listen "$NS_MAIL" tcp 5100
printf 'SUBSCRIBE /evt/IPConn2 HTTP/1.1\r\nHOST: %s:5000\r\nCALLBACK: <http://%s:5100/>\r\nNT: upnp:event\r\nTIMEOUT: Second-300\r\nCONNECTION: close\r\n\r\n' \
	$GW_LAN_IP $MAIL_IP | in_mail socat -T3 - TCP:$GW_LAN_IP:5000 >"$LAB_DIR/subscribe.out" 2>&1
check_match "a GENA subscription to the office router's WANIPConnection" "^HTTP/1.1 200" \
	"$(cat "$LAB_DIR/subscribe.out")"
in_ws "$P" -m $WS_IP -t 7000 >"$LAB_DIR/announce2.out" &
ANN=$!
LAB_PIDS+=($ANN)
sleep 0.3
ip -n "$NS_ISP" addr flush dev wan0
ip -n "$NS_ISP" addr add $NEW_EXT/24 dev wan0
ip -n "$NS_ISP" route add default via $NET_IP
check "63 the office router learns the new address within 5 s" wait_until 50 bash -c \
	"ip netns exec $NS_GW $BIN/portholectl -s $CTL_SOCK status | grep -qx external_address=$NEW_EXT"
wait $ANN
check_match "63 NAT-PMP and PCP announcements on the LAN name the new address" \
	"version=0 opcode=0 r=1 result=0 .*ext_ip=$NEW_EXT" "$(cat "$LAB_DIR/announce2.out")"
R=$(upnpc_run "$NS_MAIL" -i -s)
check_match "63 UPnP GetExternalIPAddress names the new address" "ExternalIPAddress = $NEW_EXT" "$R"
check "63 GENA: a NOTIFY names the new ExternalIPAddress within 3 s" wait_until 30 \
	grep -q "<ExternalIPAddress>$NEW_EXT</ExternalIPAddress>" "$LAB_DIR/notify.out"
# (the ISP box moves its own rules to the new address as it learns it, and
# the Internet host resolves the new neighbour: allow both a loaded machine's time)
reaches() { [ "$(probe_tcp "$1" "$2" "$3" | cut -d: -f1)" = "$4" ]; }
check "63 the Internet host reaches the mail server at the new address (tried for a while)" \
	wait_until 50 reaches "$NS_WAN" $NEW_EXT 587 "$NET_IP"
ph_stop

# --- 3. the box in front speaks no protocol ---
isp_stop
check "the office router starts with STUN and nothing answering in front" \
	ph_start "$(ph_config "stun_server=$NET_IP" http_port=5000)"
check "61 STUN still tells the public address" wait_until 30 bash -c \
	"ip netns exec $NS_GW $BIN/portholectl -s $CTL_SOCK status | grep -qx external_address=$NEW_EXT"
out=$(in_mail natpmpc -g $GW_LAN_IP -a 110 110 tcp 600 2>&1)
check_match "62 upstream_required=yes: natpmpc gets NETWORK_FAILURE (result 3)" \
	"[Nn]etwork failure|NETWORKFAILURE" "$out"
check_not "62 ... and no local mapping of tcp 110 is left" bash -c "ip netns exec $NS_GW \
	$BIN/portholectl -s $CTL_SOCK list | grep -E '^tcp +110 '"
t0=$(now_ms)
R=$(in_mail timeout 20 upnpc -i -a $MAIL_IP 111 111 TCP 600 2>&1)
t1=$(now_ms)
check_match "62 UPnP AddPortMapping of tcp/111 gets 501 (ActionFailed), within upnpc's 5 s" \
	"AddPortMapping\\(111, 111, $MAIL_IP\\) failed with code 501" "$R"
echo "INFO upnpc -a 111 answered in $((t1 - t0)) ms"
check "62 ... and no local mapping of tcp 111 is left" no_local tcp 111
# The worker asks the gateway in front one request at a time, and a box
# that swallows requests (no ICMP refusal either) costs it a timeout each.
# tcp/113 is queued behind eight PCP requests (1201-1208, their clients
# gone), so no answer can come for it within 4 s: its wait ends at that
# bound. (-u: upnpc without discovery.)
in_isp nft -f - <<'NFT'
table inet blackhole { chain input { type filter hook input priority 0; udp dport { 1900, 5351 } drop; }; }
NFT
for p in $(seq 1201 1208); do
	in_mail "$P" -o map -p tcp -i $p -e $p -l 600 -t 300 -k 1 $GW_LAN_IP >/dev/null 2>&1 &
	UP_BG+=($!)
done
wait "${UP_BG[@]}"
wait_until 50 grep -q "mapping added: pcp tcp 1208 " "$LAB_DIR/portholed.log"
t0=$(now_ms)
R=$(in_mail timeout 20 upnpc -i -u http://$GW_LAN_IP:5000/igd1.xml -a $MAIL_IP 113 113 TCP 600 2>&1)
t1=$(now_ms)
check_match "62 no answer from the box in front: AddPortMapping of tcp/113 gets 501 after the bounded wait" \
	"AddPortMapping\\(113, 113, $MAIL_IP\\) failed with code 501" "$R"
echo "INFO upnpc -a 113 answered in $((t1 - t0)) ms"
check_match "62 ... the log says the gateway in front did not answer in time" \
	"upnp: tcp 113: the gateway in front did not answer within 4000 ms" "$(cat "$LAB_DIR/portholed.log")"
check "62 ... and no local mapping of tcp 113 is left" no_local tcp 113
in_isp nft delete table inet blackhole
ph_stop
check "the office router starts with upstream_required=no" \
	ph_start "$(ph_config "stun_server=$NET_IP" upstream_required=no)"
out=$(in_mail "$P" -o map -p tcp -i 110 -e 110 -l 600 -t 15000 $GW_LAN_IP)
check_match "62 upstream_required=no: PCP MAP succeeds, naming the WAN address it only holds on" \
	"result_name=SUCCESS .*ext_port=110 ext_ip=$OFFICE_WAN_IP" "$out"
check_match "62 ... and the log says it is kept here only" "tcp 110 refused by the gateway in front .*kept here only" \
	"$(cat "$LAB_DIR/portholed.log")"
R=$(in_mail timeout 20 upnpc -i -a $MAIL_IP 112 112 TCP 600 2>&1)
check_match "62 upstream_required=no: UPnP AddPortMapping of tcp/112 succeeds" \
	"TCP is redirected to internal $MAIL_IP:112" "$R"
check_match "62 ... kept here (listed)" "^tcp +112 +$MAIL_IP:112 " "$(ph_ctl list)"
check_match "62 ... and the log says it is kept here only" \
	"tcp 112 refused by the gateway in front .*kept here only" "$(cat "$LAB_DIR/portholed.log")"
sleep 10	# past the 10 s a refusal stands
out=$(in_mail natpmpc -g $GW_LAN_IP -a 110 110 tcp 600 2>&1)
check_match "62 once the refusal lapsed, asking again is asked in front again, and answered" \
	"Mapped public port 110 protocol TCP to local port 110" "$out"
check_eq "62 ... refused in front twice by then (logged each time)" 2 \
	"$(grep -c 'tcp 110 refused by the gateway in front .*kept here only' "$LAB_DIR/portholed.log")"
