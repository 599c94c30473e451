#!/usr/bin/env bash
# tests/fuzz/run.sh SECONDS: replay each harness's kept corpus (regressions),
# then fuzz it for SECONDS. New findings are written to build-fuzz/findings/.
set -u
cd "$(dirname "$0")/../.." || exit 1
secs=${1:-30}
rc=0
passed=0
failed=0
for bin in build-fuzz/fuzz_*; do
	[ -x "$bin" ] || continue
	name=${bin#build-fuzz/fuzz_}
	corpus=tests/fuzz/corpus/$name
	work=build-fuzz/work/$name
	mkdir -p "$corpus" "$work" build-fuzz/findings
	if ! "$bin" -runs=0 "$corpus" >"build-fuzz/$name.replay.log" 2>&1; then
		echo "FAIL fuzz $name: a kept corpus input fails again (build-fuzz/$name.replay.log)"
		rc=1
		failed=$((failed + 1))
		continue
	fi
	if "$bin" -max_total_time="$secs" -timeout=5 -rss_limit_mb=1024 \
		-artifact_prefix=build-fuzz/findings/"$name"- "$work" "$corpus" \
		>"build-fuzz/$name.log" 2>&1; then
		runs=$(grep -oE '#[0-9]+' "build-fuzz/$name.log" | tail -1)
		echo "PASS fuzz $name (${runs#\#} runs in ${secs}s)"
		passed=$((passed + 1))
	else
		echo "FAIL fuzz $name: see build-fuzz/$name.log and build-fuzz/findings/"
		rc=1
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
exit $rc
