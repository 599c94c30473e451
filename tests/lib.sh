# tests/lib.sh: the test lab and the assertions every integration test uses.
# Source it, call lab_up, then use the helpers below. Everything the lab makes
# (namespaces, files, processes) is removed on exit, even after a failure.
#
#   WAN side 203.0.113.0/24         gateway (portholed)          LAN 192.168.77.0/24
#   wan  203.0.113.2 ─┐                                        ┌─ mail 192.168.77.10
#   wan2 203.0.113.3 ─┴─ br in wan ── wan0 203.0.113.1  br-lan ┴─ ws   192.168.77.20
#                                     (external address)  192.168.77.1
#
# Namespace names carry the run's id, so runs never collide.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
B=${B:-build}
BIN="$ROOT/$B"
LAB_ID=${LAB_ID:-ph$$}
LAB_DIR=$(mktemp -d "/tmp/porthole-$LAB_ID.XXXXXX")
NS_GW=$LAB_ID-gw
NS_WAN=$LAB_ID-wan
NS_WAN2=$LAB_ID-wan2
NS_MAIL=$LAB_ID-mail
NS_WS=$LAB_ID-ws
NS_OUTER=$LAB_ID-outer		# only with lab_double_nat
NS_ISP=$LAB_ID-isp		# only with lab_up_double
EXT_IP=203.0.113.1
WAN_IP=203.0.113.2
WAN2_IP=203.0.113.3
GW_LAN_IP=192.168.77.1
MAIL_IP=192.168.77.10
WS_IP=192.168.77.20
LAN_NET=192.168.77.0/24
CTL_SOCK=$LAB_DIR/portholed.sock
# Labs run side by side (tests/check.sh): the client's state file is the lab's.
export PORTHOLE_STATE=$LAB_DIR/porthole.state
PASSES=0
FAILS=0
SKIPS=0
LAB_PIDS=()

in_gw()   { ip netns exec "$NS_GW" "$@"; }
in_wan()  { ip netns exec "$NS_WAN" "$@"; }
in_wan2() { ip netns exec "$NS_WAN2" "$@"; }
in_mail() { ip netns exec "$NS_MAIL" "$@"; }
in_ws()   { ip netns exec "$NS_WS" "$@"; }
in_isp()  { ip netns exec "$NS_ISP" "$@"; }

