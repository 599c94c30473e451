#!/usr/bin/env bash
# Nothing lost: leases survive restarts (clean and kill -9), the table comes
# back after `nft flush ruleset`, the external address follows the WAN, and
# SIGHUP applies new rules without dropping permitted mappings.
. "$(dirname "$0")/../lib.sh"
lab_up
serve_tcp "$NS_MAIL" 25
conf=$(ph_config "lease_file=$LAB_DIR/leases")

# --- restart: clean, then kill -9 ---
ph_start "$conf"
ph_ctl add tcp 2525 $MAIL_IP 25 0 smtp >/dev/null
ph_ctl add udp 5353 $MAIL_IP 53 3600 dns >/dev/null
ph_ctl add tcp 7000 $MAIL_IP 7000 2 short-lived >/dev/null
ph_stop
check_not "clean exit removed the table" in_gw nft list table inet porthole
sleep 2.2
ph_start "$conf"
out=$(ph_ctl list)
check_match "after a clean restart: the permanent lease is back" "tcp +2525 +$MAIL_IP:25 +static +permanent" "$out"
check_match "after a clean restart: the timed lease is back with its time left" "udp +5353 +$MAIL_IP:53 +static +(35[0-9][0-9]|3600)s" "$out"
check_not "a lease that expired while the daemon was down is not back" grep -q 7000 <<<"$out"
check_match "restored leases are in the kernel" "2525" "$(in_gw nft list table inet porthole)"
check_match "traffic flows through a restored lease" "^$WAN_IP$" "$(probe_tcp "$NS_WAN" $EXT_IP 2525)"
# kill -9 the moment the daemon has answered: what it said it did must stick.
crash() { kill -9 "$PH_PID"; wait "$PH_PID" 2>/dev/null; PH_PID=; }
ph_ctl add tcp 2526 $MAIL_IP 25 0 after-restart >/dev/null
crash
ph_start "$conf"
out=$(ph_ctl list)
check_match "after kill -9: every lease is back" "2526.*after-restart" "$out"
check_match "after kill -9: the older lease too" "2525" "$out"

# --- PCP and NAT-PMP leases, with the PCP nonce, survive kill -9 sent right
# after the reply, end to end: listed, carrying traffic, owned by the nonce ---
N1=0102030405060708090a0b0c
N2=0102030405060708090a0bff
pcp_mail() { in_mail "$BIN/tests/pcptest" "$@" $GW_LAN_IP; }
serve_tcp "$NS_MAIL" 587
serve_tcp "$NS_MAIL" 588
out=$(pcp_mail -i 587 -e 7025 -n $N1 -l 600)
crash
check_match "PCP MAP tcp 7025 -> mail:587 answered (kill -9 at once)" "result_name=SUCCESS .*ext_port=7025 " "$out"
ph_start "$conf"
out=$(in_mail natpmpc -g $GW_LAN_IP -a 7026 588 tcp 600 2>&1)
crash
check_match "NAT-PMP tcp 7026 -> mail:588 answered (kill -9 at once)" "Mapped public port 7026 " "$out"
ph_start "$conf"
out=$(ph_ctl list)
check_match "after kill -9 right after the reply: the PCP lease is back" "tcp +7025 +$MAIL_IP:587 +pcp" "$out"
check_match "after kill -9 right after the reply: the NAT-PMP lease is back" \
	"tcp +7026 +$MAIL_IP:588 +natpmp" "$out"
check_eq "traffic flows through the restored PCP lease" "$WAN_IP" "$(probe_tcp "$NS_WAN" $EXT_IP 7025)"
check_eq "traffic flows through the restored NAT-PMP lease" "$WAN_IP" "$(probe_tcp "$NS_WAN" $EXT_IP 7026)"
check_eq "the restored PCP lease still belongs to its nonce: another nonce -> NOT_AUTHORIZED" \
	NOT_AUTHORIZED "$(pcp_mail -i 587 -e 7025 -n $N2 -l 600 | grep -o 'result_name=[A-Z_]*' | cut -d= -f2)"
check_match "... and its own nonce renews it on the same port" "result_name=SUCCESS .*ext_port=7025 " \
	"$(pcp_mail -i 587 -e 7025 -n $N1 -l 600)"

# --- the kernel is watched ---
# table_back: our table exists again (quietly, for wait_until).
table_back() { in_gw nft list table inet porthole >/dev/null 2>&1; }
in_gw nft flush ruleset
wait_until 30 table_back
check "after 'nft flush ruleset' the table is back within 3 s" in_gw nft list table inet porthole
check_match "... with its mappings" "2525" "$(in_gw nft list table inet porthole)"
check_match "... and traffic flows again" "^$WAN_IP$" "$(probe_tcp "$NS_WAN" $EXT_IP 2525)"
in_gw nft delete table inet porthole
wait_until 30 table_back
check "after 'nft delete table' the table is back within 3 s" in_gw nft list table inet porthole
check_match "the rebuild is logged" "rebuil" "$(cat "$LAB_DIR/portholed.log")"

