#!/usr/bin/env bash
# The nftables backend, seen from the kernel and from real packets: the
# daemon's own table and nothing else, mappings as map elements, WAN → public
# address → mail server over TCP and UDP, hairpin from the LAN with the
# external address as source (CONFORMANCE 52, 53), the gateway itself,
# per-mapping counters, remote-host filters, and clean removal on exit.
. "$(dirname "$0")/../lib.sh"
lab_up

nft_gw() { in_gw nft list table inet porthole; }

# A table of the admin's own, there before the daemon starts.
in_gw nft add table inet usertable
in_gw nft add chain inet usertable keep '{ type filter hook input priority 10; }'
in_gw nft add rule inet usertable keep tcp dport 9 counter
user_before=$(in_gw nft list table inet usertable)

# A stale table of ours (as after kill -9) is replaced, not added to.
in_gw nft add table inet porthole
in_gw nft add chain inet porthole stale
check "portholed starts over a stale table" ph_start
check_absent "the stale chain is gone" "chain stale" nft_gw

serve_tcp "$NS_MAIL" 25
serve_udp "$NS_MAIL" 25
serve_tcp "$NS_MAIL" 26

# --- before any mapping: nothing is forwarded ---
check_eq "no mapping: WAN gets nothing" "" "$(probe_tcp "$NS_WAN" $EXT_IP 2525)"

# --- a TCP and a UDP mapping ---
check "add tcp 2525" ph_ctl add tcp 2525 $MAIL_IP 25 0 "mail smtp"
check "add udp 2525" ph_ctl add udp 2525 $MAIL_IP 25 0 "mail udp"
t=$(nft_gw)
check_match "kernel: tcp mapping is an element of fwd4" \
	"tcp \. 2525 : $MAIL_IP \. 25" "$t"
check_match "kernel: udp mapping is an element of fwd4" \
	"udp \. 2525 : $MAIL_IP \. 25" "$t"
check_match "kernel: external address in ext4" "elements = \{ $EXT_IP \}" "$t"
check_eq "kernel: one dnat rule per map and hook, not per mapping" 6 \
	"$(grep -c 'dnat ip to' <<<"$t")"
in_gw nft list ruleset >"$LAB_DIR/saved.nft"
check "nft reads back what it lists (save/restore keeps working)" \
	in_gw nft -c -f "$LAB_DIR/saved.nft"

check_eq "WAN → ext:2525/tcp reaches the mail server, which sees the WAN host" \
	"$WAN_IP" "$(probe_tcp "$NS_WAN" $EXT_IP 2525)"
check_eq "WAN → ext:2525/udp reaches the mail server, which sees the WAN host" \
	"$WAN_IP" "$(probe_udp "$NS_WAN" $EXT_IP 2525)"
check_eq "CONFORMANCE 53: hairpin TCP, server sees the external address" \
	"$EXT_IP" "$(probe_tcp "$NS_WS" $EXT_IP 2525)"
check_eq "CONFORMANCE 52: hairpin UDP, server sees the external address" \
	"$EXT_IP" "$(probe_udp "$NS_WS" $EXT_IP 2525)"
check_eq "the gateway itself reaches ext:2525" \
	"$EXT_IP" "$(probe_tcp "$NS_GW" $EXT_IP 2525)"

# The mail server reaching its own mapping (the client's checkup does this).
check_eq "the mail server reaches its own mapping, seeing the external address" \
	"$EXT_IP" "$(probe_tcp "$NS_MAIL" $EXT_IP 2525)"

# --- counters: every packet of the forwarded connections, both ways ---
t=$(in_gw nft list set inet porthole cnt4tcp)
pk=$(sed -n 's/.* 2525 counter packets \([0-9]*\) .*/\1/p' <<<"$t")
check_match "kernel counts the tcp mapping's packets" "^[0-9]+$" "$pk"
[ "${pk:-0}" -ge 6 ] && pass "counter holds whole connections ($pk packets)" ||
	fail "counter holds whole connections: $pk packets"
probe_tcp "$NS_WAN" $EXT_IP 2525 >/dev/null
t=$(in_gw nft list set inet porthole cnt4tcp)
pk2=$(sed -n 's/.* 2525 counter packets \([0-9]*\) .*/\1/p' <<<"$t")
[ "${pk2:-0}" -gt "${pk:-0}" ] && pass "counter rises with traffic ($pk → $pk2)" ||
	fail "counter rises with traffic ($pk → $pk2)"
check_match "portholectl list shows the counters" "2525.*$pk2" "$(ph_ctl list)"
u=$(in_gw nft list set inet porthole cnt4udp)
upk=$(sed -n 's/.* 2525 counter packets \([0-9]*\) bytes \([0-9]*\).*/\1 +\2/p' <<<"$u")
check_match "kernel counts the udp mapping's packets" "^[1-9][0-9]* \+[0-9]+$" "$upk"
check_match "portholectl list shows both counter sets (one dump each)" \
	"udp +2525 .* $upk " "$(ph_ctl list)"

