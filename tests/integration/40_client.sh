#!/usr/bin/env bash
# libporthole and the porthole CLI against portholed, in the lab: each
# protocol forced in turn, the automatic order (and its fall-backs), the
# mail profile end to end with the checkup, a custom profile, a port held by
# another host, the keeper through a gateway restart, and a dead gateway.
. "$(dirname "$0")/../lib.sh"
lab_up

. "$(dirname "$0")/client_common.bash"
MAIL_PORTS="25 587 465 110 995 143 993 80 443 8008 8443 8843"

check "portholed starts" ph_start
serve_tcp "$NS_MAIL" 25
# status tests from outside through a reflector on the WAN host (open means that).
gw_masquerade
check "a reflector starts on the WAN host" reflector_start --rate 600
export PORTHOLE_REFLECTOR=$REFLECTOR_URL

# --- each protocol forced in turn (CONFORMANCE 6, 19, 43: map; 10, 22: delete) ---
for proto in pcp natpmp upnp; do
	out=$(ph_mail -P $proto --port tcp/25 map 2>&1); rc=$?
	check_eq "$proto: map exits 0" 0 $rc
	check_match "$proto: map reports the external endpoint" "tcp/25 -> $EXT_IP:25 via $proto" "$out"
	check_match "$proto: the gateway lists it for the mail server" \
		"tcp +25 +$MAIL_IP:25 +$proto" "$(ph_ctl list)"
	check_eq "$proto: WAN reaches the mail server" "$WAN_IP" "$(probe_tcp "$NS_WAN" $EXT_IP 25)"
	js=$(ph_mail -P $proto status --json); rc=$?
	check_eq "$proto: status exits 0 when open" 0 $rc
	check_eq "$proto: status json: mapped by $proto, reachable through the hairpin" \
		"mapped $proto open 25" \
		"$(json_get 'd["ports"][0]["state"]+" "+d["ports"][0]["method"]+" "+d["ports"][0]["reachable"]+" "+str(d["ports"][0]["external_port"])' <<<"$js")"
	if [ $proto = upnp ]; then
		# miniupnpc calls 203.0.113.0/24 reserved: used anyway, like upnpc -i, with a warning.
		check_match "upnp: status warns of the reserved external address" \
			"^warning: the router's UPnP IGD reports a reserved external address \($EXT_IP\)" \
			"$(ph_mail -P upnp status)"
	fi
	out=$(ph_mail -P $proto unmap 2>&1); rc=$?
	check_eq "$proto: unmap exits 0" 0 $rc
	check_absent "$proto: unmapped port left the gateway" "tcp  *25 " ph_ctl list
	check_not "$proto: WAN no longer reaches it" probe_tcp "$NS_WAN" $EXT_IP 25
done
out=$(probe_tcp "$NS_WAN" $EXT_IP 25)
check_eq "WAN probe fails after unmap" "" "$out"

# --- the automatic order: PCP first ---
out=$(ph_mail -v --port tcp/25 map 2>&1)
check_match "auto picks PCP first" "speaks pcp" "$out"
ph_mail unmap >/dev/null

# --- one port PCP does not answer (as miniupnpd, looping on a port its rules
# deny): the other protocols are asked for that port, and the other ports go on ---
ph_stop
conf=$(ph_config)
sed -i "/^allow/i deny 25 $LAN_NET 25" "$conf"
check "portholed restarts denying port 25" ph_start "$conf"
in_gw nft -f - <<'NFT'
table inet pcpsilent {
	chain in { type filter hook input priority -10; udp dport 5351 @th,64,8 2 @th,384,16 25 drop; }
}
NFT
out=$(ph_mail -v --port tcp/25 --port tcp/587 map 2>&1); rc=$?
check_eq "PCP silent for one port: map exits 1 (that port refused), not 3" 1 $rc
check_match "the other port is mapped, by PCP" "tcp/587 -> $EXT_IP:587 via pcp" "$out"
check_match "tcp/25: the next protocol was tried (NAT-PMP answered)" \
	"tcp/25: no answer over pcp for this port; trying the other protocols.*tcp/25: trying natpmp" \
	"$(tr '\n' ' ' <<<"$out")"
check_match "tcp/25: the reason given is the router's rules, not the silence" \
	"tcp-25 +tcp/25 not mapped: tcp/25: refused by the router's rules \(nobody holds port 25\)" "$out"
