#!/usr/bin/env bash
# make bench: the same workload against portholed and then miniupnpd
# (Debian's miniupnpd-nftables) in the test lab, one table of figures.
#
# Workload, for each daemon, from the mail server (one LAN host):
#   - fill to 100, 1,000, 10,000 mappings (NAT-PMP, TCP ports from 2000); at
#     each level time min(WINDOW, level) adds through NAT-PMP, PCP and UPnP
#     AddPortMapping (ports 40000+, removed again through the same protocol,
#     so every window starts at the level), REPS times, median kept;
#   - miniupnpd's cost per mapping grows with the mappings it holds, so past
#     MU_REAL mappings it is filled straight through nftables (bench_mufill.c)
#     instead of through its protocols, which would take a quarter of an hour;
#   - at 10,000: RSS; time to first packet through a new mapping and connect
#     time through the oldest and the newest one (bench_path); listing all
#     (GetGenericPortMappingEntry); restart restoring the leases from the
#     lease file; deleting all (UPnP DeletePortMapping);
#   - portholed only: the same windows at 60,000 mappings (TCP and UDP).
# Every timed run stops after CAP (miniupnpd's windows: MU_CAP) seconds and
# reports the rate it reached. Results, machine and method: RESULTS.md.
# make bench then runs pinholes.sh, the IPv6 pinholes of both daemons
# (BENCH_PINHOLES=0 skips it; the knobs it shares with this script apply).
#
# Knobs (environment): BENCH_LEVELS, BENCH_BIG (0 = skip), BENCH_WINDOW,
# BENCH_REPS / BENCH_MU_REPS, BENCH_CAP / BENCH_MU_CAP (seconds per timed
# window), BENCH_MU_REAL, BENCH_MU_DEL, BENCH_PH_LEASES=0,
# BENCH_ONLY=portholed|miniupnpd, BENCH_PIN=CPU.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

LEVELS=${BENCH_LEVELS:-"100 1000 10000"}
BIG=${BENCH_BIG:-60000}
WINDOW=${BENCH_WINDOW:-1000}
PH_REPS=${BENCH_REPS:-5}
MU_REPS=${BENCH_MU_REPS:-1}
CAP=${BENCH_CAP:-60}
MU_CAP=${BENCH_MU_CAP:-20}
MU_REAL=${BENCH_MU_REAL:-1000}
MU_DEL=${BENCH_MU_DEL:-10}
PATH_NEW=5
# BENCH_PH_LEASES=0: portholed without a lease file (no restart figure), to
# see what keeping the file costs per mapping.
PH_LEASES=${BENCH_PH_LEASES:-1}
[ "$PH_LEASES" = 0 ] && PH_LEASES=
ONLY=${BENCH_ONLY:-}
# BENCH_PIN=N: the daemon and the load generators share CPU N. On a machine
# that runs other work meanwhile, the daemon's CPU time per request then
# varies much less: the reply wakes the generator on the same CPU, not on
# another one that may be busy, and neither migrates. Compare figures only
# with others taken the same way.
PIN=${BENCH_PIN:-}
# BENCH_PH_USER=porthole: portholed as two processes (user=, see
# daemon/privsep.h), its lease file in a directory that user owns; CPU and
# RSS are then those of both.
PH_USER=${BENCH_PH_USER:-}
LIFE=86400
HTTP_PORT=49000
TCP_BASE=2000		# fill: TCP 2000..31999, then UDP 6000..35999 (skips 5350/5351)
UDP_BASE=6000
HALF=30000
# miniupnpd 2.3 refuses to forward when its external address is a reserved
# one (the lab's 203.0.113.1 is TEST-NET-3), so it is told another address to
# report. Its rules match on the WAN interface, not on that address, so WAN
# packets to 203.0.113.1 still take its mappings. The address is never set
# on an interface and nothing is sent to it.
MU_EXT_IP=${BENCH_MU_EXT_IP:-192.0.3.1}
BB=$BIN/bench
declare -A R		# R[daemon.metric] = figure

