#!/usr/bin/env bash
# tests/bench/pinholes.sh: IPv6 pinholes, the figures beside make bench's
# IPv4 ones, for portholed and for Debian's miniupnpd when it was built with
# IPv6 (its --help offers -4 "disable IPv6" only then; the line saying which
# is printed first). In the IPv6 lab, from the mail server: fill the table
# through PCP MAP over IPv6 to 100, 1,000, 10,000 and 60,000 pinholes (TCP
# from port 2000, then UDP), and at each level time, REPS times, median kept:
#   - a window of WINDOW PCP MAPs over IPv6 and their deletes (ports 40000+);
#   - a window of WINDOW UPnP AddPinhole calls (WANIPv6FirewallControl over
#     HTTP to the gateway's IPv6 address) and their DeletePinhole (ports
#     50000+), so every window starts at the level;
# with the daemon's CPU time per PCP add and per UPnP add-and-delete pair
# (schedstat, which a loaded machine does not inflate as it does the rates),
# then the kernel's pinholes (set elements for portholed, rules in its chain
# for miniupnpd) and the RSS.
# miniupnpd's fill stops at the first level it cannot reach within MU_FILL_CAP
# seconds; the levels past it print "not reached". Run as root (make deps).
#
# Knobs: BENCH_LEVELS, BENCH_WINDOW, BENCH_REPS, BENCH_CAP (seconds per window),
# BENCH_MU_FILL_CAP, BENCH_ONLY=portholed|miniupnpd.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

LEVELS=${BENCH_LEVELS:-"100 1000 10000 60000"}
WINDOW=${BENCH_WINDOW:-1000}
REPS=${BENCH_REPS:-3}
CAP=${BENCH_CAP:-60}
MU_FILL_CAP=${BENCH_MU_FILL_CAP:-300}
ONLY=${BENCH_ONLY:-}
BB=$BIN/bench
HALF=30000
HTTP_PORT=49000
LIFE=86400
MU_EXT_IP=192.0.3.1	# as run.sh: miniupnpd refuses a reserved external address

mkdir -p "$BB"
for t in pcp upnp; do
	cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes \
		-Wstrict-prototypes -I"$ROOT/common" -I"$ROOT/client" -I"$ROOT/tests/bench" \
		-o "$BB/bench_$t" "$ROOT/tests/bench/bench_$t.c" "$ROOT/tests/bench/bench_util.c" \
		"$BIN/libporthole.a" -lnatpmp -lminiupnpc -lnftnl -lmnl || exit 1
done