lab_down() {
	local pid
	for pid in "${LAB_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for pid in "${LAB_PIDS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	for ns in "$NS_GW" "$NS_WAN" "$NS_WAN2" "$NS_MAIL" "$NS_WS" "$NS_OUTER" "$NS_ISP"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$ns" 2>/dev/null
		# A namespace's own resolv.conf (ip netns exec mounts it), if a test made one.
		rm -rf "/etc/netns/$ns"
	done
	rm -rf "$LAB_DIR"
}

lab_finish() {
	local rc=$?
	lab_down
	echo "RESULT $PASSES passed, $FAILS failed, $SKIPS skipped"
	[ "$FAILS" -eq 0 ] && [ $rc -eq 0 ] || exit 1
}

# lab_ns_add NS: a lab host's namespace, loopback up. Its interfaces skip
# IPv6 duplicate address detection: on a lab's own links no address repeats,
# and an address still tentative (or one a slow machine took long to
# confirm) would make a client that binds its link-local address fail.
lab_ns_add() {
	ip netns add "$1"
	ip -n "$1" link set lo up
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0
}

lab_up() {
	trap lab_finish EXIT
	trap 'exit 1' INT TERM
	set -e
	for ns in "$NS_GW" "$NS_WAN" "$NS_WAN2" "$NS_MAIL" "$NS_WS"; do
		lab_ns_add "$ns"
	done
	# WAN: a switch (bridge) inside the wan namespace, the gateway's wan0 on it.
	ip -n "$NS_WAN" link add br0 type bridge
	ip link add wan0 netns "$NS_GW" type veth peer name gwport netns "$NS_WAN"
	ip link add eth0 netns "$NS_WAN2" type veth peer name wan2port netns "$NS_WAN"
	ip -n "$NS_WAN" link set gwport master br0 up
	ip -n "$NS_WAN" link set wan2port master br0 up
	ip -n "$NS_WAN" addr add $WAN_IP/24 dev br0
	ip -n "$NS_WAN" link set br0 up
	ip -n "$NS_WAN2" addr add $WAN2_IP/24 dev eth0
	ip -n "$NS_WAN2" link set eth0 up
	ip -n "$NS_GW" addr add $EXT_IP/24 dev wan0
	ip -n "$NS_GW" link set wan0 up
	# LAN: a bridge in the gateway, as home routers have (br-lan).
	ip -n "$NS_GW" link add br-lan type bridge
	ip link add eth0 netns "$NS_MAIL" type veth peer name lan-mail netns "$NS_GW"
	ip link add eth0 netns "$NS_WS" type veth peer name lan-ws netns "$NS_GW"
	ip -n "$NS_GW" link set lan-mail master br-lan up
	ip -n "$NS_GW" link set lan-ws master br-lan up
	ip -n "$NS_GW" addr add $GW_LAN_IP/24 dev br-lan
	ip -n "$NS_GW" link set br-lan up
	ip -n "$NS_MAIL" addr add $MAIL_IP/24 dev eth0
	ip -n "$NS_MAIL" link set eth0 up
	ip -n "$NS_MAIL" route add default via $GW_LAN_IP
	ip -n "$NS_WS" addr add $WS_IP/24 dev eth0
	ip -n "$NS_WS" link set eth0 up
	ip -n "$NS_WS" route add default via $GW_LAN_IP
	in_gw sysctl -qw net.ipv4.ip_forward=1
	# Routers bridge their LAN without br_netfilter (OpenWrt does); where the
	# module is loaded on the host, switch it off in the lab's gateway so a
	# host reaching its own mapping (hairpin to itself) works as on a router.
	[ -e /proc/sys/net/bridge/bridge-nf-call-iptables ] &&
		in_gw sysctl -qw net.bridge.bridge-nf-call-iptables=0
	# Multicast from the gateway (announcements, SSDP) goes out on the LAN.
	ip -n "$NS_GW" route add 224.0.0.0/4 dev br-lan
	ip -n "$NS_MAIL" route add 224.0.0.0/4 dev eth0
	ip -n "$NS_WAN" route add 224.0.0.0/4 dev br0
	ip -n "$NS_WS" route add 224.0.0.0/4 dev eth0
	set +e
}

# lab_public_wan EXT WAN: readdress the WAN side with a routable-looking /24
# (EXT on the gateway's wan0, WAN on the WAN host), for what refuses or
# judges documentation ranges; it exists only inside the lab's namespaces,
# which have no link to any real network.
lab_public_wan() {
	ip -n "$NS_GW" addr flush dev wan0
	ip -n "$NS_GW" addr add "$1"/24 dev wan0
	ip -n "$NS_WAN" addr flush dev br0
	ip -n "$NS_WAN" addr add "$2"/24 dev br0
}

# Two gateways in series (issue 17): the office router (portholed, $NS_GW)
# sits behind an "ISP box" ($NS_ISP), whose WAN faces the Internet host.
#
#   Internet 198.51.100.0/24     ISP box                office router         LAN 192.168.77.0/24
#   wan 198.51.100.2 ── br0 ── wan0 198.51.100.1      wan0 192.168.178.20   br-lan ┬─ mail .10
#                              br-lan 192.168.178.1 ──┘  (default route)     .1    └─ ws   .20
#
# `lab_up_double cgnat` puts the office router's WAN in shared address space
# (RFC 6598: 100.64.1.20/10, ISP box 100.64.0.1) instead of RFC 1918.
# Both routers masquerade what their LAN sends out (table ip labnat), as
# real ones do; port mappings are left to whatever runs in them. The
# variables below name the addresses; $EXT_IP becomes the office WAN address.
lab_up_double() {
	lab_up
	set -e
	ISP_EXT_IP=198.51.100.1
	NET_IP=198.51.100.2
	if [ "${1:-}" = cgnat ]; then
		ISP_LAN_IP=100.64.0.1 OFFICE_WAN_IP=100.64.1.20 OFFICE_WAN_PLEN=10
	else
		ISP_LAN_IP=192.168.178.1 OFFICE_WAN_IP=192.168.178.20 OFFICE_WAN_PLEN=24
	fi
	ISP_LAN_NET=$ISP_LAN_IP/$OFFICE_WAN_PLEN
	EXT_IP=$OFFICE_WAN_IP
	WAN_IP=$NET_IP
	lab_ns_add "$NS_ISP"
	# The office router's wan0 moves from the Internet switch to the ISP box's LAN.
	ip -n "$NS_GW" link del wan0
	ip -n "$NS_WAN" addr flush dev br0
	ip -n "$NS_WAN" addr add $NET_IP/24 dev br0
	ip link add wan0 netns "$NS_ISP" type veth peer name ispport netns "$NS_WAN"
	ip -n "$NS_WAN" link set ispport master br0 up
	ip -n "$NS_ISP" addr add $ISP_EXT_IP/24 dev wan0
	ip -n "$NS_ISP" link set wan0 up
	ip -n "$NS_ISP" link add br-lan type bridge
	ip link add wan0 netns "$NS_GW" type veth peer name lan-office netns "$NS_ISP"
	ip -n "$NS_ISP" link set lan-office master br-lan up
	ip -n "$NS_ISP" addr add $ISP_LAN_NET dev br-lan
	ip -n "$NS_ISP" link set br-lan up
	ip -n "$NS_ISP" route add default via $NET_IP
	ip -n "$NS_GW" addr add $OFFICE_WAN_IP/$OFFICE_WAN_PLEN dev wan0
	ip -n "$NS_GW" link set wan0 up
	ip -n "$NS_GW" route add default via $ISP_LAN_IP
	in_isp sysctl -qw net.ipv4.ip_forward=1
	[ -e /proc/sys/net/bridge/bridge-nf-call-iptables ] &&
		in_isp sysctl -qw net.bridge.bridge-nf-call-iptables=0
	local ns
	for ns in "$NS_ISP" "$NS_GW"; do
		ip netns exec "$ns" nft -f - <<'NFT'
table ip labnat {
	chain postrouting { type nat hook postrouting priority srcnat + 10; oifname "wan0" masquerade; }
}
NFT
	done
	set +e
}

# isp_config [LINE...]: the ISP box's config; the given lines come before its
# allow rule, so a deny among them wins. Prints its path.
# isp_start [CONF]: portholed in the ISP box; its control socket is $ISP_SOCK,
# its log $LAB_DIR/isp.log, its pid $ISP_PID.
isp_config() {
	local conf=$LAB_DIR/isp.conf
	ISP_SOCK=$LAB_DIR/isp.sock
	cat >"$conf" <<CONF
ext_ifname=wan0
lan_ifname=br-lan
table=porthole_isp
control_socket=$ISP_SOCK
CONF
	printf '%s\n' "$@" "allow 1-65535 $ISP_LAN_NET 1-65535" >>"$conf"
	echo "$conf"
}

isp_start() {
	local conf=${1:-$(isp_config)} rc
	ISP_SOCK=$LAB_DIR/isp.sock
	portholed_start "$NS_ISP" "$conf" "$ISP_SOCK" "$LAB_DIR/isp.log"
	rc=$?
	ISP_PID=$STARTED_PID
	return $rc
}

isp_stop() {
	[ -n "${ISP_PID:-}" ] || return 0
	kill -TERM "$ISP_PID" 2>/dev/null
	wait "$ISP_PID" 2>/dev/null
	ISP_PID=
}

isp_ctl() { in_isp "$BIN/portholectl" -s "$ISP_SOCK" "$@"; }

# A real STUN server (coturn, STUN only) on the Internet host, udp/3478.
stun_serve() {
	ip netns exec "$NS_WAN" turnserver --stun-only --no-cli --no-tls --no-dtls \
		--listening-ip "$NET_IP" --listening-port 3478 --log-file stdout --simple-log \
		--no-software-attribute >>"$LAB_DIR/turnserver.log" 2>&1 &
	LAB_PIDS+=($!)
	wait_listen "$NS_WAN" udp 3478
}

# Write the lab's default config (plus any extra lines given) and print its path.
ph_config() {
	local conf=$LAB_DIR/portholed.conf
	cat >"$conf" <<CONF
ext_ifname=wan0
lan_ifname=br-lan
table=porthole
control_socket=$CTL_SOCK
allow 1-65535 $LAN_NET 1-65535
CONF
	printf '%s\n' "$@" >>"$conf"
	echo "$conf"
}

# portholed_start NS CONF SOCK LOG: start portholed in namespace NS, wait until
# its control socket answers; its pid in $STARTED_PID.
portholed_start() {
	local ns=$1 conf=$2 sock=$3 log=$4
	# Not through in_gw: $! must be portholed itself (ip netns exec execs it),
	# not a subshell, so that signals reach the daemon.
	ip netns exec "$ns" "$BIN/portholed" -d -f "$conf" >>"$log" 2>&1 &
	STARTED_PID=$!
	LAB_PIDS+=("$STARTED_PID")
	for _ in $(seq 100); do
		[ -S "$sock" ] && ip netns exec "$ns" "$BIN/portholectl" -s "$sock" list >/dev/null 2>&1 &&
			return 0
		kill -0 "$STARTED_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "portholed in $ns did not start; its log:" >&2
	cat "$log" >&2
	return 1
}

# Start portholed in the gateway with config file $1; wait until it answers.
ph_start() {
	local conf=${1:-$(ph_config)} rc
	portholed_start "$NS_GW" "$conf" "$CTL_SOCK" "$LAB_DIR/portholed.log"
	rc=$?
	PH_PID=$STARTED_PID
	return $rc
}

ph_stop() {
	[ -n "${PH_PID:-}" ] || return 0
	kill -TERM "$PH_PID" 2>/dev/null
	wait "$PH_PID" 2>/dev/null
	PH_PID=
}

ph_ctl() { in_gw "$BIN/portholectl" -s "$CTL_SOCK" "$@"; }

# A TCP server in namespace $1 on port $2 that answers each connection with
# the address it sees the client coming from.
serve_tcp() {
	ip netns exec "$1" socat TCP-LISTEN:"$2",fork,reuseaddr SYSTEM:'echo $SOCAT_PEERADDR' \
		2>/dev/null &
	LAB_PIDS+=($!)
	wait_listen "$1" tcp "$2"
}

# The same for UDP: each datagram is answered with the sender's address.
# The answering command reads the datagram before it answers: socat's child
# writes the datagram to the command, and when a bare `echo` had already
# exited that write fails (EPIPE), the child exits 1 without sending the
# answer, and the parent then also drops the next datagram. Under load that
# lost every retry of a probe.
serve_udp() { serve_udp_on "$1" "$2" UDP-RECVFROM:"$2",fork,reuseaddr; }
# serve_udp_on NS PORT SOCAT_ADDRESS: the same, on socat's address given whole.
serve_udp_on() {
	ip netns exec "$1" socat "$3" \
		SYSTEM:'head -c1 >/dev/null; echo $SOCAT_PEERADDR' 2>/dev/null &
	LAB_PIDS+=($!)
	wait_listen "$1" udp "$2"
}

# upnpc_run NS ARGS...: Debian's upnpc (stdout and stderr). Its discovery
# waits 2 s for an answer; when it found no IGD at all (one multicast round
# lost on a loaded machine) it searches once more, as a user would, and says so.
upnpc_run() {
	local ns=$1 out
	shift
	out=$(ip netns exec "$ns" timeout 20 upnpc "$@" 2>&1)
	if grep -q "No IGD UPnP Device found" <<<"$out"; then
		echo "  (upnpc $*: no IGD found; searching once more)" >&2
		out=$(ip netns exec "$ns" timeout 20 upnpc "$@" 2>&1)
	fi
	printf '%s\n' "$out"
}

# bin_for_others NAME: a copy of build binary NAME that any user may run,
# in the lab's directory. The checkout itself may sit where other users
# cannot reach it (under /root, or in a mktemp directory).
bin_for_others() {
	mkdir -p "$LAB_DIR/bin"
	chmod 711 "$LAB_DIR" "$LAB_DIR/bin"
	install -m 755 "$BIN/$1" "$LAB_DIR/bin/$1"
	echo "$LAB_DIR/bin/$1"
}

# natpmp_at_once NS FIRST COUNT: NAT-PMP TCP map requests from NS for ports
# FIRST.. (internal = external), all sent before any answer is read, each
# once (no retransmission); prints "answered=N ok=N" (ok: result 0).
natpmp_at_once() {
	ip netns exec "$1" /usr/bin/python3 - $GW_LAN_IP "$2" "$3" <<'PY'
import socket, struct, sys
gw, first, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, 33, 4 << 20)	# SO_RCVBUFFORCE: room for every answer
reqs = [struct.pack("!BBHHHI", 0, 2, 0, p, p, 3600) for p in range(first, first + count)]
for r in reqs:
    s.sendto(r, (gw, 5351))
s.settimeout(5)
got = {}
try:
    while len(got) < count:
        rep = s.recv(64)
        got[struct.unpack("!H", rep[8:10])[0]] = struct.unpack("!H", rep[2:4])[0]
except socket.timeout:
    pass
print("answered=%d ok=%d" % (len(got), sum(1 for v in got.values() if v == 0)))
PY
}

