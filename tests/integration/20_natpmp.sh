#!/usr/bin/env bash
# NAT-PMP (RFC 6886) on udp/5351, in the lab: the Debian natpmpc (libnatpmp)
# maps, renews and deletes; pcptest sends exact bytes for the result codes;
# real traffic crosses each mapping. Every check names its CONFORMANCE item.
. "$(dirname "$0")/../lib.sh"
lab_up
P="$BIN/tests/pcptest"

# field NAME TEXT: the value of NAME=... in pcptest's output.
field() { printf '%s\n' "$2" | grep -o " $1=[^ ]*" | head -1 | cut -d= -f2; }
# nat HEX [host-cmd]: one raw NAT-PMP request from the mail server.
nat() { in_mail "$P" -x "$1" "$GW_LAN_IP"; }
# A NAT-PMP map request: op int_port ext_port lifetime, as hex.
natreq() { printf '00%02x0000%04x%04x%08x' "$1" "$2" "$3" "$4"; }
natpmp_packets() { grep -c ' len=12 version=0 opcode=0 r=1' "$1"; }

# --- C13: the boot announcements, caught by a LAN host that listens first ---
in_ws "$P" -m $WS_IP -t 6000 >"$LAB_DIR/boot.out" &
BOOT_LISTENER=$!
LAB_PIDS+=($BOOT_LISTENER)
wait_listen "$NS_WS" udp 5350
check "portholed starts" ph_start

# --- B: one port, byte 0 picks the protocol ---
out=$(nat 0000)
check_match "B1 byte 0 = 0 -> a 12-byte NAT-PMP reply" "len=12 version=0 opcode=0 r=1 result=0" "$out"
check_match "B3 the reply comes from the address the request went to" "from=$GW_LAN_IP:5351" "$out"
out=$(in_mail "$P" -o announce $GW_LAN_IP)
check_match "B1 byte 0 = 2 -> a 24-byte PCP reply" "len=24 version=2 opcode=0 r=1 result=0" "$out"
out=$(nat 01000000)
check_match "B2 version 1 -> exactly 8 bytes {0, 0x80, 1, epoch}" \
	"len=8 version=0 opcode=0 r=1 result=1 .*hex=00800001[0-9a-f]{8}$" "$out"
check_fails "B3 a packet with the R bit gets no reply" 2 nat 0080
check_fails "B3 a request to the WAN address gets no reply" 2 in_wan "$P" -x 0000 $EXT_IP
in_wan ip route add $LAN_NET via $EXT_IP
check_fails "B3 a request from the WAN side to the LAN address gets no reply" 2 \
	in_wan "$P" -x 0000 $GW_LAN_IP
in_wan ip route del $LAN_NET via $EXT_IP
check_match "B3 ... it is dropped and the drop logged, naming the sender" \
	"pcp: dropped request from $WAN_IP:[0-9]+: not from this LAN" "$(cat "$LAB_DIR/portholed.log")"

# --- C5: the external address ---
out=$(in_mail natpmpc -g $GW_LAN_IP 2>&1)
check_match "C5 natpmpc (libnatpmp) reads the external address" "Public IP address : $EXT_IP" "$out"
check_match "C5 op 0 -> result 0 and the WAN address in bytes 8-11" "hex=00800000[0-9a-f]{8}cb007101" \
	"$(nat 0000)"

# --- C6, C14: map with natpmpc; real traffic crosses ---
serve_tcp "$NS_MAIL" 25
serve_udp "$NS_MAIL" 5353
out=$(in_mail natpmpc -g $GW_LAN_IP -a 25 25 tcp 3600 2>&1)
check_match "C6 natpmpc maps TCP 25" "Mapped public port 25 protocol TCP to local port 25 lif" "$out"
check_match "C6 the NAT-PMP mapping shows in portholectl list" "tcp +25 +$MAIL_IP:25 +natpmp" \
	"$(ph_ctl list)"
check_eq "C14 WAN host reaches the mail server over the TCP mapping" "$WAN_IP" \
	"$(probe_tcp "$NS_WAN" $EXT_IP 25 | cut -d: -f1)"