# --- the load generators ----------------------------------------------------

build_tools() {
	local src=$ROOT/tests/bench t
	local cflags="-std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -Wshadow
		-Wmissing-prototypes -Wstrict-prototypes -I$ROOT/common -I$ROOT/client -I$src"
	mkdir -p "$BB"
	for t in natpmp pcp upnp path mufill; do
		# shellcheck disable=SC2086
		cc $cflags -o "$BB/bench_$t" "$src/bench_$t.c" "$src/bench_util.c" \
			"$BIN/libporthole.a" -lnatpmp -lminiupnpc -lnftnl -lmnl || exit 1
	done
}

# field NAME LINE: the value of NAME=... in a generator's output line.
field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$2"; }

log() { printf '%s %s\n' "$(date +%T)" "$*" >&2; }

# --- the daemons ------------------------------------------------------------

DAEMON=
DPID=
COUNT=0			# mappings installed by the fill: ports TCP_BASE.. (then UDP)
PRELOADED=0		# of which put straight into miniupnpd's chains
ROOTURL=

ph_up() {
	DAEMON=portholed REPS=$PH_REPS WCAP=$CAP
	ROOTURL=http://$GW_LAN_IP:$HTTP_PORT/igd2.xml
	local dir=$LAB_DIR
	if [ -n "$PH_USER" ]; then
		dir=$LAB_DIR/phstate
		mkdir -p "$dir" && chown "$PH_USER": "$dir" && chmod 711 "$LAB_DIR" || exit 1
	fi
	PH_CONF=$(ph_config ${PH_LEASES:+"lease_file=$dir/ph.leases"} ${PH_USER:+"user=$PH_USER"} \
		"http_port=$HTTP_PORT" \
		"secure_mode=no" "rate_limit=0" "max_per_host=0" "max_lifetime=$LIFE")
	ph_start "$PH_CONF" || exit 1
	DPID=$PH_PID
	pin_daemon
}

# ph_start without its polling, so the start-up is timed by wait_ready alone.
ph_launch() {
	ip netns exec "$NS_GW" ${PIN:+taskset -c "$PIN"} "$BIN/portholed" -d -f "$PH_CONF" \
		>>"$LAB_DIR/portholed.log" 2>&1 &
	PH_PID=$! DPID=$!
	LAB_PIDS+=("$PH_PID")
}

ph_down() { ph_stop; DPID=; }

# miniupnpd's own table: the chains its nftables backend fills, a forward
# chain that lets replies and LAN traffic through (as on a router), and the
# same policy as portholed's: any LAN host, any port.
mu_table() {
	in_gw nft -f - <<NFT
table inet miniupnpd {
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		iifname "br-lan" accept
		jump miniupnpd
	}
	chain miniupnpd { }
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		jump prerouting_miniupnpd
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		jump postrouting_miniupnpd
	}
	chain prerouting_miniupnpd { }
	chain postrouting_miniupnpd { }
}
NFT
}

mu_config() {
	cat >"$LAB_DIR/miniupnpd.conf" <<CONF
ext_ifname=wan0
ext_ip=$MU_EXT_IP
listening_ip=br-lan
port=$HTTP_PORT
enable_natpmp=yes
enable_upnp=yes
secure_mode=no
system_uptime=no
lease_file=$LAB_DIR/mu.leases
upnp_table_name=miniupnpd
upnp_nat_table_name=miniupnpd
max_lifetime=$LIFE
allow 1-65535 $LAN_NET 1-65535
deny 0-65535 0.0.0.0/0 0-65535
CONF
}