# wait_until TENTHS CMD...: run CMD every 0.1 s until it succeeds, at most TENTHS times.
wait_until() {
	local n=$1
	shift
	for _ in $(seq "$n"); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

wait_listen() {
	local flag=-ltn
	[ "$2" = udp ] && flag=-lun
	for _ in $(seq 50); do
		ip netns exec "$1" ss -H $flag "sport = :$3" | grep -q . && return 0
		sleep 0.05
	done
	return 1
}

# Connect from namespace $1 to $2:$3 over TCP; print what the server said.
probe_tcp() {
	ip netns exec "$1" socat -T2 - TCP:"$2":"$3",connect-timeout=2 </dev/null 2>/dev/null
}

# UDP may lose a datagram (the server's fork, a neighbour lookup): try three
# times, waiting 1, 2 and 3 s for the answer (a loaded machine forks slowly).
probe_udp() { probe_udp_to "$1" UDP:"$2":"$3"; }
# probe_udp_to NS SOCAT_ADDRESS: the same, to socat's address given whole.
probe_udp_to() {
	local out t
	for t in 1 2 3; do
		out=$(echo ping | ip netns exec "$1" socat -T$t - "$2" 2>/dev/null)
		[ -n "$out" ] && { printf '%s\n' "$out"; return 0; }
	done
	return 1
}

pass() { PASSES=$((PASSES + 1)); echo "PASS $*"; }
fail() { FAILS=$((FAILS + 1)); echo "FAIL $*"; }
# skip NAME REASON: a check this machine cannot run; it shows in the count.
skip() { SKIPS=$((SKIPS + 1)); echo "SKIP $1: $2"; }

# check NAME CMD...: passes when CMD succeeds.
check() {
	local name=$1; shift
	if "$@" >"$LAB_DIR/last.out" 2>&1; then pass "$name"; else
		fail "$name"; sed 's/^/    /' "$LAB_DIR/last.out" | head -20
	fi
}

# check_fails NAME STATUS CMD...: passes when CMD exits with exactly STATUS,
# so that a usage error, a missing tool or a timeout is never taken for the
# refusal or the silence the check expects.
check_fails() {
	local name=$1 want=$2 rc; shift 2
	"$@" >"$LAB_DIR/last.out" 2>&1
	rc=$?
	if [ "$rc" -eq "$want" ]; then pass "$name"; else
		fail "$name (exit status $rc, not $want)"; sed 's/^/    /' "$LAB_DIR/last.out" | head -20
	fi
}

# check_not NAME CMD...: passes when CMD says "no" the way grep, test, nft,
# socat, portholectl (a refusal) and the lab's probes do: exit status 1.
check_not() { check_fails "$1" 1 "${@:2}"; }

# check_absent NAME REGEX CMD...: CMD must succeed (the listing was made) and
# print no line matching REGEX.
check_absent() {
	local name=$1 re=$2 rc; shift 2
	"$@" >"$LAB_DIR/last.out" 2>&1
	rc=$?
	if [ "$rc" -ne 0 ]; then
		fail "$name (the listing failed: exit status $rc)"
		sed 's/^/    /' "$LAB_DIR/last.out" | head -20
	elif grep -Eq -- "$re" "$LAB_DIR/last.out"; then
		fail "$name: /$re/ is there:"; grep -E -- "$re" "$LAB_DIR/last.out" | sed 's/^/    /' | head -20
	else pass "$name"; fi
}

# ph_list_stable: portholectl list without what changes by itself (seconds
# left, packet and byte counters): for comparing two listings.
ph_list_stable() {
	local out
	out=$(ph_ctl list) || return
	awk '{ lease = ($5 == "permanent") ? "permanent" : "timed"
		printf "%s %s %s %s %s %s", $1, $2, $3, $4, lease, $6
		for (i = 9; i <= NF; i++) printf " %s", $i
		printf "\n" }' <<<"$out"
}

