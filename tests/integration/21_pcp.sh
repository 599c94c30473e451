#!/usr/bin/env bash
# PCP (RFC 6887) on udp/5351, in the lab, driven by pcptest (the project's
# PCP client module): every result code and option of CONFORMANCE.md B-D,
# real traffic across each kind of mapping, FILTER seen from two WAN hosts,
# the restart and address-change announcements. Each check names its item.
. "$(dirname "$0")/../lib.sh"
lab_up
P="$BIN/tests/pcptest"
N1=0102030405060708090a0b0c
N2=0102030405060708090a0bff

field() { printf '%s\n' "$2" | grep -o " $1=[^ ]*" | head -1 | cut -d= -f2; }
pcp() { in_mail "$P" "$@" $GW_LAN_IP; }
result() { field result_name "$(pcp "$@")"; }
listed() { ph_ctl list; }
# probe_tcp_from NS SRCPORT HOST PORT: a connection from a chosen source port.
probe_tcp_from() {
	ip netns exec "$1" socat -T2 - TCP:"$3":"$4",connect-timeout=2,sourceport="$2",reuseaddr \
		</dev/null 2>/dev/null
}

# --- D32: restart announcements, heard by a LAN host listening first ---
in_ws "$P" -m $WS_IP -t 3000 >"$LAB_DIR/boot.out" &
BOOT_LISTENER=$!
LAB_PIDS+=($BOOT_LISTENER)
# ... and watched from the WAN side, where none of it may go (B3).
in_wan timeout 60 tcpdump -i br0 -n -l "udp and (port 5350 or port 5351)" \
	>"$LAB_DIR/wan.pcap.txt" 2>"$LAB_DIR/tcpdump.err" &
WAN_CAPTURE=$!
LAB_PIDS+=($WAN_CAPTURE)
wait_listen "$NS_WS" udp 5350
wait_until 100 grep -q 'listening on' "$LAB_DIR/tcpdump.err"
check "portholed starts" ph_start
serve_tcp "$NS_MAIL" 25
serve_udp "$NS_MAIL" 5060
serve_tcp "$NS_MAIL" 8025

# --- B ---
check_match "B2 version 3 -> UNSUPP_VERSION naming version 2" \
	"version=2 opcode=1 r=1 result=1 .*lifetime=1800" "$(pcp -V 3 -i 25)"
check_match "B2 version 255 -> UNSUPP_VERSION naming version 2" "version=2 .*result=1 " \
	"$(pcp -V 255 -i 25)"
check_fails "B3 R bit set -> no reply" 2 pcp -x 0281000000000e10
check_fails "B3 PCP to the WAN address -> no reply" 2 in_wan "$P" -o announce -c $WAN_IP $EXT_IP
check_eq "B4 opcode 3 (AUTHENTICATION) -> UNSUPP_OPCODE" UNSUPP_OPCODE "$(result -o 3)"
out=$(pcp -o 3 -i 25)
check_match "B3 replies come from the address asked, port 5351" "from=$GW_LAN_IP:5351" "$out"

# --- D15: the order of the length checks ---
check_fails "D15 1 byte -> dropped" 2 pcp -x 02
check_fails "D15 under 24 bytes -> dropped" 2 pcp -o announce -L 20
out=$(pcp -i 25 -L 1104)
check_match "D15 over 1100 bytes -> MALFORMED_REQUEST, reply cut to 1100" \
	"reply .*len=1100 .*result_name=MALFORMED_REQUEST" "$out"
check_eq "D15 not a multiple of 4 -> MALFORMED_REQUEST" MALFORMED_REQUEST "$(result -i 25 -L 62)"
check_eq "D15 too short for MAP -> MALFORMED_REQUEST" MALFORMED_REQUEST "$(result -i 25 -L 56)"
check_eq "D15 too short for PEER -> MALFORMED_REQUEST" MALFORMED_REQUEST \
	"$(result -o peer -i 25 -r $WAN_IP:80 -L 76)"
check_absent "D15 none of that made a mapping" pcp listed

# --- D16, D17, D18 ---
out=$(pcp -i 25 -c 10.9.9.9)
check_match "D16 client IP != source -> ADDRESS_MISMATCH; D18 a long error: 1800 s" \
	"result_name=ADDRESS_MISMATCH lifetime=1800" "$out"
