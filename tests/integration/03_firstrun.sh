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

# --- -n checks what a start would check on this machine ---
out=$(in_gw "$BIN/portholed" -n -f "$ROOT/examples/portholed.conf" 2>&1); rc=$?
check_eq "-n fails on the unedited example config (no eth0 in the gateway)" 1 "$rc"
check_match "... and says which interface is missing and what to do" \
	"ext_ifname=eth0: no such interface here .*set your WAN interface" "$out"
ok=$LAB_DIR/example-ok.conf
# user= (two processes) is 52_privsep.sh's: its lease directory must be the user's.
sed -e 's/^ext_ifname=eth0 /ext_ifname=wan0 /' -e "s|^lease_file=.*|lease_file=$LAB_DIR/leases|" -e '/^user=/d' \
	-e "s|^control_socket=.*|control_socket=$CTL_SOCK|" "$ROOT/examples/portholed.conf" >"$ok"
out=$(in_gw "$BIN/portholed" -n -f "$ok" 2>&1); rc=$?
check_eq "control: -n passes the example with the lab's WAN interface" 0 "$rc"
check_match "... says it is OK" "configuration OK" "$out"
check_match "... and says what it did not check" "not checked: .*nftables" "$out"
in_gw ip link add noaddr0 type bridge
printf 'lan_ifname=noaddr0\n' >>"$ok"
out=$(in_gw "$BIN/portholed" -n -f "$ok" 2>&1); rc=$?
check_eq "-n fails on a LAN interface without an IPv4 address" 1 "$rc"
check_match "... and names it" "lan_ifname=noaddr0 has no IPv4 address" "$out"
out=$(in_gw timeout 10 "$BIN/portholed" -d -f "$ok" 2>&1); rc=$?
check_match "control: a real start fails on it too" "noaddr0 has no IPv4 address" "$out"
sed -i -e '/^lan_ifname=noaddr0$/d' -e "s|^control_socket=.*|control_socket=$LAB_DIR/no/such/dir/s.sock|" "$ok"
out=$(in_gw "$BIN/portholed" -n -f "$ok" 2>&1); rc=$?
check_eq "-n fails when the control socket's directory is missing" 1 "$rc"
check_match "... and names the directory" "cannot create it in $LAB_DIR/no/such/dir" "$out"
out=$(in_gw timeout 10 "$BIN/portholed" -d -f "$ok" 2>&1); rc=$?
check_match "control: a real start fails on it too" "cannot open control socket" "$out"
sed -i -e "s|^control_socket=.*|control_socket=$CTL_SOCK|" \
	-e "s|^lease_file=.*|lease_file=$LAB_DIR/no/such/dir/leases|" "$ok"
out=$(in_gw "$BIN/portholed" -n -f "$ok" 2>&1); rc=$?
check_eq "a lease file in a missing directory is a warning, as at start" 0 "$rc"
check_match "... which says what it means" "warning: lease_file=.*leases would not survive a restart" "$out"
printf 'uuid=not-a-uuid\n' >>"$ok"
out=$(in_gw "$BIN/portholed" -n -f "$ok" 2>&1); rc=$?
check_eq "-n fails on a malformed uuid, which a start would refuse" 1 "$rc"
check_match "... naming its line" "example-ok.conf:[0-9]+: 'not-a-uuid' is not a UUID" "$out"
check_not "-n installed nothing in the kernel" in_gw nft list table inet porthole

# --- SIGHUP: keys that need a restart are named; the rest apply at once ---
conf=$(ph_config "http_port=5000")
check "portholed starts with http_port=5000" ph_start "$conf"
up2="-u http://$GW_LAN_IP:5000/igd2.xml"
check_match "before: NAT-PMP may map 4101" "Mapped public port 4101" \
	"$(in_mail natpmpc -g $GW_LAN_IP -a 4101 4101 tcp 600 2>&1)"
