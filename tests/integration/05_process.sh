#!/usr/bin/env bash
# The daemon as a process, seen from outside: the capabilities it keeps and
# no_new_privs (/proc/PID/status), the systemd notify protocol
# (Type=notify: a datagram listener on NOTIFY_SOCKET), and daemon mode
# without -d: it detaches and its log lines reach syslog (a listener on
# /dev/log, bound there in a mount namespace of its own).
. "$(dirname "$0")/../lib.sh"
lab_up
serve_tcp "$NS_MAIL" 25

# status_field PID NAME: a field of /proc/PID/status.
status_field() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }
# ctl_pid: the pid of the process holding the control socket.
ctl_pid() { in_gw ss -Hxlp src "$CTL_SOCK" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2; }

# --- Type=notify: READY=1 once it serves, RELOADING=1/READY=1 around a
# SIGHUP, STOPPING=1 on the way out ---
socat -u UNIX-RECV:"$LAB_DIR/notify.sock" - >"$LAB_DIR/notify.txt" 2>/dev/null &
LAB_PIDS+=($!)
wait_until 30 test -S "$LAB_DIR/notify.sock"
conf=$(ph_config)
NOTIFY_SOCKET=$LAB_DIR/notify.sock ip netns exec "$NS_GW" "$BIN/portholed" -d -f "$conf" \
	>>"$LAB_DIR/portholed.log" 2>&1 &
PH_PID=$!
LAB_PIDS+=($PH_PID)
wait_until 50 grep -q 'READY=1' "$LAB_DIR/notify.txt"
check_eq "Type=notify: READY=1 arrives" "READY=1" "$(cat "$LAB_DIR/notify.txt")"
check "... when the daemon already serves: the control socket answers" ph_ctl status
check_match "... and NAT-PMP answers" "result=0 " "$(in_mail "$BIN/tests/pcptest" -x 0000 $GW_LAN_IP)"
kill -HUP "$PH_PID"
wait_until 50 grep -q 'RELOADING=1READY=1' "$LAB_DIR/notify.txt"
check_eq "Type=notify: SIGHUP says RELOADING=1, then READY=1" "READY=1RELOADING=1READY=1" \
	"$(cat "$LAB_DIR/notify.txt")"

# --- privileges: CAP_NET_ADMIN and CAP_NET_BIND_SERVICE, nothing else ---
# Bits 12 and 10: 0x1400.
check_eq "capabilities: effective set is NET_ADMIN + NET_BIND_SERVICE only" 0000000000001400 \
	"$(status_field "$PH_PID" CapEff)"
check_eq "capabilities: permitted set the same" 0000000000001400 "$(status_field "$PH_PID" CapPrm)"
check_eq "no_new_privs is set" 1 "$(status_field "$PH_PID" NoNewPrivs)"
root_caps=$(in_gw awk '$1 == "CapEff:" { print $2 }' /proc/self/status)
check "the control: a root process started the same way has those two and more ($root_caps)" \
	test $((16#$root_caps & 16#1400)) -eq $((16#1400)) -a $((16#$root_caps)) -ne $((16#1400))
check "with what it kept it still adds a mapping to the kernel" ph_ctl add tcp 2525 $MAIL_IP 25
check_eq "... which carries traffic" "$WAN_IP" "$(probe_tcp "$NS_WAN" $EXT_IP 2525)"
ph_stop
wait_until 30 grep -q 'STOPPING=1' "$LAB_DIR/notify.txt"
check_match "Type=notify: STOPPING=1 on SIGTERM" "READY=1STOPPING=1$" "$(cat "$LAB_DIR/notify.txt")"

# --- daemon mode (no -d): detached, logging to syslog ---
dev=$LAB_DIR/dev
mkdir "$dev"
socat -u UNIX-RECV:"$dev/log" - >"$LAB_DIR/syslog.txt" 2>/dev/null &
LAB_PIDS+=($!)
wait_until 30 test -S "$dev/log"
# In a mount namespace of its own, /dev is a directory holding the syslog
# listener's socket as "log" and the host's null, zero and random devices.
unshare --mount --propagation private sh -c '
	for n in null zero random urandom; do touch "$1/$n"; mount --bind "/dev/$n" "$1/$n"; done
	mount --rbind "$1" /dev
	exec ip netns exec "$2" "$3" -f "$4"' _ "$dev" "$NS_GW" "$BIN/portholed" "$conf" \
	>"$LAB_DIR/daemon.out" 2>&1
rc=$?
check_eq "without -d the start command returns 0 at once (the daemon detached)" 0 $rc
ctl_ok() { ph_ctl status >/dev/null 2>&1; }
wait_until 50 ctl_ok
pid=$(ctl_pid)
check "the detached daemon serves (pid ${pid:-none})" test -n "$pid"
[ -n "$pid" ] && LAB_PIDS+=($pid)
check_eq "... its parent is not the shell that started it" 1 \
	"$([ -n "$pid" ] && [ "$(status_field "$pid" PPid)" != $$ ] && echo 1)"
check_eq "... its standard input and output are /dev/null" "/dev/null /dev/null" \
	"$(readlink "/proc/${pid:-0}/fd/0") $(readlink "/proc/${pid:-0}/fd/1")"
check_eq "... and it wrote nothing to the terminal it was started from" "" "$(cat "$LAB_DIR/daemon.out")"
check_eq "... with the same capabilities as in the foreground" 0000000000001400 \
	"$(status_field "${pid:-0}" CapEff)"
ph_ctl add tcp 2526 $MAIL_IP 25 >/dev/null
wait_until 30 grep -q 'mapping added: static tcp 2526' "$LAB_DIR/syslog.txt"
log=$(tr '\0' '\n' <"$LAB_DIR/syslog.txt")
check_match "syslog: the start line, facility daemon, tagged portholed[PID]" \
	"<30>.*portholed\[$pid\]: portholed started" "$log"
check_match "syslog: a mapping change" "portholed\[$pid\]: mapping added: static tcp 2526 -> $MAIL_IP:25" "$log"
[ -n "$pid" ] && kill -TERM "$pid"
wait_until 50 grep -q 'shutting down' "$LAB_DIR/syslog.txt"
check_match "syslog: the stop line" "portholed\[$pid\]: signal 15: shutting down" \
	"$(tr '\0' '\n' <"$LAB_DIR/syslog.txt")"