check_not "tcp/25 is not mapped" grep -q "tcp  *25 " <<<"$(ph_ctl list)"
ph_mail unmap >/dev/null
in_gw nft delete table inet pcpsilent
ph_stop
# IGD:1 has no 606: a refusal by the rules comes as 718, which names no holder.
conf=$(ph_config igd_version=1)
sed -i "/^allow/i deny 25 $LAN_NET 25" "$conf"
check "portholed restarts as IGD:1, denying port 25" ph_start "$conf"
out=$(ph_mail -P upnp --port tcp/25 map 2>&1); rc=$?
check_eq "IGD:1, port 25 denied by the rules: exit 1" 1 $rc
check_match "IGD:1 718 with nobody holding the port: refused by the router's rules" \
	"tcp/25: refused by the router's rules \(nobody holds port 25\)" "$out"
check_not "(not blamed on another host)" grep -q "held by\|another host" <<<"$out"
ph_stop
check "portholed restarts" ph_start

# --- a gateway without PCP: NAT-PMP; without both: UPnP ---
ph_stop
check "portholed restarts without PCP" ph_start "$(ph_config enable_pcp=no)"
out=$(ph_mail -v --port tcp/25 map 2>&1)
check_match "no PCP: auto falls back to NAT-PMP" "via natpmp" "$out"
ph_mail unmap >/dev/null
ph_stop
check "portholed restarts with UPnP only" ph_start "$(ph_config enable_pcp=no enable_natpmp=no)"
out=$(ph_mail -v --port tcp/25 map 2>&1)
check_match "UPnP only: auto falls back to UPnP" "via upnp" "$out"
out=$(ph_mail -P pcp --port tcp/26 map 2>&1); rc=$?
check_eq "forcing an absent protocol fails (exit 3)" 3 $rc
check_match "and says what to do" "does not offer PCP: try --protocol auto" "$out"
ph_mail unmap >/dev/null
ph_stop
# Windows-era clients only know IGD:1 (CONFORMANCE 41); libporthole takes either.
check "portholed restarts as an IGDv1 device" ph_start "$(ph_config igd_version=1)"
out=$(ph_mail -P upnp --port tcp/25 map 2>&1); rc=$?
check_eq "IGDv1: map exits 0" 0 $rc
check_match "IGDv1: mapped by UPnP" "tcp/25 -> $EXT_IP:25 via upnp" "$out"
check_match "IGDv1: the gateway lists it" "tcp +25 +$MAIL_IP:25 +upnp" "$(ph_ctl list)"
check "IGDv1: unmap" ph_mail unmap
ph_stop
check "portholed restarts (all protocols)" ph_start

# --- the mail profile end to end: 12 ports, RDP off unless asked for ---
for p in $MAIL_PORTS; do [ "$p" = 25 ] || serve_tcp "$NS_MAIL" "$p"; done
out=$(ph_mail map 2>&1); rc=$?
check_eq "mail profile: map exits 0" 0 $rc
check_eq "mail profile: 12 ports mapped" 12 "$(grep -c " -> $EXT_IP:" <<<"$out")"
check_absent "mail profile: RDP is off by default" 3389 ph_ctl list
out=$(ph_mail status); rc=$?
check_eq "status: exit 0 when every port is open" 0 $rc
check_match "status table: verdict open" "^verdict: open: all 12 ports open from outside at $EXT_IP" "$out"
check_eq "status table: 12 rows mapped and open" 12 "$(grep -cE ' mapped +pcp +203\.0\.113\.1:[0-9]+ .* open \(' <<<"$out")"
js=$(ph_mail status --json)
check_eq "status json: the documented fields" \
	"version gateway method external_address double_nat verdict summary warning public_address reflector_error local_address local_address_dynamic domain ports gateway6 method6 local_address6 public_address6" \
	"$(json_get '" ".join(d.keys())' <<<"$js")"
check_eq "status json: per-port fields" \
	"name protocol port state method external_address external_port lease_left reachable connect_ms advice listening outside outside_ms greeting renewed family" \
	"$(json_get '" ".join(d["ports"][0].keys())' <<<"$js")"
check_eq "status json: verdict, gateway, external address" "open $GW_LAN_IP $EXT_IP False" \
	"$(json_get 'd["verdict"]+" "+d["gateway"]+" "+d["external_address"]+" "+str(d["double_nat"])' <<<"$js")"
