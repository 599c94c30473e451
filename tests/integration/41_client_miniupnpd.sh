#!/usr/bin/env bash
# libporthole and the porthole CLI against another gateway: miniupnpd from
# Debian (miniupnpd-nftables) in the lab's gateway namespace instead of
# portholed. Each protocol forced, the automatic order, a port held by
# another host, and the keeper through a miniupnpd restart.
. "$(dirname "$0")/../lib.sh"
MINIUPNPD=/usr/sbin/miniupnpd
if [ ! -x "$MINIUPNPD" ]; then
	trap lab_finish EXIT
	skip "every check against miniupnpd" "not installed: apt-get install miniupnpd-nftables (tests/deps.sh)"
	exit 0
fi
lab_up

# miniupnpd refuses to map anything while its WAN address is private or
# reserved, documentation ranges included ("Port forwarding is impossible").
# So this lab's WAN gets a routable-looking prefix (lab_public_wan).
X_EXT=192.0.3.1
X_WAN=192.0.3.2
lab_public_wan $X_EXT $X_WAN

miniupnpd_setup "$NS_GW" "$LAN_NET" secure_mode=no
mu_start() { miniupnpd_start; }
mu_stop() { kill -TERM "$MU_PID"; wait "$MU_PID" 2>/dev/null; }
rules() { in_gw nft list chain inet filter prerouting_miniupnpd; }

. "$(dirname "$0")/client_common.bash"
port0() { python3 -c "import json,sys; p=json.load(sys.stdin)['ports'][0]; print(eval(sys.argv[1]))" "$1"; }

check "miniupnpd starts in the gateway" mu_start
serve_tcp "$NS_MAIL" 25
serve_tcp "$NS_MAIL" 587

for proto in pcp natpmp upnp; do
	out=$(ph_mail -P $proto --port tcp/25 map 2>&1); rc=$?
	check_eq "miniupnpd, $proto: map exits 0" 0 $rc
	check_match "miniupnpd, $proto: map reports the external endpoint" \
		"tcp/25 -> $X_EXT:25 via $proto" "$out"
	check_match "miniupnpd, $proto: its DNAT rule points at the mail server" \
		"dport 25 dnat ip to $MAIL_IP:25" "$(rules)"
	check_eq "miniupnpd, $proto: the WAN host reaches the mail server" "$X_WAN" \
		"$(probe_tcp "$NS_WAN" $X_EXT 25)"
	js=$(ph_mail -P $proto status --json)
	check_eq "miniupnpd, $proto: status: mapped by $proto at $X_EXT:25" "mapped $proto $X_EXT 25" \
		"$(port0 'p["state"]+" "+p["method"]+" "+p["external_address"]+" "+str(p["external_port"])' <<<"$js")"
	# miniupnpd's rules match only "iif wan0": no hairpin, and status says so.
	check_eq "miniupnpd, $proto: status sees no hairpin, yet the service listening" \
		"refused True no hairpin" \
		"$(port0 'p["reachable"]+" "+str(p["listening"])+" "+("no hairpin" if "no hairpin" in p["advice"] else p["advice"])' <<<"$js")"
	out=$(ph_mail -P $proto unmap 2>&1); rc=$?
	check_eq "miniupnpd, $proto: unmap exits 0" 0 $rc
	check_absent "miniupnpd, $proto: its rule is gone" "dport 25 " rules
	check_not "miniupnpd, $proto: the WAN host no longer gets through" probe_tcp "$NS_WAN" $X_EXT 25
done

out=$(ph_mail -v --port tcp/25 --port tcp/587 map 2>&1); rc=$?
check_eq "miniupnpd, auto: exit 0" 0 $rc
check_match "miniupnpd, auto: PCP first" "speaks pcp" "$out"
check_eq "miniupnpd, auto: both ports" 2 "$(grep -c " -> $X_EXT:" <<<"$out")"
ph_mail unmap >/dev/null

