#!/usr/bin/env bash
# UPnP IGD, discovery and the client view: SSDP (CONFORMANCE E34-E39), the
# descriptions (E40), libminiupnpc and every upnpc command, and real
# traffic through UPnP mappings, with and without a remote host.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/upnp_common.bash"
lab_up

# E39: listen before the daemon starts, to hear its first NOTIFYs, on the
# LAN and on the WAN side.
in_mail "$BIN/tests/ssdp_probe" listen $MAIL_IP 3500 >"$LAB_DIR/notify1" &
LAB_PIDS+=($!)
in_wan "$BIN/tests/ssdp_probe" listen $WAN_IP 3500 >"$LAB_DIR/notify_wan" &
LAB_PIDS+=($!)
wait_until 30 grep -q '^#listening' "$LAB_DIR/notify1"
wait_until 30 grep -q '^#listening' "$LAB_DIR/notify_wan"
upnp_start || exit 1
# notify_nts FILE NTS: the distinct NT values of the NOTIFYs of that NTS.
notify_nts() {
	awk -v nts="NTS: ssdp:$2" 'BEGIN { RS = "----\n" } index($0, nts) &&
		match($0, /\nNT: [^\r\n]*/) { print substr($0, RSTART + 5, RLENGTH - 5) }' "$1" | sort -u
}
# 15 NTs: the IGD:2 tree's 10 (its third service is WANIPv6FirewallControl) and the 5
# types only the IGD:1 tree has.
all_alive() { [ "$(notify_nts "$LAB_DIR/notify1" alive | wc -l)" -ge 15 ]; }
wait_until 40 all_alive
# The WAN listener's positive control: a NOTIFY sent on the WAN side is heard.
in_wan2 ip route add 224.0.0.0/4 dev eth0
printf 'NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nNT: lab:control\r\nNTS: ssdp:alive\r\n\r\n' |
	in_wan2 socat -u - UDP-DATAGRAM:239.255.255.250:1900,ip-multicast-ttl=2
wait_until 20 grep -q 'NT: lab:control' "$LAB_DIR/notify_wan"

N=$(cat "$LAB_DIR/notify1")
check_match "E39 byebye is sent before the first alive" \
	'^byebye alive' "$(grep -o 'NTS: ssdp:[a-z]*' <<<"$N" | sed 's/NTS: ssdp://' | uniq | tr '\n' ' ')"
check_eq "E39 NOTIFY alive for all 15 NTs (distinct) in the first round" 15 \
	"$(notify_nts "$LAB_DIR/notify1" alive | wc -l)"
check "E39 NOTIFYs were heard ($(grep -c '^#ms=' <<<"$N"))" test "$(grep -c '^#ms=' <<<"$N")" -ge 15
check_eq "E39 ... every one sent with TTL 2" "" "$(grep '^#ms=' <<<"$N" | grep -v 'ttl=2$')"
check_match "E39 the WAN-side listener ran and heard a WAN host's NOTIFY (control)" \
	'NT: lab:control' "$(cat "$LAB_DIR/notify_wan")"
check_eq "E39 ... and no NOTIFY from the gateway goes out on the WAN side" 1 \
	"$(grep -c '^NOTIFY ' "$LAB_DIR/notify_wan")"
check_match "E39 NOTIFY carries BOOTID.UPNP.ORG and CONFIGID.UPNP.ORG" \
	'BOOTID.UPNP.ORG: [0-9]+' "$(grep -A3 'NTS: ssdp:alive' <<<"$N" | head -5)"

# --- M-SEARCH -------------------------------------------------------------
for st in upnp:rootdevice \
	urn:schemas-upnp-org:device:InternetGatewayDevice:2 \
	urn:schemas-upnp-org:device:WANDevice:2 \
	urn:schemas-upnp-org:device:WANConnectionDevice:2 \
	urn:schemas-upnp-org:service:WANIPConnection:2 \
	urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1; do
	R=$(ssdp "$NS_MAIL" 239.255.255.250 "$st" 1 1500)
	check_match "E34 M-SEARCH $st is answered with that ST" "^ST: $st" "$R"