# Timing checks measure the time that passed instead of assuming it, so a
# loaded machine (a slow command, a late wake-up) does not fail them.
now_ms() { date +%s%3N; }

# check_epoch_rise NAME E1 E2 T0 T1 T2 T3: an epoch (seconds) read as E1
# between T0 and T1 and as E2 between T2 and T3 (now_ms) rose by the whole
# seconds that passed: at least those surely between the reads, at most
# those possibly between them (100 ms allowed for the daemon's clock).
check_epoch_rise() {
	local lo=$((($6 - $5 - 100) / 1000)) hi=$((($7 - $4 + 1099) / 1000))
	check "$1 ($2 -> $3; between +$lo and +$hi)" test $(($3 - $2)) -ge "$lo" -a $(($3 - $2)) -le "$hi"
}

# check_epoch_young NAME E T0 T1: an epoch read between T0 (before the start)
# and T1 counts no more seconds than passed.
check_epoch_young() {
	check "$1 ($2; at most $((($4 - $3 + 1099) / 1000)))" test "$2" -le $((($4 - $3 + 1099) / 1000))
}

# check_eq NAME EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: expected '$2', got '$3'"; fi
}

# check_match NAME REGEX TEXT
check_match() {
	if printf '%s\n' "$3" | grep -Eq -- "$2"; then pass "$1"; else
		fail "$1: no match for /$2/ in:"; printf '%s\n' "$3" | sed 's/^/    /' | head -20
	fi
}

