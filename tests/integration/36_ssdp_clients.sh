#!/usr/bin/env bash
# SSDP as real clients need it (CONFORMANCE E35, E37, E38, E41): every search
# answered well inside the time clients actually wait, ssdp:all listing both
# device trees, a libupnp control point finding the gateway every time, and a
# flood of searches answered with a bounded number of datagrams.
#
# Timing bound: the daemon answers unicast searches at once and multicast ones
# after a random 0-100 ms. The checks allow 500 ms: several labs run at once on
# a 2-core machine here, and a busy scheduler can hold the daemon or the probe
# back for a few hundred ms; what must never come back is the old spread over
# the whole MX (0-2 s for MX=2, 0-5 s for MX=5), which libupnp and others miss.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/upnp_common.bash"
lab_up
upnp_start || exit 1

BOUND_MS=500
IGD1=urn:schemas-upnp-org:device:InternetGatewayDevice:1
IGD2=urn:schemas-upnp-org:device:InternetGatewayDevice:2
# The daemon's answer budget: datagrams at once, and per second after that.
budget_of() { sed -n "s/^#define SSDP_BUDGET_$1[[:space:]]*\([0-9]*\).*/\1/p" "$ROOT/daemon/upnp/upnp.h"; }
BUDGET_BURST=$(budget_of BURST)
BUDGET_RATE=$(budget_of RATE)
check "the answer budget is read from upnp.h (${BUDGET_BURST:-?} at once, ${BUDGET_RATE:-?}/s)" \
	test -n "$BUDGET_BURST" -a -n "$BUDGET_RATE"
: "${BUDGET_BURST:=0}" "${BUDGET_RATE:=1}"

# field NAME TEXT: the number after NAME on the summary line of ssdp_probe.
field() { sed -n "s/.* $1 \(-\?[0-9]*\).*/\1/p" <<<"$2" | tail -1; }

# timed LABEL ARGS...: 50 searches through ssdp_probe time; checks that all
# were answered, all within the bound, and prints the figures.
timed() {
	local label=$1 out sum max
	shift
	out=$(in_mail "$BIN/tests/ssdp_probe" time "$@")
	sum=$(tail -1 <<<"$out")
	echo "  $label: $sum"
	max=$(field max "$sum")
	check_eq "$label: every search answered in full" "answered 50/50" "$(grep -o '^answered [0-9/]*' <<<"$sum")"
	check "$label: the last answer within ${BOUND_MS} ms (max ${max:-none} ms)" \
		test "${max:-99999}" -lt $BOUND_MS
}

# --- timing (E37, E38) ------------------------------------------------------
timed "E37 multicast IGD:1, MX=2" 239.255.255.250 $IGD1 2 50 1 2500
timed "E37 multicast IGD:2, MX=5" 239.255.255.250 $IGD2 5 50 1 5500
timed "E37 multicast ssdp:all (15 replies), MX=2" 239.255.255.250 ssdp:all 2 50 15 2500
timed "E38 unicast upnp:rootdevice" $GW_LAN_IP upnp:rootdevice - 50 1 1000

# --- ssdp:all lists both trees (E35, E41) -------------------------------------
R=$(ssdp "$NS_MAIL" 239.255.255.250 ssdp:all 1 1500)
check_eq "E35 ssdp:all in IGD:2 mode: 10 of the IGD:2 tree + 5 types only IGD:1 has = 15" 15 \
	"$(grep -c '^USN: ' <<<"$R")"
check_eq "E35 ssdp:all: every USN once" "" "$(grep '^USN: ' <<<"$R" | sort | uniq -d)"
check_match "E41 ssdp:all names InternetGatewayDevice:1 with the IGD:1 description" \
	"^ST: $IGD1"$'\r'"?\$" "$(grep -B2 "^USN: .*::$IGD1" <<<"$R")"
check_match "E41 ... at LOCATION /igd1.xml" "LOCATION: http://$GW_LAN_IP:$UPNP_PORT/igd1.xml" \
	"$(grep -B4 "^ST: $IGD1" <<<"$R")"