# Started as a daemon (not -d): -d also turns on debug logging, a cost
# portholed does not pay in the same run. Its PID is found in the gateway's
# namespace, as it may restore leases before it writes its PID file.
mu_start() {
	local p
	DPID=
	# A PID file left by a killed miniupnpd makes the next one refuse to run.
	rm -f "$LAB_DIR/miniupnpd.pid"
	in_gw miniupnpd -f "$LAB_DIR/miniupnpd.conf" -P "$LAB_DIR/miniupnpd.pid" || exit 1
	for _ in $(seq 100); do
		for p in $(ip netns pids "$NS_GW"); do
			[ "$(cat "/proc/$p/comm" 2>/dev/null)" = miniupnpd ] && DPID=$p
		done
		[ -n "$DPID" ] && { pin_daemon; return 0; }
		sleep 0.02
	done
	echo "miniupnpd did not start" >&2
	exit 1
}

mu_up() {
	DAEMON=miniupnpd REPS=$MU_REPS WCAP=$MU_CAP
	ROOTURL=http://$GW_LAN_IP:$HTTP_PORT/rootDesc.xml
	mu_table
	mu_config
	mu_start
	[ "$(wait_ready 10)" != -1 ] || { echo "miniupnpd did not answer" >&2; exit 1; }
}

# It handles SIGTERM only in its main loop, not while restoring leases.
mu_down() {
	[ -n "$DPID" ] || return 0
	kill "$DPID" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.05; done
	[ "$(cat "/proc/$DPID/comm" 2>/dev/null)" = miniupnpd ] && kill -9 "$DPID"
	DPID=
}

mu_flush() {
	local c
	for c in prerouting_miniupnpd miniupnpd postrouting_miniupnpd; do
		in_gw nft flush chain inet miniupnpd $c
	done
}

# mu_preload FIRST N: N mappings straight into its chains (see bench_mufill.c).
mu_preload() {
	in_gw "$BB/bench_mufill" miniupnpd wan0 tcp "$1" "$2" $MAIL_IP >/dev/null || exit 1
}

# The preloaded mappings as lease-file lines, in the format miniupnpd writes
# (PROTO:EXT:CLIENT:INT:EXPIRES:DESC), so a restart has all of them to restore.
mu_lease_lines() {
	local exp=$(($(date +%s) + LIFE))
	seq "$1" $(($1 + $2 - 1)) | awk -v c=$MAIL_IP -v e=$exp \
		'{ printf "TCP:%d:%s:%d:%d:NAT-PMP %d tcp\n", $1, c, $1, e, $1 }'
}

# wait_ready MAXSEC [START]: seconds from START until NAT-PMP answers (-1: not).
wait_ready() {
	local out
	out=$(in_mail "$BB/bench_natpmp" $GW_LAN_IP wait "${2:-$(date +%s.%N)}" "$1")
	field ready_s "$out"
}

# The daemon's processes: itself and, split in two (BENCH_PH_USER), its child.
dpids() { echo "$DPID" $(pgrep -P "$DPID" -x portholed); }

# BENCH_PIN: every thread of the daemon's processes onto that CPU.
pin_daemon() {
	local p
	[ -n "$PIN" ] || return 0
	for p in $(dpids); do taskset -apc "$PIN" "$p" >/dev/null || exit 1; done
}

rss_kb() {
	local p sum=0 kb
	for p in $(dpids); do
		kb=$(awk "/^${1:-VmRSS}:/ { print \$2 }" "/proc/$p/status") && sum=$((sum + kb))
	done
	echo $sum
}

