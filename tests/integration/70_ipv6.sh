#!/usr/bin/env bash
# IPv6 pinholes (issue 16, CONFORMANCE G54-G60, G62, G63) in the IPv6 lab: a routed
# LAN /64 behind the gateway, the admin's own firewall (RFC 6092 simple
# security, forward policy drop) plus the one rule README.md names, PCP
# over IPv6 from the project's PCP client (pcptest), and real TCP and UDP
# from the WAN hosts. Every check names its item; every refusal has its
# positive control in the same run.
. "$(dirname "$0")/../lib.sh"
lab_up
lab_ipv6
P="$BIN/tests/pcptest"
N1=0a0b0c0d0e0f101112131415
RULES=(
	"allow 25-26 2001:db8:1::10/128 25-26"
	"allow 8000-8999 $LAN6_NET 8000-8999 third-party"
	"deny 1-1023 ::/0 1-1023"
	"allow 1024-65535 $LAN6_NET 1024-65535"
)
HTTP_PORT=8080
CONF=$(ph_config "${RULES[@]}" "lease_file=$LAB_DIR/leases" "min_lifetime=2" "http_port=$HTTP_PORT")

field() { printf '%s\n' "$2" | grep -o " $1=[^ ]*" | head -1 | cut -d= -f2; }
# pcp6 NS ARGS...: one request over IPv6 to the gateway's LAN address, with
# retransmissions (a first request may wait for the neighbour table).
pcp6() { local ns=$1; shift; ip netns exec "$ns" "$P" -k 3 -t 700 "$@" $GW_LAN6; }
result6() { field result_name "$(pcp6 "$@")"; }
in_set() { in_gw nft list set inet porthole "$1" | grep -q "$2"; }
http_get() {
	printf 'GET %s HTTP/1.0\r\nHost: %s:%s\r\n\r\n' "$1" $GW_LAN_IP $HTTP_PORT |
		in_mail socat -T2 - TCP:$GW_LAN_IP:$HTTP_PORT
}

# --- G57: the restart ANNOUNCE on [ff02::1]:5350, heard by a LAN host ---
in_ws "$P" -M eth0 -t 3000 >"$LAB_DIR/announce6.out" &
LAB_PIDS+=($!)
sleep 0.5
check "portholed starts" ph_start "$CONF"
serve_tcp6 "$NS_MAIL" 25
serve_tcp6 "$NS_MAIL" 26
serve_tcp6 "$NS_MAIL" 2525
serve_tcp6 "$NS_MAIL" 8025
serve_udp6 "$NS_MAIL" 5060
serve_tcp6 "$NS_WS" 25
serve_tcp6 "$NS_WAN" 80

# --- G60: simple security first, with its positive control ---
check "G60 control: the mail server reaches the WAN (outbound, established)" reach6 "$NS_MAIL" $WAN6 80
check_not "G60 no pinhole: the WAN cannot reach [$MAIL6]:25" reach6 "$NS_WAN" $MAIL6 25

# --- G54: where PCP over IPv6 answers, and where it does not ---
out=$(pcp6 "$NS_MAIL" -i 25 -n $N1 -l 600)
check_match "G54/G55 MAP over IPv6 -> SUCCESS from [$GW_LAN6]:5351" \
	"reply from=\[$GW_LAN6\]:5351 .*result_name=SUCCESS " "$out"
check_eq "G55 the external port is the internal one" 25 "$(field ext_port "$out")"
check_eq "G55 the external address is the internal one" $MAIL6 "$(field ext_ip "$out")"
gw_ll=$(ip -n "$NS_GW" -6 addr show dev br-lan scope link | grep -o 'fe80::[0-9a-f:]*' | head -1)
out=$(ip netns exec "$NS_MAIL" "$P" -k 3 -t 700 -o announce "$gw_ll%eth0")
check_match "G54 the link-local address answers too" \
	"reply from=\[$gw_ll\]:5351 .*opcode=0 r=1 .*result_name=SUCCESS " "$out"
