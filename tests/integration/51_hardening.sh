#!/usr/bin/env bash
# Hardening (issue 15, red-team findings 1-8): each finding reproduced in the
# lab, each refusal beside a positive control that the same path still works.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/upnp_common.bash"
lab_up
# Byte lengths (CONTENT-LENGTH of a SOAP body holding UTF-8) and byte-wise matching.
export LC_ALL=C
P="$BIN/tests/pcptest"
m() { soap "$NS_WS" "$@"; }
add_code() { m $IPC2_URL $IPC2 AddPortMapping "$(add_args "$@")" | errcode; }
ruleset() { in_gw nft list table inet porthole; }
log_of() { cat "$LAB_DIR/portholed.log"; }
field() { printf '%s\n' "$2" | grep -o " $1=[^ ]*" | head -1 | cut -d= -f2; }
# ph_config always writes the same file: keep a copy per configuration.
config_as() { local f=$LAB_DIR/$1.conf; shift; cp "$(ph_config "$@")" "$f"; echo "$f"; }
NONCE=0102030405060708090a0b0c
# One lease-file line: PROTO EXT INTADDR INTPORT OWNER [EXPIRES]
lease_line() {
	echo "$1 $2 $3 $4 0.0.0.0 0 $5 ${6:-$(($(date +%s) + 3600))} $NONCE planted"
}

# --- H1: the lease file is data, not authority --------------------------------
# A root-owned file the planted links point at: it must never change.
echo precious >"$LAB_DIR/victim"
mkdir -m 0700 "$LAB_DIR/store"
ln -s "$LAB_DIR/victim" "$LAB_DIR/store/leases.tmp"
ln -s "$LAB_DIR/victim" "$LAB_DIR/store/leases"
{
	lease_line tcp 2525 $MAIL_IP 25 upnp			# permitted: the control
	lease_line tcp 2222 $GW_LAN_IP 22 upnp			# the gateway's own sshd
	lease_line tcp 2223 127.0.0.1 22 upnp			# loopback
	lease_line udp 5353 8.8.8.8 53 upnp			# off the LAN
	lease_line tcp 2224 192.168.77.255 22 static		# the LAN broadcast
	lease_line tcp 2225 192.168.77.0 22 static		# the LAN network address
	lease_line tcp 4600 $MAIL_IP 4600 upnp			# denied by the rules below
	lease_line udp 4700 $MAIL_IP 4700 pcp $(($(date +%s) + 999999))	# over max_lifetime
	lease_line tcp 2626 $MAIL_IP 26 upnp 99999999999999	# absurd expiry
} >"$LAB_DIR/store/leases.journal.new"
conf=$(config_as store "lease_file=$LAB_DIR/store/leases" "http_port=$UPNP_PORT")
# ph_config's rule allows everything: a deny goes before it.
sed -i "/^allow/i deny 4000-4999 $LAN_NET 1-65535" "$conf"
mv "$LAB_DIR/store/leases.journal.new" "$LAB_DIR/store/leases.journal"
serve_tcp "$NS_MAIL" 25
check "H1 portholed starts with planted links beside its lease file" ph_start "$conf"
check_eq "H1 the file a planted link pointed at is untouched" precious "$(cat "$LAB_DIR/victim")"
check_not "H1 the planted lease-file link was replaced, not followed" test -L "$LAB_DIR/store/leases"
check_not "H1 the planted .tmp link is gone" test -e "$LAB_DIR/store/leases.tmp"
out=$(ph_ctl list)
check_match "H1 control: the permitted lease is restored" "tcp +2525 +$MAIL_IP:25 +upnp" "$out"
check_eq "H1 control: traffic flows through it" "$WAN_IP" "$(probe_tcp "$NS_WAN" $EXT_IP 2525 | cut -d: -f1)"
check_not "H1 no DNAT to the gateway, loopback, off-LAN, broadcast or network address" \
	grep -Eq ": ($GW_LAN_IP|127\.0\.0\.1|8\.8\.8\.8|192\.168\.77\.(255|0)) \." <<<"$(ruleset)"
