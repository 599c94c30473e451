#!/usr/bin/env bash
# Privilege separation (user=): two processes, what each may do, mappings
# end to end, kill -9 of either losing nothing, and a child that sends what
# a compromised one would (the PORTHOLED_PRIVSEP_TEST hook): mappings the
# parent refuses on its own, and malformed messages that stop both; then
# IPv6 pinholes over the split, with real TCP through one.
. "$(dirname "$0")/../lib.sh"
# The child's user; a system user made for the lab when the machine has none.
if ! id porthole >/dev/null 2>&1; then
	useradd --system --no-create-home --shell /usr/sbin/nologin porthole || exit 1
fi
lab_up
serve_tcp "$NS_MAIL" 25
# The child reaches its lease directory (and the configuration, on SIGHUP)
# through the lab's directory.
chmod 711 "$LAB_DIR"
state=$LAB_DIR/state
mkdir "$state"
chown porthole: "$state"

status_field() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }
child_of() { pgrep -P "$1" -x portholed | head -1; }
# nf_sockets PID: the inodes of its NETLINK_NETFILTER (12) sockets.
nf_sockets() {
	comm -12 <(ls -l "/proc/$1/fd" | sed -n 's/.*socket:\[\([0-9]*\)\]$/\1/p' | sort) \
		<(awk '$2 == 12 { print $10 }' "/proc/$1/net/netlink" | sort)
}

# --- a start refused with a clear error: no such user; a lease directory
# the child would not own ---
# (ph_config writes one file: each bad one is copied aside first)
bad=$LAB_DIR/bad.conf
cp "$(ph_config "user=nosuchuser-ph" "lease_file=$state/leases")" "$bad"
out=$(in_gw "$BIN/portholed" -n -f "$bad" 2>&1); rc=$?
check_eq "-n fails on user= naming no user" 1 "$rc"
check_match "... and says so" "error: user=nosuchuser-ph: user nosuchuser-ph does not exist" "$out"
out=$(ip netns exec "$NS_GW" "$BIN/portholed" -d -f "$bad" 2>&1)
check_match "user= naming no user: the start fails and says how to fix it" \
	"user nosuchuser-ph does not exist: create it \(useradd --system" "$out"
cp "$(ph_config "user=porthole" "lease_file=$LAB_DIR/leases")" "$bad"
out=$(ip netns exec "$NS_GW" "$BIN/portholed" -d -f "$bad" 2>&1)
check_match "a lease directory the child does not own: the start fails and says so" \
	"must be a directory owned by user porthole" "$out"
check_not "... and nothing was put into the kernel" in_gw nft list table inet porthole
check_match "-n says the same" "error: user=porthole: lease file directory $LAB_DIR must be" \
	"$(in_gw "$BIN/portholed" -n -f "$bad" 2>&1)"
# A start the child cannot finish (after the fork) fails the daemon too.
cp "$(ph_config "user=porthole" "lease_file=$state/leases")" "$bad"
sed -i "s|^control_socket=.*|control_socket=$LAB_DIR/no/such/dir/s.sock|" "$bad"
out=$(in_gw timeout 20 "$BIN/portholed" -d -f "$bad" 2>&1); rc=$?
check_eq "the child cannot open the control socket: the daemon exits with status 1" 1 "$rc"
check_match "... saying why" "cannot open control socket" "$out"
check_not "... and leaves no table behind" in_gw nft list table inet porthole
out=$(in_gw timeout 20 "$BIN/portholed" -f "$bad" 2>&1); rc=$?
check_eq "... also without -d: the start command waits for the child and returns 1" 1 "$rc"

# --- two processes, each with only what it needs ---
conf=$(ph_config "user=porthole" "lease_file=$state/leases")
check_match "the control: -n passes with the user's own lease directory" "configuration OK" \
	"$(in_gw "$BIN/portholed" -n -f "$conf" 2>&1)"