check_fails "G54 PCP to the WAN address from the WAN -> no reply" 2 \
	in_wan "$P" -t 700 -o announce $EXT6
check_fails "G54 NAT-PMP (version 0) over IPv6 -> no reply" 2 in_mail "$P" -t 700 -x 0000 $GW_LAN6
check_match "G54 control: the same NAT-PMP request over IPv4 is answered" "version=0 .*result=0" \
	"$(in_mail "$P" -t 700 -x 0000 $GW_LAN_IP)"
wait_until 40 grep -q "packet" "$LAB_DIR/announce6.out"
check_match "G57 the restart ANNOUNCE reached [ff02::1]:5350 from the gateway" \
	"packet t_ms=0 from=\[(fe80::[0-9a-f:]*|$GW_LAN6)\]:5351 .*opcode=0 r=1 .*result_name=SUCCESS" \
	"$(cat "$LAB_DIR/announce6.out")"

# --- G55, G60: the pinhole lets in what it names and nothing else ---
check "G55 the WAN reaches [$MAIL6]:25 through the pinhole" reach6 "$NS_WAN" $MAIL6 25
check_match "G55 nothing translated: the server sees the WAN host's own address" "ffff" \
	"$(probe_tcp6 "$NS_WAN" $MAIL6 25)"
check_not "G60 another port of the same host stays closed ([$MAIL6]:26)" reach6 "$NS_WAN" $MAIL6 26
check_not "G60 the same port of another host stays closed ([$WS6]:25)" reach6 "$NS_WAN" $WS6 25
check_match "pinhole listed by portholectl with its counters" \
	"^tcp +25 +\[$MAIL6\]:25 +pcp +[0-9]+s +any +[1-9][0-9]* " "$(pinholes)"
check "nft: one element in pin6" in_set pin6 "$MAIL6 . tcp . 25"
check_match "/status.json lists the pinhole" \
	'"pinholes":\[\{"protocol":"tcp","address":"2001:db8:1::10","port":25,"owner":"pcp","lease_seconds":[0-9]+,"remote_host":null' \
	"$(http_get /status.json)"
check_match "/status.json pages the pinholes (500 a page, like mappings)" \
	'"pinholes_total":1,"pinholes_start":0,"pinholes_next_start":null,"pinholes":\[\{' \
	"$(http_get /status.json)"
check_match "/status.json?pstart=1: past the last pinhole, an empty page" \
	'"pinholes_start":1,"pinholes_next_start":null,"pinholes":\[\]' \
	"$(http_get '/status.json?pstart=1')"
check_match "/status?pstart=x -> 400" "^HTTP/1.[01] 400" "$(http_get '/status?pstart=x')"
check_match "/metrics counts it" "^porthole_pinholes 1.?$" "$(http_get /metrics)"
out=$(pcp6 "$NS_MAIL" -p udp -i 5060 -l 600)
check_eq "G55 UDP MAP -> SUCCESS" SUCCESS "$(field result_name "$out")"
check_match "G55 the WAN reaches [$MAIL6]:5060/udp" "ffff" "$(probe_udp6 "$NS_WAN" $MAIL6 5060)"

# --- README: the one rule in the admin's firewall is what lets pinholes in ---
handle=$(in_gw nft -a list chain ip6 adminfw forward | grep 'meta mark' | grep -o 'handle [0-9]*')
in_gw nft delete rule ip6 adminfw forward $handle
check_not "G60 without the admin's mark rule the admin's policy drop wins" reach6 "$NS_WAN" $MAIL6 25
in_gw nft add rule ip6 adminfw forward $PINHOLE_RULE
check "G60 with it back the pinhole works again" reach6 "$NS_WAN" $MAIL6 25

# --- G56: who may ask for what ---
check_eq "G56 client IP field != source -> ADDRESS_MISMATCH" ADDRESS_MISMATCH \
	"$(result6 "$NS_MAIL" -i 2600 -c $WS6)"
check_eq "G56 THIRD_PARTY for another host under a third-party rule -> SUCCESS" SUCCESS \
	"$(result6 "$NS_WS" -i 8025 -T $MAIL6 -l 600)"