check_not "H1 leases the rules forbid (4600), over max_lifetime (4700), absurd expiry (2626) are not back" \
	grep -Eq "4600|4700|2626" <<<"$out"
summary=$(log_of | grep leasestore)
check_eq "H1 what was dropped is counted in one log line" 1 "$(grep -c . <<<"$summary")"
check_match "H1 ... 7 no longer permitted; unreadable: the linked snapshot, the absurd expiry" \
	"restored 1 leases .*7 no longer permitted, 2 unreadable \(first: .*/leases: not a regular file" \
	"$summary"

# Tighter rules at a restart: a mapping made under the old rules stays out.
check_eq "H1 control: UPnP maps 3500 under the first rules" ok "$(add_code 3500 TCP 3500 $WS_IP 3600)"
upnp_stop
sed -i "s/^deny 4000-4999/deny 3000-4999/" "$conf"
ph_start "$conf"
out=$(ph_ctl list)
check_not "H1 a restart with tighter rules does not restore what they forbid" grep -q 3500 <<<"$out"
check_match "H1 control: what they still permit is back" "2525" "$out"
upnp_stop

# A journal that is a link is refused with a clear error; the victim is untouched.
rm -f "$LAB_DIR/store/leases.journal"
ln -s "$LAB_DIR/victim" "$LAB_DIR/store/leases.journal"
: >"$LAB_DIR/portholed.log"
ph_start "$conf"
check_match "H1 a linked journal is refused, and said so" \
	"lease file .*journal: not a regular file" "$(log_of)"
check_eq "H1 ... and the file it points at is untouched" precious "$(cat "$LAB_DIR/victim")"
upnp_stop
rm -f "$LAB_DIR/store/leases.journal"

# A directory others may write is refused with a clear error.
mkdir -m 1777 "$LAB_DIR/open"
: >"$LAB_DIR/portholed.log"
ph_start "$(config_as open "lease_file=$LAB_DIR/open/leases")"
check_match "H1 a lease file in a directory others may write is refused" \
	"lease file .*may be written by others" "$(log_of)"
check_not "H1 ... and nothing is written there" test -e "$LAB_DIR/open/leases"
upnp_stop

# 200,000 bad lines: one summary line, not 200,000.
python3 -c 'import sys; sys.stdout.write("garbage line\n" * 200000)' >"$LAB_DIR/store/leases"
: >"$LAB_DIR/portholed.log"
ph_start "$conf"
check_eq "H8 200,000 bad lease lines: one log line" 1 "$(log_of | grep -c leasestore)"
check_match "H8 ... that counts them and names the first" \
	"200000 unreadable \(first: .*leases:1: not a lease line\)" "$(log_of | grep leasestore)"
upnp_stop

# --- H3: never a mapping to the gateway, the network or the broadcast address ---
conf=$(config_as open-rules "http_port=$UPNP_PORT" secure_mode=no)
sed -i "s|^allow 1-65535 $LAN_NET 1-65535$|& third-party|" "$conf"
ph_start "$conf"
check_eq "H3 control: secure_mode=no maps for another LAN host" ok "$(add_code 3001 TCP 25 $MAIL_IP 600)"
check_eq "H3 UPnP to the gateway's own LAN address -> 402" 402 "$(add_code 3002 TCP 22 $GW_LAN_IP 600)"
check_eq "H3 UPnP to the LAN broadcast address -> 402" 402 "$(add_code 3003 TCP 22 192.168.77.255 600)"
check_eq "H3 UPnP to the LAN network address -> 402" 402 "$(add_code 3004 TCP 22 192.168.77.0 600)"
check_match "H3 UPnP to the WAN address is refused" "^(402|606)$" "$(add_code 3005 TCP 22 $EXT_IP 600)"
in_gw ip addr add 192.168.77.2/24 dev br-lan
check_eq "H3 UPnP to an address added to the gateway just now -> 402" 402 \
	"$(add_code 3006 TCP 22 192.168.77.2 600)"
in_gw ip addr del 192.168.77.2/24 dev br-lan
check_eq "H3 PCP THIRD_PARTY to the gateway -> NOT_AUTHORIZED" NOT_AUTHORIZED \
	"$(field result_name "$(in_ws "$P" -i 22 -T $GW_LAN_IP -l 600 $GW_LAN_IP)")"