out=$(pcp -D -i 25 -n $N1 -X 99:4:01020304)
req=$(printf '%s\n' "$out" | grep '^request' | grep -o 'hex=.*' | cut -d= -f2)
rep=$(printf '%s\n' "$out" | grep '^reply' | grep -o 'hex=.*' | cut -d= -f2)
check_eq "D25 unknown mandatory option -> UNSUPP_OPTION" UNSUPP_OPTION "$(field result_name "$out")"
check_eq "D17 the error reply is the request copied back (from byte 12)" "${req:24}" "${rep:24}"
check_match "D17 ... with R, result, lifetime and epoch set" "^02810005" "$rep"
out=$(pcp -i 25 -n $N1 -l 600 -X 200:4:01020304)
check_match "D25 unknown optional option -> ignored (SUCCESS)" "result_name=SUCCESS" "$out"
check_match "D17 success echoes only processed options (60 bytes)" "len=60 .*unknown_options=0" "$out"

# --- D19: MAP ---
out=$(pcp -i 25 -e 25 -n $N1 -l 600)
check_match "D19 MAP: SUCCESS, nonce, protocol and internal port copied, ::ffff:WAN" \
	"result_name=SUCCESS lifetime=600 .*nonce=$N1 proto=6 int_port=25 ext_port=25 ext_ip=$EXT_IP" "$out"
check_match "D19 the mapping shows in portholectl list as pcp" "tcp +25 +$MAIL_IP:25 +pcp" "$(listed)"
check_eq "D19 real TCP traffic crosses the MAP mapping" "$WAN_IP" \
	"$(probe_tcp "$NS_WAN" $EXT_IP 25 | cut -d: -f1)"
check_eq "D19 lifetime under the minimum -> 120" 120 "$(field lifetime "$(pcp -i 9 -l 30)")"
check_eq "D19 lifetime over the maximum -> 86400" 86400 "$(field lifetime "$(pcp -i 10 -l 99999999)")"
out=$(pcp -p udp -i 5060 -e 5060 -l 600)
check_eq "D19 UDP MAP" 5060 "$(field ext_port "$out")"
check_eq "D19 real UDP traffic crosses it" "$WAN_IP" \
	"$(probe_udp "$NS_WAN" $EXT_IP 5060 | cut -d: -f1)"

# --- D20, D21: hints and nonces ---
out=$(in_ws "$P" -i 25 -e 25 -E $WS_IP -l 600 $GW_LAN_IP)
check_match "D20 foreign suggested IP and a taken port -> SUCCESS elsewhere" \
	"result_name=SUCCESS .*ext_ip=$EXT_IP" "$out"
check "D20 ... not on the taken port" test "$(field ext_port "$out")" != 25
out=$(pcp -i 25 -n $N1 -l 900)
check_match "D21 same nonce -> same port, lifetime refreshed" "lifetime=900 .*ext_port=25 " "$out"
out=$(pcp -i 25 -n $N2 -l 900)
check_eq "D21 another nonce -> NOT_AUTHORIZED" NOT_AUTHORIZED "$(field result_name "$out")"
check "D21 ... with the time remaining as its lifetime" test "$(field lifetime "$out")" -ge 890

# --- D22: delete ---
check_eq "D22 delete with another nonce -> NOT_AUTHORIZED" NOT_AUTHORIZED "$(result -i 25 -n $N2 -l 0)"
out=$(pcp -i 25 -n $N1 -l 0)
check_match "D22 lifetime 0 deletes: SUCCESS, lifetime 0" "result_name=SUCCESS lifetime=0 " "$out"
check_absent "D22 ... gone from the table" "tcp +25 +$MAIL_IP" listed
check_not "D22 ... and from the kernel: the WAN host is refused" probe_tcp "$NS_WAN" $EXT_IP 25
check_eq "D22 deleting a missing mapping -> SUCCESS" SUCCESS "$(result -i 25 -n $N1 -l 0)"
check "static mapping tcp 2526 -> mail:26" ph_ctl add tcp 2526 $MAIL_IP 26 0 admin
check_eq "D22 deleting a static mapping -> NOT_AUTHORIZED" NOT_AUTHORIZED "$(result -i 26 -l 0)"
out=$(pcp -i 26 -l 600)
check_match "D22 a MAP for the static's internal end reports it (lifetime 2^32-1)" \
	"result_name=SUCCESS lifetime=4294967295 .*ext_port=2526 " "$out"

