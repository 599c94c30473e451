#!/usr/bin/env bash
# tests/bench/privsep.sh: what user= costs per mapping, measured so that a
# machine shared with other work still tells: one lab, and the daemons
# taking turns window by window (one process, then split in two), ROUNDS
# times, so that load which comes and goes falls on both alike. Each window
# is N NAT-PMP and then N PCP adds from the mail server, timed as the CPU
# both processes spent (schedstat, until idle again) per add; then removed.
# Prints each window, then per daemon and protocol the lowest and the
# median. Run as root, after make bench has built the load generators.
#
# Knobs: BENCH_ROUNDS (10), BENCH_N (500), BENCH_PH_USER (porthole),
# BENCH_HELD (0): mappings made (NAT-PMP, TCP from port 2000) before the windows,
# BENCH_PROTOS ("natpmp pcp"; "upnp" adds UPnP AddPortMapping windows),
# BENCH_OTHER=DIR: a third daemon, the build directory of another tree
# (e.g. main's, for a before/after of a change to the split), run split,
# or as one process with BENCH_OTHER_ONE=1 (e.g. a build from before user=);
# BENCH_PIN=1: the daemon's processes and the load generator on CPU 1 (as
# run.sh's), so that both processes of the split share one CPU as the one
# process has it.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

ROUNDS=${BENCH_ROUNDS:-10}
N=${BENCH_N:-500}
HELD=${BENCH_HELD:-0}
PROTOS=${BENCH_PROTOS:-natpmp pcp}
HTTP_PORT=5000
USER_=${BENCH_PH_USER:-porthole}
OTHER=${BENCH_OTHER:-}
OTHER_USER=$USER_
[ "${BENCH_OTHER_ONE:-0}" = 1 ] && OTHER_USER=
PIN=
[ "${BENCH_PIN:-0}" = 1 ] && PIN=1
BB=$BIN/bench
for t in $PROTOS; do
	[ -x "$BB/bench_$t" ] || { echo "no $BB/bench_$t: run make bench (or tests/bench/run.sh) once" >&2; exit 1; }
done
id "$USER_" >/dev/null 2>&1 || { echo "no user $USER_ (BENCH_PH_USER)" >&2; exit 1; }

lab_up
# Each SOAP call is a TCP connection: reuse TIME_WAIT ports, as run.sh does.
in_mail sysctl -qw net.ipv4.tcp_tw_reuse=1
chmod 711 "$LAB_DIR"
mkdir -p "$LAB_DIR/state"
chown "$USER_": "$LAB_DIR/state"

# cpu_ns PID [all]: run time of PID's threads (and of its children's with all).
cpu_ns() {
	local sum=0 ns t procs=$1
	[ "${2:-}" = all ] && procs="$1 $(pgrep -P "$1")"
	for t in $(for p in $procs; do echo /proc/"$p"/task/*/schedstat; done); do
		read -r ns _ <"$t" 2>/dev/null && sum=$((sum + ns))
	done
	echo $sum
}
# Idle: under 2 ms of CPU in 0.3 s (work the daemon defers, the lease file, counts).
wait_idle() {
	local a b
	for _ in $(seq 100); do
		a=$(cpu_ns "$1" all)
		sleep 0.3
		b=$(cpu_ns "$1" all)
		[ $((b - a)) -le 2000000 ] && return
	done
}
per_add() { awk -v a="$1" -v b="$2" -v n="$N" 'BEGIN { printf "%.1f", (b - a) / n / 1000 }'; }

# gen PROTO ARGS...: the load generator, its output dropped.
gen() {
	local p=$1 target=$GW_LAN_IP
	shift
	[ "$p" = upnp ] && target=http://$GW_LAN_IP:$HTTP_PORT/igd2.xml
	in_mail ${PIN:+taskset -c "$PIN"} "$BB/bench_$p" "$target" "$@" >/dev/null
}

# turn NAME BINDIR USER: start that daemon, one window per protocol, stop it.
turn() {
	local name=$1 bin=$2 user=$3 conf pid c0 p0 proto r0 p
	r0=$(rebuilds)
	rm -f "$LAB_DIR"/state/*
	conf=$(ph_config "lease_file=$LAB_DIR/state/leases" ${user:+"user=$user"} secure_mode=no \
		rate_limit=0 max_per_host=0 max_lifetime=86400 http_port=$HTTP_PORT)
	ip netns exec "$NS_GW" "$bin/portholed" -d -f "$conf" >>"$LAB_DIR/portholed.log" 2>&1 &
	pid=$!
	LAB_PIDS+=($pid)
	wait_until 100 bash -c "ip netns exec $NS_GW $bin/portholectl -s $CTL_SOCK list >/dev/null 2>&1"
	if [ -n "$PIN" ]; then
		for p in $pid $(pgrep -P $pid); do taskset -apc "$PIN" "$p" >/dev/null || exit 1; done
	fi
	[ "$HELD" -gt 0 ] && in_mail "$BB/bench_natpmp" $GW_LAN_IP add tcp 2000 "$HELD" 86400 120 >/dev/null
	for proto in $PROTOS; do
		wait_idle $pid
		c0=$(cpu_ns $pid all) p0=$(cpu_ns $pid)
		gen $proto add tcp 40000 "$N" 86400 60
		wait_idle $pid
		echo "$name $proto $(per_add "$c0" "$(cpu_ns $pid all)") parent $(per_add "$p0" "$(cpu_ns $pid)")"
		gen $proto del tcp 40000 "$N" 60
	done
	kill $pid
	wait $pid 2>/dev/null
	echo "$name rebuilds $(($(rebuilds) - r0))"
}
# Table rebuilds after lost nftables events (ENOBUFS): each costs a whole reinstall.
rebuilds() { cat "$LAB_DIR/portholed.log" 2>/dev/null | grep -c 'rebuilding it'; }

out=$LAB_DIR/windows
for r in $(seq "$ROUNDS"); do
	turn one "$BIN" "" | tee -a "$out"
	turn split "$BIN" "$USER_" | tee -a "$out"
	[ -n "$OTHER" ] && turn other "$OTHER" "$OTHER_USER" | tee -a "$out"
done
echo "us of CPU per add over $ROUNDS windows of $N at $HELD mappings (both processes; 'parent': the first"
echo "process alone, which is the whole daemon for 'one'):"
for name in one split ${OTHER:+other}; do
	for proto in $PROTOS; do
		awk -v n=$name -v p=$proto '$1 == n && $2 == p { print $3 }' "$out" | sort -n |
			awk -v n=$name -v p=$proto '{ v[NR] = $1 } END {
				printf "%-6s %-7s lowest %6.1f  median %6.1f\n", n, p, v[1],
				    NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
	done
done
for name in one split ${OTHER:+other}; do
	echo "$name: table rebuilds after lost nftables events: $(awk -v n=$name \
		'$1 == n && $2 == "rebuilds" { s += $3 } END { print s + 0 }' "$out")"
done