check_eq "H3 control: PCP THIRD_PARTY to the mail server -> SUCCESS" SUCCESS \
	"$(field result_name "$(in_ws "$P" -i 26 -T $MAIL_IP -l 600 $GW_LAN_IP)")"
check_match "H3 portholectl cannot either, and says why" "must be a host inside a LAN prefix" \
	"$(ph_ctl add tcp 2222 $GW_LAN_IP 22 2>&1)"
check "H3 control: portholectl maps to the mail server" ph_ctl add tcp 2223 $MAIL_IP 22
check_not "H3 the kernel holds no DNAT to the gateway, network or broadcast" \
	grep -Eq ": ($GW_LAN_IP|$EXT_IP|192\.168\.77\.(255|0)) \." <<<"$(ruleset)"

# --- H4: never shadow the gateway's own services --------------------------------
in_gw socat TCP-LISTEN:2200,fork,reuseaddr SYSTEM:'echo gateway-sshd' 2>/dev/null &
LAB_PIDS+=($!)
in_gw socat UDP-RECVFROM:51820,fork SYSTEM:'echo gateway-wg' 2>/dev/null &
LAB_PIDS+=($!)
in_gw socat TCP-LISTEN:2201,bind=$GW_LAN_IP,fork,reuseaddr SYSTEM:'echo lan-only' 2>/dev/null &
LAB_PIDS+=($!)
wait_listen "$NS_GW" tcp 2200; wait_listen "$NS_GW" udp 51820; wait_listen "$NS_GW" tcp 2201
check_eq "H4 UPnP over a port the gateway listens on (tcp 2200) -> 718" 718 \
	"$(add_code 2200 TCP 22 $WS_IP 600)"
check_eq "H4 ... over a UDP port it has open (51820) -> 718" 718 "$(add_code 51820 UDP 51820 $WS_IP 600)"
check_eq "H4 control: a port it listens on only on the LAN (2201) maps" ok \
	"$(add_code 2201 TCP 22 $WS_IP 600)"
for port in 1900 5350 5351; do
	check_eq "H4 UPnP udp $port -> 718" 718 "$(add_code $port UDP $port $WS_IP 600)"
done
check_eq "H4 control: UPnP tcp 1900 maps" ok "$(add_code 1900 TCP 1900 $WS_IP 600)"
r=$(m $IPC2_URL $IPC2 AddAnyPortMapping "$(add_args 2200 TCP 2200 $WS_IP 600)")
check_match "H4 AddAnyPortMapping asking for 2200 is given another port" \
	"<NewReservedPort>(220[1-9]|22[1-9][0-9])</NewReservedPort>" "$r"
out=$(in_ws "$P" -i 2200 -e 2200 -l 600 $GW_LAN_IP)
check_match "H4 PCP asking for 2200 gets SUCCESS on another port" "result_name=SUCCESS .*ext_port=" "$out"
check_not "H4 ... not 2200" grep -q "ext_port=2200 " <<<"$out"
check_match "H4 PCP with PREFER_FAILURE for 2200 -> CANNOT_PROVIDE_EXTERNAL" CANNOT_PROVIDE_EXTERNAL \
	"$(field result_name "$(in_ws "$P" -i 2199 -e 2200 -P -l 600 $GW_LAN_IP)")"
check_match "H4 portholectl over 2200 is refused, and says why" "the gateway itself uses that" \
	"$(ph_ctl add tcp 2200 $MAIL_IP 22 2>&1)"
check_eq "H4 the gateway's own service still answers on the WAN address" gateway-sshd \
	"$(probe_tcp "$NS_WAN" $EXT_IP 2200)"

# --- H7: descriptions are cut between characters ---------------------------------
desc=$(python3 -c 'print("\u00e9" * 31 + "\u20ac and more", end="")')
check_eq "H7 control: a mapping with a long UTF-8 description" ok "$(add_code 3100 TCP 3100 $WS_IP 600 "" "$desc")"
r=$(m $IPC2_URL $IPC2 GetListOfPortMappings \
	"$(xarg NewStartPort 3100; xarg NewEndPort 3100; xarg NewProtocol TCP; xarg NewManage 1; xarg NewNumberOfPorts 0)")