for p in 25 993 8843; do
	check_eq "WAN reaches mail port $p" "$WAN_IP" "$(probe_tcp "$NS_WAN" $EXT_IP $p)"
	check_eq "workstation reaches mail port $p (hairpin, seen as $EXT_IP)" "$EXT_IP" \
		"$(probe_tcp "$NS_WS" $EXT_IP $p)"
done
out=$(ph_mail --enable rdp map 2>&1)
check_match "--enable rdp maps 3389 too" "rdp +tcp/3389 -> $EXT_IP:3389" "$out"
out=$(ph_mail status); rc=$?
check_eq "status: nothing listens on 3389: exit 1" 1 $rc
check_match "status: says what to do about it" "nothing listens on tcp/3389 on this host: start the service" "$out"
check_match "status: verdict partial" "^verdict: partial: 12 of 13 ports open" "$out"
check "unmap all" ph_mail unmap
check_eq "gateway has no mappings left" 0 "$(ph_ctl list | tail -n +2 | wc -l)"
out=$(ph_mail status); rc=$?
check_eq "status after unmap: exit 1" 1 $rc
check_match "status after unmap: not mapped, what to do" "not mapped: run .porthole map." "$out"

# --- a custom profile file ---
printf '# a small web profile\nweb tcp/80\nweb-tls tcp/443\ndns udp/53 optional\n' >"$LAB_DIR/web.profile"
out=$(ph_mail --profile "$LAB_DIR/web.profile" map 2>&1); rc=$?
check_eq "custom profile: exit 0" 0 $rc
check_match "custom profile: both required ports" "web-tls +tcp/443 -> $EXT_IP:443" "$out"
check_absent "custom profile: optional port left out" "udp +53" ph_ctl list
printf 'web tcp/80\nweb tcp/99999\n' >"$LAB_DIR/bad.profile"
out=$(ph_mail --profile "$LAB_DIR/bad.profile" map 2>&1); rc=$?
check_eq "bad profile: usage exit 2" 2 $rc
check_match "bad profile: file, line and the rule" "bad.profile: line 2: bad port 'tcp/99999'" "$out"
ph_mail unmap >/dev/null

# --- a port already held by another host ---
check "the workstation takes tcp/25 (NAT-PMP)" in_ws natpmpc -g $GW_LAN_IP -a 25 25 tcp 3600
out=$(ph_mail -P pcp --port tcp/25 --port tcp/587 map 2>&1); rc=$?
check_eq "PCP: a taken port makes map exit 1" 1 $rc
check_match "PCP: map names the host that holds it" "tcp/25: held by $WS_IP on the LAN" "$out"
check_match "PCP: the other port is mapped" "tcp/587 -> $EXT_IP:587" "$out"
check_absent "PCP: the stand-in port was given back" "$MAIL_IP:25 " ph_ctl list
out=$(ph_mail status); rc=$?
check_eq "status: exit 1 with a taken port" 1 $rc
check_match "status: the port is reported taken" "tcp-25 +tcp/25 +taken" "$out"
check_match "status: the holder is named (asked over UPnP, the table is one)" \
	"tcp-25 tcp/25: held by $WS_IP: free it there" "$out"
out=$(PORTHOLE_STATE=$LAB_DIR/none ph_mail --port tcp/25 --port tcp/587 status); rc=$?
check_eq "status without any state: exit 1" 1 $rc
check_match "status without any state: a port held by another host is found" \
	"tcp-25 +tcp/25 +taken" "$out"
check_match "status without any state: a free port is just not mapped" "tcp-587 +tcp/587 +not_mapped" "$out"
ph_mail unmap >/dev/null
out=$(ph_mail -P upnp --port tcp/25 map 2>&1); rc=$?
check_match "UPnP: the holder is named (718)" "held by $WS_IP" "$out"
js=$(ph_mail status --json)
check_eq "status json: taken, with advice naming the holder" "taken held by $WS_IP" \
	"$(json_get 'd["ports"][0]["state"]+" "+d["ports"][0]["advice"].split(":")[0]' <<<"$js")"
ph_ctl flush >/dev/null
rm -f "$PORTHOLE_STATE"

# --- a static mapping on the router holds the port (PCP offers another port) ---
check "the router's admin adds a static mapping of tcp/25 to the workstation" \
	ph_ctl add tcp 25 $WS_IP 25 0 oldmail
