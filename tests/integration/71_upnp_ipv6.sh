#!/usr/bin/env bash
# UPnP IGD:2 WANIPv6FirewallControl:1 (CONFORMANCE G58, G59, G61) in the IPv6
# lab, driven by the real `upnpc -6`, which finds the gateway by SSDP over
# IPv6 (ff02::c) and speaks HTTP to its IPv6 address with no URL given:
# GetFirewallStatus (-S), AddPinhole (-A), GetPinholePackets (-K),
# CheckPinholeWorking (-C), UpdatePinhole (-U), GetOutboundPinholeTimeout
# (-G) and DeletePinhole (-D), each checked with real traffic from the WAN;
# who may open what decided by the neighbour table (a control point on IPv4
# opens its own IPv6 address). The WAN side gets no SSDP or HTTP answer.
. "$(dirname "$0")/../lib.sh"
lab_up
lab_ipv6
HTTP_PORT=8080
CONF=$(ph_config "allow 25 2001:db8:1::10/128 25" "deny 1-1023 ::/0 1-1023" \
	"allow 1024-65535 $LAN6_NET 1024-65535" "http_port=$HTTP_PORT")
# -6: discovery over IPv6; -i: the lab's external address is a documentation one.
upnpc6() { local ns=$1; shift; ip netns exec "$ns" upnpc -6 -i "$@"; }
# The same control point on IPv4, with the description URL.
upnpc4() { local ns=$1; shift; ip netns exec "$ns" upnpc -i -u "http://$GW_LAN_IP:$HTTP_PORT/igd2.xml" "$@"; }
ssdp6() { local ns=$1; shift; ip netns exec "$ns" "$BIN/tests/ssdp_probe" search "$@"; }
uid_of() { grep -o 'Pinhole ID = [0-9]*' <<<"$1" | head -1 | grep -o '[0-9]*$'; }

# NOTIFYs on ff02::c from the start: byebye, then alive (3 rounds in the first seconds).
in_mail timeout 20 socat -u "UDP6-RECV:1900,reuseaddr,ipv6-join-group=[ff02::c]:eth0" - \
	>"$LAB_DIR/notify6" 2>/dev/null &
NOTIFY_PID=$!
wait_until 50 bash -c "ip -n $NS_MAIL -6 maddr show dev eth0 | grep -q ff02::c"
check "portholed starts" ph_start "$CONF"
serve_tcp6 "$NS_MAIL" 25
serve_tcp6 "$NS_MAIL" 2525

check_match "G58 the IGD:2 description offers WANIPv6FirewallControl:1" \
	"urn:schemas-upnp-org:service:WANIPv6FirewallControl:1" \
	"$(printf 'GET /igd2.xml HTTP/1.0\r\nHost: %s:%s\r\n\r\n' $GW_LAN_IP $HTTP_PORT |
		in_mail socat -T2 - TCP:$GW_LAN_IP:$HTTP_PORT)"

# --- G61: SSDP and HTTP over IPv6, LAN only ---
wait_until 100 grep -q 'NTS: ssdp:alive' "$LAB_DIR/notify6"
kill $NOTIFY_PID 2>/dev/null
wait $NOTIFY_PID 2>/dev/null
N=$(tr -d '\r' <"$LAB_DIR/notify6")
check_match "G61 NOTIFY over IPv6: byebye before the first alive" '^byebye alive' \
	"$(grep -o 'NTS: ssdp:[a-z]*' <<<"$N" | sed 's/NTS: ssdp://' | uniq | tr '\n' ' ')"
check_match "G61 ... to [FF02::C]:1900, LOCATION in brackets" \
	"LOCATION: http://\[$GW_LAN6\]:$HTTP_PORT/igd2.xml" "$(grep -B3 -A3 'HOST: \[FF02::C\]:1900' <<<"$N")"
out=$(upnpc6 "$NS_MAIL" -S)
check_match "G61 upnpc -6 finds the gateway by SSDP on ff02::c, LOCATION in brackets" \
	"desc: http://\[$GW_LAN6\]:$HTTP_PORT/igd2.xml" "$out"
check_match "G61 ... and uses the IGD:2 control URL over IPv6" \
	"IGD : http://\[$GW_LAN6\]:$HTTP_PORT/ctl/IPConn2" "$out"
R=$(ssdp6 "$NS_MAIL" "ff02::c%eth0" urn:schemas-upnp-org:service:WANIPv6FirewallControl:1 1 1500)
check_match "G61 a multicast search for WANIPv6FirewallControl:1 is answered with the IGD:2 tree" \
	"LOCATION: http://\[$GW_LAN6\]:$HTTP_PORT/igd2.xml" "$R"
R=$(ssdp6 "$NS_MAIL" "$GW_LAN6" urn:schemas-upnp-org:device:InternetGatewayDevice:1 - 1000)
check_match "G61 a unicast search for IGD:1 over IPv6 gets IGD:2 (the tree with pinholes)" \
	"LOCATION: http://\[$GW_LAN6\]:$HTTP_PORT/igd2.xml" "$R"
check_absent "G61 the WAN's search to the gateway's WAN address gets nothing" . \
	ssdp6 "$NS_WAN" "$EXT6" ssdp:all - 1000
