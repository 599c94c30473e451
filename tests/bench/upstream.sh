#!/usr/bin/env bash
# tests/bench/upstream.sh: what forwarding a mapping to the gateway in front
# costs (issue 17). In the two-NAT lab (lab_up_double) the office router's
# portholed takes COUNT NAT-PMP, then PCP, then UPnP adds from the mail
# server, one request at a time as real clients send them, first with
# upstream=off (local only) and then with upstream=auto against a second
# portholed in the ISP box; then removes them again. REPS runs each, the
# median kept. A forwarded add is answered only once the ISP box has
# answered (UPnP too: its SOAP answer waits).
# Knobs: BENCH_UP_COUNT (200), BENCH_UP_REPS (3).
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
COUNT=${BENCH_UP_COUNT:-200}
REPS=${BENCH_UP_REPS:-3}
BB=$BIN/bench
SRC=$ROOT/tests/bench

mkdir -p "$BB"
for t in natpmp pcp upnp; do
	cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -I"$ROOT/common" -I"$ROOT/client" -I"$SRC" \
		-o "$BB/bench_$t" "$SRC/bench_$t.c" "$SRC/bench_util.c" "$BIN/libporthole.a" \
		-lnatpmp -lminiupnpc -lnftnl -lmnl || exit 1
done
lab_up_double
isp_start "$(isp_config max_lifetime=86400 max_per_host=0)" || exit 1

field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$2"; }
# gen PROTO ARGS...: the load generator for PROTO (UPnP: the IGD:1 control URL).
gen() {
	local proto=$1
	shift
	case $proto in
	upnp) in_mail "$BB/bench_upnp" "http://$GW_LAN_IP:5000/igd1.xml" "$@" ;;
	*) in_mail "$BB/bench_$proto" $GW_LAN_IP "$@" ;;
	esac
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# run MODE PROTO: REPS rounds of COUNT adds and COUNT deletes; prints
# "adds/s µs/add dels/s" (medians).
run() {
	local mode=$1 proto=$2 i out adds=() us=() dels=()
	ph_start "$(ph_config upstream="$mode" max_lifetime=86400 rate_limit=0 http_port=5000 \
		max_per_host=0)" ||
		exit 1
	sleep 1		# the gateway in front answers its first address request
	for i in $(seq "$REPS"); do
		out=$(gen "$proto" add tcp 20000 "$COUNT" 3600 120)
		[ "$(field ops "$out")" = "$COUNT" ] || { echo "add failed: $out" >&2; exit 1; }
		adds+=("$(field rate "$out")")
		us+=("$(awk -v s="$(field secs "$out")" -v n="$COUNT" 'BEGIN {printf "%.0f", s / n * 1e6}')")
		if [ "$mode" != off ]; then
			wait_until 100 bash -c "[ \$(ip netns exec $NS_ISP $BIN/portholectl -s $ISP_SOCK list |
				grep -c '^tcp ') -ge $COUNT ]" ||
				{ echo "the ISP box does not hold the $COUNT mappings" >&2; exit 1; }
		fi
		out=$(gen "$proto" del tcp 20000 "$COUNT" 120)
		dels+=("$(field rate "$out")")
		[ "$mode" = off ] || wait_until 100 bash -c "! ip netns exec $NS_ISP \
			$BIN/portholectl -s $ISP_SOCK list | grep -q '^tcp '"
	done
	ph_stop
	printf '%s %s %s\n' "$(printf '%s\n' "${adds[@]}" | median)" \
		"$(printf '%s\n' "${us[@]}" | median)" "$(printf '%s\n' "${dels[@]}" | median)"
}

printf '%-8s %-9s %12s %10s %12s\n' protocol upstream adds/s "µs/add" dels/s
for proto in natpmp pcp upnp; do
	for mode in off auto; do
		read -r a u d <<<"$(run $mode $proto)"
		printf '%-8s %-9s %12s %10s %12s\n' $proto $mode "$a" "$u" "$d"
	done
done