done
R=$(ssdp "$NS_MAIL" 239.255.255.250 urn:schemas-upnp-org:device:InternetGatewayDevice:1 1 1500)
check_match "E34 IGD:2 asked for IGD:1 answers ST ...:1" \
	'^ST: urn:schemas-upnp-org:device:InternetGatewayDevice:1' "$R"
check_match "E41 IGD:1 search gets the IGD:1 description" "LOCATION: http://$GW_LAN_IP:$UPNP_PORT/igd1.xml" "$R"
R=$(ssdp "$NS_MAIL" 239.255.255.250 urn:schemas-upnp-org:service:WANIPConnection:1 1 1500)
check_match "E34 WANIPConnection:1 search answered with :1" \
	'^ST: urn:schemas-upnp-org:service:WANIPConnection:1' "$R"
R=$(ssdp "$NS_MAIL" 239.255.255.250 urn:schemas-upnp-org:device:InternetGatewayDevice:3 1 1500)
check_eq "E34 a higher version than ours gets no answer" "" "$R"

R=$(ssdp "$NS_MAIL" 239.255.255.250 ssdp:all 2 2500)
check_eq "E35 ssdp:all gets 3+2d+k = 10 replies, + 5 IGD:1-only types = 15" 15 "$(grep -c '^USN: ' <<<"$R")"
ROOT_UUID=$(sed -n 's/^USN: uuid:\([^:]*\)::upnp:rootdevice.*/\1/p' <<<"$R" | tr -d '\r')
check_match "E35 rootdevice USN is uuid::upnp:rootdevice" '^[0-9a-f-]{36}$' "$ROOT_UUID"
R=$(ssdp "$NS_MAIL" 239.255.255.250 "uuid:$ROOT_UUID" 1 1500)
check_match "E35 uuid search: USN is the bare uuid" "^USN: uuid:$ROOT_UUID"$'\r'"?\$" "$R"

R=$(ssdp "$NS_MAIL" 239.255.255.250 urn:schemas-upnp-org:device:InternetGatewayDevice:2 1 1500)
for h in 'CACHE-CONTROL: max-age=(1[89][0-9][0-9]|[2-9][0-9]{3})' '^EXT:' \
	"^LOCATION: http://$GW_LAN_IP:$UPNP_PORT/igd2.xml" '^SERVER: .*UPnP/1\.1' \
	"^USN: uuid:$ROOT_UUID::urn:schemas-upnp-org:device:InternetGatewayDevice:2" \
	'^BOOTID.UPNP.ORG: [0-9]+' '^CONFIGID.UPNP.ORG: [0-9]+'; do
	check_match "E36 reply header /$h/" "$h" "$R"
done
BOOTID1=$(sed -n 's/^BOOTID.UPNP.ORG: \([0-9]*\).*/\1/p' <<<"$R" | head -1)

R=$(ssdp "$NS_MAIL" 239.255.255.250 ssdp:all - 2000)
check_eq "E37 multicast M-SEARCH without MX is discarded" "" "$R"
R=$(ssdp "$NS_MAIL" 239.255.255.250 ssdp:all 120 7000)
MAXMS=$(grep -o '^#ms=[0-9]*' <<<"$R" | cut -d= -f2 | sort -n | tail -1)
check "E37 MX 120 is treated as 5 (last reply at ${MAXMS}ms)" test "${MAXMS:-99999}" -le 5300
R=$(ssdp "$NS_MAIL" 239.255.255.250 upnp:rootdevice 3 4000)
MS=$(grep -o '^#ms=[0-9]*' <<<"$R" | cut -d= -f2)
check "E37 reply delayed within MX 3 (${MS}ms)" test "${MS:-99999}" -le 3200
R=$(ssdp "$NS_MAIL" $GW_LAN_IP upnp:rootdevice - 1000)
check_match "E38 unicast M-SEARCH to gw:1900 is answered" '^ST: upnp:rootdevice' "$R"
MS=$(grep -o '^#ms=[0-9]*' <<<"$R" | cut -d= -f2)
# At once, allowing a busy scheduler 500 ms, as 36_ssdp_clients.sh does.
check "E38 unicast answer comes at once (${MS}ms)" test "${MS:-99999}" -lt 500