check "G56 ... and the WAN reaches [$MAIL6]:8025" reach6 "$NS_WAN" $MAIL6 8025
check_eq "G56/G59 THIRD_PARTY for another host without one -> UNSUPP_OPTION" UNSUPP_OPTION \
	"$(result6 "$NS_WS" -i 2525 -T $MAIL6 -l 600)"
check_not "G59 ... and no pinhole for [$MAIL6]:2525" reach6 "$NS_WAN" $MAIL6 2525
check_eq "rules: port 25 is the mail server's only -> NOT_AUTHORIZED for ws" NOT_AUTHORIZED \
	"$(result6 "$NS_WS" -i 25 -l 600)"
check_eq "MAP with another nonce cannot take the pinhole over -> NOT_AUTHORIZED" NOT_AUTHORIZED \
	"$(result6 "$NS_MAIL" -i 25 -l 600)"

# --- G59: a privacy address opens its host's stable address ---
PRIV=2001:db8:1::abcd
ip -n "$NS_MAIL" addr add $PRIV/64 dev eth0 nodad
ip -n "$NS_MAIL" addr change $MAIL6/64 dev eth0 preferred_lft 0	# deprecated: not a source
check_eq "G59 precondition: the mail server's source is now the privacy address" "src $PRIV" \
	"$(ip -n "$NS_MAIL" -6 route get $GW_LAN6 | grep -o "src [0-9a-f:]*")"
out=$(pcp6 "$NS_MAIL" -i 2525 -T $MAIL6 -l 600)
check_eq "G59 from the privacy address for the stable one -> SUCCESS (same host)" SUCCESS \
	"$(field result_name "$out")"
check "G59 ... and the WAN reaches [$MAIL6]:2525" reach6 "$NS_WAN" $MAIL6 2525
ip -n "$NS_MAIL" addr change $MAIL6/64 dev eth0 preferred_lft forever
ip -n "$NS_MAIL" addr del $PRIV/64 dev eth0

# --- G57: FILTER ---
out=$(pcp6 "$NS_MAIL" -i 26 -n $N1 -l 600 -F $WAN2_6/128)
check_eq "G57 MAP with FILTER (one remote host) -> SUCCESS" SUCCESS "$(field result_name "$out")"
check "G57 the filtered host reaches [$MAIL6]:26" reach6 "$NS_WAN2" $MAIL6 26
check_not "G57 another WAN host does not" reach6 "$NS_WAN" $MAIL6 26
check "nft: the filtered pinhole is in pin6r" in_set pin6r "$MAIL6 . tcp . 26 . $WAN2_6"
check_eq "G57 a second FILTER (a /64) on the filtered pinhole -> EXCESSIVE_REMOTE_PEERS" \
	EXCESSIVE_REMOTE_PEERS "$(result6 "$NS_MAIL" -i 26 -n $N1 -l 600 -F 2001:db8:ffff::/64)"

# --- G57: FILTER with a prefix: the WAN's /64 in, a host outside it not ---
# wan2 gets a second address outside the WAN /64 (deprecated, so used only
# where a check binds to it); the gateway routes it back.
FAR6=2001:db8:fffe::3
ip -n "$NS_WAN2" addr add $FAR6/64 dev eth0 nodad preferred_lft 0
ip -n "$NS_GW" route add 2001:db8:fffe::/64 via $WAN2_6
# reach_src NS SRC ADDR PORT: as reach6, from source address SRC.
reach_src() {
	ip netns exec "$1" socat -T2 - "TCP6:[$3]:$4,connect-timeout=2,bind=[$2]" \
		</dev/null 2>/dev/null | grep -q .
}
serve_tcp6 "$NS_MAIL" 2800
serve_tcp6 "$NS_MAIL" 2801
check_eq "G57 control: MAP without FILTER -> SUCCESS" SUCCESS "$(result6 "$NS_MAIL" -i 2801 -l 600)"
check "G57 control: the host outside the WAN /64 ($FAR6) reaches an unfiltered pinhole" \
	reach_src "$NS_WAN2" $FAR6 $MAIL6 2801
