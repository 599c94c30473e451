#!/usr/bin/env bash
# The client over IPv6 (issue 16, "Client") in the IPv6 lab, against the
# real portholed: `porthole map -6` opens a pinhole for the mail server's
# stable address with PCP over IPv6, or with UPnP's AddPinhole when the
# gateway's PCP is off; `keep` renews it (and follows a renumbered address),
# `unmap` closes it; `-4` and `-P natpmp` open none; without -4/-6 both
# families are mapped (IPv6 alone on a host without IPv4); a host with a
# privacy address gets its pinhole for the stable one. Every check of a pinhole is a real
# TCP connection from a WAN host, with its negative control in the same run;
# `status` over IPv6 asks a reflector on the WAN host, which connects back
# to the mail server's IPv6 address.
. "$(dirname "$0")/../lib.sh"
lab_up
lab_ipv6

. "$(dirname "$0")/client_common.bash"
# socat names an IPv6 peer in full: [2001:0db8:...].
WAN6_SEEN="[$(python3 -c "import ipaddress; print(ipaddress.ip_address('$WAN6').exploded)")]"
conf() { ph_config "allow 1-65535 $LAN6_NET 1-65535" "min_lifetime=2" "http_port=8080" "$@"; }

check "portholed starts" ph_start "$(conf)"
serve_tcp6 "$NS_MAIL" 25
serve_tcp6 "$NS_MAIL" 587
serve_tcp "$NS_MAIL" 25

# --- before anything: closed (the negative control of every later check) ---
check_not "before map the WAN cannot reach [$MAIL6]:25" reach6 "$NS_WAN" $MAIL6 25

# --- -4: IPv4 only, no pinhole ---
out=$(ph_mail -4 --port tcp/25 map)
check_match "map -4 maps tcp/25 over IPv4" "^tcp-25 +tcp/25 -> $EXT_IP:25 via pcp" "$out"
check_absent "map -4 prints no IPv6 line" '\[' echo "$out"
check_absent "map -4 opens no pinhole on the gateway" '\[' ph_ctl list
check_not "map -4: the WAN still cannot reach [$MAIL6]:25" reach6 "$NS_WAN" $MAIL6 25
check "control: the IPv4 mapping works (WAN -> $EXT_IP:25)" bash -c \
	"ip netns exec $NS_WAN socat -T2 - TCP:$EXT_IP:25,connect-timeout=2 </dev/null | grep -q ."

# --- -6 over PCP: the pinhole for the stable address, and nothing else ---
out=$(ph_mail -6 --port tcp/25 map)
check_match "map -6: tcp/25 -> [$MAIL6]:25 via pcp" "^tcp-25 +tcp/25 -> \[$MAIL6\]:25 via pcp, lease [0-9]+ s" "$out"
check "map -6: the WAN reaches [$MAIL6]:25" reach6 "$NS_WAN" $MAIL6 25
check_eq "... and the server saw the WAN host's own address (nothing translated)" \
	"$WAN6_SEEN" "$(probe_tcp6 "$NS_WAN" $MAIL6 25)"
check_not "map -6: [$MAIL6]:587 (not asked for) stays closed" reach6 "$NS_WAN" $MAIL6 587
check_not "map -6: [$WS6]:25 (another host) stays closed" reach6 "$NS_WAN" $WS6 25
check_match "the gateway lists a PCP pinhole for [$MAIL6]:25" "^tcp +25 +\[$MAIL6\]:25 +pcp " \
	"$(pinholes)"
check_match "the state file records it (family 6, PCP)" "^pin tcp-25 tcp 25 pcp $MAIL6 25 " \
	"$(cat "$PORTHOLE_STATE")"
check_match "... beside the IPv4 mapping" "^map tcp-25 tcp 25 pcp $MAIL_IP $EXT_IP 25 " \
	"$(cat "$PORTHOLE_STATE")"

# --- status per family, with a reflector on the WAN host over IPv6 ---
in_wan "$PH" reflect -v --listen "[::]:8025" --rate 600 --allow-ports 25,587 \
	>>"$LAB_DIR/reflect.log" 2>&1 &
LAB_PIDS+=($!)
wait_listen "$NS_WAN" tcp 8025
R6="http://[$WAN6]:8025/"
js=$(ph_mail -6 --port tcp/25 --port tcp/587 status --json --reflector "$R6")
check_eq "status -6: tcp/25 is an IPv6 pinhole, mapped, open from outside; tcp/587 not mapped" \
	"6 mapped open|6 not_mapped untested" \
	"$(json_get '"|".join("%d %s %s" % (p["family"], p["state"], p["outside"]) for p in d["ports"])' <<<"$js")"
