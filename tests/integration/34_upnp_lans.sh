#!/usr/bin/env bash
# Three LAN interfaces: SSDP and HTTP are served on each, every answer names
# the address of the LAN it came from, mappings from the second and third
# LAN carry real traffic, and hairpin works between LANs (CONFORMANCE E34,
# E38, E40, E43, 53).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/upnp_common.bash"
lab_up

# A second LAN (192.168.88.0/24) and a third (192.168.99.0/24), one host
# each, removed again on exit.
NS_LAN2=$LAB_ID-lan2
LAN2_GW=192.168.88.1
LAN2_HOST=192.168.88.10
NS_LAN3=$LAB_ID-lan3
LAN3_GW=192.168.99.1
LAN3_HOST=192.168.99.10
# Their processes are all in LAB_PIDS, which lab_finish stops.
trap 'rc=$?; ip netns del "$NS_LAN2" 2>/dev/null; ip netns del "$NS_LAN3" 2>/dev/null; (exit $rc); lab_finish' EXIT
# add_lan NS IFNAME GW_ADDR HOST_ADDR: a LAN interface on the gateway, one host on it.
add_lan() {
	lab_ns_add "$1"
	ip link add eth0 netns "$1" type veth peer name "$2" netns "$NS_GW"
	ip -n "$NS_GW" addr add "$3"/24 dev "$2"
	ip -n "$NS_GW" link set "$2" up
	ip -n "$1" addr add "$4"/24 dev eth0
	ip -n "$1" link set eth0 up
	ip -n "$1" route add default via "$3"
	ip -n "$1" route add 224.0.0.0/4 dev eth0
}
add_lan "$NS_LAN2" lan2 $LAN2_GW $LAN2_HOST
add_lan "$NS_LAN3" lan3 $LAN3_GW $LAN3_HOST
in_lan2() { ip netns exec "$NS_LAN2" "$@"; }
in_lan3() { ip netns exec "$NS_LAN3" "$@"; }

upnp_start "lan_ifname=lan2" "lan_ifname=lan3" "allow 1024-65535 192.168.88.0/24 1024-65535" \
	"allow 1024-65535 192.168.99.0/24 1024-65535" || exit 1

R=$(ssdp "$NS_LAN2" 239.255.255.250 urn:schemas-upnp-org:device:InternetGatewayDevice:2 1 1500)
check_match "E34 M-SEARCH on the second LAN is answered" '^ST: urn:schemas-upnp-org:device:InternetGatewayDevice:2' "$R"
check_match "E34 ... with LOCATION on that LAN's address" "^LOCATION: http://$LAN2_GW:$UPNP_PORT/igd2.xml" "$R"
R=$(ssdp "$NS_MAIL" 239.255.255.250 urn:schemas-upnp-org:device:InternetGatewayDevice:2 1 1500)
check_match "E34 the first LAN still gets its own address" "^LOCATION: http://$GW_LAN_IP:$UPNP_PORT/igd2.xml" "$R"
R=$(ssdp "$NS_LAN2" $LAN2_GW upnp:rootdevice - 1000)
check_match "E38 unicast M-SEARCH to the second LAN's address" '^ST: upnp:rootdevice' "$R"
R=$(ssdp "$NS_LAN2" $GW_LAN_IP upnp:rootdevice - 1000)
check_eq "E38 a search sent across to the other LAN's address is not answered" "" "$R"
R=$(printf 'GET /igd2.xml HTTP/1.0\r\n\r\n' | in_lan2 socat -T3 - TCP:$LAN2_GW:$UPNP_PORT 2>/dev/null)
check_match "E40 the description is served on the second LAN's address" '^HTTP/1\.[01] 200' "$R"

check "E40 E46 libminiupnpc from the second LAN" in_lan2 "$BIN/tests/upnp_igd_test" 2 $EXT_IP 43000
R=$(in_lan2 timeout 20 upnpc -i -a $LAN2_HOST 8080 8080 TCP 600)
check_match "E43 upnpc -a from the second LAN" "external $EXT_IP:8080 TCP is redirected to internal $LAN2_HOST:8080" "$R"
serve_tcp "$NS_LAN2" 8080
check_eq "E43 WAN -> $EXT_IP:8080 reaches the host on the second LAN" "$WAN_IP" "$(probe_tcp "$NS_WAN" $EXT_IP 8080)"
R=$(in_mail timeout 20 upnpc -i -l)
check_match "E46 the first LAN lists the second LAN's mapping" "8080->$LAN2_HOST:8080" "$R"

# --- the third LAN: discovery, NAT-PMP and traffic ---
R=$(ssdp "$NS_LAN3" 239.255.255.250 urn:schemas-upnp-org:device:InternetGatewayDevice:2 1 1500)
check_match "E34 M-SEARCH on the third LAN: LOCATION on its address" "^LOCATION: http://$LAN3_GW:$UPNP_PORT/igd2.xml" "$R"
R=$(in_lan3 natpmpc -g $LAN3_GW -a 9090 9090 tcp 600 2>&1)
check_match "NAT-PMP from the third LAN maps 9090" "Mapped public port 9090 protocol TCP to local port 9090" "$R"
serve_tcp "$NS_LAN3" 9090
check_eq "WAN -> $EXT_IP:9090 reaches the host on the third LAN" "$WAN_IP" "$(probe_tcp "$NS_WAN" $EXT_IP 9090)"

# --- hairpin between LANs: the server sees the external address (53) ---
serve_tcp "$NS_MAIL" 25
ph_ctl add tcp 2525 $MAIL_IP 25 >/dev/null
check_eq "53 hairpin from the second LAN to the first LAN's mapping" "$EXT_IP" \
	"$(probe_tcp "$NS_LAN2" $EXT_IP 2525)"
check_eq "53 hairpin from the third LAN to the second LAN's mapping" "$EXT_IP" \
	"$(probe_tcp "$NS_LAN3" $EXT_IP 8080)"
check_eq "53 hairpin from the first LAN to the third LAN's mapping" "$EXT_IP" \
	"$(probe_tcp "$NS_WS" $EXT_IP 9090)"