# CPU time the daemon has used, in ns, its own and the kernel's work in its
# system calls (the netlink commit, the lease file), summed over its threads.
cpu_ns() {
	local t ns sum=0
	for t in $(for p in $(dpids); do echo /proc/"$p"/task/*/schedstat; done); do
		read -r ns _ <"$t" 2>/dev/null && sum=$((sum + ns))
	done
	echo $sum
}

# Mappings the daemon holds, as its own tools (or the kernel) show them.
held() {
	if [ $DAEMON = portholed ]; then
		ph_ctl list | grep -c ' 192\.168\.77\.10:'
	else
		in_gw nft list chain inet miniupnpd prerouting_miniupnpd | grep -c dnat
	fi
}

# --- the workload -----------------------------------------------------------

# gen PROTOCOL ARGS...: run a load generator on the mail server.
gen() {
	local p=$1; shift
	case $p in
	natpmp|pcp) in_mail ${PIN:+taskset -c "$PIN"} "$BB/bench_$p" $GW_LAN_IP "$@" ;;
	upnp) in_mail ${PIN:+taskset -c "$PIN"} "$BB/bench_upnp" "$ROOTURL" "$@" ;;
	esac
}

# fill_to N: NAT-PMP adds until the fill holds N mappings (TCP, then UDP);
# miniupnpd beyond MU_REAL mappings is preloaded instead.
fill_to() {
	local target=$1 proto base n out
	if [ $DAEMON = miniupnpd ] && [ "$target" -gt "$MU_REAL" ]; then
		fill_to "$MU_REAL"
		n=$((target - COUNT))
		[ $n -gt 0 ] || return 0
		mu_preload $((TCP_BASE + COUNT)) $n
		log "$DAEMON: preloaded $n mappings (ports $((TCP_BASE + COUNT))..)"
		PRELOAD_FROM=${PRELOAD_FROM:-$COUNT}
		PRELOADED=$((PRELOADED + n)) COUNT=$target
		return 0
	fi
	while [ "$COUNT" -lt "$target" ]; do
		if [ "$COUNT" -lt $HALF ]; then
			proto=tcp base=$((TCP_BASE + COUNT))
			n=$(( (target < HALF ? target : HALF) - COUNT ))
		else
			proto=udp base=$((UDP_BASE + COUNT - HALF)) n=$((target - COUNT))
		fi
		out=$(gen natpmp add $proto $base $n $LIFE $((CAP * 5)))
		COUNT=$((COUNT + $(field ops "$out")))
		log "$DAEMON: fill $proto -> $COUNT mappings ($(field rate "$out")/s)"
		[ "$(field capped "$out")" = 1 ] && { log "$DAEMON: fill capped at $COUNT"; break; }
		[ "$(field ops "$out")" = 0 ] && break
	done
	wait_idle
	return 0
}

median() { sort -g | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : "-" }'; }

# wait_idle: until the daemon has used no CPU for 0.3 s (at most 5 min), so a
# slow daemon's backlog does not spill into the next measurement.
wait_idle() {
	local before after
	for _ in $(seq 1000); do
		before=$(awk '{ print $14 + $15 }' "/proc/$DPID/stat" 2>/dev/null) || return 0
		sleep 0.3
		after=$(awk '{ print $14 + $15 }' "/proc/$DPID/stat" 2>/dev/null) || return 0
		[ $((after - before)) -le 1 ] && return 0
	done
}

# window LEVEL PROTO SLOT: median add rate of REPS windows of min(WINDOW,
# LEVEL) adds, each capped at WCAP seconds and removed again, so each window
# starts at LEVEL mappings. Removal goes through the same protocol and is
# timed too; on miniupnpd only the first MU_DEL of a window are (its NAT-PMP
# removal is slower still than its adds), the rest go by UPnP, untimed.
window() {
	local level=$1 p=$2 base=$((40000 + $3 * 1000)) rates=() dels=() cpus=() out i n added timed c0
	n=$((WINDOW < level ? WINDOW : level))
	for ((i = 0; i < REPS; i++)); do
		c0=$(cpu_ns)
		out=$(gen "$p" add tcp $base $n $LIFE "$WCAP")
		rates+=("$(field rate "$out")")
		added=$(field ops "$out")
		[ "$(field fail "$out")" = 0 ] || log "$DAEMON: $p add at $level: $out"
		# After wait_idle, so work the daemon defers (the lease file) counts.
		wait_idle
		[ "${added:-0}" -gt 0 ] && cpus+=("$(awk "BEGIN{printf \"%.1f\", ($(cpu_ns) - $c0) / $added / 1000}")")
		timed=$added
		[ $DAEMON = miniupnpd ] && [ "$timed" -gt "$MU_DEL" ] && timed=$MU_DEL
		out=$(gen "$p" del tcp $base "$timed" "$WCAP")
		dels+=("$(field rate "$out")")
		[ "$(field fail "$out")" = 0 ] || log "$DAEMON: $p del at $level: $out"
		timed=$(field ops "$out")
		wait_idle
		if [ "$added" -gt "$timed" ]; then
			gen upnp del tcp $((base + timed)) $((added - timed)) 3600 >/dev/null
			wait_idle
		fi
	done
	R[$DAEMON.add_$p@$level]=$(printf '%s\n' "${rates[@]}" | median)
	R[$DAEMON.del_$p@$level]=$(printf '%s\n' "${dels[@]}" | median)
	R[$DAEMON.cpu_$p@$level]=$(printf '%s\n' "${cpus[@]}" | median)
	log "$DAEMON: $p at $level existing: adds ${rates[*]}/s (last: $added of $n)," \
		"CPU ${cpus[*]} us per add, removals ${dels[*]}/s"
}

measure_level() {
	local level=$1
	fill_to "$level"
	R[$DAEMON.level@$level]=$COUNT
	window "$level" natpmp 0
	window "$level" pcp 1
	window "$level" upnp 2
}

# The new mappings take the fill's next ports; the oldest is the fill's first.
measure_path() {
	local port=$((TCP_BASE + COUNT)) out f
	COUNT=$((COUNT + PATH_NEW))
	out=$("$BB/bench_path" "$NS_MAIL" "$NS_WAN" $GW_LAN_IP $EXT_IP $TCP_BASE $port $PATH_NEW 300)
	log "$DAEMON: path: $out"
	wait_idle
	for f in resp_ms ttfp_ms first_med_us new_med_us first_p90_us new_p90_us; do
		R[$DAEMON.$f]=$(field $f "$out")
	done
}

# Stop, and start again restoring every lease from the lease file, as after
# a reboot: the kernel has lost the rules (portholed removes its table on
# exit; miniupnpd's chains are flushed).
measure_restart() {
	local t0 n=$(held) ready
	if [ $DAEMON = portholed ]; then
		ph_down
		t0=$(date +%s.%N)
		ph_launch
	else
		mu_down
		mu_flush
		[ $PRELOADED -gt 0 ] && mu_lease_lines $((TCP_BASE + PRELOAD_FROM)) $PRELOADED \
			>>"$LAB_DIR/mu.leases"
		t0=$(date +%s.%N)
		mu_start
	fi
	ready=$(wait_ready "$CAP" "$t0")
	R[$DAEMON.restored]="$(held)/$n"
	if [ "$ready" = -1 ]; then
		R[$DAEMON.restart]=">$CAP"
		log "$DAEMON: not answering after $CAP s; restored ${R[$DAEMON.restored]} by then"
		# Back to the full table without the lease file, to go on.
		mu_down
		mu_flush
		rm -f "$LAB_DIR/mu.leases"
		mu_preload $TCP_BASE "$COUNT"
		mu_start
		wait_ready 10 >/dev/null
	else
		R[$DAEMON.restart]=$ready
		log "$DAEMON: restart: $ready s, restored ${R[$DAEMON.restored]}"
	fi
}

# At the top level: memory, the packet path, listing, restart, deleting.
measure_full() {
	local out i rates=()
	R[$DAEMON.rss_full]=$(rss_kb)
	R[$DAEMON.rss_anon_full]=$(rss_kb RssAnon)
	measure_path
	for ((i = 0; i < REPS; i++)); do
		out=$(gen upnp list "$CAP")
		rates+=("$(field rate "$out")")
		wait_idle
	done
	log "$DAEMON: list: ${rates[*]}/s, last: $out"
	R[$DAEMON.list]=$(printf '%s\n' "${rates[@]}" | median)
	R[$DAEMON.list_n]="$(field ops "$out")/$COUNT"
	measure_restart
	out=$(gen upnp del tcp $TCP_BASE "$COUNT" "$CAP")
	log "$DAEMON: delete all: $out"
	R[$DAEMON.delall]=$(field rate "$out")
	R[$DAEMON.delall_n]="$(field ops "$out")/$COUNT"
	# What the time cap left is not timed.
	[ $DAEMON = portholed ] && ph_ctl flush >/dev/null
	COUNT=0
}

run_daemon() {
	COUNT=0 PRELOADED=0 PRELOAD_FROM=
	"$1_up"
	R[$DAEMON.rss_idle]=$(rss_kb)
	for l in $LEVELS; do measure_level "$l"; done
	measure_full
	if [ $DAEMON = portholed ] && [ "$BIG" -gt 0 ]; then
		measure_level "$BIG"
		R[$DAEMON.rss_big]=$(rss_kb)
		R[$DAEMON.rss_anon_big]=$(rss_kb RssAnon)
	fi
	"$1_down"
	log "$DAEMON: done"
	sanity
}

# The figures are only worth printing if the work was really done.
sanity() {
	local d=$DAEMON n
	n=${R[$d.list_n]#*/}
	check_eq "$d: listing returned every mapping" "$n/$n" "${R[$d.list_n]}"
	check_match "$d: a first packet came through a new mapping" '^[0-9.]+$' "${R[$d.ttfp_ms]}"
	check_match "$d: connections through the oldest and newest mapping" '^[0-9.]+ [0-9.]+$' \
		"${R[$d.first_med_us]} ${R[$d.new_med_us]}"
	[ $d = portholed ] || return 0
	check_eq "$d: a restart restored every lease" "$n/$n" "${R[$d.restored]}"
	check_eq "$d: delete all removed every mapping" "$n/$n" "${R[$d.delall_n]}"
}