check_eq "status -6: the reflector saw the request from the stable address" "$MAIL6" \
	"$(json_get 'd["public_address6"]' <<<"$js")"
check_eq "status -6: the greeting is the WAN host's own address (a real connection came through)" \
	"$WAN6_SEEN" "$(json_get 'd["ports"][0]["greeting"]' <<<"$js")"
check_match "the reflector connected back to [$MAIL6] only" "$MAIL6 tested: 25=open" \
	"$(cat "$LAB_DIR/reflect.log")"
check_eq "status -6: verdict partial (587 is not open), not open" "partial" \
	"$(json_get 'd["verdict"]' <<<"$js")"
# Mapped on the gateway, but the admin's firewall without its pinhole rule drops it:
# the router says yes, the reflector gets nothing through, so not open.
handle=$(in_gw nft -a list chain ip6 adminfw forward | grep 'meta mark' | grep -o 'handle [0-9]*')
in_gw nft delete rule ip6 adminfw forward $handle
js=$(ph_mail -6 --port tcp/25 status --json --reflector "$R6")
check_eq "status -6 with the pinhole mapped but dropped by the admin's firewall: timeout, not open" \
	"mapped timeout partial" \
	"$(json_get 'd["ports"][0]["state"] + " " + d["ports"][0]["outside"] + " " + d["verdict"]' <<<"$js")"
in_gw nft add rule ip6 adminfw forward $PINHOLE_RULE
js=$(ph_mail -6 --port tcp/25 status --json --reflector "$R6")
check_eq "control: with the rule back, open (verdict open)" "mapped open open" \
	"$(json_get 'd["ports"][0]["state"] + " " + d["ports"][0]["outside"] + " " + d["verdict"]' <<<"$js")"
table=$(ph_mail --port tcp/25 status --reflector "$R6")
check_match "status (both families) shows tcp/25 twice: IPv4 and the IPv6 pinhole" \
	"tcp/25 +mapped +pcp +$EXT_IP:25 .*
tcp-25 +tcp/25 +mapped +pcp +\[$MAIL6\]:25 +[0-9hm]+s? +open" "$table"
check_match "status names the IPv6 address and gateway" "^IPv6: pinholes for $MAIL6, gateway $GW_LAN6, protocol pcp" "$table"

# The reflector's rate limit counts an IPv6 source by its /64 (a host picks
# addresses there at will): mail and ws share one, wan2 has its own.
in_wan "$PH" reflect --listen "[::]:8027" --rate 1 --allow-ports 25 >>"$LAB_DIR/reflect.log" 2>&1 &
LAB_PIDS+=($!)
wait_listen "$NS_WAN" tcp 8027
post6() {
	ip netns exec "$1" curl -s -m 20 -o /dev/null -w '%{http_code}' \
		-H 'Content-Type: application/json' --data-binary '{"ports": [25]}' "http://[$WAN6]:8027/"
}
check_eq "rate 1: the first request from [$MAIL6] is answered" 200 "$(post6 "$NS_MAIL")"
check_eq "rate 1: the next from [$WS6], the same /64, is refused (429)" 429 "$(post6 "$NS_WS")"
check_eq "control: one from [$WAN2_6], another /64, is answered" 200 "$(post6 "$NS_WAN2")"