check_match "E35 ssdp:all still names InternetGatewayDevice:2 at /igd2.xml" \
	"LOCATION: http://$GW_LAN_IP:$UPNP_PORT/igd2.xml" "$(grep -B4 "^ST: $IGD2" <<<"$R")"
# Clients keep the first answer, or (miniupnpc) try the last one first.
check_match "E35 the first ssdp:all reply points at the IGD:2 description" \
	"LOCATION: http://$GW_LAN_IP:$UPNP_PORT/igd2.xml" "$(sed '/^----$/q' <<<"$R")"
check_match "E35 ... and so does the last one" \
	"LOCATION: http://$GW_LAN_IP:$UPNP_PORT/igd2.xml" "$(tac <<<"$R" | sed '1d;/^----$/q')"

# Which IGD clients end up with. upnpc (miniupnpc 2.2) searches IGD:1 first and
# so always took the IGD:1 tree; a client that prefers IGD:2 searches for it
# first; one that searches ssdp:all lets UPNP_GetValidIGD choose among all 15.
R=$(upnpc_run "$NS_MAIL" -i -s)
echo "  upnpc: $(grep -m1 -E 'Found .*IGD' <<<"$R")"
check_match "E41 upnpc (IGD:1 searched first) gets the IGD:1 tree, as before" \
	"Found .*IGD : http://$GW_LAN_IP:$UPNP_PORT/ctl/IPConn1" "$R"
R=$(in_mail timeout 20 "$BIN/tests/igd_pick" $IGD2 $IGD1)
echo "  libminiupnpc, IGD:2 searched first: $R"
check_match "E41 a libminiupnpc client searching IGD:2 first gets WANIPConnection:2" \
	"control http://$GW_LAN_IP:$UPNP_PORT/ctl/IPConn2 service .*WANIPConnection:2" "$R"
R=$(in_mail timeout 20 "$BIN/tests/igd_pick" ssdp:all)
echo "  libminiupnpc, ssdp:all: $R"
check_match "E41 a libminiupnpc client searching ssdp:all gets WANIPConnection:2" \
	"control http://$GW_LAN_IP:$UPNP_PORT/ctl/IPConn2 service .*WANIPConnection:2" "$R"

# --- libupnp (pupnp) control point ---------------------------------------------
# libupnp binds the interface's IPv6 link-local address too (and then sends
# its IPv6 searches before the IPv4 one, as on a real LAN), so UpnpInit2
# needs that address usable (the lab skips duplicate address detection).
LL=$(ip -n "$NS_MAIL" -6 -o addr show dev eth0 scope link)
echo "  the client's IPv6 link-local address: $(awk '{print $4, $5, $6, $7, $8}' <<<"$LL")"
check "the client has a usable IPv6 link-local address (libupnp binds it)" \
	bash -c "grep -q 'inet6 fe80::' <<<'$LL' && ! grep -qE 'tentative|dadfailed' <<<'$LL'"