# --- the table --------------------------------------------------------------

# row LABEL KEY BETTER: BETTER is "high" (rates) or "low" (times, memory);
# the ratio says how many times better portholed does. A figure cut short by
# the time cap reads ">CAP", and the ratio then is a lower bound.
row() {
	local a=${R[portholed.$2]:--} b=${R[miniupnpd.$2]:--} ratio=- pre= x y
	x=$a y=${b#>}
	[ "$y" != "$b" ] && pre=">"
	if [[ $x =~ ^[0-9.]+$ && $y =~ ^[0-9.]+$ ]] && awk "BEGIN{exit !($x > 0 && $y > 0)}"; then
		case $3 in
		high) ratio=$pre$(awk "BEGIN{printf \"%.1fx\", $x / $y}") ;;
		low) ratio=$pre$(awk "BEGIN{printf \"%.1fx\", $y / $x}") ;;
		esac
	fi
	printf '| %-50s | %12s | %12s | %8s |\n' "$1" "$a" "$b" "$ratio"
}

# Cost per add at level HI over cost at the lowest level, for portholed:
# from the add rate (the client's wall clock: includes its own time and the
# scheduler's noise) and from the daemon's CPU time per add.
flat() {
	local p=$1 lo=${LEVELS%% *} hi=$2 a b c d
	a=${R[portholed.add_$p@$lo]:-} b=${R[portholed.add_$p@$hi]:-}
	c=${R[portholed.cpu_$p@$lo]:-} d=${R[portholed.cpu_$p@$hi]:-}
	[[ $a =~ ^[0-9.]+$ && $b =~ ^[0-9.]+$ ]] &&
		printf '| %-50s | %12s | %12s | %8s |\n' "portholed: time per $p add, $hi vs $lo" \
			"$(awk "BEGIN{printf \"%.2fx\", $a / $b}")" "" ""
	[[ $c =~ ^[0-9.]+$ && $d =~ ^[0-9.]+$ ]] &&
		printf '| %-50s | %12s | %12s | %8s |\n' "portholed: CPU per $p add, $hi vs $lo" \
			"$(awk "BEGIN{printf \"%.2fx\", $d / $c}")" "" ""
	return 0
}

