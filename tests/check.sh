#!/usr/bin/env bash
# tests/check.sh: runs the unit tests (cmocka, no root) and, as root, every
# integration test in tests/integration/ inside its own lab. Ends with the
# line "N passed, N failed, N skipped".
#
# The integration scripts spend most of their time waiting (for timeouts that
# prove silence, for lifetimes to run out), so JOBS of them (default 4) run at
# once; each has its own lab (namespaces and files named by its process id).
# Each script's output is printed whole, in the scripts' order.
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-build}
JOBS=${JOBS:-4}
export B
cd "$ROOT" || exit 1
passed=0
failed=0
skipped=0
failed_names=()

# As root each unit test gets a network namespace of its own: some stand in
# for a gateway on 127.0.0.1:5351, which must not meet another run's.
isolated() {
	if [ "$(id -u)" -eq 0 ]; then
		unshare --net sh -c 'ip link set lo up && exec "$0"' "$1"
	else
		"$1"
	fi
}

for t in "$B"/tests/test_*; do
	[ -x "$t" ] || continue
	out=$(isolated "$t" 2>&1)
	rc=$?
	printf '%s\n' "$out" | grep -E '^\[ +(OK|FAILED|PASSED|SKIPPED) +\]|^\[  ERROR' |
		sed "s|^|$(basename "$t"): |"
	p=$(printf '%s\n' "$out" | grep -cE '^\[ +OK +\]')
	f=$(printf '%s\n' "$out" | grep -E '^\[ +FAILED +\] [a-z_]' | sort -u | wc -l)
	s=$(printf '%s\n' "$out" | grep -E '^\[ +SKIPPED +\] [a-z_]' | sort -u | wc -l)
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		printf '%s\n' "$out" | tail -20
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	[ "$f" -eq 0 ] || failed_names+=("$(basename "$t")")
done

# The structure the build promises (object call graph, module maps): no root needed.
out=$(tests/layers.sh "$B" 2>&1)
printf '%s\n' "$out" | grep -vE '^RESULT '
p=$(printf '%s\n' "$out" | grep -c '^PASS')
f=$(printf '%s\n' "$out" | grep -c '^FAIL')
passed=$((passed + p))
failed=$((failed + f))
[ "$f" -eq 0 ] || failed_names+=(tests/layers.sh)

# run_script SCRIPT OUT: run one integration script, its output, its
# seconds and its exit status into OUT, OUT.secs and OUT.rc (written last:
# its presence means "done").
run_script() {
	local start=$SECONDS
	timeout 600 bash "$1" >"$2" 2>&1
	local rc=$?
	echo "$1 $((SECONDS - start))" >"$2.secs"
	echo $rc >"$2.rc.tmp"
	mv "$2.rc.tmp" "$2.rc"
}

# The scripts are started longest first, by the seconds each took last time
# (in $B/check-durations; a new one counts as longest), so the longest does
# not start last; they are still printed in their own order.
DURATIONS=$B/check-durations
launch_order() {
	local i d
	for i in "${!scripts[@]}"; do
		d=$(awk -v s="${scripts[$i]}" '$1 == s { print $2 }' "$DURATIONS" 2>/dev/null)
		echo "${d:-99999} $i"
	done | sort -k1,1nr -k2,2n | awk '{ print $2 }'
}

if [ "$(id -u)" -ne 0 ]; then
	echo "integration tests skipped: they need root (network namespaces, nftables)"
else
	scripts=()
	for t in tests/integration/*.sh; do
		[ -f "$t" ] || continue
		[ -n "${ONLY:-}" ] && [[ "$t" != *"$ONLY"* ]] && continue
		scripts+=("$t")
	done
	outdir=$(mktemp -d /tmp/porthole-check.XXXXXX)
	trap 'kill $launcher 2>/dev/null; rm -rf "$outdir"' EXIT
	# The launcher keeps at most JOBS scripts running.
	(
		running=0
		for i in $(launch_order); do
			if [ "$running" -ge "$JOBS" ]; then
				wait -n
				running=$((running - 1))
			fi
			run_script "${scripts[$i]}" "$outdir/$i" &
			running=$((running + 1))
		done
		wait
	) &
	launcher=$!
	for i in "${!scripts[@]}"; do
		t=${scripts[$i]}
		# (the launcher ends only after every script; gone early, it was killed)
		while [ ! -e "$outdir/$i.rc" ] && kill -0 "$launcher" 2>/dev/null; do sleep 0.2; done
		rc=$(cat "$outdir/$i.rc" 2>/dev/null || echo "never finished")
		echo "== $t"
		grep -vE '^RESULT ' "$outdir/$i"
		res=$(grep -E '^RESULT ' "$outdir/$i" | tail -1)
		p=$(echo "$res" | awk '{print $2}')
		f=$(echo "$res" | awk '{print $4}')
		s=$(echo "$res" | awk '{print $6}')
		p=${p:-0}
		f=${f:-0}
		s=${s:-0}
		if [ "$rc" != 0 ] && [ "$f" -eq 0 ]; then
			echo "FAIL $t exited $rc"
			f=1
		fi
		if [ -z "$res" ] && [ "$rc" = 0 ]; then
			echo "FAIL $t gave no RESULT line"
			f=1
		fi
		passed=$((passed + p))
		failed=$((failed + f))
		skipped=$((skipped + s))
		[ "$f" -eq 0 ] || failed_names+=("$t")
		grep -E '^FAIL ' "$outdir/$i" | sed "s|^|$(basename "$t"): |" >>"$outdir/failures"
	done
	wait "$launcher"
	# Every failure again at the end, where a log that keeps only its tail
	# (a CI summary) still shows what failed and why.
	if [ -s "$outdir/failures" ]; then
		echo "== every failure ($(wc -l <"$outdir/failures"), the first 40):"
		head -40 "$outdir/failures"
	fi
	# This run's figures first; those of scripts not run this time are kept.
	cat "$outdir"/*.secs "$DURATIONS" 2>/dev/null | awk '!seen[$1]++' >"$outdir/durations"
	mv "$outdir/durations" "$DURATIONS"
fi

[ ${#failed_names[@]} -eq 0 ] || echo "failing: ${failed_names[*]}"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