# --- nothing for the WAN side ----------------------------------------------
R=$(ssdp "$NS_WAN" $EXT_IP upnp:rootdevice 1 1500)
check_eq "E38 unicast M-SEARCH from the WAN to the external address: no answer" "" "$R"
R=$(ssdp "$NS_WAN" $EXT_IP ssdp:all - 1500)
check_eq "E38 WAN M-SEARCH ssdp:all without MX: no answer" "" "$R"
R=$(http_raw "$NS_WAN" $EXT_IP "GET /igd2.xml HTTP/1.0\r\n\r\n")
check_eq "E40 HTTP from the WAN to the external address: no answer" "" "$R"
in_wan ip route add $LAN_NET via $EXT_IP
R=$(http_raw "$NS_WAN" $GW_LAN_IP "GET /igd2.xml HTTP/1.0\r\n\r\n")
check_eq "E40 HTTP from the WAN routed to the LAN address: refused" "" "$R"
R=$(ssdp "$NS_WAN" $GW_LAN_IP upnp:rootdevice 1 1500)
check_eq "E38 SSDP from the WAN routed to the LAN address: no answer" "" "$R"
in_wan ip route del $LAN_NET via $EXT_IP

# --- descriptions -----------------------------------------------------------
D=$(http_raw "$NS_MAIL" $GW_LAN_IP "GET /igd2.xml HTTP/1.0\r\n\r\n")
check_match "E40 description served" '^HTTP/1\.[01] 200' "$D"
check_eq "E40 IGD > WANDevice > WANConnectionDevice > WANIPConnection:2, plus WANCommonInterfaceConfig" \
	"InternetGatewayDevice:2 WANDevice:2 WANCommonInterfaceConfig:1 WANConnectionDevice:2 WANIPConnection:2" \
	"$(grep -oE '(device|service):[A-Za-z]+:[0-9]' <<<"$D" | cut -d: -f2- | tr '\n' ' ' | sed 's/ $//')"
for p in /scpd/WANIPConnection2.xml /scpd/WANIPConnection1.xml /scpd/WANCommonInterfaceConfig1.xml /igd1.xml; do
	D=$(http_raw "$NS_MAIL" $GW_LAN_IP "GET $p HTTP/1.0\r\n\r\n")
	check_match "E40 $p served and well-formed" '^HTTP/1\.[01] 200' "$D"
	check "E40 $p parses as XML" bash -c 'sed "1,/^\r\?$/d" <<<"$1" | xmllint --noout -' _ "$D"
done

# --- libminiupnpc -----------------------------------------------------------
check "E40 E46 libminiupnpc via IGD:2: discover, GetValidIGD, add/get/walk to 713/delete" \
	in_mail "$BIN/tests/upnp_igd_test" 2 $EXT_IP 40000
check "E41 E46 libminiupnpc via IGD:1: the same through the v1 tree" \
	in_mail "$BIN/tests/upnp_igd_test" 1 $EXT_IP 41000