out=$(in_mail natpmpc -g $GW_LAN_IP -a 5353 5353 udp 3600 2>&1)
check_match "C6 natpmpc maps UDP 5353" "Mapped public port 5353 protocol UDP to local port 5353" "$out"
check_eq "C14 WAN host reaches the mail server over the UDP mapping" "$WAN_IP" \
	"$(probe_udp "$NS_WAN" $EXT_IP 5353 | cut -d: -f1)"
check_eq "C14 (52) hairpin UDP: the workstation reaches it, seen as the WAN address" "$EXT_IP" \
	"$(probe_udp "$NS_WS" $EXT_IP 5353 | cut -d: -f1)"
check_eq "C14 (53) hairpin TCP: the same over TCP" "$EXT_IP" \
	"$(probe_tcp "$NS_WS" $EXT_IP 25 | cut -d: -f1)"
out=$(nat "$(natreq 2 25 0 600)")
check_match "C6 raw map reply: op 130, internal port echoed, 16 bytes" \
	"len=16 version=0 opcode=2 r=1 result=0 .* int_port=25 ext_port=25 lifetime=600" "$out"
out=$(nat "$(natreq 1 5353 0 99999999)")
check "C6 lifetime no more than asked (capped at max_lifetime)" \
	test "$(field lifetime "$out")" -le 86400

# --- C7: renewal is idempotent ---
out=$(in_mail natpmpc -g $GW_LAN_IP -a 25 25 tcp 7200 2>&1)
check_match "C7 natpmpc renews: the same external port" "Mapped public port 25 protocol TCP" "$out"
check_match "C7 the renewal refreshed the lease" "tcp +25 +$MAIL_IP:25 +natpmp +(7200|7199)s" \
	"$(ph_ctl list)"
out=$(nat "$(natreq 2 25 4444 600)")
check_eq "C7 a repeat with another suggestion keeps the port" 25 "$(field ext_port "$out")"

# --- C8, C9: taken ports, companions ---
serve_tcp "$NS_WS" 25
out=$(in_ws "$P" -x "$(natreq 2 25 25 600)" $GW_LAN_IP)
ws_port=$(field ext_port "$out")
check "C8 a taken suggestion -> another port, result 0" \
	test "$(field result "$out")" = 0 -a "$ws_port" != 25 -a "$ws_port" != 0
check_eq "C8 traffic to that other port reaches the workstation" "$WAN_IP" \
	"$(probe_tcp "$NS_WAN" $EXT_IP "$ws_port" | cut -d: -f1)"
out=$(in_ws "$P" -x "$(natreq 1 25 25 600)" $GW_LAN_IP)
ws_udp=$(field ext_port "$out")
check "C9 UDP 25 for another host stays off mail's TCP 25 companion" \
	test "$(field result "$out")" = 0 -a "$ws_udp" != 25
check_absent "C9 no TCP mapping was made for the UDP request" "tcp +$ws_udp +$WS_IP" ph_ctl list
out=$(nat "$(natreq 1 25 25 600)")
check_eq "C9 the companion is still free for its own host" 25 "$(field ext_port "$out")"

# --- conflicts with a static mapping ---
check "static mapping tcp 2526 -> mail:26" ph_ctl add tcp 2526 $MAIL_IP 26 0 admin
out=$(in_ws natpmpc -g $GW_LAN_IP -a 2526 2526 tcp 600 2>&1)
check_match "C8 natpmpc on a static port gets another one" "Mapped public port [0-9]+ protocol TCP" "$out"
check_not "C8 ... which is not the static one" grep -q "Mapped public port 2526 " <<<"$out"
check_match "C8 the static mapping is unchanged" "tcp +2526 +$MAIL_IP:26 +static" "$(ph_ctl list)"
out=$(nat "$(natreq 2 26 0 600)")
check_eq "C7 a map request for the static's internal end returns the static port" 2526 \
	"$(field ext_port "$out")"