# gw_masquerade: the gateway hides the LAN behind its WAN address for
# connections the LAN opens to the WAN, as every home router does (a
# reflector on the WAN side then sees the request come from $EXT_IP).
gw_masquerade() {
	in_gw nft -f - <<'NFT'
table ip labnat {
	chain postrouting { type nat hook postrouting priority srcnat + 10; oifname "wan0" masquerade; }
}
NFT
}

# reflector_start ARGS...: `porthole reflect` on the WAN host, listening on
# $REFLECTOR_URL, logging to reflect.log; its pid in REFL_PID.
REFLECTOR_URL=http://$WAN_IP:8025/
reflector_start() {
	ip netns exec "$NS_WAN" "$BIN/porthole" reflect -v --listen "$WAN_IP:8025" "$@" \
		>>"$LAB_DIR/reflect.log" 2>&1 &
	REFL_PID=$!
	LAB_PIDS+=("$REFL_PID")
	wait_listen "$NS_WAN" tcp 8025
}

# lab_double_nat: after lab_up, puts a second NAT (an ISP's box, namespace
# $NS_OUTER) between the gateway and the WAN, with the shared address space
# (RFC 6598) between them:
#
#   wan 203.0.113.2 ── br ── outer 203.0.113.1 (OUTER_IP, public) ── 100.64.0.1
#                                        100.64.0.0/10 ── gateway wan0 100.64.0.2 (GW_WAN_IP)
#
# The outer box masquerades what comes from 100.64.0.0/10 and forwards
# nothing inward until outer_forward says so. EXT_IP stays the public address.
OUTER_IP=$EXT_IP
OUTER_LAN_IP=100.64.0.1
GW_WAN_IP=100.64.0.2
lab_double_nat() {
	set -e
	lab_ns_add "$NS_OUTER"
	ip -n "$NS_GW" link del wan0
	ip link add wan0 netns "$NS_OUTER" type veth peer name gwport netns "$NS_WAN"
	ip -n "$NS_WAN" link set gwport master br0 up
	ip -n "$NS_OUTER" addr add $OUTER_IP/24 dev wan0
	ip -n "$NS_OUTER" link set wan0 up
	ip link add lan0 netns "$NS_OUTER" type veth peer name wan0 netns "$NS_GW"
	ip -n "$NS_OUTER" addr add $OUTER_LAN_IP/10 dev lan0
	ip -n "$NS_OUTER" link set lan0 up
	ip -n "$NS_GW" addr add $GW_WAN_IP/10 dev wan0
	ip -n "$NS_GW" link set wan0 up
	ip -n "$NS_GW" route add default via $OUTER_LAN_IP
	ip netns exec "$NS_OUTER" sysctl -qw net.ipv4.ip_forward=1
	ip netns exec "$NS_OUTER" nft -f - <<'NFT'
table ip isp {
	map forwards {
		type inet_proto . inet_service : ipv4_addr . inet_service
	}
	chain prerouting {
		type nat hook prerouting priority dstnat
		iifname "wan0" dnat ip to meta l4proto . th dport map @forwards
	}
	chain postrouting {
		type nat hook postrouting priority srcnat
		oifname "wan0" masquerade
	}
}
NFT
	set +e
}