in_mail natpmpc -g $GW_LAN_IP -a 4101 4101 tcp 0 >/dev/null 2>&1	# and gone again
# a rule change (reloads) and two restart-only keys in one edit
sed -i -e 's/^http_port=5000$/http_port=5001/' "$conf"
sed -i -e "s|^allow |deny 1-65535 $MAIL_IP/32 4101\nallow |" "$conf"	# internal port 4101
echo "uuid=00000000-0000-4000-8000-000000000001" >>"$conf"
kill -HUP "$PH_PID"
wait_until 30 grep -q "configuration reloaded" "$LAB_DIR/portholed.log"
log=$(cat "$LAB_DIR/portholed.log")
check_match "SIGHUP names the changed keys that need a restart" \
	"SIGHUP: changed http_port, uuid: these take effect only at a restart" "$log"
check_eq "... once, in one line" 1 \
	"$(grep -c 'take effect only at a restart' <<<"$log")"
# get PORT: the HTTP status line of GET /igd2.xml from the mail host
get() {
	printf 'GET /igd2.xml HTTP/1.0\r\n\r\n' |
		in_mail socat -T3 - TCP:$GW_LAN_IP:"$1",connect-timeout=2 2>/dev/null | head -1
}
check_match "UPnP still serves on the running http_port 5000" "^HTTP/1.[01] 200" "$(get 5000)"
check_eq "... and not on 5001 before a restart" "" "$(get 5001)"
check_match "the new rule reaches NAT-PMP at once" "not authorized" \
	"$(in_mail natpmpc -g $GW_LAN_IP -a 4101 4101 tcp 600 2>&1)"
R=$(in_mail timeout 20 upnpc -i $up2 -a $MAIL_IP 4101 4102 TCP 600 2>&1)
check_not "the new rule reaches UPnP at once" grep -q "is redirected" <<<"$R"
R=$(in_mail timeout 20 upnpc -i $up2 -a $MAIL_IP 4103 4103 TCP 600 2>&1)
check_match "control: a port no rule denies still maps through UPnP" "4103 TCP is redirected" "$R"
check_match "control: and through NAT-PMP" "Mapped public port 4104" \
	"$(in_mail natpmpc -g $GW_LAN_IP -a 4104 4104 tcp 600 2>&1)"
ph_stop

# --- portholectl add/del: refused outside the LAN, and they say what they did ---
check "portholed starts" ph_start
out=$(ph_ctl add tcp 2525 203.0.113.99 25 2>&1); rc=$?
check_eq "add to an address outside every LAN prefix is refused (exit 1)" 1 "$rc"
check_match "... saying which prefixes are the LAN" \
	"203.0.113.99 is in no LAN prefix \(192.168.77.0/24 on br-lan\)" "$out"
check_not "... and nothing is installed" grep -q 2525 <<<"$(in_gw nft list map inet porthole fwd4)"
out=$(ph_ctl add tcp 2525 $MAIL_IP 25 0 mail smtp 2>&1); rc=$?
check_eq "control: add into the LAN is done (exit 0)" 0 "$rc"
check_match "add says what it made" "^added tcp 2525 -> $MAIL_IP:25, permanent, \"mail smtp\"$" "$out"
check_match "... and the kernel has it" "tcp . 2525 : $MAIL_IP . 25" \
	"$(in_gw nft list map inet porthole fwd4)"
check_match "a lifetime is said as such" "^added udp 5353 -> $MAIL_IP:53, for 600 s, \"static\"$" \
	"$(ph_ctl add udp 5353 $MAIL_IP 53 600 2>&1)"
out=$(ph_ctl del tcp 2525 2>&1); rc=$?
check_eq "del exits 0" 0 "$rc"
check_match "del says what it removed" "^removed tcp 2525 -> $MAIL_IP:25 \(static\)$" "$out"
check_not "... and the kernel no longer has it" grep -q "2525" <<<"$(in_gw nft list map inet porthole fwd4)"
ph_stop