# A port another host holds: named by UPnP (718), stated as taken by PCP.
check "the workstation takes tcp/25 through UPnP" in_ws upnpc -e ws -a $WS_IP 25 25 TCP 600
out=$(ph_mail -P upnp --port tcp/25 map 2>&1); rc=$?
check_eq "miniupnpd, upnp: a taken port: exit 1" 1 $rc
check_match "miniupnpd, upnp: names the holder" "held by $WS_IP" "$out"
out=$(ph_mail -P pcp --port tcp/25 map 2>&1); rc=$?
check_eq "miniupnpd, pcp: a taken port: exit 1" 1 $rc
check_match "miniupnpd, pcp: names the holder (looked up over UPnP)" "tcp/25: held by $WS_IP on the LAN" "$out"
check_match "miniupnpd: the workstation's mapping is untouched" "dnat ip to $WS_IP:25" "$(rules)"
out=$(ph_mail --port tcp/25 status)
check_match "status reports it taken" "tcp-25 +tcp/25 +taken" "$out"
in_ws upnpc -d 25 TCP >/dev/null 2>&1
rm -f "$PORTHOLE_STATE"

# The keeper through a miniupnpd restart (which drops its rules).
for proto in natpmp upnp; do
	ip netns exec "$NS_MAIL" "$BIN/porthole" -v -t 1000 -P $proto --port tcp/25 keep \
		--check-interval 1 >"$LAB_DIR/keep.log" 2>&1 &
	KEEP=$!
	LAB_PIDS+=($KEEP)
	for _ in $(seq 50); do rules | grep -q "dport 25 " && break; sleep 0.1; done
	check_match "keep ($proto) with miniupnpd: mapped" "dport 25 dnat ip to $MAIL_IP:25" "$(rules)"
	sleep 3		# past the epoch's resolution
	mu_stop
	# A router that reboots loses its ruleset; miniupnpd alone leaves it.
	in_gw nft flush chain inet filter prerouting_miniupnpd
	in_gw nft flush chain inet filter miniupnpd
	check "miniupnpd starts again" mu_start
	for _ in $(seq 100); do rules | grep -q "dport 25 " && break; sleep 0.1; done
	check_match "keep ($proto): mapped again after the restart" "dport 25 dnat ip to $MAIL_IP:25" "$(rules)"
	check_match "keep ($proto): logged it" "gateway restarted|announced itself|no longer has this mapping|mapped again" \
		"$(cat "$LAB_DIR/keep.log")"
	kill -TERM $KEEP; wait $KEEP
	check_absent "keep ($proto): removed on exit" "dport 25 " rules
done


# Debian's stock rules deny ports below 1024. miniupnpd then loops on a PCP
# or NAT-PMP request for port 25 (trying every other external port in turn)
# and answers nothing, to anyone, for minutes. The client maps what it can
# before, tries the other protocols for port 25, and names the port after
# which the gateway went silent.
mu_stop
in_gw nft flush chain inet filter prerouting_miniupnpd
sed -i "s|^allow 1-65535 $LAN_NET 1-65535|allow 1024-65535 $LAN_NET 1024-65535|" "$LAB_DIR/miniupnpd.conf"
check "miniupnpd starts with Debian's stock rules (below 1024 denied)" mu_start
serve_tcp "$NS_MAIL" 2525
rm -f "$PORTHOLE_STATE"
out=$(ph_mail -v --port tcp/2525 --port tcp/25 --port tcp/2526 map 2>&1); rc=$?
check_eq "stock rules: map exits 1 (some ports mapped), not 3" 1 $rc
check_match "the port before is mapped" "tcp/2525 -> $X_EXT:2525 via pcp" "$out"
check_match "its DNAT rule is there" "dport 2525 dnat ip to $MAIL_IP:2525" "$(rules)"
check_match "tcp/25: the other protocols were tried after PCP's silence" \
	"tcp/25: no answer over pcp for this port; trying the other protocols.*tcp/25: trying natpmp.*tcp/25: trying upnp" \
	"$(tr '\n' ' ' <<<"$out")"
check_match "the port after the silence is reported, not dropped" "tcp-2526 +tcp/2526 not mapped" "$out"
check_match "the cause is named: silent after tcp/25" \
	"the gateway went silent after the request for tcp/25: some routers \(miniupnpd\) hang" "$out"
check_match "the state file keeps what was mapped (unmap can remove it)" "map tcp-2525 tcp 2525 pcp " \
	"$(cat "$PORTHOLE_STATE")"
