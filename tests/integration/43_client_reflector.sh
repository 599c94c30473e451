#!/usr/bin/env bash
# `porthole reflect` on the WAN host, and the checkup that uses it: the
# reflector connects back only to the request's source, refuses what it
# must (17 ports, a named address, a flood, a missing token, malformed
# bodies) and stays up; `porthole status --reflector` says open only for
# what was reached from outside, and names an ISP-side drop of tcp/25, a
# router without NAT loopback, and a reflector that would not test.
. "$(dirname "$0")/../lib.sh"
lab_up

. "$(dirname "$0")/client_common.bash"
# post NS URL BODY: POST BODY from namespace NS; prints "HTTP-CODE BODY".
post() {
	ip netns exec "$1" curl -s -m 20 -o "$LAB_DIR/post.out" -w '%{http_code}' \
		-H 'Content-Type: application/json' --data-binary "$3" "$2"
	printf ' %s' "$(cat "$LAB_DIR/post.out")"
}

gw_masquerade
# An SMTP server on the second WAN host that notes who connects to it.
printf '#!/bin/sh\necho "$SOCAT_PEERADDR" >>%s\nprintf "220 wan2.example ESMTP\\r\\n"\nsleep 1\n' \
	"$LAB_DIR/wan2.conns" >"$LAB_DIR/greeter.sh"
chmod +x "$LAB_DIR/greeter.sh"
: >"$LAB_DIR/wan2.conns"
ip netns exec "$NS_WAN2" socat TCP-LISTEN:25,fork,reuseaddr EXEC:"$LAB_DIR/greeter.sh" \
	2>/dev/null &
LAB_PIDS+=($!)
wait_listen "$NS_WAN2" tcp 25

# --- the reflector itself ---
check "the reflector starts on the WAN host" reflector_start --rate 600 --allow-ports 25,587,2525
out=$(post "$NS_WAN2" "$REFLECTOR_URL" '{"ports": [25, 2525, 80]}')
check_match "a request is answered (200) with the address it came from" \
	'^200 \{"address":"203\.0\.113\.3"' "$out"
body=${out#200 }
check_eq "per port: open with the greeting, refused, and not_allowed (no connection)" \
	"25 open 220 wan2.example ESMTP|2525 refused None|80 not_allowed None" \
	"$(json_get '"|".join("%d %s %s" % (p["port"], p["result"], p.get("greeting")) for p in d["ports"])' <<<"$body")"
check_eq "it connected back to the source, from the reflector's address" "$WAN_IP" \
	"$(cat "$LAB_DIR/wan2.conns")"

out=$(post "$NS_MAIL" "$REFLECTOR_URL" '{"ports": [25], "address": "203.0.113.3"}')
check_match "a request naming another address is refused (400) and says why" \
	'^400 .*tests only the address the request comes from' "$out"
check_eq "and nothing connected to the address it named" 1 "$(wc -l <"$LAB_DIR/wan2.conns")"

ports16=$(seq -s, 2001 2016)
check_match "16 ports in one request are tested (200)" '^200 ' \
	"$(post "$NS_WAN2" "$REFLECTOR_URL" "{\"ports\": [$ports16]}")"
check_match "17 ports in one request are refused (400)" '^400 .*more than 16 ports' \
	"$(post "$NS_WAN2" "$REFLECTOR_URL" "{\"ports\": [$ports16, 2017]}")"

# Malformed bodies, each refused with a 4xx; the reflector stays up.
head -c 2000000 /dev/zero | tr '\0' 'x' >"$LAB_DIR/big.body"
python3 -c "print('[' * 5000 + ']' * 5000)" >"$LAB_DIR/deep.body"
head -c 3000 /dev/urandom >"$LAB_DIR/random.body"
bad=0
for body in '' '{' '[]' 'null' '{"ports": "25"}' '{"ports": [0]}' '{"ports": [70000]}' \
	'{"ports": [25.5]}' '{"ports": [25, 25]}' '{"ports": []}' '{"ports": [25]} x' \
	'{"ports": [25], "ports": {"a": 1}}' $'{"ports": [25], "\xff\xfe": 1}' \
	"@$LAB_DIR/big.body" "@$LAB_DIR/deep.body" "@$LAB_DIR/random.body"; do
	code=$(post "$NS_WAN2" "$REFLECTOR_URL" "$body" | cut -d' ' -f1)
	case $code in 4??) ;; *) bad=$((bad + 1)); echo "    body ${body:0:40}: HTTP $code";; esac