# --- one reflector name for both families (an A and an AAAA record, here in
# the mail server's own hosts file): each family tested over its own ---
mkdir -p "/etc/netns/$NS_MAIL"
printf '%s reflector.test\n%s reflector.test\n' $WAN_IP $WAN6 >"/etc/netns/$NS_MAIL/hosts"
trap 'rc=$?; rm -rf "/etc/netns/$NS_MAIL"; (exit $rc); lab_finish' EXIT
gw_masquerade	# the IPv4 request leaves from the external address, as at home
table=$(ph_mail --port tcp/25 status --reflector http://reflector.test:8025/)
check_match "status, both families, one reflector name: IPv4 open from outside, seen as $EXT_IP" \
	"^tcp-25 +tcp/25 +mapped +pcp +$EXT_IP:25 +[0-9hm]+s? +open" "$table"
check_match "... and the IPv6 pinhole open from outside" \
	"^tcp-25 +tcp/25 +mapped +pcp +\[$MAIL6\]:25 +[0-9hm]+s? +open" "$table"
check_match "... verdict open at both addresses" \
	"^verdict: open: all 2 ports open from outside at $EXT_IP and \[$MAIL6\]" "$table"

# --- keep renews the pinhole; stopping it removes it ---
ph_mail -6 --port tcp/25 unmap >/dev/null
check_not "unmap: the WAN cannot reach [$MAIL6]:25 any more" reach6 "$NS_WAN" $MAIL6 25
check_absent "unmap: the gateway has no pinhole left" '\[' ph_ctl list
check_absent "unmap: the state file has no pin line left" '^pin ' cat "$PORTHOLE_STATE"
check_match "unmap -6 left the IPv4 mapping alone" "^map tcp-25 tcp 25 pcp $MAIL_IP $EXT_IP 25 " \
	"$(cat "$PORTHOLE_STATE")"
# Not through in_mail: $! must be porthole itself, for the SIGTERM below.
ip netns exec "$NS_MAIL" "$PH" -6 -v -l 4 -i 1 --port tcp/25 keep >"$LAB_DIR/keep.log" 2>&1 &
KEEP_PID=$!
LAB_PIDS+=($KEEP_PID)
check "keep: the pinhole opens" wait_until 50 reach6 "$NS_WAN" $MAIL6 25
renewed() { [ "$(grep -c 'renewed tcp/25 (tcp-25) -> \['"$MAIL6"'\]:25 via pcp' "$LAB_DIR/keep.log")" -ge 2 ]; }
check "keep: renewed twice (lease 4 s, renewed at half)" wait_until 150 renewed
check "keep: still open after more than one lease" reach6 "$NS_WAN" $MAIL6 25
# Renumbering: the stable address changes under the running keeper.
NEW6=2001:db8:1::11
ip -n "$NS_MAIL" addr add $NEW6/64 dev eth0 nodad
ip -n "$NS_MAIL" addr del $MAIL6/64 dev eth0
check "keep: after renumbering, the pinhole for the new [$NEW6]:25 opens" \
	wait_until 100 reach6 "$NS_WAN" $NEW6 25
check_match "keep: logged the new address" "IPv6 address changed from $MAIL6 to $NEW6" \
	"$(cat "$LAB_DIR/keep.log")"
gone_from_gw() { ! in_gw "$BIN/portholectl" -s "$CTL_SOCK" list | grep -qF "[$1]"; }
check "keep: the old address's pinhole expires (PCP cannot ask from a gone address)" \
	wait_until 100 gone_from_gw $MAIL6
ip -n "$NS_MAIL" addr add $MAIL6/64 dev eth0 nodad
ip -n "$NS_MAIL" addr del $NEW6/64 dev eth0
check "keep: and back: [$MAIL6]:25 opens again" wait_until 100 reach6 "$NS_WAN" $MAIL6 25
kill -TERM $KEEP_PID
wait $KEEP_PID
check_eq "keep stops on SIGTERM (exit 0)" 0 $?
check_not "keep stopped: the pinhole is removed" reach6 "$NS_WAN" $MAIL6 25

# --- both families by default ---
out=$(ph_mail --port tcp/25 map)
check_match "map without -4/-6 maps IPv4 ..." "tcp/25 -> $EXT_IP:25 via pcp" "$out"
check_match "... and opens the IPv6 pinhole" "tcp/25 -> \[$MAIL6\]:25 via pcp" "$out"
check "... which the WAN reaches" reach6 "$NS_WAN" $MAIL6 25
out=$(ph_mail --port tcp/25 unmap)
check_match "unmap removes both" "unmapped \($EXT_IP:25\).*
.*unmapped \(\[$MAIL6\]:25\)" "$out"
check_not "... and the pinhole is gone" reach6 "$NS_WAN" $MAIL6 25

# --- NAT-PMP forced: IPv4 only (it has no IPv6) ---
out=$(ph_mail -P natpmp --port tcp/2525 map)
check_match "-P natpmp maps tcp/2525 over IPv4" "tcp/2525 -> $EXT_IP:2525 via natpmp" "$out"
check_absent "-P natpmp opens no pinhole" '\[' echo "$out"
check_absent "... none on the gateway either" '\[.*\]:2525' ph_ctl list
ph_mail -P natpmp --port tcp/2525 unmap >/dev/null

# --- a host without an IPv4 default route: IPv6 alone, by default ---
ip -n "$NS_MAIL" route del default
check_eq "no IPv4 route: map (no -6) opens the IPv6 pinhole alone, exit 0" \
	"0 tcp/25 -> [$MAIL6]:25 via pcp" \
	"$(ph_mail --port tcp/25 map >"$LAB_DIR/v6only.out"; echo "$? $(grep -o 'tcp/25 -> .* via [a-z]*' "$LAB_DIR/v6only.out")")"
check "... which the WAN reaches" reach6 "$NS_WAN" $MAIL6 25
ph_mail --port tcp/25 unmap >/dev/null
check_not "... and unmap closes it" reach6 "$NS_WAN" $MAIL6 25
ip -n "$NS_MAIL" route add default via $GW_LAN_IP

# --- privacy addresses: the kernel sends from a temporary one; the pinhole is for the stable one ---
ip netns exec "$NS_MAIL" sysctl -qw net.ipv6.conf.eth0.use_tempaddr=2 net.ipv6.conf.eth0.accept_dad=0
ip -n "$NS_MAIL" addr change $MAIL6/64 dev eth0 mngtmpaddr
tmp_src() { ip -n "$NS_MAIL" -6 route get $WAN6 | grep -o 'src [0-9a-f:]*' | grep -v "src $MAIL6\$"; }
check "precondition: the kernel now sends from a temporary (privacy) address" wait_until 50 tmp_src
TMP6=$(tmp_src | cut -d' ' -f2)
check_match "precondition: $TMP6 is flagged temporary" "inet6 $TMP6/64 .*temporary" \
	"$(ip -n "$NS_MAIL" -6 addr show dev eth0)"
out=$(ph_mail -6 --port tcp/25 map)
check_match "map -6 beside a privacy address: the pinhole is for the stable [$MAIL6]:25" \
	"tcp/25 -> \[$MAIL6\]:25 via pcp" "$out"
check "... which the WAN reaches" reach6 "$NS_WAN" $MAIL6 25
check_not "... and [$TMP6]:25 (the privacy address) stays closed" reach6 "$NS_WAN" $TMP6 25
js=$(ph_mail -6 --port tcp/25 status --json --reflector "$R6")
check_eq "status: the reflector was asked from the stable address and got through to it" \
	"$MAIL6 open" "$(json_get 'd["public_address6"] + " " + d["ports"][0]["outside"]' <<<"$js")"
ph_mail -6 --port tcp/25 unmap >/dev/null
check_not "unmap: closed again" reach6 "$NS_WAN" $MAIL6 25

# --- UPnP fallback: PCP off on the gateway ---
ph_stop
check "portholed restarts with enable_pcp=no" ph_start "$(conf enable_pcp=no)"
check_not "control: closed before the UPnP map" reach6 "$NS_WAN" $MAIL6 25
out=$(ph_mail -6 --port tcp/25 map)
check_match "map -6 without PCP: AddPinhole over UPnP" "tcp/25 -> \[$MAIL6\]:25 via upnp" "$out"
check "... and the WAN reaches [$MAIL6]:25" reach6 "$NS_WAN" $MAIL6 25
check_not "... and not [$MAIL6]:587" reach6 "$NS_WAN" $MAIL6 587
check_match "the gateway lists a UPnP pinhole" "^tcp +25 +\[$MAIL6\]:25 +upnp " "$(pinholes)"
uid=$(grep '^pin ' "$PORTHOLE_STATE" | awk '{ print $12 }')
check_match "the state file keeps its UniqueID" "^[1-9][0-9]*$" "$uid"
out=$(ph_mail -6 -l 1200 --port tcp/25 map)
check_match "map again renews it (UpdatePinhole), lease 1200 s" "via upnp, lease 1200 s" "$out"
check_eq "... the same pinhole (UniqueID)" "$uid" "$(grep '^pin ' "$PORTHOLE_STATE" | awk '{ print $12 }')"
check_match "... with the new lease on the gateway" "^tcp +25 +\[$MAIL6\]:25 +upnp +1[12][0-9][0-9]s " \
	"$(pinholes)"
check_match "unmap (DeletePinhole)" "unmapped" "$(ph_mail -6 --port tcp/25 unmap)"
check_not "... and the WAN cannot reach [$MAIL6]:25" reach6 "$NS_WAN" $MAIL6 25
check_absent "... and the gateway lists no pinhole" '\[' ph_ctl list
