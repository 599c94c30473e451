#!/usr/bin/env bash
# tests/bench/restart.sh: a start restoring COUNT leases from the lease file,
# this tree against another build, taking turns in one lab so that load
# which comes and goes falls on both alike. The lease file is made once (COUNT
# NAT-PMP adds, then SIGTERM, which keeps it) and copied back before each
# start. Per start: the seconds from exec to the first NAT-PMP answer, and the
# CPU the daemon spent until then (schedstat, its own and the kernel's work in
# its system calls), which a loaded machine disturbs less. Prints each start,
# then per build the lowest and the median. Run as root after make bench (or
# tests/bench/run.sh) has built the load generators.
#
# Knobs: BENCH_ROUNDS (10), BENCH_COUNT (10000), BENCH_OTHER=DIR (required:
# the build directory of the other tree, e.g. main's).
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

ROUNDS=${BENCH_ROUNDS:-10}
COUNT=${BENCH_COUNT:-10000}
OTHER=${BENCH_OTHER:?BENCH_OTHER=the build directory to compare with}
BB=$BIN/bench
[ -x "$BB/bench_natpmp" ] || { echo "no $BB/bench_natpmp: run make bench once" >&2; exit 1; }

lab_up
state=$LAB_DIR/state
saved=$LAB_DIR/saved
mkdir -p "$state" "$saved"
conf=$(ph_config "lease_file=$state/leases" secure_mode=no rate_limit=0 max_per_host=0 \
	max_lifetime=86400)

cpu_ns() {
	local sum=0 ns t
	for t in /proc/"$1"/task/*/schedstat; do
		read -r ns _ <"$t" 2>/dev/null && sum=$((sum + ns))
	done
	echo $sum
}
field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$2"; }

# The lease file: COUNT leases made through NAT-PMP by this tree's daemon.
ph_start "$conf" || exit 1
in_mail "$BB/bench_natpmp" $GW_LAN_IP add tcp 2000 "$COUNT" 86400 120 >/dev/null
ph_stop
cp "$state"/leases* "$saved"/

# turn NAME BINDIR: start from the saved lease file, time it, check, stop.
turn() {
	local name=$1 bin=$2 t0 pid out ready cpu held
	rm -f "$state"/leases*
	cp "$saved"/leases* "$state"/
	t0=$(date +%s.%N)
	ip netns exec "$NS_GW" "$bin/portholed" -d -f "$conf" >>"$LAB_DIR/portholed.log" 2>&1 &
	pid=$!
	LAB_PIDS+=($pid)
	out=$(in_mail "$BB/bench_natpmp" $GW_LAN_IP wait "$t0" 60)
	cpu=$(cpu_ns $pid)
	ready=$(field ready_s "$out")
	held=$(in_gw nft list map inet porthole fwd4 | grep -o 'tcp \. [0-9]* :' | wc -l)
	kill $pid
	wait $pid 2>/dev/null
	echo "$name ready_s $ready cpu_ms $(awk -v c="$cpu" 'BEGIN { printf "%.1f", c / 1e6 }') in_kernel $held"
}

out=$LAB_DIR/starts
for r in $(seq "$ROUNDS"); do
	turn this "$BIN" | tee -a "$out"
	turn other "$OTHER" | tee -a "$out"
done
echo "start restoring $COUNT leases, over $ROUNDS starts each:"
for name in this other; do
	for f in ready_s cpu_ms; do
		awk -v n=$name -v f=$f '$1 == n { for (i = 2; i < NF; i += 2) if ($i == f) print $(i + 1) }' \
			"$out" | sort -n | awk -v n=$name -v f=$f '{ v[NR] = $1 } END {
				printf "%-6s %-8s lowest %8.3f  median %8.3f\n", n, f, v[1],
				    NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
	done
done