# --- delete: one element out, the connection fails ---
check "del tcp 2525" ph_ctl del tcp 2525
check_absent "kernel: tcp element gone" "tcp \. 2525" nft_gw
check_match "kernel: udp element stays" "udp \. 2525" "$(nft_gw)"
check_eq "after del, WAN → ext:2525/tcp fails" "" "$(probe_tcp "$NS_WAN" $EXT_IP 2525)"
check_eq "after del, hairpin to ext:2525/tcp fails" "" "$(probe_tcp "$NS_WS" $EXT_IP 2525)"
check_eq "udp mapping still works" "$WAN_IP" "$(probe_udp "$NS_WAN" $EXT_IP 2525)"

# --- a remote-host filter (UPnP NewRemoteHost): only that host gets in ---
out=$(in_mail upnpc -i -e filtered -a $MAIL_IP 26 2626 TCP 3600 $WAN_IP 2>&1)
check_match "UPnP: filtered mapping for $WAN_IP added" "is redirected to internal" "$out"
t=$(nft_gw)
check_match "kernel: filtered mapping is in fwd4r, keyed on the remote host" \
	"tcp \. $WAN_IP \. 2626 : $MAIL_IP \. 26" "$t"
check_not "kernel: filtered mapping is not in fwd4" \
	grep -Eq "tcp \. 2626 : " <<<"$t"
check_eq "the allowed remote host gets in" "$WAN_IP" "$(probe_tcp "$NS_WAN" $EXT_IP 2626)"
check_eq "another remote host does not" "" "$(probe_tcp "$NS_WAN2" $EXT_IP 2626)"

# --- a remote host and port filter (PCP FILTER, CONFORMANCE 28) ---
serve_tcp "$NS_MAIL" 27
out=$(in_mail "$BIN/tests/pcptest" -o map -p tcp -i 27 -e 2727 -l 600 \
	-F $WAN_IP/128:4000 $GW_LAN_IP 2>&1)
check_match "PCP: MAP with FILTER $WAN_IP:4000 granted" "result=0 .*ext_port=2727" "$out"
check_match "kernel: it is in fwd4rp, keyed on remote host and port" \
	"tcp \. $WAN_IP \. 4000 \. 2727 : $MAIL_IP \. 27" "$(nft_gw)"
probe_from() {	# namespace, source port, dest port
	ip netns exec "$1" socat -T2 - TCP:$EXT_IP:"$3",sourceport="$2",connect-timeout=2 \
		</dev/null 2>/dev/null
}
check_eq "CONFORMANCE 28: the filtered host and port get in" "$WAN_IP" \
	"$(probe_from "$NS_WAN" 4000 2727)"
check_eq "CONFORMANCE 28: the same host from another port does not" "" \
	"$(probe_from "$NS_WAN" 4001 2727)"
check_eq "CONFORMANCE 28: another host from the right port does not" "" \
	"$(probe_from "$NS_WAN2" 4000 2727)"

# --- an admin's firewall with forward policy drop needs one rule of its own ---
in_gw nft add table inet userfw
in_gw nft add chain inet userfw forward '{ type filter hook forward priority 0; policy drop; }'
check_eq "forward policy drop elsewhere blocks the mapping" "" \
	"$(probe_udp "$NS_WAN" $EXT_IP 2525)"
in_gw nft add rule inet userfw forward ct status dnat accept
check_eq "... until the admin adds 'ct status dnat accept' to it" "$WAN_IP" \
	"$(probe_udp "$NS_WAN" $EXT_IP 2525)"
in_gw nft delete table inet userfw

# --- someone else's table is never touched; ours leaves with the daemon ---
check_eq "the admin's table is untouched while we run" "$user_before" \
	"$(in_gw nft list table inet usertable)"
ph_stop
check_not "after SIGTERM our table is gone" in_gw nft list table inet porthole
check_eq "the admin's table is untouched after we leave" "$user_before" \
	"$(in_gw nft list table inet usertable)"
check_eq "and nothing is forwarded any more" "" "$(probe_udp "$NS_WAN" $EXT_IP 2525)"

# --- a host with br_netfilter (Docker hosts load it): LAN frames pass the IP
# hooks at the bridge, and DNAT to a host on the same bridge is bridged back
# out the port it came in by, which needs hairpin mode on that port ---
if [ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]; then
	in_gw sysctl -qw net.bridge.bridge-nf-call-iptables=1
	check "br_netfilter: portholed starts" ph_start
	check "br_netfilter: add tcp 2525" ph_ctl add tcp 2525 $MAIL_IP 25
	check_match "br_netfilter: the daemon warns about ports without hairpin mode" \
		"br-lan is a bridge and net.bridge.bridge-nf-call-iptables=1" \
		"$(cat "$LAB_DIR/portholed.log")"
	check_eq "br_netfilter: hairpin from another LAN host still works" \
		"$EXT_IP" "$(probe_tcp "$NS_WS" $EXT_IP 2525)"
	check_eq "br_netfilter: WAN still works" "$WAN_IP" "$(probe_tcp "$NS_WAN" $EXT_IP 2525)"
	ip -n "$NS_GW" link set dev lan-mail type bridge_slave hairpin on
	check_eq "br_netfilter: with hairpin mode the server reaches its own mapping" \
		"$EXT_IP" "$(probe_tcp "$NS_MAIL" $EXT_IP 2525)"
	ph_stop
	check_not "br_netfilter: table gone after SIGTERM" in_gw nft list table inet porthole
else
	skip "br_netfilter: the hairpin cases" "the module is not loaded on this host (modprobe br_netfilter)"
fi
