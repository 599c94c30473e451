#!/usr/bin/env bash
# A new user's first run (issue 12 part 3): every program answers --help and
# --version, -n checks what a start would check, a config with several
# mistakes names all of them, the admin's commands say what they did, a
# SIGHUP names the keys that need a restart, and the example config lets
# the default mail profile map every port.
. "$(dirname "$0")/../lib.sh"
lab_up

# --- --help and --version: exit 0, on stdout ---
for prog in portholed portholectl porthole; do
	out=$("$BIN/$prog" --help 2>/dev/null); rc=$?
	check_eq "$prog --help exits 0" 0 "$rc"
	check_match "$prog --help prints its usage on stdout" "^usage: $prog " "$out"
	out=$("$BIN/$prog" --version 2>/dev/null); rc=$?
	check_eq "$prog --version exits 0" 0 "$rc"
	check_match "$prog --version prints its version on stdout" "^$prog [0-9]+\.[0-9]+" "$out"
	# the control: an unknown option is still a usage error (2), on stderr
	out=$("$BIN/$prog" --no-such-option 2>&1 >/dev/null); rc=$?
	check_eq "$prog with an unknown option exits 2" 2 "$rc"
	check_match "$prog with an unknown option prints usage on stderr" "usage: $prog" "$out"
done