# --- the WAN address is watched ---
# The WAN host keeps sending to the old address through a fixed neighbour
# entry, so "no longer forwards" is the gateway's doing, not a forgotten ARP
# entry; the same entry carries a connection first (the control).
wan0_mac=$(in_gw cat /sys/class/net/wan0/address)
in_wan ip neigh replace $EXT_IP lladdr "$wan0_mac" dev br0 nud permanent
check_match "the WAN host reaches the mapping through the fixed neighbour entry" "^$WAN_IP$" \
	"$(probe_tcp "$NS_WAN" $EXT_IP 2525)"
in_gw ip addr del $EXT_IP/24 dev wan0
in_gw ip addr add 203.0.113.9/24 dev wan0
# ext_is ADDR: portholectl status reports ADDR as the external address.
ext_is() { ph_ctl status | grep -q "external_address=$1\b"; }
wait_until 50 ext_is 203.0.113.9
check_match "status follows the new WAN address" "external_address=203.0.113.9" "$(ph_ctl status)"
check_match "mappings work on the new address" "^$WAN_IP$" "$(probe_tcp "$NS_WAN" 203.0.113.9 2525)"
check_not "the old address no longer forwards" probe_tcp "$NS_WAN" $EXT_IP 2525
in_wan ip neigh del $EXT_IP dev br0
in_gw ip addr del 203.0.113.9/24 dev wan0
in_gw ip addr add 100.64.0.2/10 dev wan0
wait_until 50 grep -q "double NAT" "$LAB_DIR/portholed.log"
check_match "a private (shared, 100.64/10) WAN address is reported as double NAT" "double NAT" "$(cat "$LAB_DIR/portholed.log")"
in_gw ip addr del 100.64.0.2/10 dev wan0
in_gw ip addr add $EXT_IP/24 dev wan0
wait_until 50 ext_is $EXT_IP
check_match "back to the first address" "external_address=$EXT_IP" "$(ph_ctl status)"

# --- SIGHUP: traffic decides. 4000 (mail) and 4001 (ws) carry connections
# before; the new rules allow only ws, so 4000 stops and 4001 goes on; a
# broken config on a second SIGHUP leaves the running rules in force ---
serve_tcp "$NS_MAIL" 4000
serve_tcp "$NS_WS" 4001
in_mail natpmpc -g $GW_LAN_IP -a 4000 4000 tcp 3600 >/dev/null 2>&1
in_ws natpmpc -g $GW_LAN_IP -a 4001 4001 tcp 3600 >/dev/null 2>&1
check_eq "two NAT-PMP mappings before the reload" 2 "$(ph_ctl list | grep -cE " 400[01] .*natpmp")"
check_eq "before the reload the WAN reaches mail through 4000" "$WAN_IP" "$(probe_tcp "$NS_WAN" $EXT_IP 4000)"
check_eq "before the reload the WAN reaches ws through 4001" "$WAN_IP" "$(probe_tcp "$NS_WAN" $EXT_IP 4001)"
sed -i 's/^allow .*/allow 1-65535 192.168.77.20\/32 1-65535/' "$conf"
kill -HUP "$PH_PID"
wait_until 50 grep -q "reloaded" "$LAB_DIR/portholed.log"
log=$(cat "$LAB_DIR/portholed.log")
check_match "SIGHUP reload is logged" "reloaded" "$log"
check "the daemon survives SIGHUP" kill -0 "$PH_PID"
check_match "static mappings are kept across SIGHUP" "2525" "$(ph_ctl list)"
check_match "a mapping the new rules still permit is kept" "4001 +$WS_IP:4001 +natpmp" "$(ph_ctl list)"
check_eq "... and still carries traffic" "$WAN_IP" "$(probe_tcp "$NS_WAN" $EXT_IP 4001)"
check_absent "a mapping the new rules no longer permit is removed" " 4000 " ph_ctl list
check_match "... and that is logged" "natpmp mapping tcp 4000 -> $MAIL_IP:4000 no longer permitted; removed" "$log"
check_absent "... and it is out of the kernel" "4000" in_gw nft list map inet porthole fwd4
check_not "... and the WAN no longer reaches mail through 4000" probe_tcp "$NS_WAN" $EXT_IP 4000
check_match "the new rules apply to new requests" "not authorized" \
	"$(in_mail natpmpc -g $GW_LAN_IP -a 4002 4002 tcp 3600 2>&1)"
echo "allow 1-65535 broken" >>"$conf"
kill -HUP "$PH_PID"
wait_until 50 grep -q "keeping the running configuration" "$LAB_DIR/portholed.log"
check_match "a broken config on SIGHUP is refused with its line" "portholed.conf:[0-9]+: .*keeping the running configuration" "$(cat "$LAB_DIR/portholed.log")"
check "and the daemon keeps running" kill -0 "$PH_PID"
check_eq "the running rules still apply: 4001 carries traffic" "$WAN_IP" "$(probe_tcp "$NS_WAN" $EXT_IP 4001)"
check_match "... ws still gets a new mapping" "Mapped public port 4003 " \
	"$(in_ws natpmpc -g $GW_LAN_IP -a 4003 4003 tcp 3600 2>&1)"
check_match "... and mail is still refused one" "not authorized" \
	"$(in_mail natpmpc -g $GW_LAN_IP -a 4004 4004 tcp 3600 2>&1)"
ph_stop