dashes() { printf -- "-%.0s" $(seq "$1"); }

report() {
	local l p top=${LEVELS##* } name
	printf '\n| %-50s | %12s | %12s | %8s |\n' metric portholed miniupnpd ratio
	printf '|%s|%s|%s|%s|\n' "$(dashes 52)" "$(dashes 14)" "$(dashes 14)" "$(dashes 10)"
	for p in natpmp pcp upnp; do
		case $p in natpmp) name="NAT-PMP map";; pcp) name="PCP MAP";;
			upnp) name="UPnP AddPortMapping";; esac
		for l in $LEVELS $BIG; do
			[ "$l" = 0 ] && continue
			row "$name /s, $l existing" "add_$p@$l" high
		done
		for l in $LEVELS $BIG; do
			[ "$l" = 0 ] && continue
			row "  ... daemon CPU per add (us), $l existing" "cpu_$p@$l" low
		done
		row "$name removal /s, $top existing" "del_$p@$top" high
	done
	row "delete all (UPnP DeletePortMapping) /s" delall high
	row "  ... deleted / held" delall_n none
	row "list all (GetGenericPortMappingEntry) /s" list high
	row "  ... listed / held" list_n none
	row "first packet via a new mapping, $top held (ms)" ttfp_ms low
	row "  ... of which the NAT-PMP answer (ms)" resp_ms low
	row "TCP connect via oldest mapping, median (us)" first_med_us low
	row "TCP connect via newest mapping, median (us)" new_med_us low
	row "TCP connect via oldest mapping, p90 (us)" first_p90_us low
	row "TCP connect via newest mapping, p90 (us)" new_p90_us low
	row "RSS idle (kB)" rss_idle low
	row "RSS with $top mappings (kB)" rss_full low
	row "  ... of which anonymous (heap, not libraries)" rss_anon_full low
	if [ "$BIG" -gt 0 ]; then
		row "RSS with $BIG mappings (kB)" rss_big low
		row "  ... of which anonymous (heap, not libraries)" rss_anon_big low
	fi
	row "start-up restoring $top leases (s)" restart low
	row "  ... restored / held before" restored none
	for p in natpmp pcp upnp; do
		flat $p "$top"
		[ "$BIG" -gt 0 ] && flat $p "$BIG"
	done
	cat <<EOF