out=$(ph_mail -P pcp --port tcp/25 map 2>&1); rc=$?
check_eq "PCP against a static mapping: exit 1" 1 $rc
check_match "it is named as a static mapping, with its holder" \
	"tcp/25: held by $WS_IP \(a static mapping\): remove it on the router, or use it as it is" "$out"
check_not "(no advice to allow this host)" grep -q "allow this host" <<<"$out"
check_match "status says the same" "tcp-25 tcp/25: held by $WS_IP \(a static mapping\)" \
	"$(ph_mail status --port tcp/25)"
ph_ctl del tcp 25 >/dev/null
rm -f "$PORTHOLE_STATE"
# The static mapping is the mail server's own: PCP grants it without an end.
check "the router's admin maps tcp/25 statically to the mail server" \
	ph_ctl add tcp 25 $MAIL_IP 25 0 mail
out=$(ph_mail -P pcp --port tcp/25 map 2>&1); rc=$?
check_eq "PCP onto the host's own static mapping: exit 0" 0 $rc
check_match "status shows the lease as permanent, not as years" "tcp/25 .* permanent " \
	"$(ph_mail status --port tcp/25 | grep -v '^#')"
check_eq "status json: lease_left -1 (permanent)" "-1" \
	"$(ph_mail status --json --port tcp/25 | json_get 'd["ports"][0]["lease_left"]')"
ph_ctl del tcp 25 >/dev/null
rm -f "$PORTHOLE_STATE"

# --- the keeper: renews, and maps again after a gateway restart ---
# start_keeper ARGS...: `porthole ARGS` (a keep command) in the background on
# the mail server, logging to keep.log; its pid in KEEP.
start_keeper() {
	ip netns exec "$NS_MAIL" "$PH" -v -t 1000 "$@" >"$LAB_DIR/keep.log" 2>&1 &
	KEEP=$!
	LAB_PIDS+=($KEEP)
}
listed() { ph_ctl list | grep -q "$1"; }
status_says() { ph_ctl status | grep -q "$1"; }
for proto in auto upnp; do
	start_keeper -P $proto -l 120 --port tcp/25 keep --check-interval 1
	wait_until 50 listed "tcp  *25 "
	check_match "keep ($proto): maps at start" "tcp +25 +$MAIL_IP:25" "$(ph_ctl list)"
	ph_stop
	check "keep ($proto): gateway restarts (leases lost)" ph_start
	wait_until 100 listed "tcp  *25 "
	check_match "keep ($proto): mapped again after the restart" "tcp +25 +$MAIL_IP:25" "$(ph_ctl list)"
	check_match "keep ($proto): logged the restart" "gateway restarted|no longer has this mapping" \
		"$(cat "$LAB_DIR/keep.log")"
	kill -TERM $KEEP; wait $KEEP; rc=$?
	check_eq "keep ($proto): clean exit on SIGTERM" 0 $rc
	check_absent "keep ($proto): removed its mapping on exit" "tcp  *25 " ph_ctl list
done
# The gateway comes back speaking another protocol: the keeper follows.
start_keeper --port tcp/25 keep --check-interval 1
wait_until 50 listed "tcp  *25 .* pcp"
check_match "keep (auto): mapped by PCP" "tcp +25 +$MAIL_IP:25 +pcp" "$(ph_ctl list)"
ph_stop
check "gateway restarts without PCP" ph_start "$(ph_config enable_pcp=no)"
wait_until 100 listed "tcp  *25 "
check_match "keep (auto): mapped again, now by NAT-PMP" "tcp +25 +$MAIL_IP:25 +natpmp" "$(ph_ctl list)"
check_match "keep (auto): logged the new mapping by the new protocol" \
	"mapped again tcp/25 \(tcp-25\) -> $EXT_IP:25 via natpmp" \
	"$(cat "$LAB_DIR/keep.log")"
kill -TERM $KEEP; wait $KEEP
check_absent "keep (auto): removed on exit, by NAT-PMP" "tcp  *25 " ph_ctl list
rm -f "$PORTHOLE_STATE"

ph_stop
check "portholed restarts granting 2-second leases" ph_start "$(ph_config min_lifetime=1)"
start_keeper -l 2 --port tcp/25 keep --check-interval 30
wait_until 50 listed "tcp  *25 "
# Traffic decides: a WAN connection every half second for 5 s, each one
# through the 2 s lease the keeper renews; renewing at half the lifetime
# makes about four renewals in that time, renewing at the end at most two.
t0=$(now_ms)
lost=0 tries=0
while [ $tries -lt 10 ] && [ $(($(now_ms) - t0)) -lt 5000 ]; do
	tries=$((tries + 1))
	[ "$(probe_tcp "$NS_WAN" $EXT_IP 25)" = "$WAN_IP" ] || lost=$((lost + 1))
	sleep 0.5
