#!/usr/bin/env bash
# The client on an IPv6-only mail server (issue 16, "Client"): no IPv4
# address at all, the router known by its link-local address (as a router
# advertisement would set the default route), against the real portholed.
#  - With the gateway's PCP off, `porthole -6` finds its UPnP IGD over SSDP on
#    ff02::c (LOCATION names the router's global address; the neighbour table
#    says it is the router's) and opens, renews, shows and closes the pinhole
#    with AddPinhole/UpdatePinhole/DeletePinhole; an IGD another LAN host
#    serves is fetched at most, never used.
#  - With PCP on, `keep` listens on [ff02::1]:5350: after portholed is killed
#    (-9) and restarted without its lease file, the daemon's ANNOUNCE makes
#    keep open the pinhole again within seconds, long before its own timers
#    would; an ANNOUNCE from another LAN host changes nothing.
# Every pinhole check is a real TCP connection from the WAN host, with its
# negative control in the same run. G57 and G61 (daemon/pcp/NOTES.md,
# CONFORMANCE 32, 57) seen from the client: the ANNOUNCE heard on
# [ff02::1]:5350 from the router only, the IGD found on ff02::c.
. "$(dirname "$0")/../lib.sh"
lab_up
lab_ipv6

. "$(dirname "$0")/client_common.bash"
conf() {
	ph_config "allow 1-65535 $LAN6_NET 1-65535" "min_lifetime=2" "http_port=8080" \
		"lease_file=$LAB_DIR/leases" "$@"
}

# The mail server without IPv4; its IPv6 default route via the router's link-local address.
GW_LL=$(ip -n "$NS_GW" -6 addr show dev br-lan scope link | grep -o 'fe80::[0-9a-f:]*')
ip -n "$NS_MAIL" -4 addr flush dev eth0
ip -n "$NS_MAIL" -6 route replace default via "$GW_LL" dev eth0
check_absent "precondition: the mail server has no IPv4 address" 'inet ' \
	ip -n "$NS_MAIL" -4 addr show dev eth0
check_match "precondition: its IPv6 default route is the router's link-local $GW_LL" \
	"^default via $GW_LL dev eth0" "$(ip -n "$NS_MAIL" -6 route show default)"
serve_tcp6 "$NS_MAIL" 25
serve_tcp6 "$NS_MAIL" 587

# --- UPnP over IPv6 alone (PCP off on the gateway) ---
check "portholed starts with enable_pcp=no" ph_start "$(conf enable_pcp=no)"
check_not "control: before map the WAN cannot reach [$MAIL6]:25" reach6 "$NS_WAN" $MAIL6 25
out=$(ph_mail -6 -v --port tcp/25 map 2>&1)
check_match "G61 map -6 on an IPv6-only host: AddPinhole, the IGD found over SSDP on ff02::c" \
	"tcp/25 -> \[$MAIL6\]:25 via upnp" "$out"
check_match "... the IGD served from the router's global address" \
	"opens IPv6 pinholes with upnp" "$out"
check "... and the WAN reaches [$MAIL6]:25" reach6 "$NS_WAN" $MAIL6 25
check_not "... and not [$MAIL6]:587 (not asked for)" reach6 "$NS_WAN" $MAIL6 587
check_match "the gateway lists a UPnP pinhole for [$MAIL6]:25" "^tcp +25 +\[$MAIL6\]:25 +upnp " \
	"$(pinholes)"
uid=$(grep '^pin ' "$PORTHOLE_STATE" | awk '{ print $12 }')
check_match "the state file keeps its UniqueID" "^[1-9][0-9]*$" "$uid"
table=$(ph_mail -6 --port tcp/25 --port tcp/587 status)
check_match "status -6: tcp/25 mapped over upnp at [$MAIL6]:25" \
	"tcp/25 +mapped +upnp +\[$MAIL6\]:25 " "$table"
check_match "status -6: tcp/587 not mapped" "tcp/587 +not_mapped" "$table"
check_match "status -6 names the IPv6 router and protocol" \
	"^IPv6: pinholes for $MAIL6, gateway $GW_LL, protocol upnp" "$table"
check_absent "status -6 prints no IPv4 line (no IPv4 port was looked at)" '^gateway ' \
	echo "$table"
out=$(ph_mail -6 -l 1200 --port tcp/25 map)
check_match "map again renews it (UpdatePinhole), lease 1200 s" "via upnp, lease 1200 s" "$out"
check_eq "... the same pinhole (UniqueID)" "$uid" "$(grep '^pin ' "$PORTHOLE_STATE" | awk '{ print $12 }')"
check_match "unmap -6 (DeletePinhole)" "unmapped" "$(ph_mail -6 --port tcp/25 unmap)"
check_not "... and the WAN cannot reach [$MAIL6]:25" reach6 "$NS_WAN" $MAIL6 25
check_absent "... and the gateway lists no pinhole" '\[' ph_ctl list

