#!/usr/bin/env bash
# tests/bench/pinholes.sh: IPv6 pinholes, the figures beside make bench's
# IPv4 ones. In the IPv6 lab, from the mail server, PCP MAP over IPv6
# (bench_pcp with an IPv6 gateway): fill to 100, 1,000, 10,000 and 60,000
# pinholes (TCP from port 2000, then UDP), and at each level time a window
# of WINDOW adds and their deletes (ports 40000+, so every window starts at
# the level), REPS times, median kept: the rate, and the daemon's CPU time
# per add (schedstat, which a loaded machine does not inflate as it does the
# rate); then the kernel's element count and the daemon's RSS. Prints one
# line per level; run as root (make deps).
#
# Knobs: BENCH_LEVELS, BENCH_WINDOW, BENCH_REPS, BENCH_CAP (seconds per window).
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

LEVELS=${BENCH_LEVELS:-"100 1000 10000 60000"}
WINDOW=${BENCH_WINDOW:-1000}
REPS=${BENCH_REPS:-3}
CAP=${BENCH_CAP:-60}
BB=$BIN/bench
HALF=30000

mkdir -p "$BB"
cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -I"$ROOT/client" -I"$ROOT/tests/bench" \
	-o "$BB/bench_pcp" "$ROOT/tests/bench/bench_pcp.c" "$ROOT/tests/bench/bench_util.c" \
	"$BIN/libporthole.a" -lnatpmp -lminiupnpc -lnftnl -lmnl || exit 1

lab_up
lab_ipv6
ph_start "$(ph_config "allow 1024-65535 $LAN6_NET 1024-65535" max_pinholes=65535 \
	max_lifetime=86400)" || exit 1
bp() { in_mail "$BB/bench_pcp" $GW_LAN6 "$@"; }
field() { grep -o "$1=[^ ]*" <<<"$2" | cut -d= -f2; }
cpu_ns() { cat /proc/"$PH_PID"/task/*/schedstat | awk '{ s += $1 } END { printf "%.0f\n", s }'; }
median() { tr ' ' '\n' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

filled=0
fill_to() {		# TCP 2000..31999, then UDP 2000..31999
	local want=$1 n proto first
	while [ "$filled" -lt "$want" ]; do
		if [ "$filled" -lt $HALF ]; then proto=tcp first=$((2000 + filled)); n=$((want < HALF ? want - filled : HALF - filled))
		else proto=udp first=$((2000 + filled - HALF)); n=$((want - filled)); fi
		out=$(bp add $proto $first $n 86400 600)
		[ "$(field fail "$out")" = 0 ] || { echo "fill failed: $out" >&2; exit 1; }
		filled=$((filled + n))
	done
}

echo "level adds_per_s dels_per_s cpu_us_per_add elements rss_kB"
for level in $LEVELS; do
	fill_to "$level"
	adds=() dels=() cpus=()
	for _ in $(seq "$REPS"); do
		c0=$(cpu_ns)
		a=$(bp add tcp 40000 "$WINDOW" 86400 "$CAP")
		c1=$(cpu_ns)
		d=$(bp del tcp 40000 "$WINDOW" "$CAP")
		[ "$(field fail "$a")" = 0 ] && [ "$(field fail "$d")" = 0 ] ||
			{ echo "window failed: $a / $d" >&2; exit 1; }
		adds+=("$(field rate "$a")") dels+=("$(field rate "$d")")
		cpus+=("$(awk -v d=$((c1 - c0)) -v n="$WINDOW" 'BEGIN { printf "%.1f", d / n / 1000 }')")
	done
	elems=$(in_gw nft list set inet porthole pin6 | grep -o ' \. [0-9]* counter' | wc -l)
	rss=$(awk '/^VmRSS/ { print $2 }' /proc/"$PH_PID"/status)
	echo "$level $(echo "${adds[@]}" | median) $(echo "${dels[@]}" | median)" \
		"$(echo "${cpus[@]}" | median) $elems $rss"
done
