#!/usr/bin/env bash
# tests/check.sh: runs the unit tests (cmocka, no root) and, as root, every
# integration test in tests/integration/ inside its own lab. Ends with the
# line "N passed, N failed, N skipped".
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-build}
export B
cd "$ROOT" || exit 1
passed=0
failed=0
skipped=0
failed_names=()

for t in "$B"/tests/test_*; do
	[ -x "$t" ] || continue
	out=$("$t" 2>&1)
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

if [ "$(id -u)" -ne 0 ]; then
	echo "integration tests skipped: they need root (network namespaces, nftables)"
else
	for t in tests/integration/*.sh; do
		[ -f "$t" ] || continue
		[ -n "${ONLY:-}" ] && [[ "$t" != *"$ONLY"* ]] && continue
		echo "== $t"
		out=$(timeout 600 bash "$t" 2>&1)
		rc=$?
		printf '%s\n' "$out" | grep -vE '^RESULT '
		res=$(printf '%s\n' "$out" | grep -E '^RESULT ' | tail -1)
		p=$(echo "$res" | awk '{print $2}')
		f=$(echo "$res" | awk '{print $4}')
		s=$(echo "$res" | awk '{print $6}')
		p=${p:-0}
		f=${f:-0}
		s=${s:-0}
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
			echo "FAIL $t exited $rc"
			f=1
		fi
		if [ -z "$res" ] && [ "$rc" -eq 0 ]; then
			echo "FAIL $t gave no RESULT line"
			f=1
		fi
		passed=$((passed + p))
		failed=$((failed + f))
		skipped=$((skipped + s))
		[ "$f" -eq 0 ] || failed_names+=("$t")
	done
fi

[ ${#failed_names[@]} -eq 0 ] || echo "failing: ${failed_names[*]}"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