body=$(sed '1,/^\r*$/d' <<<"$r")
check "H7 GetListOfPortMappings is well-formed XML" xmllint --noout - <<<"$body"
list=$(xmllint --xpath 'string(//*[local-name()="NewPortListing"])' - <<<"$body")
check "H7 ... and so is the PortMappingList inside it" xmllint --noout - <<<"$list"
check_match "H7 ... which holds the description cut after the 31st whole character" \
	"<p:NewDescription>(é){31}</p:NewDescription>" "$list"
json=$(in_ws curl -s --max-time 3 http://$GW_LAN_IP:$UPNP_PORT/status.json)
check "H7 /status.json is valid UTF-8 JSON" python3 -c \
	'import json,sys; json.loads(sys.stdin.buffer.read().decode("utf-8", "strict"))' <<<"$json"
check_match "H7 control: /status.json holds the mapping" "3100" "$json"
upnp_stop

# --- H8: config values that become names elsewhere are checked at load -------------
check "H8 control: portholed -n accepts the lab's config" in_gw "$BIN/portholed" -n -f "$(config_as good)"
out=$(in_gw "$BIN/portholed" -n -f "$(config_as uuid uuid=../../etc)" 2>&1)
check_match "H8 portholed -n refuses uuid=../../etc, naming the line" "uuid.conf:[0-9]+: .*not a UUID" "$out"
in_gw nft list tables >"$LAB_DIR/tables.before"
# (bounded: a daemon that accepted the name would run on)
out=$(in_gw timeout 10 "$BIN/portholed" -d -f "$(config_as table "table=a;flush ruleset")" 2>&1)
check_match "H8 table=a;flush ruleset is refused at start, naming the line" "table.conf:[0-9]+: table: " "$out"
check_eq "H8 ... before nftables is touched" "$(cat "$LAB_DIR/tables.before")" "$(in_gw nft list tables)"

# --- H2: udp/5351 and udp/1900 are the daemon's alone ------------------------------
ph_start "$(config_as ports "http_port=$UPNP_PORT")"
# bind_as_nobody ADDR PORT: can another local user bind it (with SO_REUSEADDR)?
bind_as_nobody() {
	in_gw setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))' "$1" "$2"
}
check "H2 control: another user may bind udp 5352" bind_as_nobody 0.0.0.0 5352
check_not "H2 another user cannot bind udp $GW_LAN_IP:5351" bind_as_nobody $GW_LAN_IP 5351
check_not "H2 ... nor udp 0.0.0.0:5351" bind_as_nobody 0.0.0.0 5351
check_not "H2 ... nor udp 0.0.0.0:1900" bind_as_nobody 0.0.0.0 1900
check_not "H2 ... nor udp $GW_LAN_IP:1900" bind_as_nobody $GW_LAN_IP 1900
check_not "H2 ... nor udp 239.255.255.250:1900" bind_as_nobody 239.255.255.250 1900
check_match "H2 control: the daemon answers NAT-PMP/PCP on 5351" "result_name=SUCCESS" \
	"$(in_ws "$P" -o announce $GW_LAN_IP)"
check_match "H2 control: the daemon answers SSDP on 1900" "LOCATION" \
	"$(ssdp "$NS_WS" 239.255.255.250 upnp:rootdevice 1 1500)"
upnp_stop

# --- H6: HTTP and GENA slots: five hosts cannot starve the others ------------------
ph_start "$(config_as http "http_port=$UPNP_PORT")"
ALIASES="192.168.77.31 192.168.77.32 192.168.77.33 192.168.77.34 192.168.77.35"
for a in $ALIASES; do in_ws ip addr add $a/24 dev eth0; done
# 80 slow connections, 16 from each of 5 addresses: a header line every 2 s for 14 s.
in_ws /usr/bin/python3 - $GW_LAN_IP $UPNP_PORT $ALIASES >"$LAB_DIR/slow.out" 2>&1 <<'PY' &
import socket, sys, time
gw, port, srcs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
conns = []
for src in srcs:
    for _ in range(16):
        s = socket.socket()
        s.bind((src, 0))
        s.settimeout(1)
        try:
            s.connect((gw, port))
            s.send(b"GET /igd2.xml HTTP/1.1\r\nHost: gw\r\n")
            conns.append(s)
        except OSError:
            s.close()