# outer_forward tcp|udp PORT: the outer box forwards PORT to the gateway, as
# an ISP's box does when its owner sets a port forward there.
outer_forward() {
	ip netns exec "$NS_OUTER" nft add element ip isp forwards "{ $1 . $2 : $GW_WAN_IP . $2 }"
}

# --- IPv6 (issue 16): call lab_ipv6 after lab_up. Nothing is translated:
#   WAN 2001:db8:ffff::/64  wan ::2, wan2 ::3, gateway wan0 ::1
#   LAN 2001:db8:1::/64 (routed)  gateway br-lan ::1, mail ::10, ws ::20
# and the admin's own firewall, RFC 6092 simple security in its own table
# (forward policy drop; established/related; ICMPv6 as RFC 4890 asks;
# outbound from the LAN) plus the one rule README.md tells admins to add.
EXT6=2001:db8:ffff::1
WAN6=2001:db8:ffff::2
WAN2_6=2001:db8:ffff::3
GW_LAN6=2001:db8:1::1
MAIL6=2001:db8:1::10
WS6=2001:db8:1::20
LAN6_NET=2001:db8:1::/64
PINHOLE_RULE='meta mark & 0x00100000 == 0x00100000 accept'

lab_ipv6() {
	set -e
	# (lab_ns_add made the hosts skip duplicate address detection)
	in_gw sysctl -qw net.ipv6.conf.all.forwarding=1
	ip -n "$NS_GW" addr add $EXT6/64 dev wan0 nodad
	ip -n "$NS_GW" addr add $GW_LAN6/64 dev br-lan nodad
	ip -n "$NS_WAN" addr add $WAN6/64 dev br0 nodad
	ip -n "$NS_WAN" route add $LAN6_NET via $EXT6
	ip -n "$NS_WAN2" addr add $WAN2_6/64 dev eth0 nodad
	ip -n "$NS_WAN2" route add $LAN6_NET via $EXT6
	ip -n "$NS_MAIL" addr add $MAIL6/64 dev eth0 nodad
	ip -n "$NS_MAIL" -6 route add default via $GW_LAN6
	ip -n "$NS_WS" addr add $WS6/64 dev eth0 nodad
	ip -n "$NS_WS" -6 route add default via $GW_LAN6
	lab_ipv6_firewall
	set +e
}