out=$(nat "$(natreq 2 26 0 0)")
check_eq "C10 deleting a manual mapping -> result 2" 2 "$(field result "$out")"
check_match "C10 ... and it stays" "tcp +2526 +$MAIL_IP:26 +static" "$(ph_ctl list)"

# --- C10: delete, delete again, delete all, expiry ---
out=$(in_mail natpmpc -g $GW_LAN_IP -a 25 25 tcp 0 2>&1)
check_absent "C10 natpmpc deletes TCP 25" "tcp +25 +$MAIL_IP" ph_ctl list
check_not "C10 after the delete the WAN host is refused" probe_tcp "$NS_WAN" $EXT_IP 25
out=$(nat "$(natreq 2 25 0 0)")
check_match "C10 deleting a missing mapping: result 0, port echoed, ext 0, lifetime 0" \
	"result=0 .* int_port=25 ext_port=0 lifetime=0" "$out"
nat "$(natreq 1 6001 6001 600)" >/dev/null
nat "$(natreq 1 6002 6002 600)" >/dev/null
out=$(nat "$(natreq 1 0 0 0)")
check_match "C10 delete all (internal port 0): result 0, internal port 0" \
	"result=0 .* int_port=0 ext_port=0 lifetime=0" "$out"
check_absent "C10 ... mail's UDP NAT-PMP mappings are gone" "udp +[0-9]+ +$MAIL_IP:[0-9]+ +natpmp" ph_ctl list
check_match "C10 ... the workstation's are not" "udp +[0-9]+ +$WS_IP:25 +natpmp" "$(ph_ctl list)"
in_mail natpmpc -g $GW_LAN_IP -a 7000 7000 tcp 2 >/dev/null 2>&1
serve_tcp "$NS_MAIL" 7000
check_eq "C10 a 2-second mapping works at first" "$WAN_IP" \
	"$(probe_tcp "$NS_WAN" $EXT_IP 7000 | cut -d: -f1)"
sleep 3
check_absent "C10 ... and vanishes when its lifetime ends" "tcp +7000 " ph_ctl list
check_not "C10 ... from the kernel too" probe_tcp "$NS_WAN" $EXT_IP 7000

# --- libporthole's NAT-PMP path (through libnatpmp) against this server ---
st=$LAB_DIR/porthole.state
out=$(in_mail "$BIN/porthole" -g $GW_LAN_IP -P natpmp -s "$st" -o tcp/587 map 2>&1)
check_match "C6 libporthole over NAT-PMP maps tcp/587" "tcp +587 +$MAIL_IP:587 +natpmp" \
	"$(ph_ctl list)"
in_mail "$BIN/porthole" -g $GW_LAN_IP -P natpmp -s "$st" -o tcp/587 unmap >/dev/null 2>&1
check_absent "C10 libporthole over NAT-PMP deletes it" "tcp +587 " ph_ctl list

# --- C11: unknown opcode ---
out=$(nat 0005aabbccdd)
check_match "C11 opcode 5 -> the request echoed with 0x85 and result 5" "len=6 .*hex=00850005ccdd$" "$out"

# --- C12: epoch ---
t0=$(now_ms); e1=$(field epoch "$(nat 0000)"); t1=$(now_ms)
sleep 3
t2=$(now_ms); e2=$(field epoch "$(nat 0000)"); t3=$(now_ms)
check_epoch_rise "C12 the epoch rises 1/s" "$e1" "$e2" $t0 $t1 $t2 $t3

# --- C13: what the listener heard at boot ---
wait "$BOOT_LISTENER"
boot=$(grep ' len=12 version=0 ' "$LAB_DIR/boot.out")
n=$(printf '%s\n' "$boot" | grep -c .)
check "C13 boot: NAT-PMP announcements reached a LAN host ($n in 6 s)" test "$n" -ge 5
check_match "C13 boot: sent from the LAN address, port 5351, op 128, the WAN address" \
	"from=$GW_LAN_IP:5351 len=12 version=0 opcode=0 r=1 result=0 .*ext_ip=$EXT_IP" "$boot"