# libupnp binds its own server to the host's address on port 49152 (or the
# next free one), which lies inside Linux's ephemeral range: a connection
# the mail host made earlier in this script may hold that port. Those ports
# are kept out of the ephemeral range on the mail host.
ip netns exec "$NS_MAIL" sysctl -qw net.ipv4.ip_local_reserved_ports=49152-49199
# libupnp_diagnose: what stood in libupnp's way when UpnpInit2 failed: the
# mail host's addresses, its sockets, and the binds libupnp tried.
libupnp_diagnose() {
	echo "    the mail host's addresses:"
	ip -n "$NS_MAIL" -o addr show | sed 's/^/      /'
	echo "    its sockets:"
	in_mail ss -tuanp | sed 's/^/      /'
	if command -v strace >/dev/null; then
		echo "    libupnp's failed binds:"
		in_mail strace -f -e trace=bind timeout 20 "$BIN/tests/libupnp_search" eth0 2 $IGD1 2>&1 |
			grep -E '^(\[pid +[0-9]+\] )?bind\(.*= -1' | sed -E 's/^\[pid +[0-9]+\] //' |
			sort | uniq -c | head -5 | sed 's/^/      /'
	fi
}
# libupnp 1.8 times a search out on whole seconds of the wall clock (the
# helper starts its search just after one, so it gets the MX it asks for),
# and it sends its IPv4 copies only after 400 ms of IPv6 ones; a second
# search in the same run would start after the first one's copies. Each run
# therefore searches for one target, as most control points do, and ends
# once it is found.
# A run ends in a verdict ("found" or "not found"). A run killed before its
# verdict (libupnp stuck in its own start-up, never seen here but once on a
# CI machine) says nothing about the gateway: it is shown with the steps
# libupnp reached and run again, at most 3 times in all; a "not found" is
# never run again.
declare -A found=() slowest=()
diagnosed=0 reruns=0
for target in $IGD1 $IGD2; do
	found[$target]=0 slowest[$target]=0 runs=0
	while [ $runs -lt 20 ]; do
		out=$(in_mail timeout 20 "$BIN/tests/libupnp_search" eth0 2 $target 2>&1)
		rc=$?
		if ! grep -q '^\(not \)\?found ' <<<"$out" && [ $reruns -lt 3 ]; then
			reruns=$((reruns + 1))
			printf '    a run with no verdict (exit %d), run again: %s\n' $rc "$(tr '\n' ';' <<<"$out")"
			continue
		fi
		runs=$((runs + 1))
		ms=$(sed -n "s/^found [^ ]* ms \([0-9]*\) .*/\1/p" <<<"$out")
		if [ -n "$ms" ]; then
			found[$target]=$((found[$target] + 1))
			[ "$ms" -le "${slowest[$target]}" ] || slowest[$target]=$ms
		else
			printf '    run %d (exit %d): %s\n' $runs $rc "$(tr '\n' ';' <<<"$out")"
		fi
		if grep -q 'UpnpInit2' <<<"$out" && [ $diagnosed -eq 0 ]; then
			libupnp_diagnose
			diagnosed=1
		fi
	done
done
ok1=${found[$IGD1]} ok2=${found[$IGD2]}
echo "  libupnp found IGD:1 $ok1/20 (slowest ${slowest[$IGD1]} ms), IGD:2 $ok2/20 (slowest ${slowest[$IGD2]} ms); $reruns runs without a verdict run again"
check_eq "E37 libupnp UpnpSearchAsync MX=2 finds InternetGatewayDevice:1 in 20 runs of 20" 20 $ok1
check_eq "E37 libupnp UpnpSearchAsync MX=2 finds InternetGatewayDevice:2 in 20 runs of 20" 20 $ok2

# --- a flood is answered within the budget ---------------------------------------
# The budget is shared by every search: after the flood it needs up to
# BURST/RATE seconds to refill, so the limit checked is the burst plus what
# refills while the flood and its wait last.
for dst in 239.255.255.250 $GW_LAN_IP; do
	out=$(in_ws "$BIN/tests/ssdp_probe" flood $dst ssdp:all 1 2000 1000)
	echo "  flood to $dst: $out"
	got=$(field replies "$out")
	ms=$(field ms "$out")
	limit=$((BUDGET_BURST + BUDGET_RATE * (${ms:-0} + 200) / 1000))
	check "E37 2000 ssdp:all to $dst: some answered (${got:-none} replies)" test "${got:-0}" -gt 0
	check "E37 2000 ssdp:all to $dst: at most $limit replies (${got:-none})" \
		test "${got:-99999}" -le $limit
	sleep $((BUDGET_BURST / BUDGET_RATE))
done
timed "E37 after the flood, multicast IGD:1, MX=2" 239.255.255.250 $IGD1 2 50 1 2500
check "E37 the daemon is still running" ph_alive