# The admin's firewall alone (again, after a test flushed the ruleset).
lab_ipv6_firewall() {
	in_gw nft -f - <<NFT
table ip6 adminfw {
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		ct state invalid drop
		icmpv6 type { destination-unreachable, packet-too-big, time-exceeded,
			parameter-problem, echo-request, echo-reply } accept
		iifname "br-lan" accept
		$PINHOLE_RULE
	}
}
NFT
}

# The same probes over IPv6: probe_tcp6 NS ADDR PORT.
probe_tcp6() {
	ip netns exec "$1" socat -T2 - "TCP6:[$2]:$3,connect-timeout=2" </dev/null 2>/dev/null
}
probe_udp6() { probe_udp_to "$1" "UDP6:[$2]:$3"; }
# reach6 NS ADDR PORT: a TCP connection from NS to [ADDR]:PORT came through.
reach6() { probe_tcp6 "$1" "$2" "$3" | grep -q .; }
# pinholes: the IPv6 lines of portholectl list.
pinholes() { ph_ctl list | grep -F '['; }
serve_tcp6() {
	ip netns exec "$1" socat TCP6-LISTEN:"$2",fork,reuseaddr,ipv6only=1 \
		SYSTEM:'echo $SOCAT_PEERADDR' 2>/dev/null &
	LAB_PIDS+=($!)
	wait_listen "$1" tcp "$2"
}
serve_udp6() { serve_udp_on "$1" "$2" UDP6-RECVFROM:"$2",fork,reuseaddr,ipv6only=1; }