done
check_eq "keep: a 2 s lease carried all $tries WAN connections over 5 s" 0 "$lost"
check_match "keep: a 2 s lease still stands after 5 s" "tcp +25 +$MAIL_IP:25" "$(ph_ctl list)"
renewals=$(grep -c "renewed tcp/25" "$LAB_DIR/keep.log")
check "keep: renewed it at about half its lifetime ($renewals times in 5 s)" test "$renewals" -ge 3
kill -TERM $KEEP; wait $KEEP

# --- a keeper takes over what `porthole map` made: same protocol, same PCP nonce ---
rm -f "$PORTHOLE_STATE"
ph_mail -P pcp --port tcp/25 map >/dev/null
nonce=$(awk '$1 == "map" {print $12}' "$PORTHOLE_STATE")
start_keeper --port tcp/25 keep --no-unmap
wait_until 30 grep -q "mapped tcp/25" "$LAB_DIR/keep.log"
check_match "keep after map: renews the same mapping by PCP" "mapped tcp/25 .* via pcp" "$(cat "$LAB_DIR/keep.log")"
check_not "keep after map: no NOT_AUTHORIZED (nonce kept)" grep -q NOT_AUTHORIZED "$LAB_DIR/keep.log"
check_eq "keep after map: the nonce in the state file is the same" "$nonce" \
	"$(awk '$1 == "map" {print $12}' "$PORTHOLE_STATE")"
kill -TERM $KEEP; wait $KEEP
check_match "keep --no-unmap: the mapping stays" "tcp +25 +$MAIL_IP:25 +pcp" "$(ph_ctl list)"
check "unmap afterwards, from the state the keeper left" ph_mail unmap
check_absent "and it is gone" "tcp  *25 " ph_ctl list

# --- the external address changes: the keeper follows; a shared address is double NAT ---
ph_stop
check "portholed restarts" ph_start
rm -f "$PORTHOLE_STATE"
# Keep the new address when the old one (same prefix) goes, as a DHCP renewal would.
in_gw sysctl -qw net.ipv4.conf.wan0.promote_secondaries=1
start_keeper --port tcp/25 keep --check-interval 1
wait_until 50 listed "tcp  *25 "
sleep 2
NEW_EXT=203.0.113.5
ip -n "$NS_GW" addr add $NEW_EXT/24 dev wan0
ip -n "$NS_GW" addr del $EXT_IP/24 dev wan0
wait_until 100 grep -q "external address changed" "$LAB_DIR/keep.log"
check_match "keep: logs the new external address" \
	"external address changed from $EXT_IP to $NEW_EXT: mapping again" "$(cat "$LAB_DIR/keep.log")"
check_match "keep: remapped at the new address" "mapped again tcp/25 .* -> $NEW_EXT:25" \
	"$(cat "$LAB_DIR/keep.log")"
# The keeper logs a new mapping before it rewrites the state file: wait for the file.
wait_until 50 grep -Eq "map tcp-25 tcp 25 [a-z]+ $MAIL_IP $NEW_EXT 25 " "$PORTHOLE_STATE" || true
check_match "keep: the state file follows" "map tcp-25 tcp 25 [a-z]+ $MAIL_IP $NEW_EXT 25 " \
	"$(cat "$PORTHOLE_STATE")"
check_eq "the WAN host reaches the mail server at the new address" "$WAN_IP" \
	"$(probe_tcp "$NS_WAN" $NEW_EXT 25)"
kill -TERM $KEEP; wait $KEEP
ph_mail --port tcp/25 map >/dev/null
ip -n "$NS_GW" addr add 100.64.0.1/10 dev wan0
ip -n "$NS_GW" addr del $NEW_EXT/24 dev wan0
wait_until 50 status_says "external_address=100.64.0.1"
js=$(ph_mail --port tcp/25 status --json)
check_eq "status json: a shared (100.64/10) external address is double NAT" "True 100.64.0.1" \
	"$(json_get 'str(d["double_nat"])+" "+d["external_address"]' <<<"$js")"