out=$(pcp6 "$NS_MAIL" -i 2800 -l 600 -F 2001:db8:ffff::/64)
check_eq "G57 MAP with FILTER 2001:db8:ffff::/64 -> SUCCESS" SUCCESS "$(field result_name "$out")"
check "G57 a WAN host inside the prefix ($WAN6) reaches [$MAIL6]:2800" reach6 "$NS_WAN" $MAIL6 2800
check "G57 another inside it ($WAN2_6) does too" reach_src "$NS_WAN2" $WAN2_6 $MAIL6 2800
check_not "G57 the host outside the prefix ($FAR6) does not" reach_src "$NS_WAN2" $FAR6 $MAIL6 2800
check "nft: the prefix pinhole is one range in pin6n" \
	in_set pin6n "$MAIL6 . tcp . 2800 . 2001:db8:ffff::/64"
check_match "G57 listed with its prefix" \
	"^tcp +2800 +\[$MAIL6\]:2800 +pcp +[0-9]+s +2001:db8:ffff::/64 " "$(ph_ctl list)"
check_match "G57 status.json names the prefix" \
	'"port":2800,[^}]*"remote_host":"2001:db8:ffff::/64"' "$(http_get /status.json)"
check_match "G57 the kernel counts what the prefix let in" \
	"^tcp +2800 .* 2001:db8:ffff::/64 +[1-9][0-9]* " "$(ph_ctl list)"

# --- G62: PEER over IPv6 opens the pinhole for one remote peer (address and port) ---
# reach_from NS ADDR PORT SRCPORT: as reach6, from source port SRCPORT.
reach_from() {
	ip netns exec "$1" socat -T2 - "TCP6:[$2]:$3,connect-timeout=2,sourceport=$4,reuseaddr" \
		</dev/null 2>/dev/null | grep -q .
}
serve_tcp6 "$NS_MAIL" 2700
check_not "G62 control: before PEER the peer cannot reach [$MAIL6]:2700" \
	reach_from "$NS_WAN2" $MAIL6 2700 4000
out=$(pcp6 "$NS_MAIL" -o peer -i 2700 -n $N1 -r $WAN2_6:4000 -l 600)
check_eq "G62 PEER over IPv6 -> SUCCESS" SUCCESS "$(field result_name "$out")"
check_match "G62 ... the external end is the internal one, the peer echoed" \
	"ext_port=2700 ext_ip=$MAIL6 rem_port=4000 rem_ip=$WAN2_6" "$out"
check "G62 the peer reaches [$MAIL6]:2700 from its port 4000" \
	reach_from "$NS_WAN2" $MAIL6 2700 4000
check_not "G62 ... not from its port 4001" reach_from "$NS_WAN2" $MAIL6 2700 4001
check_not "G62 another WAN host does not" reach_from "$NS_WAN" $MAIL6 2700 4000
check "nft: the PEER pinhole is in pin6rp" in_set pin6rp "$MAIL6 . tcp . 2700 . $WAN2_6 . 4000"
check_match "G62 listed as a PCP PEER pinhole limited to the peer" \
	"^tcp +2700 +\[$MAIL6\]:2700 +pcp +[0-9]+s +\[$WAN2_6\]:4000 .*PCP PEER" "$(ph_ctl list)"
out=$(pcp6 "$NS_MAIL" -o peer -i 2700 -n $N1 -r $WAN2_6:4000 -l 1200)
check_match "G62 PEER again with its nonce extends it" "result_name=SUCCESS lifetime=1200 " "$out"
check_eq "G62 PEER for another peer on the same port -> NO_RESOURCES (one remote per port)" \
	NO_RESOURCES "$(result6 "$NS_MAIL" -o peer -i 2700 -n $N1 -r $WAN6:4000 -l 600)"
check_eq "G62 PEER to a port the rules refuse -> NOT_AUTHORIZED" NOT_AUTHORIZED \
	"$(result6 "$NS_WS" -o peer -i 25 -r $WAN2_6:4000 -l 600)"