lab_up
lab_ipv6
# Each UPnP call is a TCP connection: without reuse, finding a free ephemeral
# port comes to cost more (in the client's kernel) than the call (as run.sh).
in_mail sysctl -qw net.ipv4.tcp_tw_reuse=1
bp() { in_mail "$BB/bench_pcp" $GW_LAN6 "$@"; }
bu() { in_mail "$BB/bench_upnp" "$ROOTURL" "$@"; }
field() { grep -o "\b$1=[^ ]*" <<<"$2" | head -1 | cut -d= -f2; }
cpu_ns() { cat /proc/"$DPID"/task/*/schedstat | awk '{ s += $1 } END { printf "%.0f\n", s }'; }
median() { tr ' ' '\n' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# --- the daemons ------------------------------------------------------------

ph_up() {
	ph_start "$(ph_config "allow 1024-65535 $LAN6_NET 1024-65535" max_pinholes=65535 \
		max_per_host=0 rate_limit=0 \
		max_lifetime=$LIFE http_port=$HTTP_PORT)" || exit 1
	DPID=$PH_PID
	ROOTURL="http://[$GW_LAN6]:$HTTP_PORT/igd2.xml"
	kernel_count() { in_gw nft list set inet porthole pin6 | grep -o ' \. [0-9]* counter' | wc -l; }
}

# Debian's build has IPv6 when its usage offers -4 (disable IPv6).
mu_has_ipv6() { /usr/sbin/miniupnpd --help 2>&1 | grep -q -- '-4 disable IPv6'; }

# miniupnpd's IPv6 side: HTTP on ipv6_listening_ip, PCP on [::]:5351, pinholes
# as rules in its chain. Started as a daemon (-d also turns on debug logging).
mu_up() {
	local p
	miniupnpd_setup "$NS_GW" "$LAN_NET" ext_ip=$MU_EXT_IP ext_ifname6=wan0 \
		ipv6_listening_ip=$GW_LAN6 secure_mode=no max_lifetime=$LIFE
	sed -i "s/^http_port=0$/http_port=$HTTP_PORT/" "$LAB_DIR/miniupnpd.conf"
	rm -f "$LAB_DIR/miniupnpd.pid"
	in_gw /usr/sbin/miniupnpd -f "$LAB_DIR/miniupnpd.conf" -P "$LAB_DIR/miniupnpd.pid" || exit 1
	DPID=
	for _ in $(seq 100); do
		for p in $(ip netns pids "$NS_GW"); do
			[ "$(cat "/proc/$p/comm" 2>/dev/null)" = miniupnpd ] && DPID=$p
		done
		[ -n "$DPID" ] && break
		sleep 0.05
	done
	[ -n "$DPID" ] || { echo "miniupnpd did not start" >&2; exit 1; }
	wait_until 50 bash -c "ip netns exec $NS_GW ss -H -ltn 'sport = :$HTTP_PORT' | grep -q ." ||
		{ echo "miniupnpd: no HTTP on port $HTTP_PORT" >&2; exit 1; }
	ROOTURL="http://[$GW_LAN6]:$HTTP_PORT/rootDesc.xml"
	kernel_count() { in_gw nft list chain inet filter miniupnpd | grep -c 'th dport'; }
}

# --- one daemon's table -----------------------------------------------------

filled=0
fill_to() {		# TCP 2000..31999, then UDP 2000..31999; false when the cap ran out
	local want=$1 cap=$2 n proto first out
	while [ "$filled" -lt "$want" ]; do
		if [ "$filled" -lt $HALF ]; then proto=tcp first=$((2000 + filled)); n=$((want < HALF ? want - filled : HALF - filled))
		else proto=udp first=$((2000 + filled - HALF)); n=$((want - filled)); fi
		out=$(bp add $proto $first $n $LIFE "$cap")
		filled=$((filled + $(field ops "$out")))
		[ "$(field fail "$out")" = 0 ] && [ "$(field capped "$out")" = 0 ] || return 1
	done
}

run_daemon() {
	local name=$1 fill_cap=$2 level c0 c1 c2 c3 a d u
	filled=0
	echo "$name: level pcp_adds_per_s pcp_dels_per_s cpu_us_per_pcp_add upnp_adds_per_s" \
		"upnp_dels_per_s cpu_us_per_upnp_add_del kernel_pinholes rss_kB"
	for level in $LEVELS; do
		if ! fill_to "$level" "$fill_cap"; then
			echo "$name: $level not reached (filled $filled in the ${fill_cap}s cap)"
			break
		fi
		local adds=() dels=() cpus=() uadds=() udels=() ucpus=()
		for _ in $(seq "$REPS"); do
			c0=$(cpu_ns)
			a=$(bp add tcp 40000 "$WINDOW" $LIFE "$CAP")
			c1=$(cpu_ns)
			d=$(bp del tcp 40000 "$WINDOW" "$CAP")
			c2=$(cpu_ns)
			u=$(bu pin tcp 50000 "$WINDOW" $LIFE "$CAP" del)
			c3=$(cpu_ns)
			[ "$(field fail "$a")" = 0 ] && [ "$(field fail "$d")" = 0 ] &&
				[ "$(field fail "$u")" = 0 ] && [ "$(field del_fail "$u")" = 0 ] ||
				{ echo "$name: window failed: $a / $d / $u" >&2; exit 1; }
			adds+=("$(field rate "$a")") dels+=("$(field rate "$d")")
			uadds+=("$(field rate "$u")") udels+=("$(field del_rate "$u")")
			cpus+=("$(awk -v d=$((c1 - c0)) -v n="$(field ops "$a")" \
				'BEGIN { printf "%.1f", d / n / 1000 }')")
			ucpus+=("$(awk -v d=$((c3 - c2)) -v n="$(field ops "$u")" \
				'BEGIN { printf "%.1f", d / n / 1000 }')")
		done
		echo "$name: $level $(echo "${adds[@]}" | median) $(echo "${dels[@]}" | median)" \
			"$(echo "${cpus[@]}" | median) $(echo "${uadds[@]}" | median)" \
			"$(echo "${udels[@]}" | median) $(echo "${ucpus[@]}" | median) $(kernel_count)" \
			"$(awk '/^VmRSS/ { print $2 }' /proc/"$DPID"/status)"
	done
}

if [ "$ONLY" != miniupnpd ]; then
	ph_up
	run_daemon portholed "$CAP"
	ph_stop
fi
if [ "$ONLY" != portholed ]; then
	if mu_has_ipv6; then
		echo "miniupnpd: $(/usr/sbin/miniupnpd --version 2>&1 | head -1), built with IPv6" \
			"(WANIPv6FirewallControl, PCP over IPv6)"
		mu_up
		run_daemon miniupnpd "$MU_FILL_CAP"
		kill "$DPID"
	else
		echo "miniupnpd: $(/usr/sbin/miniupnpd --version 2>&1 | head -1) was built without" \
			"IPv6: no pinhole figures for it"
	fi
fi