# --- the example config lets the default mail profile map every port ---
# The example's addresses and interfaces moved into the lab (192.168.1.x is
# the lab's 192.168.77.x); its rules are used as written.
ex=$LAB_DIR/example.conf
sed -e 's/^ext_ifname=eth0 /ext_ifname=wan0 /' -e "s|^lease_file=.*|lease_file=$LAB_DIR/leases|" \
	-e "s|^control_socket=.*|control_socket=$CTL_SOCK|" -e 's/192\.168\.1\./192.168.77./g' -e '/^user=/d' \
	"$ROOT/examples/portholed.conf" >"$ex"
check_match "the example's rules are in the test's copy" "^allow .*192.168.77.10/32" "$(cat "$ex")"
check "portholed starts with the example config" ph_start "$ex"
out=$(in_mail env PORTHOLE_STATE=$LAB_DIR/state "$BIN/porthole" -t 1500 map 2>&1); rc=$?
check_eq "porthole map with the default (mail) profile exits 0" 0 "$rc"
for port in 25 587 465 110 995 143 993 80 443 8008 8443 8843; do
	check_match "tcp/$port mapped by the gateway" "tcp +$port +$MAIL_IP:$port " "$(ph_ctl list)"
done
ph_stop

# --- make install: LIBDIR (Debian multiarch), STRIP, unit files, man pages ---
inst() { make -s --no-print-directory -C "$ROOT" B="$B" PREFIX=/usr "$@" install >/dev/null 2>&1; }
D=$LAB_DIR/root
MA=/usr/lib/x86_64-linux-gnu
check "make install with LIBDIR and STRIP=1" inst DESTDIR="$D" LIBDIR=$MA STRIP=1
for f in libporthole.so.0 libporthole.so libporthole.a pkgconfig/libporthole.pc; do
	check "LIBDIR holds $f" test -e "$D$MA/$f"