# --- kill -9 and restart: the pinholes are kept ---
before=$(pinholes | awk '{ print $1, $2, $3, $4, $6 }')
kill -9 "$PH_PID"
wait "$PH_PID" 2>/dev/null
in_gw nft delete table inet porthole
check_not "control: after kill -9 and the table gone, the WAN cannot reach :25" \
	reach6 "$NS_WAN" $MAIL6 25
check "portholed restarts" ph_start "$CONF"
check_eq "kill -9 + restart: the same pinholes" "$before" \
	"$(pinholes | awk '{ print $1, $2, $3, $4, $6 }')"
check "kill -9 + restart: the WAN reaches [$MAIL6]:25 again" reach6 "$NS_WAN" $MAIL6 25
check "G57 kill -9 + restart: the prefix pinhole still lets $WAN6 in" reach6 "$NS_WAN" $MAIL6 2800
check_not "G57 kill -9 + restart: ... and still not $FAR6" reach_src "$NS_WAN2" $FAR6 $MAIL6 2800

# --- G63: a restart judges restored pinholes again (rules, LAN prefixes), as mappings ---
# inject ADDR ID: the 2700 pinhole's line again for ADDR (id ID), appended to the journal.
inject() {
	local line
	line=$(grep -h "pin6 tcp $MAIL6 2700 " "$LAB_DIR/leases" "$LAB_DIR/leases.journal" |
		grep -v '^- ' | tail -1 | sed 's/^+ //')
	echo "+ $(awk -v a="$1" -v id="$2" '{ $3 = a; $10 = id; print }' <<<"$line")" \
		>>"$LAB_DIR/leases.journal"
}
kill -9 "$PH_PID"
wait "$PH_PID" 2>/dev/null
in_gw nft delete table inet porthole
inject 2001:db8:1::99 4001	# control: inside the LAN prefix, the rules allow it
inject 2001:db8:9::10 4002	# a prefix the LAN no longer has
# The rules now give the mail server port 25 alone: its FILTER pinhole on 26 goes.
check "portholed restarts with port 26 no longer allowed" ph_start "$(ph_config \
	"allow 25 2001:db8:1::10/128 25" "${RULES[@]:1}" "lease_file=$LAB_DIR/leases" \
	"min_lifetime=2" "http_port=$HTTP_PORT")"
check_match "G63 restore: the dropped pinholes counted in one line" \
	"restored [0-9]+ leases and pinholes from .*; dropped 0 expired, 2 no longer permitted" \
	"$(grep 'leasestore: restored' "$LAB_DIR/portholed.log" | tail -1)"
check_absent "G63 the pinhole the rules now forbid ([$MAIL6]:26) is not restored" \
	"\[$MAIL6\]:26 " pinholes
check_absent "G63 the pinhole outside the LAN prefixes is not restored" "2001:db8:9::10" pinholes
check_match "G63 control: the injected pinhole inside the prefix is restored" \
	"\[2001:db8:1::99\]:2700" "$(pinholes)"
check_not "G63 the WAN cannot reach [$MAIL6]:26 after the restart" reach6 "$NS_WAN2" $MAIL6 26
check "G63 control: the WAN reaches [$MAIL6]:25 after the restart" reach6 "$NS_WAN" $MAIL6 25

# --- nft flush ruleset: our table is rebuilt (the admin puts theirs back) ---
in_gw nft flush ruleset
lab_ipv6_firewall
check "nft flush ruleset: pin6 rebuilt" wait_until 50 in_set pin6 "$MAIL6 . tcp . 25"
check "... and the WAN reaches [$MAIL6]:25" reach6 "$NS_WAN" $MAIL6 25
check_not "... and not [$WS6]:25 (the admin's firewall is back too)" reach6 "$NS_WAN" $WS6 25

