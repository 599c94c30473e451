#!/usr/bin/env bash
# portholed's life cycle and portholectl, in the lab: config errors, the
# admin's commands, expiry from the event loop, root-only control socket.
. "$(dirname "$0")/../lib.sh"
lab_up

# --- a bad config: non-zero exit, file and line named, nothing installed ---
bad=$LAB_DIR/bad.conf
printf 'ext_ifname=wan0\nlan_ifname=br-lan\ncontrol_socket=%s\nallow 1-65535 192.168.77.0/24\n' \
	"$CTL_SOCK" >"$bad"
out=$(in_gw "$BIN/portholed" -d -f "$bad" 2>&1); rc=$?
check_not "bad config exits non-zero" test $rc -eq 0
check_match "bad config names file and line" "bad.conf:4: " "$out"
check_not "bad config installs nothing in the kernel" in_gw nft list table inet porthole
printf 'ext_ifname=wan0\nlan_ifname=br-lan\nmax_lifetime=x\n' >"$bad"
out=$(in_gw "$BIN/portholed" -n -f "$bad" 2>&1)
check_match "-n checks a config and reports the bad value" "bad.conf:3: 'x' is not a number" "$out"
printf 'ext_ifname=wan9\nlan_ifname=br-lan\ncontrol_socket=%s\n' "$CTL_SOCK" >"$bad"
out=$(in_gw "$BIN/portholed" -d -f "$bad" 2>&1); rc=$?
check_match "a missing WAN interface is named" "wan9 does not exist" "$out"
check_not "missing interface: nothing installed" in_gw nft list table inet porthole

# --- start, and the admin's view ---
check "portholed starts" ph_start
check "its own table exists" in_gw nft list table inet porthole
out=$(ph_ctl status)
check_match "status shows the external address" "external_address=$EXT_IP" "$out"
check "add a static mapping" ph_ctl add tcp 2525 $MAIL_IP 25 0 mail server smtp
out=$(ph_ctl list)
check_match "list shows it with owner and description" \
	"tcp +2525 +$MAIL_IP:25 +static +permanent .*mail server smtp" "$out"
check_not "the same port for another host is refused" ph_ctl add tcp 2525 $WS_IP 25
out=$(ph_ctl add tcp 2525 $WS_IP 25 2>&1)
check_match "refusal says why" "held by another host" "$out"
check_not "a bad protocol is refused" ph_ctl add icmp 1 $MAIL_IP 1
check_not "a bad address is refused" ph_ctl add tcp 1 300.1.1.1 1
check_not "port 0 is refused" ph_ctl add tcp 0 $MAIL_IP 1
check_not "an unknown command is refused" ph_ctl frobnicate
check_not "deleting a missing mapping is an error" ph_ctl del udp 2525
check_fails "portholectl: a usage error exits 2" 2 ph_ctl
check_fails "portholectl: a bad option exits 2" 2 ph_ctl -x list
check_fails "portholectl: no daemon at the socket exits 2" 2 \
	in_gw "$BIN/portholectl" -s "$LAB_DIR/absent.sock" list
check "delete" ph_ctl del tcp 2525
out=$(ph_ctl list)
check_not "deleted mapping is gone from the list" grep -q 2525 <<<"$out"

# --- expiry: out of the table and the kernel, and traffic stops, when the
# lifetime ends (not before; at most 2 s late on a loaded machine) ---
serve_tcp "$NS_MAIL" 25
t0=$(now_ms)
check "add a 2-second mapping" ph_ctl add udp 6000 $MAIL_IP 6000 2 short
check "add a 2-second TCP mapping" ph_ctl add tcp 6001 $MAIL_IP 25 2 short
check_match "kernel has it" "6000" "$(in_gw nft list table inet porthole)"
check_eq "the WAN reaches mail through the 2-second mapping" "$WAN_IP" "$(probe_tcp "$NS_WAN" $EXT_IP 6001)"
expired() { ! ph_ctl list | grep -q ' 6001 '; }
wait_until 60 expired
t1=$(now_ms)
check "the lease ended after 2 s, not before, at most 2 s late ($((t1 - t0)) ms)" \
	test $((t1 - t0)) -ge 1900 -a $((t1 - t0)) -le 4000
check_not "after expiry the WAN no longer gets through" probe_tcp "$NS_WAN" $EXT_IP 6001
check_absent "expired mapping left the list" 6000 ph_ctl list
check_absent "expired mapping left the kernel" 6000 in_gw nft list table inet porthole

# --- flush ---
for p in 7001 7002 7003; do ph_ctl add tcp $p $MAIL_IP $p >/dev/null; done
out=$(ph_ctl flush)
check_match "flush removes all" "3 removed" "$out"
check_eq "nothing left" "0" "$(ph_ctl list | tail -n +2 | wc -l)"

# --- the control socket is root's only ---
check_match "socket is owner-only (root)" "^srw[x-]------ 1 root" "$(ls -l "$CTL_SOCK")"
# (a copy any user can run: the checkout may be out of other users' reach, and
# then the shell's own "Permission denied" would pass for the socket's)
out=$(in_gw setpriv --reuid=65534 --regid=65534 --clear-groups "$(bin_for_others portholectl)" \
	-s "$CTL_SOCK" list 2>&1)
check_match "non-root portholectl is refused by the socket" \
	"^portholectl: $CTL_SOCK: permission denied \\(run as root\\)" "$out"
ph_stop

# --- -N: a dry run on the null backend answers and lists, and changes no kernel state ---
conf=$(ph_config)
ip netns exec "$NS_GW" "$BIN/portholed" -d -N -f "$conf" >"$LAB_DIR/dryrun.log" 2>&1 &
PH_PID=$!
LAB_PIDS+=("$PH_PID")
check "-N: portholed starts" wait_until 100 ph_ctl list
serve_tcp "$NS_MAIL" 2600
out=$(in_mail natpmpc -g $GW_LAN_IP -a 2600 2600 tcp 600 2>&1)
check_match "-N: a NAT-PMP mapping is granted" "Mapped public port 2600 protocol TCP" "$out"
check_match "-N: ... and listed" "tcp +2600 +$MAIL_IP:2600 +natpmp" "$(ph_ctl list)"
check_match "-N: the log says it is a dry run" "dry run \(-N\), nothing is put into the kernel" \
	"$(cat "$LAB_DIR/dryrun.log")"
check_not "-N: no nftables table" in_gw nft list table inet porthole
check_not "-N: the WAN does not reach the mail server" probe_tcp "$NS_WAN" $EXT_IP 2600
ph_stop
check "without -N: portholed starts" ph_start "$conf"
in_mail natpmpc -g $GW_LAN_IP -a 2600 2600 tcp 600 >/dev/null 2>&1
check "without -N: the table is there" in_gw nft list table inet porthole
check_eq "without -N: the same mapping reaches the mail server" "$WAN_IP" \
	"$(probe_tcp "$NS_WAN" $EXT_IP 2600 | cut -d: -f1)"
ph_stop