# miniupnpd_setup NS ALLOW_NET [CONF_LINE...]: Debian's miniupnpd in namespace
# NS as its nft_init.sh lays out its chains (table inet filter, forward ->
# miniupnpd, nat prerouting/postrouting -> *_miniupnpd), with a config that
# allows ALLOW_NET and denies the rest. miniupnpd_start runs it and waits for
# udp/5351 (or the PROTO PORT given); MU_PID is its pid.
miniupnpd_setup() {
	MU_NS=$1
	local allow=$2
	shift 2
	ip netns exec "$MU_NS" nft -f - <<'NFT'
table inet filter {
	chain forward { type filter hook forward priority 0; policy accept; jump miniupnpd; }
	chain miniupnpd { }
	chain prerouting { type nat hook prerouting priority -100; policy accept; jump prerouting_miniupnpd; }
	chain postrouting { type nat hook postrouting priority 100; policy accept; jump postrouting_miniupnpd; }
	chain prerouting_miniupnpd { }
	chain postrouting_miniupnpd { }
}
NFT
	# A KEY=VALUE given replaces the default: miniupnpd reads
	# enable_natpmp=no after enable_natpmp=yes as yes.
	local defaults=(ext_ifname=wan0 listening_ip=br-lan http_port=0 enable_natpmp=yes
		enable_upnp=yes system_uptime=no min_lifetime=120
		uuid=3c7b8d2e-1f20-4c6a-9a1e-0123456789ab) a i
	for a in "$@"; do
		for i in "${!defaults[@]}"; do
			[[ $a == *=* && ${defaults[i]%%=*} == "${a%%=*}" ]] && unset 'defaults[i]'
		done
	done
	{
		printf '%s\n' "${defaults[@]}" "$@"
		echo "allow 1-65535 $allow 1-65535"
		echo "deny 0-65535 0.0.0.0/0 0-65535"
	} >"$LAB_DIR/miniupnpd.conf"
}

miniupnpd_start() {
	local proto=${1:-udp} port=${2:-5351}
	ip netns exec "$MU_NS" /usr/sbin/miniupnpd -d -f "$LAB_DIR/miniupnpd.conf" \
		-P "$LAB_DIR/miniupnpd.pid" >>"$LAB_DIR/miniupnpd.log" 2>&1 &
	MU_PID=$!
	LAB_PIDS+=($MU_PID)
	wait_until 50 bash -c "ip netns exec $MU_NS ss -H -l${proto:0:1}n 'sport = :$port' | grep -q ."
}

# Debian's miniupnpd as the ISP box (81, 83): its DNAT rules, and whether
# one points port $1 at the office router.
mu_rules() { in_isp nft list chain inet filter prerouting_miniupnpd; }
mu_has_rule() { mu_rules | grep -q "dport $1 dnat ip to $OFFICE_WAN_IP:$1"; }
mu_no_rule() { ! mu_rules | grep -q "dport $1 "; }

# mu_map_smtp: the mail host maps tcp/25 with natpmpc through the office
# router, which forwards it to miniupnpd; the Internet host then reaches the
# mail server's (already serving) port 25 through both NATs, and did not before.
mu_map_smtp() {
	local out
	check_not "control: before any mapping the Internet host does not reach the mail server" \
		probe_tcp "$NS_WAN" $X_EXT 25
	out=$(in_mail natpmpc -g $GW_LAN_IP -a 25 25 tcp 600 2>&1)
	check_match "62 natpmpc maps tcp/25 through the office router" \
		"Mapped public port 25 protocol TCP to local port 25" "$out"
	check_match "61 natpmpc names miniupnpd's public address" "Public IP address : $X_EXT" "$out"
	check "62 miniupnpd's DNAT rule points tcp/25 at the office router" mu_has_rule 25
	check_eq "62 the Internet host reaches the mail server through both NATs" "$X_NET" \
		"$(probe_tcp "$NS_WAN" $X_EXT 25 | cut -d: -f1)"
}

# lab_isp_routable: miniupnpd refuses to map while its own WAN address is
# private or reserved, documentation ranges included, so the ISP box's WAN
# gets a routable-looking prefix (X_EXT 192.0.3.1, the Internet host X_NET
# 192.0.3.2); it exists only inside the lab's namespaces.
lab_isp_routable() {
	X_EXT=192.0.3.1
	X_NET=192.0.3.2
	ip -n "$NS_ISP" addr flush dev wan0
	ip -n "$NS_ISP" addr add $X_EXT/24 dev wan0
	ip -n "$NS_ISP" route add default via $X_NET
	ip -n "$NS_WAN" addr flush dev br0
	ip -n "$NS_WAN" addr add $X_NET/24 dev br0
}