# --- D23, D24 ---
check_eq "D23 protocol 0 with a port -> MALFORMED_REQUEST" MALFORMED_REQUEST "$(result -p 0 -i 25)"
check_eq "D23 protocol 0, port 0 (DMZ) -> UNSUPP_PROTOCOL" UNSUPP_PROTOCOL "$(result -p 0 -i 0)"
check_eq "D23 SCTP -> UNSUPP_PROTOCOL" UNSUPP_PROTOCOL "$(result -p 132 -i 25)"
check_eq "D23 all ports (wildcard) -> UNSUPP_PROTOCOL" UNSUPP_PROTOCOL "$(result -p tcp -i 0)"
out=$(pcp -p udp -i 5351 -e 5351 -l 600)
check "D24 external UDP 5351 is never handed out" \
	test "$(field result_name "$out")" = SUCCESS -a "$(field ext_port "$out")" != 5351 \
	-a "$(field ext_port "$out")" != 5350
check_absent "D24 no TCP companion mapping was added" "tcp +[0-9]+ +$MAIL_IP:5351" listed

# --- D25, D26: options ---
check_eq "D25 THIRD_PARTY with a wrong length -> MALFORMED_OPTION" MALFORMED_OPTION \
	"$(result -i 30 -X 1:12:00000000000000000000ffff)"
check_eq "D25 a single-use option twice -> MALFORMED_OPTION" MALFORMED_OPTION \
	"$(result -i 30 -e 30 -P -X 2:0)"
check_eq "D25 an option running past the packet -> MALFORMED_OPTION" MALFORMED_OPTION \
	"$(result -i 30 -X 200:40:01020304)"
in_ws "$P" -i 8080 -e 8080 -l 600 $GW_LAN_IP >/dev/null
before=$(ph_list_stable)
out=$(pcp -i 8080 -e 8080 -P -l 600)
check_match "D26 PREFER_FAILURE, port taken -> CANNOT_PROVIDE_EXTERNAL; D18 a short error: 30 s" \
	"result_name=CANNOT_PROVIDE_EXTERNAL lifetime=30 " "$out"
check_eq "D26 ... and nothing changed (the listing but for seconds and counters)" "$before" "$(ph_list_stable)"
check_eq "D26 PREFER_FAILURE, foreign address -> CANNOT_PROVIDE_EXTERNAL" CANNOT_PROVIDE_EXTERNAL \
	"$(result -i 8081 -e 8081 -E 198.51.100.1 -P)"
out=$(pcp -i 8081 -e 8081 -E $EXT_IP -P -l 600)
check_match "D26 PREFER_FAILURE honoured: SUCCESS, option echoed" \
	"result_name=SUCCESS .*ext_port=8081 .*prefer_failure=1" "$out"
check_eq "D26 PREFER_FAILURE with suggested port 0 -> MALFORMED_OPTION" MALFORMED_OPTION \
	"$(result -i 8082 -P)"
check_eq "D26 PREFER_FAILURE with lifetime 0 -> MALFORMED_OPTION" MALFORMED_OPTION \
	"$(result -i 8081 -e 8081 -P -l 0)"
check_eq "D26 PREFER_FAILURE in PEER -> MALFORMED_REQUEST" MALFORMED_REQUEST \
	"$(result -o peer -i 8083 -r $WAN_IP:80 -P -e 8083)"

# --- D27: THIRD_PARTY ---
check_eq "D27 THIRD_PARTY is off by default -> UNSUPP_OPTION" UNSUPP_OPTION \
	"$(field result_name "$(in_ws "$P" -i 8025 -T $MAIL_IP $GW_LAN_IP)")"
check_eq "D27 THIRD_PARTY naming the source -> MALFORMED_REQUEST" MALFORMED_REQUEST \
	"$(field result_name "$(in_ws "$P" -i 8025 -T $WS_IP $GW_LAN_IP)")"

# --- D28: FILTER, enforced in the kernel ---
check_eq "D28 IPv4 prefix under 96 -> MALFORMED_OPTION" MALFORMED_OPTION \
	"$(result -i 8025 -F $WAN_IP/95)"