ph_start "$conf"
parent=$PH_PID
child=$(child_of "$parent")
check "a child process runs beside the parent (pid ${child:-none})" test -n "$child"
LAB_PIDS+=(${child:-})
check_eq "the parent is root" 0 "$(status_field "$parent" Uid | cut -f1)"
# CAP_NET_ADMIN (bit 12) and CAP_KILL (bit 5): 0x1020.
check_eq "the parent keeps CAP_NET_ADMIN and CAP_KILL only" 0000000000001020 \
	"$(status_field "$parent" CapEff)"
check_eq "the child runs as user porthole" "$(id -u porthole)" \
	"$(status_field "${child:-0}" Uid | cut -f1)"
check_eq "the child has no effective capabilities" 0000000000000000 \
	"$(status_field "${child:-0}" CapEff)"
check_eq "... none permitted" 0000000000000000 "$(status_field "${child:-0}" CapPrm)"
check_eq "... and an empty bounding set" 0000000000000000 "$(status_field "${child:-0}" CapBnd)"
check_eq "... no inheritable ones" 0000000000000000 "$(status_field "${child:-0}" CapInh)"
check_eq "... and no ambient ones" 0000000000000000 "$(status_field "${child:-0}" CapAmb)"
check_eq "the child has no_new_privs" 1 "$(status_field "${child:-0}" NoNewPrivs)"
check_eq "... and a seccomp filter (mode 2)" 2 "$(status_field "${child:-0}" Seccomp)"
check_eq "the control: the parent has none" 0 "$(status_field "$parent" Seccomp)"
check_eq "the parent has no_new_privs" 1 "$(status_field "$parent" NoNewPrivs)"
# Who holds which socket: the network listeners are the child's.
check_match "udp/5351 is the child's" "pid=$child," "$(in_gw ss -Hulnp 'sport = :5351')"
check_absent "the parent holds no network listener" "pid=$parent," in_gw ss -Htulnp
check_absent "the child holds no nftables (NETLINK_NETFILTER) socket" . nf_sockets "$child"
check_match "... the parent does (the control)" "[0-9]" "$(nf_sockets "$parent")"
mnt=$(awk '$5 == "/" { print $6 }' "/proc/$child/mountinfo")
check_match "the child's root is mounted read-only" "(^|,)ro(,|$)" "$mnt"
mnt=$(awk -v d="$state" '$5 == d { print $6 }' "/proc/$child/mountinfo")
check_match "... its lease directory read-write" "(^|,)rw(,|$)" "$mnt"
mnt=$(awk '$5 == "/" { print $6 }' "/proc/$parent/mountinfo")
check_match "the control: the parent's root is read-write" "(^|,)rw(,|$)" "$mnt"