# --- every upnpc command (discovery by the first three; then the description URL) ---
U2="-u http://$GW_LAN_IP:$UPNP_PORT/igd2.xml"
# What discovery finds first (the -s checks above show it): the IGD:1 tree.
U1="-u http://$GW_LAN_IP:$UPNP_PORT/igd1.xml"
R=$(upnpc_run "$NS_MAIL" -i -s)
check_match "E40 upnpc -s: Connected" 'Status : Connected' "$R"
check_match "E40 upnpc -s: ExternalIPAddress" "ExternalIPAddress = $EXT_IP" "$R"
check_match "E40 upnpc -s: WAN byte counters" 'Bytes: +Sent: +[1-9][0-9]*' "$R"
R=$(in_mail timeout 20 upnpc -i -m eth0 -z 40123 -t 2 -s)
check_match "E38 upnpc -m eth0 -z 40123 -t 2 -s (interface, source port, TTL options)" 'Status : Connected' "$R"
R=$(in_mail timeout 20 upnpc -i -m $MAIL_IP -s)
check_match "E38 upnpc -m with an address" "ExternalIPAddress = $EXT_IP" "$R"
in_mail timeout 20 upnpc -6 -s >/dev/null 2>&1
check "E38 upnpc -6 (no IPv6 IGD here) leaves the daemon running" ph_alive
R=$(in_mail timeout 20 upnpc -i $U1 -e "smtp relay" -a $MAIL_IP 25 2525 TCP)
check_match "E43 upnpc -a 25 -> 2525" "external $EXT_IP:2525 TCP is redirected to internal $MAIL_IP:25" "$R"
check_match "E44 v1 lease 0 is permanent (nft element without timeout)" \
	"tcp . 2525 : $MAIL_IP . 25" "$(in_gw nft list map inet porthole fwd4)"
R=$(in_mail timeout 20 upnpc -i $U1 -a $MAIL_IP 26 2526 TCP 3600 $WAN2_IP)
check_match "E43 upnpc -a with a remote host" "external $EXT_IP:2526 TCP is redirected" "$R"
check_match "E43 remote host is in the kernel map" "$WAN2_IP" "$(in_gw nft list table inet porthole)"
R=$(in_mail timeout 20 upnpc -i $U1 -l)
check_match "E46 upnpc -l lists 2525" "TCP +2525->$MAIL_IP:25 +'smtp relay'" "$R"
check_match "E46 upnpc -l lists the remote host of 2526" "2526->$MAIL_IP:26 .*'$WAN2_IP'" "$R"
check_match "E46 upnpc -l ends at 713" 'returned 713' "$R"
R=$(in_mail timeout 20 upnpc -i $U2 -L)
check_match "E47 upnpc -L (GetListOfPortMappings) lists 2525" "2525.*$MAIL_IP.*25" "$R"
R=$(in_mail timeout 20 upnpc -i $U2 -n $MAIL_IP 2527 2525 TCP 600)
check_match "E45 upnpc -n on a taken port gets another" "external $EXT_IP:[0-9]+ TCP is redirected" "$R"
check_not "E45 ... which is not 2525" grep -q "external $EXT_IP:2525 TCP is redirected to internal $MAIL_IP:2527" <<<"$R"
# upnpc_list: upnpc -l, failing unless the walk reached its end (713).
upnpc_list() {
	local r
	r=$(in_mail timeout 20 upnpc -i $U2 -l) || return
	printf '%s\n' "$r"
	grep -q 'returned 713' <<<"$r"
}
R=$(in_mail timeout 20 upnpc -i $U1 -r 3000 TCP 3001 3002 UDP)
check_match "E43 upnpc -r maps this host" "external $EXT_IP:3002 UDP is redirected to internal $MAIL_IP:3001" "$R"
check_match "E43 ... and 3000/tcp" "external $EXT_IP:3000 TCP is redirected to internal $MAIL_IP:3000" "$R"
R=$(upnpc_list)
check_match "E46 upnpc -l lists 3000/tcp" "TCP +3000->$MAIL_IP:3000" "$R"
check_match "E46 upnpc -l lists 3002/udp" "UDP +3002->$MAIL_IP:3001" "$R"
R=$(in_mail timeout 20 upnpc -i $U2 -N 3000 3002 UDP 0)
check_absent "E47 upnpc -N removed 3002/udp" 'UDP +3002' upnpc_list
check_match "E47 ... and left 3000/tcp" 'TCP +3000' "$(upnpc_list)"
R=$(in_mail timeout 20 upnpc -i $U1 -d 3000 TCP)
check_absent "E46 upnpc -d removed 3000/tcp" 'TCP +3000' upnpc_list
R=$(in_mail timeout 20 upnpc -i $U1 -P)
check_match "E40 upnpc -P answers" 'Presentation URL' "$R"
# IPv6 pinholes (WANIPv6FirewallControl) are not offered: the commands must fail cleanly.
for c in "-S" "-A $WAN_IP 80 $MAIL_IP 80 6 3600" "-U 1 3600" "-C 1" "-K 1" "-D 1" "-G $WAN_IP 80 $MAIL_IP 80 6"; do
	in_mail timeout 20 upnpc -i $U2 $c >/dev/null 2>&1
	check "E42 upnpc $c (no IPv6 firewall service) leaves the daemon running" ph_alive