check_eq "D28 prefix over 128 -> MALFORMED_OPTION" MALFORMED_OPTION "$(result -i 8025 -F $WAN_IP/129)"
check_eq "D28 FILTER with lifetime 0 -> MALFORMED_OPTION" MALFORMED_OPTION \
	"$(result -i 8025 -F $WAN_IP/128 -l 0)"
check_eq "D28 over the filter limit (1) -> EXCESSIVE_REMOTE_PEERS" EXCESSIVE_REMOTE_PEERS \
	"$(result -i 8025 -F $WAN_IP/128 -F $WAN2_IP/128)"
out=$(pcp -i 8025 -e 8025 -n $N1 -F $WAN_IP/128 -l 600)
check_match "D28 one filter -> SUCCESS, filter echoed" \
	"result_name=SUCCESS .*ext_port=8025 .*filters=1 filter0=$WAN_IP/128:0" "$out"
check_match "D28 the lease carries the remote host" "tcp +8025 +$MAIL_IP:8025 +pcp .*$WAN_IP" \
	"$(listed)"
check_eq "D28 the allowed WAN host connects" "$WAN_IP" \
	"$(probe_tcp "$NS_WAN" $EXT_IP 8025 | cut -d: -f1)"
check_not "D28 a WAN host outside the filter cannot connect" probe_tcp "$NS_WAN2" $EXT_IP 8025
out=$(pcp -i 8025 -e 8025 -n $N1 -F 0.0.0.0/0 -F $WAN2_IP/128 -l 600)
check_match "D28 prefix 0 then a new filter replaces it" "result_name=SUCCESS .*filters=2" "$out"
check_eq "D28 now the second WAN host connects" "$WAN2_IP" \
	"$(probe_tcp "$NS_WAN2" $EXT_IP 8025 | cut -d: -f1)"
check_not "D28 ... and the first one cannot" probe_tcp "$NS_WAN" $EXT_IP 8025

# --- D29: PEER ---
check_eq "D29 PEER protocol 0 -> MALFORMED_REQUEST" MALFORMED_REQUEST \
	"$(result -o peer -p 0 -i 8443 -r $WAN_IP:4443)"
check_eq "D29 PEER internal port 0 -> MALFORMED_REQUEST" MALFORMED_REQUEST \
	"$(result -o peer -i 0 -r $WAN_IP:4443)"
check_eq "D29 PEER remote port 0 -> MALFORMED_REQUEST" MALFORMED_REQUEST \
	"$(result -o peer -i 8443 -r $WAN_IP:0)"
serve_tcp "$NS_MAIL" 8443
out=$(pcp -o peer -i 8443 -e 8443 -r $WAN_IP:4443 -n $N1 -l 600)
check_match "D29 PEER: SUCCESS, 80 bytes, remote fields copied" \
	"len=80 .*result_name=SUCCESS .*ext_port=8443 .*rem_port=4443 rem_ip=$WAN_IP" "$out"
check_eq "D29 the peer, from its port, reaches the mail server" "$WAN_IP" \
	"$(probe_tcp_from "$NS_WAN" 4443 $EXT_IP 8443 | cut -d: -f1)"
check_not "D29 another WAN host cannot use the PEER mapping" probe_tcp_from "$NS_WAN2" 4443 $EXT_IP 8443
out=$(pcp -o peer -i 8443 -r $WAN_IP:4443 -n $N1 -l 0)
check_match "D29 PEER cannot delete: lifetime 0 leaves it" "result_name=SUCCESS lifetime=(5[0-9][0-9]|600) " \
	"$out"
out=$(in_ws "$P" -o peer -i 8443 -e 8443 -r $WAN_IP:4444 -l 600 $GW_LAN_IP)
check_eq "D29 a new PEER whose suggestion is taken -> CANNOT_PROVIDE_EXTERNAL" CANNOT_PROVIDE_EXTERNAL \
	"$(field result_name "$out")"