done
check_eq "nothing of the library in PREFIX/lib itself" "" "$(ls "$D/usr/lib" | grep porthole)"
check_match "the .pc names LIBDIR" "^libdir=$MA$" "$(cat "$D$MA/pkgconfig/libporthole.pc")"
for f in usr/sbin/portholed usr/sbin/portholectl usr/bin/porthole ${MA#/}/libporthole.so.0; do
	check "STRIP=1: $f is an ELF file" readelf -h "$D/$f"
	check_eq "STRIP=1: $f has no symbol table" 0 "$(readelf -S "$D/$f" | grep -c '\.symtab')"
done
check "control: make install without STRIP" inst DESTDIR="$LAB_DIR/root2"
check_eq "control: without STRIP portholed keeps its symbol table" 1 \
	"$(readelf -S "$LAB_DIR/root2/usr/sbin/portholed" | grep -c '\.symtab')"
for u in portholed porthole-keep; do
	unit=$D/usr/lib/systemd/system/$u.service
	check "$u.service is installed" test -f "$unit"
	check_match "$u.service's comment names where make install put it" \
		"make install. puts it in /usr/lib/systemd/system/ " \
		"$(sed -n 's/^# *//p' "$unit" | tr '\n' ' ')"
	check_eq "$u.service names no /usr/local path after PREFIX=/usr" 0 "$(grep -c /usr/local "$unit")"
	# (systemd's prefixes such as -+ dropped; /bin/kill and /bin/chown are the system's)
	for exe in $(sed -n 's/^Exec[A-Za-z]*=[-+@:!]*\([^ ]*\).*/\1/p' "$unit" |
		grep -Ev '^/bin/(kill|chown)$'); do
		check "$u.service runs $exe, which make install put there" test -x "$D$exe"
	done
done
man8=$D/usr/share/man/man8/portholed.8
check_match "portholed(8) has a section on the status pages" "^\.SH STATUS PAGES" "$(cat "$man8")"
for page in /status /status.json /metrics; do
	check_match "portholed(8) documents $page" "^\.B $page\$" "$(cat "$man8")"
done

# --- the control protocol: versioned, named fields, readable with socat ---
check "portholed starts" ph_start
ph_ctl add tcp 2525 $MAIL_IP 25 0 mail server smtp >/dev/null
raw=$(echo list | in_gw socat -T3 - UNIX-CONNECT:"$CTL_SOCK")
check_eq "socat: the reply starts with the protocol's version line" "porthole-ctl 1" "$(head -1 <<<"$raw")"
check_match "socat: a mapping is one line of named fields, desc last" \
	"^mapping proto=tcp ext_port=2525 int_addr=$MAIL_IP int_port=25 owner=static lease=permanent remote=any packets=[0-9]+ bytes=[0-9]+ desc=mail server smtp$" \
	"$raw"
check_eq "socat: the reply ends with OK" "OK 1 mappings" "$(tail -1 <<<"$raw")"
raw=$(echo status | in_gw socat -T3 - UNIX-CONNECT:"$CTL_SOCK")
check_match "socat: status is a record of named fields" \
	"^status external_address=$EXT_IP mappings=1 mappings_static=1 " "$raw"

# exit status: 0 done, 1 the daemon refused, 2 usage, connection or protocol error
ph_ctl list >/dev/null 2>&1; check_eq "exit 0: done" 0 $?
ph_ctl del udp 9 >/dev/null 2>&1; check_eq "exit 1: the daemon refused (no such mapping)" 1 $?
ph_ctl frobnicate >/dev/null 2>&1; check_eq "exit 1: the daemon refused an unknown command" 1 $?
in_gw "$BIN/portholectl" -s "$CTL_SOCK" >/dev/null 2>&1; check_eq "exit 2: no command (usage)" 2 $?
in_gw "$BIN/portholectl" -s "$LAB_DIR/absent.sock" list >/dev/null 2>&1
check_eq "exit 2: no daemon at the socket" 2 $?
ph_stop

# A stand-in daemon shows what portholectl reads: fields by name, not place.
fake_listening() { ss -Hxl src "$FAKE" | grep -q .; }
fake() {	# fake REPLY: serve REPLY once, on a new socket named in $FAKE
	FAKE=$LAB_DIR/fake$((++FAKES)).sock	# a new one: the last socat unlinks its own at exit
	printf '%b' "$1" >"$FAKE.reply"
	socat UNIX-LISTEN:"$FAKE" SYSTEM:"cat $FAKE.reply; sleep 0.2" 2>/dev/null &
	LAB_PIDS+=($!)
	# listening, not just bound: a connect between bind and listen is refused
	wait_until 30 fake_listening
}
FAKES=0
fake "porthole-ctl 1\nmapping desc_lang=en bytes=7 packets=3 remote=any lease=60 owner=pcp int_port=26 int_addr=$WS_IP ext_port=2626 proto=udp future=x desc=a b=c\nOK 1 mappings\n"
out=$("$BIN/portholectl" -s "$FAKE" list 2>&1); rc=$?
check_eq "fields in another order, one unknown: exit 0" 0 "$rc"
check_match "... each field is read by its name" \
	"^udp +2626 +$WS_IP:26 +pcp +60s +any +3 +7  a b=c$" "$out"
fake "porthole-ctl 2\nOK\n"
out=$("$BIN/portholectl" -s "$FAKE" status 2>&1); rc=$?
check_eq "exit 2: a daemon speaking another protocol version" 2 "$rc"
check_match "... and it says so" "speaks porthole-ctl 2, this portholectl porthole-ctl 1" "$out"
fake "external_address=1.2.3.4\nOK\n"
out=$("$BIN/portholectl" -s "$FAKE" status 2>&1); rc=$?
check_eq "exit 2: a reply without the version line" 2 "$rc"
check_match "... and it says so" "speaks no known control protocol: external_address=1.2.3.4" "$out"