done

# --- NAT-PMP, PCP and static mappings are listed too ------------------------------
in_ws natpmpc -g $GW_LAN_IP -a 8080 8080 tcp 3600 >/dev/null 2>&1
ph_ctl add udp 5353 $WS_IP 53 0 "static dns" >/dev/null
in_ws "$BIN/tests/pcptest" -o map -p udp -i 9090 -e 9090 -l 600 $GW_LAN_IP >/dev/null 2>&1
R=$(in_mail timeout 20 upnpc -i $U1 -l)
check_match "E46 a NAT-PMP mapping is listed by GetGenericPortMappingEntry" "TCP +8080->$WS_IP:8080" "$R"
check_match "E46 a PCP mapping is listed by GetGenericPortMappingEntry" "UDP +9090->$WS_IP:9090" "$R"
check_match "E46 a static mapping is listed by GetGenericPortMappingEntry" "UDP +5353->$WS_IP:53 +'static dns'" "$R"
R=$(in_mail timeout 20 upnpc -i $U2 -L)
check_match "E47 GetListOfPortMappings with Manage lists others' mappings" "8080" "$R"

# --- real traffic -----------------------------------------------------------------
serve_tcp "$NS_MAIL" 25
serve_tcp "$NS_MAIL" 26
check_eq "E43 WAN -> $EXT_IP:2525 reaches the mail server" "$WAN_IP" "$(probe_tcp "$NS_WAN" $EXT_IP 2525)"
check_eq "E43 remote-host mapping: the named host gets through" "$WAN2_IP" "$(probe_tcp "$NS_WAN2" $EXT_IP 2526)"
check_eq "E43 remote-host mapping: another WAN host does not" "" "$(probe_tcp "$NS_WAN" $EXT_IP 2526)"
in_mail timeout 20 upnpc -i $U1 -d 2525 TCP >/dev/null
check_eq "E46 after DeletePortMapping the port is closed" "" "$(probe_tcp "$NS_WAN" $EXT_IP 2525)"

# --- BOOTID rises with a restart; byebye on the way out ----------------------------
in_mail "$BIN/tests/ssdp_probe" listen $MAIL_IP 2000 >"$LAB_DIR/notify2" &
LAB_PIDS+=($!)
wait_until 30 grep -q '^#listening' "$LAB_DIR/notify2"
upnp_stop
all_byebye() { [ "$(notify_nts "$LAB_DIR/notify2" byebye | wc -l)" -ge 15 ]; }
wait_until 20 all_byebye
check_eq "E39 a clean stop says byebye for all 15 NTs (distinct)" 15 "$(notify_nts "$LAB_DIR/notify2" byebye | wc -l)"
sleep 1.1
upnp_start || exit 1
R=$(ssdp "$NS_MAIL" 239.255.255.250 upnp:rootdevice 1 1500)
BOOTID2=$(sed -n 's/^BOOTID.UPNP.ORG: \([0-9]*\).*/\1/p' <<<"$R" | head -1)
check "E39 BOOTID rises across a restart ($BOOTID1 -> $BOOTID2)" test "${BOOTID2:-0}" -gt "${BOOTID1:-0}"
check_match "E35 the UUID is stable across restarts" "USN: uuid:$ROOT_UUID::upnp:rootdevice" "$R"
