#!/usr/bin/env bash
# examples/mailserver in the lab: a mail server that maps its own ports
# through libporthole; `porthole status` (another process) sees them all
# open; the WAN host and the workstation connect; the router restarts and
# the server maps again by itself; SIGTERM removes its mappings.
. "$(dirname "$0")/../lib.sh"
lab_up

STATE=$LAB_DIR/state
MAIL_PORTS="25 587 465 110 995 143 993 80 443 8008 8443 8843"
mapped_count() { ph_ctl list | awk -v ip="$MAIL_IP" '$3 ~ "^"ip":" {n++} END {print n+0}'; }

check "portholed starts" ph_start
gw_masquerade
check "a reflector starts on the WAN host" reflector_start
ip netns exec "$NS_MAIL" "$BIN/examples/mailserver" -v -s "$STATE" -i 1 -l 600 \
	-c 3 -R "$REFLECTOR_URL" >"$LAB_DIR/mailserver.log" 2>&1 &
MS=$!
LAB_PIDS+=($MS)
for _ in $(seq 100); do [ "$(mapped_count)" = 12 ] && break; sleep 0.1; done
check_eq "the mail server mapped its 12 ports itself" 12 "$(mapped_count)"
check_match "it listens on them" "listening on 12 ports" "$(cat "$LAB_DIR/mailserver.log")"
check_match "it logged each mapping" "mapped tcp/8843 \(carddav-tls\) -> $EXT_IP:8843 via pcp" \
	"$(cat "$LAB_DIR/mailserver.log")"

out=$(in_mail "$BIN/porthole" -s "$STATE" status --reflector "$REFLECTOR_URL"); rc=$?
check_eq "porthole status: exit 0" 0 $rc
check_match "porthole status: every port open from outside" \
	"^verdict: open: all 12 ports open from outside at $EXT_IP" "$out"
for p in $MAIL_PORTS; do
	check_match "status row: port $p mapped and reachable" \
		" tcp/$p +mapped +pcp +$EXT_IP:$p .* open \(" "$out"
done
wait_until 100 grep -q "checkup verdict" "$LAB_DIR/mailserver.log"
log=$(cat "$LAB_DIR/mailserver.log")
check_match "its own checkup (libporthole): the public address the reflector saw" \
	"checkup: public address $EXT_IP, double NAT no, this host $MAIL_IP$" "$log"
check_match "its own checkup: each port mapped, reached from outside and through the public address" \
	"checkup smtp tcp/25: mapped by pcp at $EXT_IP:25, lease [0-9]+ s; from outside open \(\"$WAN_IP\"\); through the public address open; listening yes" "$log"
check_match "its own checkup: verdict open" "checkup verdict open: all 12 ports open from outside" "$log"
check_eq "WAN host reaches SMTP" "$WAN_IP" "$(probe_tcp "$NS_WAN" $EXT_IP 25)"
check_eq "WAN host reaches IMAPS" "$WAN_IP" "$(probe_tcp "$NS_WAN" $EXT_IP 993)"
check_eq "workstation reaches submission through the public address" "$EXT_IP" \
	"$(probe_tcp "$NS_WS" $EXT_IP 587)"

sleep 2		# a restart shows as the epoch going back: let it rise first
ph_stop
check "the router restarts, its leases gone" ph_start
for _ in $(seq 100); do [ "$(mapped_count)" = 12 ] && break; sleep 0.1; done
check_eq "the mail server mapped all 12 again by itself" 12 "$(mapped_count)"
check_match "it logged the restart" "gateway restarted" "$(cat "$LAB_DIR/mailserver.log")"
check_eq "WAN host reaches SMTP again" "$WAN_IP" "$(probe_tcp "$NS_WAN" $EXT_IP 25)"

kill -TERM $MS; wait $MS; rc=$?
check_eq "SIGTERM: clean exit" 0 $rc
check_eq "SIGTERM: its mappings are removed" 0 "$(mapped_count)"
out=$(in_mail "$BIN/porthole" -s "$STATE" status); rc=$?
check_eq "status afterwards: exit 1 (nothing mapped)" 1 $rc

# The same program built as a user would: against the shared library, with
# the flags pkg-config gives from the installed libporthole.pc. (Not with a
# sanitized build: its library needs the sanitizer runtime loaded first;
# there the six checks below count as skipped.)
if ldd "$BIN/libporthole.so" | grep -q libasan; then
	for c in "builds against the shared library" "links libporthole.so.0" "maps its port" \
		"serves it to the WAN host" "state file: its port" "state file: the first server's entries"; do
		skip "shared-library build: $c" "a sanitized libporthole.so needs the sanitizer runtime first"
	done
	exit 0
fi
P=$LAB_DIR/prefix
mkdir -p "$P/include" "$P/lib/pkgconfig"
cp "$ROOT/include/porthole.h" "$P/include/"
cp "$BIN/libporthole.so" "$P/lib/libporthole.so.0"
ln -s libporthole.so.0 "$P/lib/libporthole.so"
sed -e "s|@PREFIX@|$P|" -e 's|@VERSION@|0|' "$ROOT/client/libporthole.pc.in" >"$P/lib/pkgconfig/libporthole.pc"
flags=$(PKG_CONFIG_PATH=$P/lib/pkgconfig pkg-config --cflags --libs libporthole)
check "pkg-config: the example builds against the shared library" \
	cc -std=c11 -Wall -Wextra -Werror -o "$LAB_DIR/ms-shared" "$ROOT/examples/mailserver.c" $flags
check_match "it links libporthole.so.0" "libporthole.so.0 => $P/lib/libporthole.so.0" \
	"$(LD_LIBRARY_PATH=$P/lib ldd "$LAB_DIR/ms-shared")"
printf 'smtp-alt tcp/2525\n' >"$LAB_DIR/alt.profile"
ip netns exec "$NS_MAIL" env LD_LIBRARY_PATH="$P/lib" "$LAB_DIR/ms-shared" -p "$LAB_DIR/alt.profile" \
	-s "$STATE" >"$LAB_DIR/ms-shared.log" 2>&1 &
MS=$!
LAB_PIDS+=($MS)
for _ in $(seq 50); do ph_ctl list | grep -q "tcp  *2525 " && break; sleep 0.1; done
check_match "the shared-library build maps its port" "tcp +2525 +$MAIL_IP:2525" "$(ph_ctl list)"
check_eq "and serves it to the WAN host" "$WAN_IP" "$(probe_tcp "$NS_WAN" $EXT_IP 2525)"
out=$(in_mail "$BIN/porthole" -s "$STATE" status)
check_match "the shared state file: its port is there, mapped" "smtp-alt +tcp/2525 +mapped" "$out"
check_match "the shared state file: the first server's entries kept" "smtp +tcp/25 +not_mapped" "$out"
kill -TERM $MS; wait $MS
