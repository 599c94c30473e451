#!/usr/bin/env bash
# tests/layers.sh [BUILD_DIR]: the structure the code promises, read from
# what the compiler made (nm over the built objects), not from the sources:
#   - the call graph between object files has no cycle (tsort finds none),
#     for the daemon (daemon/ + common/) and for the client library;
#   - the protocol front-ends (daemon/upnp, daemon/pcp) never reach the
#     backend (daemon/backend) nor each other: they go through the lease table;
#   - every file a header's module map names (FILE.c in its comments) exists.
# Prints PASS/FAIL lines and "RESULT N passed, N failed" like the lab scripts.
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${1:-${B:-build}}
cd "$ROOT" || exit 2
passed=0
failed=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; failed=$((failed + 1)); }

# edges OBJ...: "user definer" for each global symbol one object takes from another.
edges() {
	local o defs uses
	defs=$(mktemp) uses=$(mktemp)
	for o in "$@"; do
		nm -g --defined-only "$o" | awk -v o="$o" 'NF == 3 { print $3, o }'
	done | sort >"$defs"
	for o in "$@"; do
		nm -u "$o" | awk -v o="$o" '{ print $2, o }'
	done | sort >"$uses"
	join "$uses" "$defs" | awk '$2 != $3 { print $2, $3 }' | sort -u
	rm -f "$defs" "$uses"
}

# acyclic NAME OBJ...: tsort accepts the graph only when it has no cycle.
acyclic() {
	local name=$1 e loops
	shift
	if [ $# -eq 0 ]; then
		fail "$name: no objects under $B (run make first)"
		return
	fi
	e=$(edges "$@")
	if [ -z "$e" ]; then
		fail "$name: no calls between objects found (nm failed?)"
		return
	fi
	loops=$(tsort <<<"$e" 2>&1 >/dev/null)
	if [ -z "$loops" ]; then
		pass "$name: $# objects, $(wc -l <<<"$e") object-to-object edges, no cycle"
	else
		fail "$name: call cycle between objects:"
		sed 's/^/    /' <<<"$loops" | sort -u
	fi
}

mapfile -t daemon_objs < <(find "$B/daemon" "$B/common" -name '*.o' 2>/dev/null | sort)
mapfile -t client_objs < <(find "$B/pic" -name '*.o' 2>/dev/null | sort)
acyclic "daemon call graph" "${daemon_objs[@]}"
acyclic "client library call graph" "${client_objs[@]}"

# Front-ends reach the kernel only through the lease table.
e=$(edges "${daemon_objs[@]}")
for fe in upnp pcp; do
	bad=$(awk -v fe="$B/daemon/$fe/" '
		index($1, fe) == 1 && (index($2, "/daemon/backend/") ||
		    (index($2, "/daemon/upnp/") || index($2, "/daemon/pcp/")) && index($2, fe) != 1)
		' <<<"$e")
	users=$(awk -v fe="$B/daemon/$fe/" 'index($1, fe) == 1' <<<"$e" | wc -l)
	if [ "$users" -eq 0 ]; then
		fail "front-end $fe: no calls found (nothing was checked)"
	elif [ -z "$bad" ]; then
		pass "front-end $fe ($users calls out) reaches neither the backend nor another front-end"
	else
		fail "front-end $fe calls past the lease table:"
		sed 's/^/    /' <<<"$bad"
	fi
done

# Module maps: every FILE.c a header names exists (beside it, or from the root).
missing=()
headers=0
while read -r h; do
	headers=$((headers + 1))
	while read -r f; do
		[ -n "$f" ] || continue
		# beside the header, or (with a folder) from the root
		[ -e "$(dirname "$h")/$f" ] || { [[ $f == */* ]] && [ -e "$f" ]; } ||
			missing+=("$h names $f")
	done < <(grep -oP '(?<![\w./])[\w/]+\.c(?![\w.])' "$h" | sort -u)
done < <(find include common daemon client -name '*.h' | sort)
if [ "$headers" -eq 0 ]; then
	fail "module maps: no headers found"
elif [ ${#missing[@]} -eq 0 ]; then
	pass "module maps: every file named in $headers headers exists"
else
	fail "module maps name files that do not exist:"
	printf '    %s\n' "${missing[@]}"
fi

echo "RESULT $passed passed, $failed failed"
[ "$failed" -eq 0 ]