done
check_eq "16 malformed bodies each get a 4xx" 0 $bad
code=$(ip netns exec "$NS_WAN2" curl -s -m 5 -o /dev/null -w '%{http_code}' "$REFLECTOR_URL")
check_eq "a GET is refused (405)" 405 "$code"
printf 'GARBAGE\r\n\r\n\x00\x01' | ip netns exec "$NS_WAN2" socat -T2 - TCP:$WAN_IP:8025 >/dev/null 2>&1
printf 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n{"ports":' |
	ip netns exec "$NS_WAN2" socat -T2 - TCP:$WAN_IP:8025 >/dev/null 2>&1
check "the reflector is still running" kill -0 "$REFL_PID"
check_match "and still answers a good request" '^200 .*"result":"open"' \
	"$(post "$NS_WAN2" "$REFLECTOR_URL" '{"ports": [25]}')"

# A shared token: asked for, refused without it, accepted with it.
printf 's3cret-token\n' >"$LAB_DIR/token"
ip netns exec "$NS_WAN" "$PH" reflect --listen $WAN_IP:8026 --token-file "$LAB_DIR/token" \
	>>"$LAB_DIR/reflect-token.log" 2>&1 &
LAB_PIDS+=($!)
wait_listen "$NS_WAN" tcp 8026
check_match "with a token set, a request without it is refused (401)" '^401 ' \
	"$(post "$NS_WAN2" http://$WAN_IP:8026/ '{"ports": [25]}')"
code=$(ip netns exec "$NS_WAN2" curl -s -m 20 -o /dev/null -w '%{http_code}' \
	-H 'Authorization: Bearer s3cret-token' --data-binary '{"ports": [25]}' http://$WAN_IP:8026/)
check_eq "and one with it is answered (200)" 200 "$code"

# A flood from one source: 3 requests a minute, then 429; another source still served.
ip netns exec "$NS_WAN" "$PH" reflect --listen $WAN_IP:8027 --rate 3 \
	>>"$LAB_DIR/reflect-rate.log" 2>&1 &
LAB_PIDS+=($!)
wait_listen "$NS_WAN" tcp 8027
codes=""
t0=$(now_ms)
for _ in $(seq 8); do
	codes+="$(post "$NS_WAN2" http://$WAN_IP:8027/ '{"ports": [2525]}' | cut -d' ' -f1) "
done
# The bucket refills one request every 20 s: a flood slowed by a loaded
# machine may earn that many more answers, and no more.
earned=$((($(now_ms) - t0) / 20000))
answered=$(grep -o 200 <<<"$codes" | wc -l)
others=$(tr ' ' '\n' <<<"$codes" | grep -cvE '^(200|429)?$')
check_eq "a flood from one source: the first 3 answered" "200 200 200" "$(cut -d' ' -f1-3 <<<"$codes")"
check "... of all 8, 3 answered (up to $earned more refilled while it ran), the rest 429: $codes" \
	test "$answered" -ge 3 -a "$answered" -le $((3 + earned)) -a "$others" -eq 0
check_match "meanwhile another source is answered" '^200 ' \
	"$(post "$NS_MAIL" http://$WAN_IP:8027/ '{"ports": [2525]}')"

# --- the checkup with a reflector ---
check "portholed starts" ph_start
serve_tcp "$NS_MAIL" 25
serve_tcp "$NS_MAIL" 587
check "map tcp/25 and tcp/587" ph_mail --port tcp/25 --port tcp/587 map

out=$(ph_mail status); rc=$?
check_eq "without a reflector: status exits 1 (not tested is not open)" 1 $rc
check_match "without a reflector: verdict untested, and how to test" \
	"^verdict: untested: 2 ports mapped at $EXT_IP, but not tested from outside: run .porthole status --reflector URL." "$out"
out=$(ph_mail check); rc=$?
check_eq "check without a reflector: WARNING (exit 1)" 1 $rc
check_match "check: one line, untested" "^PORTHOLE WARNING - 2 ports mapped at $EXT_IP, but not tested from outside" "$out"
js=$(ph_mail status --json)
check_eq "without a reflector (json): mapped, hairpin open, outside untested" \
	"mapped open untested|mapped open untested" \
	"$(json_get '"|".join(p["state"]+" "+p["reachable"]+" "+p["outside"] for p in d["ports"])' <<<"$js")"

out=$(ph_mail status --reflector "$REFLECTOR_URL"); rc=$?
check_eq "with the reflector: status exits 0" 0 $rc
check_match "with the reflector: verdict open from outside" \
	"^verdict: open: all 2 ports open from outside at $EXT_IP" "$out"
check_match "the table shows what the service said to the reflector" \
	"tcp-25 tcp/25 greets: $WAN_IP" "$out"
out=$(ph_mail check --reflector "$REFLECTOR_URL"); rc=$?
check_eq "check (monitoring plugin): OK, exit 0" 0 $rc
check_match "check: one line, the verdict and the perfdata" \
	"^PORTHOLE OK - all 2 ports open from outside at $EXT_IP \| ports_open=2;;;0;2 ports_mapped=2;;;0;2 lease_left=[0-9]+s;;;0$" "$out"
check_eq "check: exactly one line" 1 "$(wc -l <<<"$out")"
js=$(PORTHOLE_REFLECTOR=$REFLECTOR_URL ph_mail status --json); rc=$?
check_eq "PORTHOLE_REFLECTOR works the same (exit 0)" 0 $rc
check_eq "json: outside open, the greeting came from the WAN host, hairpin open" \
	"open $WAN_IP open|open $WAN_IP open" \
	"$(json_get '"|".join(p["outside"]+" "+p["greeting"]+" "+p["reachable"] for p in d["ports"])' <<<"$js")"
check_eq "json: the public address seen from outside, no double NAT, no reflector error" \
	"$EXT_IP False None open" \
	"$(json_get 'd["public_address"]+" "+str(d["double_nat"])+" "+str(d["reflector_error"])+" "+d["verdict"]' <<<"$js")"

# The ISP drops tcp/25 before it reaches the router.
in_gw nft -f - <<'NFT'
table netdev isp {
	chain in { type filter hook ingress device "wan0" priority 0; tcp dport 25 drop; }
}
NFT
js=$(ph_mail status --json --reflector "$REFLECTOR_URL"); rc=$?
check_eq "WAN-side drop of tcp/25: status exits 1" 1 $rc
check_eq "tcp/25 times out from outside (hairpin still open); tcp/587 is open" \
	"timeout open|open open" \
	"$(json_get '"|".join(p["outside"]+" "+p["reachable"] for p in d["ports"])' <<<"$js")"
check_eq "verdict partial, the advice blames what is in front of the router" \
	"partial no answer from outside at $EXT_IP:25: the ISP or a firewall in front blocks it" \
	"$(json_get 'd["verdict"]+" "+d["ports"][0]["advice"].split(": ask")[0]' <<<"$js")"
out=$(ph_mail check --reflector "$REFLECTOR_URL"); rc=$?
check_eq "check with tcp/25 dropped: WARNING (exit 1), 1 of 2 open" "1 ports_open=1;;;0;2" \
	"$rc $(grep -o 'ports_open=[^ ]*' <<<"$out")"
in_gw nft add rule netdev isp in tcp dport 587 drop
out=$(ph_mail check --reflector "$REFLECTOR_URL"); rc=$?
check_eq "check with both dropped: CRITICAL (exit 2), none open" "2 ports_open=0;;;0;2" \
	"$rc $(grep -o 'ports_open=[^ ]*' <<<"$out")"
check_match "check: CRITICAL names it" "^PORTHOLE CRITICAL - 0 of 2 ports open from outside" "$out"
in_gw nft delete table netdev isp
check "without the drop, open again" ph_mail status --reflector "$REFLECTOR_URL"

# A router without NAT loopback: open from outside, not through the public address here.
in_gw nft -f - <<NFT
table netdev noloop {
	chain in { type filter hook ingress device "lan-mail" priority 0; ip daddr $EXT_IP tcp dport 25 drop; }
}
NFT
js=$(ph_mail status --json --reflector "$REFLECTOR_URL")
check_eq "no hairpin: tcp/25 open from outside, timeout through the public address" \
	"open timeout" "$(json_get 'd["ports"][0]["outside"]+" "+d["ports"][0]["reachable"]' <<<"$js")"
check_match "no hairpin: the advice names NAT loopback and split DNS" \
	"colleagues cannot use the public name; get NAT loopback on the router, or split DNS" \
	"$(json_get 'd["ports"][0]["advice"]' <<<"$js")"
check_eq "no hairpin: still open from outside, so verdict open" open "$(json_get 'd["verdict"]' <<<"$js")"
in_gw nft delete table netdev noloop

# A reflector that will not test (its token is missing): said, and never open.
out=$(ph_mail status --reflector http://$WAN_IP:8026/); rc=$?
check_eq "a reflector that refuses: exit 1" 1 $rc
check_match "it says the reflector refused, and why" \
	"warning: reflector http://$WAN_IP:8026/ refused the test \(HTTP 401\): this reflector wants its token" "$out"
out=$(PORTHOLE_REFLECTOR_TOKEN=s3cret-token ph_mail status --reflector http://$WAN_IP:8026/); rc=$?
check_eq "with PORTHOLE_REFLECTOR_TOKEN it tests (exit 0)" 0 $rc

# The mail domain's DNS: a real DNS server (dnsmasq) on the WAN host, one
# domain whose MX points here, one whose MX points elsewhere; a PTR for us.
in_wan dnsmasq -k --conf-file=/dev/null --no-resolv --no-hosts --bind-interfaces \
	--listen-address=$WAN_IP --port=53 --user=root --group=root --pid-file="$LAB_DIR/dnsmasq.pid" \
	--mx-host=good.example,mail.good.example,10 --host-record=mail.good.example,$EXT_IP \
	--mx-host=bad.example,mail.bad.example,10 --host-record=mail.bad.example,192.0.2.7 \
	--ptr-record=1.113.0.203.in-addr.arpa,mail.good.example 2>>"$LAB_DIR/dnsmasq.log" &
LAB_PIDS+=($!)
wait_listen "$NS_WAN" udp 53
mkdir -p "/etc/netns/$NS_MAIL"
echo "nameserver $WAN_IP" >"/etc/netns/$NS_MAIL/resolv.conf"
out=$(ph_mail status --reflector "$REFLECTOR_URL" --domain good.example); rc=$?
check_eq "--domain with a right MX: still exit 0" 0 $rc
check_match "the MX host and its address are shown" "^  MX mail.good.example -> $EXT_IP$" "$out"
check_match "the public address's PTR, confirmed" \
	"^  PTR $EXT_IP -> mail.good.example \(which resolves back to it\)" "$out"
check_not "no DNS warning for the right MX" grep -q "^warning: MX" <<<"$out"
js=$(ph_mail status --json --reflector "$REFLECTOR_URL" --domain bad.example)
check_eq "--domain with a wrong MX (json): its address, not here; the PTR still ours" \
	"mail.bad.example 192.0.2.7 False mail.good.example" \
	"$(json_get 'd["domain"]["mx"][0]["host"]+" "+d["domain"]["mx"][0]["a"][0]+" "+str(d["domain"]["mx"][0]["points_here"])+" "+d["domain"]["ptr"]' <<<"$js")"
check_match "the table names the mismatch and the public address" \
	"^warning: MX mail.bad.example -> 192.0.2.7, but this network's public address is $EXT_IP$" \
	"$(ph_mail status --reflector "$REFLECTOR_URL" --domain bad.example)"

# A DHCP address on the mail host (a lease, not permanent): warned of.
check_eq "a static address: not called dynamic (json)" "$MAIL_IP False" \
	"$(ph_mail status --json | json_get 'd["local_address"]+" "+str(d["local_address_dynamic"])')"
ip -n "$NS_MAIL" addr change $MAIL_IP/24 dev eth0 valid_lft 3600 preferred_lft 3600
check_eq "a DHCP lease (valid_lft 3600): dynamic (json)" "$MAIL_IP True" \
	"$(ph_mail status --json | json_get 'd["local_address"]+" "+str(d["local_address_dynamic"])')"
check_match "the table warns, and says what to do" \
	"^warning: this host's address $MAIL_IP is a DHCP lease: .* use a static address outside the DHCP scope" \
	"$(ph_mail status)"
ip -n "$NS_MAIL" addr change $MAIL_IP/24 dev eth0 valid_lft forever preferred_lft forever

# The router's admin removes the mappings: PCP's epoch does not change, UPnP's list does.
ph_ctl flush >/dev/null
js=$(ph_mail status --json --reflector "$REFLECTOR_URL"); rc=$?
check_eq "after a flush on the router: exit 1" 1 $rc
check_eq "after a flush: both not mapped, said so (not blamed on the hairpin)" \
	"not_mapped the router no longer has this mapping (removed there?)|not_mapped the router no longer has this mapping (removed there?)" \
	"$(json_get '"|".join(p["state"]+" "+p["advice"].split(": run")[0] for p in d["ports"])' <<<"$js")"
check "map them again" ph_mail --port tcp/25 --port tcp/587 map
check "and open again" ph_mail status --reflector "$REFLECTOR_URL"

# The router's WAN address changes: it resets its epoch (CONFORMANCE 31), the
# mappings stay. The checkup renews them and reports what is true.
in_gw sysctl -qw net.ipv4.conf.wan0.promote_secondaries=1
NEW_EXT=203.0.113.5
ip -n "$NS_GW" addr add $NEW_EXT/24 dev wan0
ip -n "$NS_GW" addr del $EXT_IP/24 dev wan0
status_says() { ph_ctl status | grep -q "$1"; }
wait_until 50 status_says "external_address=$NEW_EXT"
js=$(ph_mail status --json --reflector "$REFLECTOR_URL"); rc=$?
check_eq "after a WAN address change: status exits 0" 0 $rc
check_eq "renewed, open from outside at the new address, seen there by the reflector" \
	"open $NEW_EXT $NEW_EXT True True" \
	"$(json_get 'd["verdict"]+" "+d["external_address"]+" "+d["public_address"]+" "+str(d["ports"][0]["renewed"])+" "+str(d["ports"][1]["renewed"])' <<<"$js")"
check_match "the state file holds the renewed mappings" "map tcp-25 tcp 25 pcp $MAIL_IP $NEW_EXT 25 " \
	"$(cat "$PORTHOLE_STATE")"
js=$(ph_mail status --json --reflector "$REFLECTOR_URL"); rc=$?
check_eq "the next status needs no renewal (exit 0)" "0 False" "$rc $(json_get 'str(d["ports"][0]["renewed"])' <<<"$js")"

# No gateway: nothing is claimed open.
ph_stop
js=$(ph_mail status --json --reflector "$REFLECTOR_URL"); rc=$?
check_eq "no gateway: exit 3" 3 $rc
check_eq "no gateway: every port untested, through the hairpin and from outside" \
	"untested untested None|untested untested None" \
	"$(json_get '"|".join(p["reachable"]+" "+p["outside"]+" "+str(p["connect_ms"]) for p in d["ports"])' <<<"$js")"
check_not "no gateway: no advice says success" grep -q '"advice": "success"' <<<"$js"
out=$(ph_mail check --reflector "$REFLECTOR_URL"); rc=$?
check_eq "check with no gateway: CRITICAL (exit 2)" 2 $rc
check_match "check: says the router does not answer" "^PORTHOLE CRITICAL - gateway $GW_LAN_IP" "$out"
out=$(ph_mail --bogus check 2>/dev/null); rc=$?
check_eq "check with a bad option: UNKNOWN (exit 3)" "3 PORTHOLE UNKNOWN - bad options" "$rc $out"