check_absent "G61 the WAN's search to ff02::c on the WAN link gets nothing" . \
	ssdp6 "$NS_WAN" "ff02::c%br0" ssdp:all 1 1500
check_match "G61 control: the same search from the LAN is answered" "^HTTP/1.1 200 OK" \
	"$(ssdp6 "$NS_MAIL" "ff02::c%eth0" ssdp:all 1 1500)"
check_not "G61 the WAN gets no HTTP on [$EXT6]:$HTTP_PORT" \
	probe_tcp6 "$NS_WAN" "$EXT6" $HTTP_PORT
check_match "G61 control: the LAN gets HTTP on [$GW_LAN6]:$HTTP_PORT" "200 OK" \
	"$(printf 'GET /igd2.xml HTTP/1.0\r\nHost: [%s]:%s\r\n\r\n' $GW_LAN6 $HTTP_PORT |
		in_mail socat -T2 - "TCP6:[$GW_LAN6]:$HTTP_PORT")"
check_match "G61 a name in Host over IPv6 is refused (DNS rebinding)" "403 Forbidden" \
	"$(printf 'GET /igd2.xml HTTP/1.0\r\nHost: router.example\r\n\r\n' |
		in_mail socat -T2 - "TCP6:[$GW_LAN6]:$HTTP_PORT")"

check_match "G58 -S GetFirewallStatus: enabled, inbound pinholes allowed" \
	"Firewall Enabled: Yes" "$out"
check_match "G58 ... InboundPinholeAllowed=1" "Inbound Pinhole Allowed: Yes" "$out"

check_not "G60 control: no pinhole, the WAN cannot reach [$MAIL6]:25" reach6 "$NS_WAN" $MAIL6 25
out=$(upnpc4 "$NS_MAIL" -A :: 0 $MAIL6 25 6 600)
uid=$(uid_of "$out")
check_match "G58/G59 -A AddPinhole from the host's IPv4 address for its IPv6 one -> a UniqueID" \
	"AddPinhole: \(\[::\]:0 -> \[$MAIL6\]:25\) / Pinhole ID = [0-9]+" "$out"
check "G58 ... and the WAN reaches [$MAIL6]:25" reach6 "$NS_WAN" $MAIL6 25
check_not "G58 ... and not [$MAIL6]:2525" reach6 "$NS_WAN" $MAIL6 2525
check_match "G58 listed as a UPnP pinhole" "^tcp +25 +\[$MAIL6\]:25 +upnp +[0-9]+s " \
	"$(ph_ctl list)"
check_match "G58 -K GetPinholePackets counts the WAN's packets" \
	"PinholePackets = [1-9][0-9]*" "$(upnpc6 "$NS_MAIL" -K "$uid")"
check_match "G58 -C CheckPinholeWorking: yes, packets went through" "IsWorking = Yes" \
	"$(upnpc6 "$NS_MAIL" -C "$uid")"
check_match "G58 -U UpdatePinhole" "UpdatePinhole: Pinhole ID = $uid with Lease Time: 1200" \
	"$(upnpc6 "$NS_MAIL" -U "$uid" 1200)"
check_match "G58 ... the new lease is in force" "^tcp +25 +\[$MAIL6\]:25 +upnp +1[0-2][0-9][0-9]s " \
	"$(ph_ctl list)"
check_match "G58 -G GetOutboundPinholeTimeout: the kernel's TCP timeout" \
	"Timeout = $(in_gw cat /proc/sys/net/netfilter/nf_conntrack_tcp_timeout_established)" \
	"$(upnpc6 "$NS_MAIL" -G :: 0 $MAIL6 25 6)"

# --- G59: another host may neither open nor close it ---
check_match "G59 -A from another host for the mail server -> 606" "failed with code 606" \
	"$(upnpc6 "$NS_WS" -A :: 0 $MAIL6 2525 6 600)"
check_not "G59 ... and no pinhole for [$MAIL6]:2525" reach6 "$NS_WAN" $MAIL6 2525
check_match "G59 -D from another host -> 606" "returned : 606" "$(upnpc6 "$NS_WS" -D "$uid")"
check "G59 ... and the pinhole still works" reach6 "$NS_WAN" $MAIL6 25
check_match "G58 rules: ws may not have port 25 -> 606" "failed with code 606" \
	"$(upnpc6 "$NS_WS" -A :: 0 $WS6 25 6 600)"
check_match "G58 a pinhole for ws's own 2525 -> UniqueID" "Pinhole ID = [0-9]+" \
	"$(upnpc6 "$NS_WS" -A :: 0 $WS6 2525 6 600)"

# --- G58: delete, then the ids are gone ---
check_match "G58 -D DeletePinhole" "returned : 0" "$(upnpc6 "$NS_MAIL" -D "$uid")"
check_not "G58 after delete the WAN cannot reach [$MAIL6]:25" reach6 "$NS_WAN" $MAIL6 25
check_match "G58 -D again -> 704 NoSuchEntry" "returned : 704" "$(upnpc6 "$NS_MAIL" -D "$uid")"
check_match "G58 -K of a deleted pinhole -> 704" "704" "$(upnpc6 "$NS_MAIL" -K "$uid")"
check_match "G58 protocol 1 -> 705 ProtocolNotSupported" "failed with code 705" \
	"$(upnpc6 "$NS_MAIL" -A :: 0 $MAIL6 2600 1 600)"
