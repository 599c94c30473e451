#!/usr/bin/env bash
# tests/bench/pinhole_sets.sh: what one pinhole change costs the kernel in
# each kind of set nft_pinhole.c uses, as more are held: a hash set (pin6r,
# one remote host) and an interval set of concatenated ranges (pin6n, a
# remote prefix, the kernel's pipapo). In a namespace of its own: fill the
# set to each level in batches, then time PAIRS add-and-delete pairs of one
# element, each its own transaction (`nft -i`, one command a line, as the
# daemon sends one batch per change). The figure includes nft's own parsing,
# the same for both kinds. Run as root; not part of make bench.
#
# Knobs: BENCH_LEVELS ("100 1000 10000 60000"), BENCH_PAIRS (500).
set -u
LEVELS=${BENCH_LEVELS:-"100 1000 10000 60000"}
PAIRS=${BENCH_PAIRS:-500}
NS=phbench-sets-$$
ip netns add "$NS" || exit 1
trap 'ip netns del "$NS"' EXIT
in_ns() { ip netns exec "$NS" "$@"; }

# remote KIND I: the I-th element's remote end, one host or a /64.
remote() { if [ "$1" = hash ]; then echo 2001:db8:ffff::2; else printf '2001:db8:%x::/64' "$2"; fi; }

for kind in hash interval; do
	flags=""
	[ "$kind" = interval ] && flags="flags interval;"
	for n in $LEVELS; do
		in_ns nft flush ruleset
		in_ns nft "add table inet t; add set inet t s { type ipv6_addr . inet_proto . inet_service . ipv6_addr; $flags counter; }"
		for ((i = 0; i < n; i++)); do
			((i % 5000 == 0)) && { ((i)) && echo " }"; printf 'add element inet t s { '; }
			((i % 5000)) && printf ', '
			printf '2001:db8:1::%x . tcp . %d . %s' $((16 + i / 60000)) $((2000 + i % 60000)) \
				"$(remote "$kind" $((i % 65535)))"
		done >"/tmp/$NS.fill"
		echo " }" >>"/tmp/$NS.fill"
		in_ns nft -f "/tmp/$NS.fill" || exit 1
		for ((i = 0; i < PAIRS; i++)); do
			e="2001:db8:9::1 . udp . $((1000 + i)) . $(remote "$kind" 65535)"
			echo "add element inet t s { $e }"
			echo "delete element inet t s { $e }"
		done >"/tmp/$NS.ops"
		start=$(date +%s%N)
		in_ns nft -i <"/tmp/$NS.ops" >/dev/null 2>&1
		end=$(date +%s%N)
		held=$(in_ns nft list set inet t s | grep -o 'counter packets' | wc -l)
		echo "$kind set, $held held: $(((end - start) / PAIRS / 1000)) us per add + delete"
	done
done
rm -f "/tmp/$NS.fill" "/tmp/$NS.ops"
