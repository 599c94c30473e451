#!/usr/bin/env bash
# Behind a carrier-grade NAT (issue 17): the office router's WAN address is
# in the shared space of RFC 6598 (lab_up_double cgnat: 100.64.1.20/10, the
# ISP box 100.64.0.1), which counts as "behind another NAT" just as RFC 1918
# does: upstream=auto forwards, and clients are told the public address.
# upstream=auto is decided again when the WAN address changes.
. "$(dirname "$0")/../lib.sh"
lab_up_double cgnat
check "the ISP box's portholed starts" isp_start
check "the office router starts (upstream=auto)" ph_start
status_of() { ph_ctl status | grep "^$1=" | cut -d= -f2; }
check_eq "100.64.1.20 counts as behind another NAT" "yes" "$(status_of behind_nat)"
check_eq "upstream forwarding is active" "yes" "$(status_of upstream_active)"
serve_tcp "$NS_MAIL" 25
out=$(in_mail natpmpc -g $GW_LAN_IP -a 25 25 tcp 600 2>&1)
check_match "62 natpmpc maps tcp/25" "Mapped public port 25 protocol TCP to local port 25" "$out"
check_match "61 natpmpc names the ISP box's public address, not 100.64.1.20" \
	"Public IP address : $ISP_EXT_IP" "$out"
check_match "62 the ISP box holds tcp 25 -> 100.64.1.20:25" "^tcp +25 +$OFFICE_WAN_IP:25 " "$(isp_ctl list)"
check_eq "62 the Internet host reaches the mail server through both NATs" "$NET_IP" \
	"$(probe_tcp "$NS_WAN" $ISP_EXT_IP 25 | cut -d: -f1)"
in_mail natpmpc -g $GW_LAN_IP -a 25 25 tcp 0 >/dev/null 2>&1
check "63 a delete reaches the ISP box within 3 s" wait_until 30 bash -c \
	"! ip netns exec $NS_ISP $BIN/portholectl -s $ISP_SOCK list | grep -q '^tcp +25 '"
check_not "63 ... and the Internet host no longer reaches port 25" probe_tcp "$NS_WAN" $ISP_EXT_IP 25

# The WAN address turns public (203.0.113.20): nothing in front to forward to.
P="$BIN/tests/pcptest"
NONCE=0123456789abcdef01234567	# the same client asking again (PCP's nonce)
serve_tcp "$NS_MAIL" 587
isp_has() { isp_ctl list | grep -qE "^tcp +$1 +$OFFICE_WAN_IP:$1 "; }
ip -n "$NS_GW" addr flush dev wan0
ip -n "$NS_GW" addr add 203.0.113.20/24 dev wan0
check "auto: a public WAN address stops the forwarding within 5 s" wait_until 50 bash -c \
	"ip netns exec $NS_GW $BIN/portholectl -s $CTL_SOCK status | grep -qx upstream_active=no"
check_match "... and the log says so" "upstream: the WAN address is .* now, not behind another NAT: mappings are no longer forwarded" \
	"$(cat "$LAB_DIR/portholed.log")"
out=$(in_mail "$P" -o map -p tcp -i 587 -e 587 -l 600 -n "$NONCE" $GW_LAN_IP)
check_match "a PCP MAP is answered at once with the WAN address itself" \
	"result_name=SUCCESS .*ext_port=587 ext_ip=203.0.113.20" "$out"
check_not "... and is not asked of the ISP box" isp_has 587
# Back behind the carrier-grade NAT: forwarding again, the mapping made meanwhile included.
ip -n "$NS_GW" addr flush dev wan0
ip -n "$NS_GW" addr add $OFFICE_WAN_IP/$OFFICE_WAN_PLEN dev wan0
ip -n "$NS_GW" route add default via $ISP_LAN_IP
check "auto: a shared WAN address (100.64.1.20) starts it again within 5 s" wait_until 50 bash -c \
	"ip netns exec $NS_GW $BIN/portholectl -s $CTL_SOCK status | grep -qx upstream_active=yes"
check "62 ... and tcp/587, mapped meanwhile, is forwarded to the ISP box within 5 s" \
	wait_until 50 isp_has 587
check_eq "62 the Internet host reaches the mail server through both NATs" "$NET_IP" \
	"$(probe_tcp "$NS_WAN" $ISP_EXT_IP 587 | cut -d: -f1)"
out=$(in_mail "$P" -o map -p tcp -i 587 -e 587 -l 600 -n "$NONCE" $GW_LAN_IP)
check_match "61 ... and PCP names the ISP box's public address again" \
	"result_name=SUCCESS .*ext_port=587 ext_ip=$ISP_EXT_IP" "$out"