# keep over UPnP: 4 s leases, renewed at half (UpdatePinhole) by the IGD found over IPv6.
ip netns exec "$NS_MAIL" "$PH" -6 -v -l 4 -i 1 --port tcp/25 keep >"$LAB_DIR/keep-upnp.log" 2>&1 &
KEEP_PID=$!
LAB_PIDS+=($KEEP_PID)
check "keep over UPnP: the pinhole opens" wait_until 50 reach6 "$NS_WAN" $MAIL6 25
renewed() { [ "$(grep -c "renewed tcp/25 (tcp-25) -> \[$MAIL6\]:25 via upnp" "$LAB_DIR/keep-upnp.log")" -ge 2 ]; }
check "keep over UPnP: renewed twice" wait_until 150 renewed
check "keep over UPnP: still open after more than one lease" reach6 "$NS_WAN" $MAIL6 25
kill -TERM $KEEP_PID
wait $KEEP_PID
check_eq "keep stops on SIGTERM (exit 0)" 0 $?
check_not "keep stopped: the pinhole is removed (DeletePinhole)" reach6 "$NS_WAN" $MAIL6 25

# --- an IGD on another LAN host is not the router's: never used ---
# ws answers ff02::c searches with the router's own description, served from
# [$WS6]; the router's UPnP and PCP are off.
in_mail curl -s -g -o "$LAB_DIR/igd2.xml" "http://[$GW_LAN6]:8080/igd2.xml"
check_match "precondition: the router's IGD:2 description (with the pinhole service)" \
	"WANIPv6FirewallControl:1" "$(cat "$LAB_DIR/igd2.xml")"
ph_stop
check "portholed restarts with enable_pcp=no enable_upnp=no" \
	ph_start "$(conf enable_pcp=no enable_upnp=no)"
ip netns exec "$NS_WS" python3 "$ROOT/tests/helpers/fake_igd6.py" eth0 $WS6 \
	"$LAB_DIR/igd2.xml" "$LAB_DIR/fake_igd.log" >/dev/null 2>&1 &
FAKE_PID=$!
LAB_PIDS+=($FAKE_PID)
wait_listen "$NS_WS" tcp 8080
wait_listen "$NS_WS" udp 1900
out=$(ph_mail -6 -v --port tcp/25 map 2>&1)
check_match "G61 the client found ws's IGD over ff02::c and fetched its description" \
	"UPnP: http://\[$WS6\]:8080/igd2.xml is not the IPv6 gateway's: not used" "$out"
check_match "... and refused it: map -6 opens nothing" \
	"no UPnP IGD with a WANIPv6FirewallControl service answered" "$out"
check_absent "ws got no SOAP request" '^POST' cat "$LAB_DIR/fake_igd.log"
check_match "control: ws's server logged the description fetch" '^GET /igd2.xml' \
	"$(cat "$LAB_DIR/fake_igd.log")"
check_not "... and the WAN cannot reach [$MAIL6]:25" reach6 "$NS_WAN" $MAIL6 25
kill $FAKE_PID
ph_stop

# --- keep hears the gateway's ANNOUNCE on [ff02::1]:5350 ---
check "portholed starts with PCP and a lease file" ph_start "$(conf)"
# Renewal at half of 3600 s and a gateway check every 3600 s: within this
# test only an announcement can make keep map again.
ip netns exec "$NS_MAIL" "$PH" -6 -v -l 3600 -i 3600 --port tcp/25 keep \
	>"$LAB_DIR/keep.log" 2>&1 &
KEEP_PID=$!
LAB_PIDS+=($KEEP_PID)
check "keep -6 over PCP: the pinhole opens" wait_until 50 reach6 "$NS_WAN" $MAIL6 25
check_match "keep mapped it over PCP" "mapped tcp/25 \(tcp-25\) -> \[$MAIL6\]:25 via pcp" \
	"$(cat "$LAB_DIR/keep.log")"
# A restart within a second or two of the last start shows in no epoch
# (RFC 6887 §8.5 forgives that much): keep must have heard this start's
# ANNOUNCE burst reach epoch 3 (sent 3.75 s after the start) first.
heard() { grep -Eq "PCP ANNOUNCE from $GW_LL, epoch ([3-9]|[1-9][0-9]+)\$" "$LAB_DIR/keep.log"; }
check "G57 keep hears the gateway's ANNOUNCEs on [ff02::1]:5350 (epoch 3 reached)" wait_until 150 heard
# A second port mapped once, not kept: the restart's own witness.
check_match "map -6 tcp/587 once (not kept)" "tcp/587 -> \[$MAIL6\]:587 via pcp" \
	"$(ph_mail -6 --port tcp/587 map)"
check "control: the WAN reaches [$MAIL6]:587" reach6 "$NS_WAN" $MAIL6 587