for _ in range(7):
    time.sleep(2)
    for s in conns:
        try:
            s.send(b"X-Slow: 1\r\n")
        except OSError:
            pass
PY
slow=$!
LAB_PIDS+=($slow)
sleep 1.5
slow_held() { in_gw ss -Htn "( sport = :$UPNP_PORT )" | grep -c '192\.168\.77\.3[1-5]:'; }
held=$(slow_held)
check_match "H6 the slow connections are held, 6 from each address (30)" "^(2[5-9]|30)$" "$held"
check_match "H6 another host is served while they are" "IGD" \
	"$(in_mail curl -s --max-time 3 http://$GW_LAN_IP:$UPNP_PORT/igd2.xml)"
wait $slow
no_slow_left() { [ "$(slow_held)" = 0 ]; }
check "H6 the slow connections are gone once their client is" wait_until 150 no_slow_left

# GENA: each host may hold 4 subscriptions, its addresses together (one
# link-layer address); then others still get theirs.
subscribe_from() { # SRC [SID]: print the status code (and the SID on a new one)
	local req="SUBSCRIBE /evt/IPConn2 HTTP/1.1\r\nHOST: $GW_LAN_IP:$UPNP_PORT\r\n"
	if [ -n "${2:-}" ]; then req+="SID: $2\r\n"; else
		req+="CALLBACK: <http://$1:5100/cb>\r\nNT: upnp:event\r\n"; fi
	req+="TIMEOUT: Second-86400\r\nCONNECTION: close\r\n\r\n"
	printf '%b' "$req" | ip netns exec "$(ns_of "$1")" \
		socat -T3 - TCP:$GW_LAN_IP:$UPNP_PORT,bind="$1",connect-timeout=2 2>/dev/null |
		tr -d '\r' | awk 'NR==1{print $2} /^SID:/{print $2}'
}
unsubscribe_from() { # SRC SID
	printf '%b' "UNSUBSCRIBE /evt/IPConn2 HTTP/1.1\r\nHOST: $GW_LAN_IP:$UPNP_PORT\r\nSID: $2\r\nCONNECTION: close\r\n\r\n" |
		ip netns exec "$(ns_of "$1")" socat -T3 - TCP:$GW_LAN_IP:$UPNP_PORT,bind="$1",connect-timeout=2 \
		2>/dev/null | tr -d '\r' | awk 'NR==1{print $2}'
}
ns_of() { [ "$1" = $MAIL_IP ] && echo "$NS_MAIL" || echo "$NS_WS"; }
codes=""
for a in $ALIASES; do
	for _ in 1 2 3 4 5 6 7 8; do codes+="$(subscribe_from $a | head -1) "; done
done
check_eq "H6 five addresses of one host asking 8 subscriptions each get 4 in all, then 503" \
	"200 200 200 200 $(for _ in $(seq 36); do printf '503 '; done)" "$codes"
out=$(subscribe_from $MAIL_IP)
check_eq "H6 another host still subscribes" 200 "$(head -1 <<<"$out")"
sid=$(sed -n 2p <<<"$out")
check_eq "H6 another host cannot renew that SID -> 412" 412 "$(subscribe_from $WS_IP "$sid" | head -1)"
check_eq "H6 ... nor cancel it -> 412" 412 "$(unsubscribe_from $WS_IP "$sid")"
check_eq "H6 control: its subscriber renews it" 200 "$(subscribe_from $MAIL_IP "$sid" | head -1)"
check_eq "H6 control: its subscriber cancels it" 200 "$(unsubscribe_from $MAIL_IP "$sid")"
for a in $ALIASES; do in_ws ip addr del $a/24 dev eth0; done
upnp_stop