# --- libporthole's PCP path (pcp_client.c) against this server ---
st=$LAB_DIR/porthole.state
in_mail "$BIN/porthole" -g $GW_LAN_IP -P pcp -s "$st" -o tcp/587 -o udp/5001 map >/dev/null 2>&1
check_match "D19 libporthole over PCP maps tcp/587" "tcp +587 +$MAIL_IP:587 +pcp" "$(listed)"
check_match "D19 libporthole over PCP maps udp/5001" "udp +5001 +$MAIL_IP:5001 +pcp" "$(listed)"
in_mail "$BIN/porthole" -g $GW_LAN_IP -P pcp -s "$st" unmap >/dev/null 2>&1
check_absent "D22 libporthole over PCP deletes them" "(tcp +587|udp +5001) " listed

# --- RFC 7220 DESCRIPTION: libporthole names each mapping by its profile port ---
printf 'smtp tcp/8026\n' >"$LAB_DIR/desc.profile"
ph_desc() { in_mail "$BIN/porthole" -g $GW_LAN_IP -P pcp -s "$LAB_DIR/desc.state" \
	-p "$LAB_DIR/desc.profile" "$@" 2>&1; }
check_match "RFC7220 porthole maps through PCP" "tcp/8026 -> $EXT_IP:8026 via pcp" "$(ph_desc map)"
check_match "RFC7220 portholectl list shows the description it sent" \
	"tcp +8026 +$MAIL_IP:8026 +pcp .*porthole smtp\$" "$(listed)"
out=$(pcp -i 8027 -l 600 -n $N2 -d "lab host")
check_match "RFC7220 the server echoes the description it keeps" 'description="lab host"' "$out"
check_match "RFC7220 ... and lists it" "tcp +[0-9]+ +$MAIL_IP:8027 +pcp .*lab host\$" "$(listed)"
out=$(pcp -i 8028 -l 600 -n $N2)
check_not "RFC7220 a MAP without one gets no echo" grep -q description= <<<"$out"
check_match "RFC7220 ... and keeps the default text" \
	"tcp +[0-9]+ +$MAIL_IP:8028 +pcp .*PCP MAP\$" "$(listed)"
ph_desc unmap >/dev/null
pcp -i 8027 -l 0 -n $N2 >/dev/null
pcp -i 8028 -l 0 -n $N2 >/dev/null

# --- D30, D31: ANNOUNCE and the epoch ---
t0=$(now_ms); out=$(pcp -o announce); t1=$(now_ms)
check_match "D30 ANNOUNCE -> SUCCESS, opcode 0x80, lifetime 0" \
	"len=24 version=2 opcode=0 r=1 result=0 result_name=SUCCESS lifetime=0 " "$out"
e1=$(field epoch "$out")
sleep 2
t2=$(now_ms); e2=$(field epoch "$(pcp -o announce)"); t3=$(now_ms)
check_epoch_rise "D31 the epoch rises 1/s" "$e1" "$e2" $t0 $t1 $t2 $t3

# --- D32: what the LAN host heard at start ---
wait "$BOOT_LISTENER"
boot=$(grep ' version=2 opcode=0 r=1' "$LAB_DIR/boot.out")
check_match "D32 unsolicited ANNOUNCE from the LAN address, port 5351, result 0" \
	"from=$GW_LAN_IP:5351 len=24 version=2 opcode=0 r=1 result=0 " "$boot"
