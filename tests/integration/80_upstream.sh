#!/usr/bin/env bash
# Behind another NAT (issue 17, CONFORMANCE H): the office router runs
# portholed behind an ISP box (lab_up_double: office WAN 192.168.178.20,
# ISP box WAN 198.51.100.1, coturn as a real STUN server on the Internet host).
. "$(dirname "$0")/../lib.sh"
if ! command -v turnserver >/dev/null; then
	echo "SKIP coturn not installed: apt-get install coturn (tests/deps.sh)"
	exit 0
fi
lab_up_double
P="$BIN/tests/pcptest"
field() { printf '%s\n' "$2" | grep -o " $1=[^ ]*" | head -1 | cut -d= -f2; }
status_of() { ph_ctl status | grep "^$1=" | cut -d= -f2; }
check "the Internet host's STUN server (coturn) listens" stun_serve

# --- positive control: without stun_server the private WAN address is all we know ---
check "portholed starts without stun_server" ph_start
out=$(in_mail natpmpc -g $GW_LAN_IP 2>&1)
check_match "61 control: NAT-PMP op 0 names the WAN address while nothing better is known" \
	"Public IP address : $OFFICE_WAN_IP" "$out"
check_match "61 control: the log says the router is behind another NAT and what to set" \
	"is private: this router is behind another NAT.*set stun_server" "$(cat "$LAB_DIR/portholed.log")"
ph_stop

# --- 61: with stun_server, every protocol names the public address ---
in_ws "$P" -m $WS_IP -t 8000 >"$LAB_DIR/announce.out" &
ANN=$!
LAB_PIDS+=($ANN)
sleep 0.3
check "portholed starts with stun_server=$NET_IP" ph_start "$(ph_config "stun_server=$NET_IP" http_port=5000)"
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
R=$(in_mail timeout 20 upnpc -i -s 2>&1)
check_match "61 UPnP GetExternalIPAddress (upnpc -s) names the public address" \
	"ExternalIPAddress = $ISP_EXT_IP" "$R"
wait $ANN
check_match "63 the NAT-PMP announcement on the LAN names the public address once known" \
	"version=0 opcode=0 r=1 result=0 .*ext_ip=$ISP_EXT_IP" "$(cat "$LAB_DIR/announce.out")"
check_match "the status page shows both addresses" \
	"id=\"external\">$ISP_EXT_IP<.*id=\"wan\">$OFFICE_WAN_IP<.*id=\"public\">$ISP_EXT_IP<" \
	"$(in_ws curl -s "http://$GW_LAN_IP:5000/status" | tr -d "\n")"
check_match "/metrics names both addresses" \
	"porthole_address_info\\{wan=\"$OFFICE_WAN_IP\",public=\"$ISP_EXT_IP\",external=\"$ISP_EXT_IP\",behind_nat=\"yes\"\\} 1" \
	"$(in_ws curl -s "http://$GW_LAN_IP:5000/metrics")"
check_match "/status.json names both addresses" \
	"\"external_address\":\"$ISP_EXT_IP\",\"wan_address\":\"$OFFICE_WAN_IP\",\"public_address\":\"$ISP_EXT_IP\"" \
	"$(in_ws curl -s "http://$GW_LAN_IP:5000/status.json")"