# --- delete, expiry, SIGHUP ---
check_eq "MAP lifetime 0 with the nonce -> SUCCESS" SUCCESS "$(result6 "$NS_MAIL" -i 25 -n $N1 -l 0)"
check_not "after delete the WAN cannot reach [$MAIL6]:25" reach6 "$NS_WAN" $MAIL6 25
check "control: [$MAIL6]:5060/udp still open" probe_udp6 "$NS_WAN" $MAIL6 5060
check_eq "MAP for 3 s -> SUCCESS" SUCCESS "$(result6 "$NS_MAIL" -i 2600 -l 3)"
serve_tcp6 "$NS_MAIL" 2600
check "the short pinhole lets the WAN in" reach6 "$NS_WAN" $MAIL6 2600
check "expiry: the element leaves pin6" wait_until 80 bash -c "! ip netns exec $NS_GW nft list set inet porthole pin6 | grep -q '. 2600 '"
check_not "expiry: the WAN cannot reach [$MAIL6]:2600" reach6 "$NS_WAN" $MAIL6 2600
ph_config "allow 8000-8999 $LAN6_NET 8000-8999 third-party" "lease_file=$LAB_DIR/leases" \
	"min_lifetime=2" >/dev/null
kill -HUP "$PH_PID"
check "SIGHUP: the pinholes the new rules forbid are removed" \
	wait_until 30 bash -c "! ip netns exec $NS_GW nft list set inet porthole pin6 | grep -q '. 2525 '"
check_not "SIGHUP: the WAN cannot reach [$MAIL6]:2525" reach6 "$NS_WAN" $MAIL6 2525
check "SIGHUP control: [$MAIL6]:8025 (still allowed) open" reach6 "$NS_WAN" $MAIL6 8025
check_match "SIGHUP logged" "pinhole tcp \[$MAIL6\]:2525 no longer permitted" \
	"$(cat "$LAB_DIR/portholed.log")"

# --- renumbering: the LAN prefix goes, its pinholes with it ---
ip -n "$NS_GW" addr add 2001:db8:2::1/64 dev br-lan nodad
ip -n "$NS_GW" addr del $GW_LAN6/64 dev br-lan
check "renumbering: pinholes into the old prefix are removed" \
	wait_until 60 bash -c "! ip netns exec $NS_GW nft list set inet porthole pin6 | grep -q 2001:db8:1::"
check_match "renumbering: logged" "left the LAN's IPv6 prefixes; pinhole [0-9]+ removed" \
	"$(cat "$LAB_DIR/portholed.log")"

# --- portholectl status and flush see pinholes ---
check_match "status counts the pinholes (none left)" "^pinholes=0$" "$(ph_ctl status)"
ip -n "$NS_GW" addr add $GW_LAN6/64 dev br-lan nodad
map_back() { [ "$(result6 "$NS_MAIL" -i 8026 -l 600)" = SUCCESS ]; }
check "the prefix is back: a MAP succeeds again (within the 2 s re-read)" wait_until 50 map_back
check_match "status counts it" "^pinholes=1$" "$(ph_ctl status)"
check_eq "flush upnp leaves a PCP pinhole" "0 removed" "$(ph_ctl flush upnp)"
check_eq "flush pcp removes it" "1 removed" "$(ph_ctl flush pcp)"
check "... and its element leaves pin6" bash -c \
	"! ip netns exec $NS_GW nft list set inet porthole pin6 | grep -q '. 8026 '"

# --- G57: an external address change resets the epoch and is announced on IPv6 too ---
in_ws "$P" -M eth0 -t 2500 >"$LAB_DIR/announce6b.out" &
lpid=$!
sleep 0.3
in_gw ip addr del $EXT_IP/24 dev wan0
in_gw ip addr add 203.0.113.5/24 dev wan0
wait $lpid
# A new burst: 0, 250, 750, 1750 ms; the start burst's rounds are 32 s apart by now.
check "G57 after the address change a new burst of ANNOUNCEs (epoch 0-2) reached [ff02::1]:5350" \
	test "$(grep -c 'packet .*opcode=0 r=1 .*result_name=SUCCESS lifetime=0 epoch=[0-2] ' \
	"$LAB_DIR/announce6b.out")" -ge 3
in_gw ip addr del 203.0.113.5/24 dev wan0
in_gw ip addr add $EXT_IP/24 dev wan0