ratio: how many times better portholed does (rates: portholed/miniupnpd;
times and memory: miniupnpd/portholed); ">" when miniupnpd hit the time cap.
Adds: median of $PH_REPS (portholed) / $MU_REPS (miniupnpd) windows of
min($WINDOW, level) adds, each capped at $CAP s / $MU_CAP s; listing: median of
as many runs. miniupnpd above $MU_REAL mappings: preloaded into its chains
(bench_mufill.c). Method and caveats: tests/bench/RESULTS.md.
EOF
}

# The lab, and on its mail server the setting the load generators need: they
# open one TCP connection per SOAP call, tens of thousands a minute from one
# host, so connect() may reuse ports in TIME_WAIT; otherwise finding a free
# ephemeral port comes to cost more (in the client's kernel) than the call.
lab_setup() {
	lab_up
	set +e
	in_mail sysctl -qw net.ipv4.tcp_tw_reuse=1
}

lab_fresh() {
	lab_down
	mkdir -p "$LAB_DIR"
	LAB_PIDS=()
	lab_setup
}

main() {
	if [ "$ONLY" != portholed ] && ! command -v miniupnpd >/dev/null; then
		echo "miniupnpd is not installed (apt-get install miniupnpd-nftables):" \
			"portholed only" >&2
		ONLY=portholed
	fi
	build_tools
	lab_setup
	[ "$ONLY" = miniupnpd ] || run_daemon ph
	# A fresh lab for the second daemon: portholed's tens of thousands of
	# HTTP exchanges leave TIME_WAIT sockets in the gateway for a minute,
	# and miniupnpd reads the whole TCP socket table for every mapping.
	if [ "$ONLY" != portholed ]; then
		[ "$ONLY" = miniupnpd ] || lab_fresh
		run_daemon mu
	fi
	report
}

# Sourced (to try one piece by hand), it only defines the functions.
[[ ${BASH_SOURCE[0]} != "$0" ]] || main