ts=($(printf '%s\n' "$boot" | grep -o 't_ms=[0-9]*' | cut -d= -f2))
# The listener's late wake-ups may shorten a gap by up to 100 ms (see 20_natpmp.sh).
check "D32 at least 3 in the first 2 s, 250 ms apart at first, doubling (${ts[*]})" \
	test ${#ts[@]} -ge 3 -a $((ts[1] - ts[0])) -ge 150 -a $((ts[2] - ts[1])) -ge 400

# The WAN host's own request (B3, long ago) shows the capture works; what
# the gateway would have sent back or announced is on the wire by now.
wait_until 50 grep -Eq "IP $WAN_IP\.[0-9]+ > $EXT_IP\.5351" "$LAB_DIR/wan.pcap.txt"
kill "$WAN_CAPTURE"
wait "$WAN_CAPTURE" 2>/dev/null
check_match "B3 the WAN capture saw the WAN host's own request (so it works)" \
	"IP $WAN_IP\.[0-9]+ > $EXT_IP\.5351" "$(cat "$LAB_DIR/wan.pcap.txt")"
check_not "B3 ... and nothing from the gateway on udp/5350-5351: no reply, no announcement" \
	grep -Eq " IP ($EXT_IP|$GW_LAN_IP)\.535[01] " "$LAB_DIR/wan.pcap.txt"

# --- D33, D31: an external address change ---
out=$(in_mail "$P" -s 40001 -i 25 -e 25 -n $N1 -l 600 $GW_LAN_IP)
check_eq "D33 a MAP from source port 40001" SUCCESS "$(field result_name "$out")"
in_mail "$P" -u 40001 -t 2500 >"$LAB_DIR/update.out" &
upid=$!
wait_listen "$NS_MAIL" udp 40001
in_gw ip addr flush dev wan0
ext_none() { ph_ctl status | grep -q 'external_address=none'; }
wait_until 50 ext_none
out=$(pcp -i 9100 -l 600)
check_match "D18 with no WAN address a MAP gets NETWORK_FAILURE, a short error: 30 s" \
	"result_name=NETWORK_FAILURE lifetime=30 " "$out"
in_gw ip addr add 203.0.113.5/24 dev wan0
wait $upid
upd=$(grep '^packet' "$LAB_DIR/update.out" | grep "ext_ip=203.0.113.5")
check "D33 the mapping update reached the client's address and port, 3 times" \
	test "$(printf '%s\n' "$upd" | grep -c "nonce=$N1 proto=6 int_port=25 ext_port=25")" -eq 3
check_match "D33 ... from the LAN address, port 5351" "from=$GW_LAN_IP:5351 " "$upd"
check "D31 the epoch restarted with the new address" \
	test "$(field epoch "$(pcp -o announce)")" -le 3
in_gw ip addr flush dev wan0
in_gw ip addr add $EXT_IP/24 dev wan0

# --- D18/D24: quotas; D19: configurable clamp; D27: THIRD_PARTY allowed by a rule ---
ph_stop
conf=$(ph_config max_per_host=2 max_leases=3 min_lifetime=300 max_lifetime=900)
# Our rule must come before the lab's allow rule, which would match first.
sed -i "/^allow/i allow 1-65535 $MAIL_IP/32 1-65535 third-party" "$conf"
t0=$(now_ms)
check "portholed restarts: 2 per host, 3 in all, lifetimes 300-900, a third-party rule" \
	ph_start "$conf"
check_epoch_young "D31 after a restart the epoch starts again" "$(field epoch "$(pcp -o announce)")" \
	$t0 "$(now_ms)"
ws() { in_ws "$P" "$@" $GW_LAN_IP; }
out=$(ws -i 8025 -e 8025 -T $MAIL_IP -l 600)
check_eq "D27 THIRD_PARTY where a rule allows it -> SUCCESS" SUCCESS "$(field result_name "$out")"
check_match "D27 ... echoed" "third_party=$MAIL_IP" "$out"
check_match "D27 ... and the mapping points at the third party" "tcp +8025 +$MAIL_IP:8025 +pcp" \
	"$(listed)"
check_eq "D27 real traffic reaches the third party" "$WAN_IP" \
	"$(probe_tcp "$NS_WAN" $EXT_IP 8025 | cut -d: -f1)"
check_eq "D19 the configured minimum (300)" 300 "$(field lifetime "$(pcp -i 25 -n $N1 -l 30)")"
check_eq "D19 the configured maximum (900)" 900 "$(field lifetime "$(pcp -i 25 -n $N1 -l 5000)")"
out=$(pcp -i 26 -l 600)
check_match "D24 over the host's quota (2) -> USER_EX_QUOTA; D18 a short error: 30 s" \
	"result_name=USER_EX_QUOTA lifetime=30 " "$out"
check_eq "a third mapping in all (the workstation's)" SUCCESS "$(field result_name "$(ws -i 25 -l 600)")"
out=$(ws -i 26 -l 600)
check_match "D18 the table full -> NO_RESOURCES, a short error: 30 s" \
	"result_name=NO_RESOURCES lifetime=30 " "$out"
out=$(in_ws "$P" -x 00020000001a001a00000258 $GW_LAN_IP)
check_match "C8 NAT-PMP with no room left -> result 4, ext port 0" \
	"result=4 .*int_port=26 ext_port=0 lifetime=0" "$out"