ts=($(printf '%s\n' "$boot" | grep -o 't_ms=[0-9]*' | cut -d= -f2))
g1=$((ts[1] - ts[0])) g2=$((ts[2] - ts[1])) g3=$((ts[3] - ts[2]))
# Each gap is timed from the previous send, so load only lengthens it; the
# listener's own late wake-ups may shorten one by up to 100 ms.
check "C13 boot: 250 ms apart at first, the gap doubling ($g1, $g2, $g3 ms)" \
	test $g1 -ge 150 -a $g1 -le 500 -a $g2 -ge 400 -a $g3 -ge 900
eps=($(printf '%s\n' "$boot" | grep -o 'epoch=[0-9]*' | cut -d= -f2))
check "C13 boot: the epoch is updated in each (${eps[0]} .. ${eps[4]})" \
	test "${eps[4]}" -gt "${eps[0]}"

# --- C13: an external address change is announced, the epoch reset ---
sleep 2
in_gw ip addr flush dev wan0
ext_none() { ph_ctl status | grep -q 'external_address=none'; }
wait_until 50 ext_none
out=$(nat 0000)
check_match "C5 with the WAN address gone: result 3 and 0.0.0.0" "result=3 .*hex=00800003[0-9a-f]{8}00000000$" "$out"
check_eq "C5 ... and a map request gets 3 too" 3 "$(field result "$(nat "$(natreq 2 9000 0 600)")")"
# The listener's 3 s start only now, so the wait for the loss above,
# however long under load, cannot eat them.
in_ws "$P" -m $WS_IP -t 3000 >"$LAB_DIR/change.out" &
lpid=$!
wait_listen "$NS_WS" udp 5350
in_gw ip addr add 203.0.113.5/24 dev wan0
wait $lpid
new=$(grep ' len=12 version=0 .*ext_ip=203.0.113.5' "$LAB_DIR/change.out")
check "C13 address change: announcements carry the new address" test -n "$new"
check "C13 address change: at least 3 in the first 2 s" \
	test "$(printf '%s\n' "$new" | grep -c .)" -ge 3
check "C13 address change: the epoch restarted near 0" \
	test "$(field epoch "$(printf '%s\n' "$new" | head -1)")" -le 2
check_match "C5 op 0 now reports the new address" "hex=00800000[0-9a-f]{8}cb007105" "$(nat 0000)"
in_gw ip addr flush dev wan0
in_gw ip addr add $EXT_IP/24 dev wan0

# --- C12: a restart resets the epoch ---
ph_stop
t0=$(now_ms)
check "portholed restarts" ph_start
e3=$(field epoch "$(nat 0000)")
check_epoch_young "C12 after a restart the epoch starts again" "$e3" $t0 "$(now_ms)"

# --- C14: NAT disabled -> silent ---
ph_stop
check "portholed starts with NAT-PMP and PCP off" ph_start "$(ph_config enable_natpmp=no enable_pcp=no)"
check_fails "C14 with the protocols off nothing answers on 5351" 2 nat 0000
check "C14 ... while the daemon runs" ph_ctl status

# --- a burst: many requests at once (as after a restart, every host re-mapping)
# are all answered, none dropped in the gateway's receive queue ---
ph_stop
check "portholed starts with no rate limit and no quota" \
	ph_start "$(ph_config rate_limit=0 max_per_host=0)"
drops() { in_gw nstat -az UdpRcvbufErrors | awk '$1 == "UdpRcvbufErrors" { print $2 }'; }
d0=$(drops)
out=$(natpmp_at_once "$NS_MAIL" 20001 1000)
check_eq "a burst of 1000 map requests sent at once: every one answered, none resent" \
	"answered=1000 ok=1000" "$out"
check_eq "... none dropped by the gateway's receive queue" 0 "$(($(drops) - d0))"
check_eq "... all 1000 mappings in the kernel" 1000 \
	"$(in_gw nft list map inet porthole fwd4 | grep -oE 'tcp \. 2[01][0-9]{3} :' | wc -l)"
