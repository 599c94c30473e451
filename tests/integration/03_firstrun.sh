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

# --- a config with several mistakes: every one named with its line ---
bad=$LAB_DIR/several.conf
cat >"$bad" <<CONF
ext_ifname=wan0
lan_ifname=br-lan
control_socket=$CTL_SOCK
max_lifetime=x
bogus=1
allow 1 1.2.3.4/33 1
deny 1 1.2.3.4/32 1 third-party
allow 1-65535 $LAN_NET 1-65535
CONF
out=$(in_gw "$BIN/portholed" -n -f "$bad" 2>&1); rc=$?
check_eq "several mistakes: -n exits 1" 1 "$rc"
check_match "mistake 1 of 4 named with its line" "several.conf:4: 'x' is not a number" "$out"
check_match "mistake 2 of 4 named with its line" "several.conf:5: unknown key 'bogus'" "$out"
check_match "mistake 3 of 4: a /33 mask is named as such" "several.conf:6: .*/33" "$out"
check_match "mistake 4 of 4: third-party on a deny rule is explained" \
	"several.conf:7: 'third-party' only on allow rules" "$out"
check_eq "no line is blamed that has no mistake" 0 "$(grep -c 'several.conf:[1238]:' <<<"$out")"