# Another LAN host announces a restart to ff02::1 with the very bytes the
# gateway sends after one (epoch 0, from port 5351): ignored.
WS_LL=$(ip -n "$NS_WS" -6 addr show dev eth0 scope link | grep -o 'fe80::[0-9a-f:]*')
announce_from() {
	ip netns exec "$1" python3 -c '
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("::", 5351))
s.sendto(bytes([2, 0x80]) + bytes(22), ("ff02::1", 5350, 0, socket.if_nametoindex("eth0")))'
}
ignored() { grep -q "ignored a PCP ANNOUNCE from $WS_LL: not the IPv6 gateway" "$LAB_DIR/keep.log"; }
announce_from "$NS_WS"
check "G57 an ANNOUNCE from another LAN host ($WS_LL) is logged as ignored" wait_until 50 ignored
check_absent "... and makes keep map nothing again" 'restarted|mapped again' cat "$LAB_DIR/keep.log"

# The gateway loses everything: killed, its lease file removed, restarted.
kill -9 "$PH_PID"
wait "$PH_PID" 2>/dev/null
rm -f "$LAB_DIR/leases" "$LAB_DIR/leases.journal"
check_absent "precondition: no lease file left" 'leases' ls "$LAB_DIR"
t0=$(now_ms)
check "portholed restarts with nothing to restore" ph_start "$(conf)"
remapped() { grep -q "mapped again tcp/25 (tcp-25) -> \[$MAIL6\]:25 via pcp" "$LAB_DIR/keep.log"; }
check "keep maps tcp/25 again over PCP" wait_until 150 remapped
t1=$(now_ms)
check "... within 15 s of the restart (its renewal is due after 1800 s) ($((t1 - t0)) ms)" \
	test $((t1 - t0)) -le 15000
check_match "G57 keep says why: the gateway's ANNOUNCE over IPv6" \
	"gateway restarted \(it announced a new epoch over IPv6\): mapping again" "$(cat "$LAB_DIR/keep.log")"
check "the WAN reaches [$MAIL6]:25 again" reach6 "$NS_WAN" $MAIL6 25
check_match "the gateway lists the PCP pinhole for [$MAIL6]:25" "^tcp +25 +\[$MAIL6\]:25 +pcp " \
	"$(pinholes)"
check_not "control: the pinhole mapped once ([$MAIL6]:587) is really gone" reach6 "$NS_WAN" $MAIL6 587
check_absent "... and not on the gateway" "\[$MAIL6\]:587" ph_ctl list
kill -TERM $KEEP_PID
wait $KEEP_PID
check_eq "keep stops on SIGTERM (exit 0)" 0 $?
check_not "keep stopped: the pinhole is removed" reach6 "$NS_WAN" $MAIL6 25

# --- the router named by its global address (--gateway6, and the route):
# it announces from its link-local address, which keep then asks the
# neighbour table about (resolving it first when the table has no entry) ---
ip -n "$NS_MAIL" -6 route replace default via $GW_LAN6 dev eth0
ph_stop
ip -n "$NS_MAIL" -6 neigh flush dev eth0
check "portholed starts again (a fresh ANNOUNCE burst)" ph_start "$(conf)"
ip netns exec "$NS_MAIL" "$PH" -6 -v -l 3600 -i 3600 --gateway6 $GW_LAN6 --port tcp/25 keep \
	>"$LAB_DIR/keep.log" 2>&1 &
KEEP_PID=$!
LAB_PIDS+=($KEEP_PID)
check "keep --gateway6 $GW_LAN6: the pinhole opens" wait_until 50 reach6 "$NS_WAN" $MAIL6 25
check "G57 keep takes the ANNOUNCEs from the router's link-local $GW_LL (epoch 3 reached)" \
	wait_until 150 heard
check_absent "... and ignores none of them" 'ignored' cat "$LAB_DIR/keep.log"
kill -9 "$PH_PID"
wait "$PH_PID" 2>/dev/null
rm -f "$LAB_DIR/leases" "$LAB_DIR/leases.journal"
ip -n "$NS_MAIL" -6 neigh flush dev eth0
check_absent "precondition: the mail server's neighbour table has no entry for $GW_LL" \
	"$GW_LL" ip -n "$NS_MAIL" -6 neigh show dev eth0
t0=$(now_ms)
check "portholed restarts with nothing to restore" ph_start "$(conf)"
check "keep maps tcp/25 again over PCP" wait_until 150 remapped
t1=$(now_ms)
check "... within 15 s of the restart ($((t1 - t0)) ms)" test $((t1 - t0)) -le 15000
check_match "G57 keep says why: the ANNOUNCE over IPv6" \
	"gateway restarted \(it announced a new epoch over IPv6\)" "$(cat "$LAB_DIR/keep.log")"
check "the WAN reaches [$MAIL6]:25 again" reach6 "$NS_WAN" $MAIL6 25
kill -TERM $KEEP_PID
wait $KEEP_PID
check_eq "keep stops on SIGTERM (exit 0)" 0 $?