check_match "status: warns of the second NAT and says what to do" \
	"another NAT sits in front of it; ask the ISP for a public address" "$(ph_mail --port tcp/25 status)"
check_match "map: warns of the second NAT too" "100.64.0.1 is private or shared .* not reachable from the Internet" \
	"$(ph_mail --port tcp/26 map 2>&1)"
ph_mail unmap >/dev/null

# --- not root: the state file in the user's own directory, or nothing mapped ---
# as_nobody ENV...: run porthole as nobody on the mail host, without PORTHOLE_STATE.
PH_ANY=$(bin_for_others porthole)
mkdir -p "$LAB_DIR/home" "$LAB_DIR/xdg"
chown 65534:65534 "$LAB_DIR/home" "$LAB_DIR/xdg"
as_nobody() {
	ip netns exec "$NS_MAIL" setpriv --reuid=65534 --regid=65534 --clear-groups \
		env -u PORTHOLE_STATE -u XDG_STATE_HOME "$@"
}
out=$(as_nobody HOME="$LAB_DIR/home" "$PH_ANY" --port tcp/2526 map 2>&1); rc=$?
check_eq "not root: map exits 0" 0 $rc
check_match "not root: the state is in ~/.local/state/porthole/state" "map tcp-2526 tcp 2526 " \
	"$(cat "$LAB_DIR/home/.local/state/porthole/state" 2>&1)"
out=$(as_nobody HOME="$LAB_DIR/home" XDG_STATE_HOME="$LAB_DIR/xdg" "$PH_ANY" --port tcp/2527 map 2>&1); rc=$?
check_eq "not root, XDG_STATE_HOME set: map exits 0" 0 $rc
check_match "not root: the state is in \$XDG_STATE_HOME/porthole/state" "map tcp-2527 tcp 2527 " \
	"$(cat "$LAB_DIR/xdg/porthole/state" 2>&1)"
out=$(as_nobody HOME="$LAB_DIR/home" "$PH_ANY" --state /var/lib/porthole-test/state --port tcp/2528 map 2>&1); rc=$?
check_eq "a state file it cannot write: exit 4" 4 $rc
check_match "and says so, and that nothing was mapped" \
	"cannot write state file /var/lib/porthole-test/state: Permission denied: nothing mapped" "$out"
check_not "nothing was mapped on the router" grep -q "tcp  *2528 " <<<"$(ph_ctl list)"
check_match "(while the positive controls are there)" "tcp +2527 +$MAIL_IP:2527" "$(ph_ctl list)"
check "not root: unmap from the user's own state file" as_nobody HOME="$LAB_DIR/home" "$PH_ANY" unmap
check_not "and the mapping is gone" grep -q "tcp  *2526 " <<<"$(ph_ctl list)"
as_nobody HOME="$LAB_DIR/home" XDG_STATE_HOME="$LAB_DIR/xdg" "$PH_ANY" unmap >/dev/null

# --- a dead gateway: a clear error, exit 3 ---
ph_stop
out=$(ph_mail --port tcp/25 map 2>&1); rc=$?
check_eq "gateway down: map exits 3" 3 $rc
check_match "gateway down: says what to do" \
	"gateway $GW_LAN_IP answers neither PCP, NAT-PMP nor UPnP: is port mapping enabled on the router\?" "$out"
out=$(ph_mail status 2>&1); rc=$?
check_eq "gateway down: status exits 3" 3 $rc
check_match "gateway down: status verdict no_gateway" "^verdict: no_gateway" "$out"
out=$(in_mail "$PH" -t 500 -g 192.168.77.99 --port tcp/25 map 2>&1); rc=$?
check_eq "absent gateway address: exit 3" 3 $rc
check_match "absent gateway address: named, and asked whether it is up" \
	"gateway 192.168.77.99 does not answer at all .*: is it up, and is it the router\?" "$out"
out=$(ip netns exec "$NS_MAIL" ip route del default; ph_mail --port tcp/25 map 2>&1); rc=$?
check_eq "no default route: exit 3" 3 $rc
check_match "no default route: says to use --gateway" "no default route; give the router's address with --gateway" "$out"
out=$(ph_mail status --json 2>/dev/null); rc=$?
check_eq "no default route: status exits 3" 3 $rc
check_eq "no default route: status --json still answers, verdict no_gateway" "no_gateway None" \
	"$(json_get 'd["verdict"]+" "+str(d["gateway"])' <<<"$out")"
