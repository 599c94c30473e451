#!/usr/bin/env bash
# Two LAN interfaces: SSDP and HTTP are served on each, every answer names
# the address of the LAN it came from, and a mapping from the second LAN
# carries real traffic (CONFORMANCE E34, E38, E40, E43).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/upnp_common.bash"
lab_up

# A second LAN (192.168.88.0/24) with one host, removed again on exit.
NS_LAN2=$LAB_ID-lan2
LAN2_GW=192.168.88.1
LAN2_HOST=192.168.88.10
# Its processes are all in LAB_PIDS, which lab_finish stops.
trap 'rc=$?; ip netns del "$NS_LAN2" 2>/dev/null; (exit $rc); lab_finish' EXIT
ip netns add "$NS_LAN2"
ip -n "$NS_LAN2" link set lo up
ip link add eth0 netns "$NS_LAN2" type veth peer name lan2 netns "$NS_GW"
ip -n "$NS_GW" addr add $LAN2_GW/24 dev lan2
ip -n "$NS_GW" link set lan2 up
ip -n "$NS_LAN2" addr add $LAN2_HOST/24 dev eth0
ip -n "$NS_LAN2" link set eth0 up
ip -n "$NS_LAN2" route add default via $LAN2_GW
ip -n "$NS_LAN2" route add 224.0.0.0/4 dev eth0
in_lan2() { ip netns exec "$NS_LAN2" "$@"; }

upnp_start "lan_ifname=lan2" "allow 1024-65535 192.168.88.0/24 1024-65535" || exit 1

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