# --- H5: a default quota, counted per host; status pages bounded --------------------
conf=$(config_as quota "http_port=$UPNP_PORT")
sed -i "s|^allow 1-65535 $LAN_NET 1-65535$|& third-party|" "$conf"
ph_start "$conf"
# natpmp_burst NS SRC FIRST COUNT: NAT-PMP TCP map requests for internal ports
# FIRST.., one at a time from SRC; prints "ok=N refused=N lost=N".
natpmp_burst() {
	ip netns exec "$1" /usr/bin/python3 - $GW_LAN_IP "$2" "$3" "$4" <<'PY'
import socket, struct, sys
gw, src, first, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 0))
s.settimeout(1)
ok = refused = lost = 0
for port in range(first, first + count):
    req = struct.pack("!BBHHHI", 0, 2, 0, port, port, 3600)
    for _ in range(3):
        s.sendto(req, (gw, 5351))
        try:
            rep = s.recv(64)
        except socket.timeout:
            continue
        break
    else:
        lost += 1
        continue
    if struct.unpack("!H", rep[2:4])[0] == 0:
        ok += 1
    else:
        refused += 1
print("ok=%d refused=%d lost=%d" % (ok, refused, lost))
PY
}
check_eq "H5 with the default max_per_host one host gets 256 mappings of 300" \
	"ok=256 refused=44 lost=0" "$(natpmp_burst "$NS_WS" $WS_IP 20001 300)"
in_ws ip addr add 192.168.77.36/24 dev eth0
# The gateway learns the alias's link-layer address when it first answers it
# (a NAT-PMP external-address request); a first request racing that ARP is
# counted apart until then.
printf '\0\0' | in_ws socat -T1 - UDP:$GW_LAN_IP:5351,bind=192.168.77.36 >/dev/null 2>&1
check_eq "H5 ... and none more from an alias of it (same link-layer address)" \
	"ok=0 refused=5 lost=0" "$(natpmp_burst "$NS_WS" 192.168.77.36 21001 5)"
check_eq "H5 ... nor for an address that is nobody's (PCP THIRD_PARTY)" USER_EX_QUOTA \
	"$(field result_name "$(in_ws "$P" -i 22 -T 192.168.77.99 -l 600 $GW_LAN_IP)")"
check_eq "H5 control: THIRD_PARTY for another host uses that host's quota" SUCCESS \
	"$(field result_name "$(in_ws "$P" -i 23 -T $MAIL_IP -l 600 $GW_LAN_IP)")"
check_eq "H5 control: another host gets its 256 less the one just made" \
	"ok=255 refused=5 lost=0" "$(natpmp_burst "$NS_MAIL" $MAIL_IP 20001 260)"
in_ws ip addr del 192.168.77.36/24 dev eth0
json=$(in_ws curl -s --max-time 5 "http://$GW_LAN_IP:$UPNP_PORT/status.json")
check_match "H5 /status.json with 512 mappings is one page of 500, saying where the next starts" \
	'^\{"external_address":"[0-9.]+","total":512,"start":0,"next_start":500,' "$(cut -c1-100 <<<"$json")"
check_eq "H5 ... 500 rows" 500 "$(grep -o '"protocol"' <<<"$json" | wc -l)"
json=$(in_ws curl -s --max-time 5 "http://$GW_LAN_IP:$UPNP_PORT/status.json?start=500")
check_eq "H5 the next page holds the other 12" 12 "$(grep -o '"protocol"' <<<"$json" | wc -l)"
check_match "H5 /status is paginated too" "Mappings 1 to 500 of 512 .*start=500\">next</a>" \
	"$(in_ws curl -s --max-time 5 "http://$GW_LAN_IP:$UPNP_PORT/status" | grep 'id="page"')"
check_match "H5 a start that is not a row number -> 400" "^400$" \
	"$(in_ws curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://$GW_LAN_IP:$UPNP_PORT/status?start=x")"
check_match "H5 /metrics stays small (per-protocol counters, not per mapping)" "^[0-9]{1,4}$" \
	"$(in_ws curl -s --max-time 5 "http://$GW_LAN_IP:$UPNP_PORT/metrics" | wc -c)"
upnp_stop
