#!/usr/bin/env bash
# Behind a carrier-grade NAT (issue 17): the office router's WAN address is
# in the shared space of RFC 6598 (lab_up_double cgnat: 100.64.1.20/10, the
# ISP box 100.64.0.1), which counts as "behind another NAT" just as RFC 1918
# does: upstream=auto forwards, and clients are told the public address.
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