# --- without -d: detached, the start command returns 0 once the child serves ---
ph_stop
out=$(in_gw timeout 20 "$BIN/portholed" -f "$conf" 2>&1); rc=$?
check_eq "without -d the start command returns 0" 0 "$rc"
check "... and the detached daemon already answers" ph_ctl status
dchild=$(in_gw ss -Hxlp src "$CTL_SOCK" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
dparent=$(status_field "${dchild:-0}" PPid)
check_eq "... its child runs as porthole" "$(id -u porthole)" "$(status_field "${dchild:-0}" Uid | cut -f1)"
check_eq "... under a root parent" 0 "$(status_field "${dparent:-0}" Uid | cut -f1)"
[ -n "$dparent" ] && kill -TERM "$dparent"
wait_until 50 bash -c "! kill -0 ${dparent:-0} 2>/dev/null"
check_not "... SIGTERM to the parent stops it and removes the table" in_gw nft list table inet porthole
ph_start "$conf"
parent=$PH_PID
child=$(child_of "$parent")
LAB_PIDS+=(${child:-})

# --- mappings end to end, through each protocol's parser in the child ---
# Under user= a client is answered when the child's checks pass; the parent
# puts the change into the kernel about 1 ms later (portholed(8)). A probe
# sent in that moment would meet no mapping, so each waits for the element.
mapped_in_kernel() { in_gw nft list map inet porthole fwd4 2>/dev/null | grep -qw "$1"; }
unmapped_in_kernel() { ! mapped_in_kernel "$1"; }
check "portholectl adds a mapping" ph_ctl add tcp 2525 $MAIL_IP 25 0 smtp
check "... in the kernel a moment later" wait_until 20 mapped_in_kernel 2525
check_eq "... the WAN host reaches the mail host through it" "$WAN_IP" \
	"$(probe_tcp "$NS_WAN" $EXT_IP 2525)"
serve_tcp "$NS_MAIL" 587
out=$(in_mail natpmpc -g $GW_LAN_IP -a 7587 587 tcp 600 2>&1)
check_match "NAT-PMP maps tcp 7587 -> mail:587" "Mapped public port 7587 " "$out"
check "... in the kernel a moment later" wait_until 20 mapped_in_kernel 7587
check_eq "... the WAN host reaches it" "$WAN_IP" "$(probe_tcp "$NS_WAN" $EXT_IP 7587)"
check_match "the counters come back through the parent" "2525 .*$MAIL_IP:25" "$(ph_ctl list)"
check "a mapping is removed" ph_ctl del tcp 7587
check "... gone from the kernel a moment later" wait_until 20 unmapped_in_kernel 7587
check_not "... and no longer carries traffic" probe_tcp "$NS_WAN" $EXT_IP 7587

# --- nft flush ruleset: the parent notices, the child re-sends its leases ---
in_gw nft flush ruleset
wait_until 50 bash -c "ip netns exec $NS_GW nft list map inet porthole fwd4 2>/dev/null | grep -q 2525"
check_match "after nft flush ruleset the table is rebuilt with the mapping" "2525" \
	"$(in_gw nft list map inet porthole fwd4 2>&1)"
check_eq "... which carries traffic again" "$WAN_IP" "$(probe_tcp "$NS_WAN" $EXT_IP 2525)"

# --- the WAN address changes: the parent hears it, the child follows ---
ext_is() { ph_ctl status | grep -q "external_address=$1\b"; }
check "the control: status names the first WAN address" ext_is $EXT_IP
in_gw ip addr del $EXT_IP/24 dev wan0
in_gw ip addr add 203.0.113.9/24 dev wan0
wait_until 50 ext_is 203.0.113.9
check_match "status follows the new WAN address" "external_address=203.0.113.9" "$(ph_ctl status)"
check_match "... the parent let it into the kernel" "203.0.113.9" \
	"$(in_gw nft list set inet porthole ext4 2>&1)"
check_eq "... and mappings work on it" "$WAN_IP" "$(probe_tcp "$NS_WAN" 203.0.113.9 2525)"
in_gw ip addr del 203.0.113.9/24 dev wan0
in_gw ip addr add $EXT_IP/24 dev wan0
wait_until 50 ext_is $EXT_IP
check "back to the first address" ext_is $EXT_IP

# --- kill -9 of the child, then of the parent: no mapping lost ---
kill -9 "$child"
wait "$parent" 2>/dev/null
rc=$?
check_eq "kill -9 of the child: the parent exits with status 1" 1 "$rc"
check_match "... saying the table is kept" "the child exited unexpectedly; table inet porthole kept" \
	"$(cat "$LAB_DIR/portholed.log")"
check_eq "... the mapping still carries traffic while nothing runs" "$WAN_IP" \
	"$(probe_tcp "$NS_WAN" $EXT_IP 2525)"
PH_PID=
ph_start "$conf"
check_match "after the restart the lease is back (lease file)" "tcp +2525 +$MAIL_IP:25 +static" \
	"$(ph_ctl list)"
check_eq "the lease files are the child's, never created as root" "porthole" \
	"$(stat -c %U "$state"/leases* | sort -u | paste -sd,)"
check_eq "... and carries traffic" "$WAN_IP" "$(probe_tcp "$NS_WAN" $EXT_IP 2525)"
parent=$PH_PID
child=$(child_of "$parent")
kill -9 "$parent"
wait "$parent" 2>/dev/null
wait_until 50 bash -c "! kill -0 $child 2>/dev/null"
check_not "kill -9 of the parent: the child is gone too" kill -0 "$child"
PH_PID=
ph_start "$conf"
check_match "after the restart the lease is back" "tcp +2525 +$MAIL_IP:25 +static" "$(ph_ctl list)"
check_eq "... and carries traffic" "$WAN_IP" "$(probe_tcp "$NS_WAN" $EXT_IP 2525)"
ph_stop
check_not "a clean stop (SIGTERM to the parent) removes the table" in_gw nft list table inet porthole
check_not "... and leaves no process behind" pgrep -P "$parent"

# --- a compromised child: mappings the parent refuses on its own ---
# Adds are not waited for (privsep_proto.h): the parent answers only a
# refusal, which the child logs with the number of the message it sent.
: >"$LAB_DIR/portholed.log"
PORTHOLED_PRIVSEP_TEST=dnat ph_start "$conf"
wait_until 50 grep -q "refused mapping tcp 2222 -> 127.0.0.1:22" "$LAB_DIR/portholed.log"
log=$(cat "$LAB_DIR/portholed.log")
for what in "$GW_LAN_IP (the gateway's own address)" \
	"192.168.77.0 (the LAN's network address)" \
	"192.168.77.255 (the LAN's broadcast address)" \
	"198.51.100.7 (outside every LAN)" "127.0.0.1 (loopback)"; do
	addr=${what%% *}
	seq=$(sed -n "s/.*privsep test: mapping tcp 2222 -> $addr:22 .* sent as message \([0-9]*\)$/\1/p" <<<"$log")
	check_match "a DNAT to $what: refused by the parent" \
		"the parent refused mapping tcp 2222 -> $addr:22 \(message ${seq:-none}\): Operation not permitted; no such lease" "$log"
done
check_match "... and the parent logs each refusal" \
	"privsep: refused mapping tcp 2222 -> $GW_LAN_IP:22: not a LAN host" "$log"
check_eq "... one line for each of the five" 5 "$(grep -c 'privsep: refused mapping tcp 2222' <<<"$log")"
check_absent "none of them reached the kernel" "2222" in_gw nft list table inet porthole
check "the parent still serves: a good mapping after the refusals" \
	ph_ctl add tcp 2527 $MAIL_IP 25
check "... in the kernel a moment later" wait_until 20 mapped_in_kernel 2527
check_eq "... carries traffic" "$WAN_IP" "$(probe_tcp "$NS_WAN" $EXT_IP 2527)"

# --- an add the kernel refuses after the child granted it: the lease goes ---
# The parent is stopped, so the add waits in the socket while our table is
# removed; the parent then meets the add first (it rebuilds the table only
# after 50 ms of quiet) and the kernel refuses it (ENOENT).
parent=$PH_PID
kill -STOP "$parent"
check "with the parent stopped, the child still answers an add (it does not wait)" \
	ph_ctl add tcp 2530 $MAIL_IP 25
in_gw nft delete table inet porthole
kill -CONT "$parent"
wait_until 50 grep -q "refused mapping tcp 2530" "$LAB_DIR/portholed.log"
check_match "the kernel refuses the add: the child logs it and drops the lease" \
	"the parent refused mapping tcp 2530 -> $MAIL_IP:25 \(message [0-9]+\): No such file or directory; the lease is dropped" \
	"$(cat "$LAB_DIR/portholed.log")"
wait_until 50 bash -c "ip netns exec $NS_GW nft list map inet porthole fwd4 2>/dev/null | grep -q 2527"
check_absent "... it is gone from the lease table" " 2530 " ph_ctl list
check_match "the control: the table is rebuilt with the other leases" "2527" \
	"$(in_gw nft list map inet porthole fwd4 2>&1)"
check_absent "... but not the dropped one" "2530" in_gw nft list map inet porthole fwd4
check "the same add again" ph_ctl add tcp 2530 $MAIL_IP 25
check "... in the kernel a moment later" wait_until 20 mapped_in_kernel 2530
check_eq "... now carries traffic" "$WAN_IP" "$(probe_tcp "$NS_WAN" $EXT_IP 2530)"

# --- a burst: the child holds its changes a moment, the parent makes one
# nftables batch of what it reads at once ---
# in_kernel FIRST COUNT: how many of tcp FIRST.. are elements of fwd4.
in_kernel() {
	in_gw nft list map inet porthole fwd4 | grep -oE "tcp \. [0-9]+ :" |
		awk -v f="$1" -v n="$2" '$3 >= f && $3 < f + n' | wc -l
}
all_in_kernel() { [ "$(in_kernel "$1" "$2")" -ge "$2" ]; }
parent=$PH_PID
# The parent's netlink sends, traced: a batch begins with type 0x10.
strace -e trace=sendto -o "$LAB_DIR/parent.strace" -p "$parent" 2>/dev/null &
tracer=$!
wait_until 50 grep -q 'TracerPid:.*[1-9]' "/proc/$parent/status"
check_eq "a burst of 60 NAT-PMP requests sent at once: every one answered, none resent" \
	"answered=60 ok=60" "$(natpmp_at_once "$NS_MAIL" 30001 60)"
wait_until 50 all_in_kernel 30001 60
kill "$tracer"
wait "$tracer" 2>/dev/null
check_eq "... all 60 mappings are in the kernel" 60 "$(in_kernel 30001 60)"
batches=$(grep -c 'nlmsg_type=0x10 ' "$LAB_DIR/parent.strace")
check "... in fewer nftables batches than half the mappings (${batches:-?} batches)" \
	test "${batches:-0}" -ge 1 -a "${batches:-99}" -le 30

# A refusal in the middle of a batch takes back that lease alone: with the
# parent stopped, 5 adds, one with a remote-host filter (map fwd4r), 5 more;
# then fwd4r (and the rules using it) is removed by hand, so the kernel
# refuses that one element. The parent reads all 11 at once.
serve_tcp "$NS_MAIL" 31001
kill -STOP "$parent"
check_eq "with the parent stopped, five adds are answered" "answered=5 ok=5" \
	"$(natpmp_at_once "$NS_MAIL" 31001 5)"
check_match "... a PCP MAP with a filter (remote host) too" "result_name=SUCCESS" \
	"$(in_mail "$BIN/tests/pcptest" -i 31500 -e 31500 -F $WAN_IP/128 -l 600 $GW_LAN_IP)"
check_eq "... and five more" "answered=5 ok=5" "$(natpmp_at_once "$NS_MAIL" 31006 5)"
in_gw nft -a list table inet porthole | awk '/^\tchain /{ c = $2 } /@fwd4r #/{ print c, $NF }' |
	while read -r chain handle; do in_gw nft delete rule inet porthole "$chain" handle "$handle"; done
in_gw nft delete map inet porthole fwd4r
check_not "the control: map fwd4r is gone" in_gw nft list map inet porthole fwd4r
kill -CONT "$parent"
wait_until 50 grep -q "refused mapping tcp 31500" "$LAB_DIR/portholed.log"
check_match "the kernel refuses the filtered add: the child drops that lease" \
	"the parent refused mapping tcp 31500 -> $MAIL_IP:31500 \(message [0-9]+\): No such file or directory; the lease is dropped" \
	"$(cat "$LAB_DIR/portholed.log")"
check_eq "... the only refusal" 1 "$(grep -c 'the parent refused mapping tcp 3' "$LAB_DIR/portholed.log")"
check_absent "... its lease is gone" " 31500 " ph_ctl list
check_eq "... the ten others of the batch are still leases" 10 \
	"$(ph_ctl list | grep -cE 'tcp +310(0[1-9]|10) ')"
wait_until 50 bash -c "ip netns exec $NS_GW nft list map inet porthole fwd4r >/dev/null 2>&1"
wait_until 50 all_in_kernel 31001 10
check_eq "... and in the kernel (the table rebuilt)" 10 "$(in_kernel 31001 10)"
check_eq "... carrying traffic" "$WAN_IP" "$(probe_tcp "$NS_WAN" $EXT_IP 31001)"
ph_stop

# run_to_end KIND: a start with the test hook KIND, expected to end by
# itself; its exit status in rc, a fresh log in portholed.log.
run_to_end() {
	: >"$LAB_DIR/portholed.log"
	PORTHOLED_PRIVSEP_TEST=$1 ip netns exec "$NS_GW" "$BIN/portholed" -d -f "$conf" \
		>>"$LAB_DIR/portholed.log" 2>&1 &
	pid=$!
	LAB_PIDS+=($pid)
	wait_until 100 bash -c "! kill -0 $pid 2>/dev/null"
	wait "$pid" 2>/dev/null
	rc=$?
}

# --- malformed messages: the parent stops, and takes the child with it ---
for kind in short len type seq; do
	run_to_end $kind
	check_eq "malformed message ($kind): the parent exits with status 1" 1 "$rc"
	check_match "... saying why" "privsep: malformed message from the child" \
		"$(cat "$LAB_DIR/portholed.log")"
	check_not "... and no portholed of this lab is left" pgrep -f "portholed -d -f $conf"
	check_match "... the lease file is intact: tcp 2525 is still in it" "tcp 2525 $MAIL_IP 25" \
		"$(cat "$state"/leases*)"
done

# --- the system call filter: a child that runs a program is killed ---
run_to_end exec
log=$(cat "$LAB_DIR/portholed.log")
check_match "the child reached its execve (the test hook ran)" "privsep test: exec" "$log"
check_eq "a child calling execve: the daemon exits with status 1" 1 "$rc"
check_match "... the parent logs that the filter killed the child" \
	"child killed by its system call filter \(SIGSYS\)" "$log"
check_absent "... and execve never returned to the child" "exec /bin/true" echo "$log"
check_not "... and no portholed of this lab is left" pgrep -f "portholed -d -f $conf"

ph_start "$conf"
check_match "the control: a normal start after them restores the lease" "tcp +2525 +$MAIL_IP:25" \
	"$(ph_ctl list)"
ph_stop

# --- IPv6 pinholes over the split: real TCP through one; the parent's own checks ---
lab_ipv6
serve_tcp6 "$NS_MAIL" 2626
conf6=$(ph_config "user=porthole" "lease_file=$state/leases" "allow 1024-65535 $LAN6_NET 1024-65535")
pcp6_map() {
	ip netns exec "$NS_MAIL" "$BIN/tests/pcptest" -k 3 -t 700 -i 2626 \
		-n 0a0b0c0d0e0f101112131415 -l "$1" $GW_LAN6
}
: >"$LAB_DIR/portholed.log"
PORTHOLED_PRIVSEP_TEST=pinhole ph_start "$conf6"
check_not "the control: without a pinhole the WAN host cannot reach [$MAIL6]:2626" \
	reach6 "$NS_WAN" $MAIL6 2626
check_match "PCP over IPv6 opens a pinhole under user=" "result_name=SUCCESS " "$(pcp6_map 600)"
check_match "... the parent put it into our table" "$MAIL6 . tcp . 2626" \
	"$(in_gw nft list set inet porthole pin6 2>&1)"
check "... and the WAN host reaches [$MAIL6]:2626 through it" reach6 "$NS_WAN" $MAIL6 2626
check_match "... its counters come back through the parent" "\[$MAIL6\]:2626 .* [1-9][0-9]* +[1-9][0-9]* " \
	"$(ph_ctl list)"
check_match "PCP lifetime 0 closes it" "result_name=SUCCESS " "$(pcp6_map 0)"
check_not "... the WAN host no longer reaches [$MAIL6]:2626" reach6 "$NS_WAN" $MAIL6 2626
log=$(cat "$LAB_DIR/portholed.log")
for what in "$GW_LAN6 (the gateway's own address)" "2001:db8:99::7 (outside every LAN prefix)" \
	"fe80::1 (link-local)" "::1 (loopback)"; do
	check_match "a pinhole to $what from the child: refused by the parent" \
		"privsep test: pinhole tcp \[${what%% *}\]:22 .*: the parent answered Operation not permitted" "$log"
done
check_eq "... the parent logs each refusal" 4 "$(grep -c 'privsep: refused pinhole tcp' <<<"$log")"
check_absent "... and none reached the kernel" " 22 " in_gw nft list set inet porthole pin6
ph_stop
