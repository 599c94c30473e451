#!/usr/bin/env bash
# A second NAT in front of the router (an ISP's box, 100.64.0.0/10 between
# them): the router maps the port, the hairpin works, but the Internet does
# not get through, and `porthole status` says so (double NAT, not open,
# exit 1) from the facts: the reflector's view of the public address and
# its test from outside. Once the outer box forwards the port too, open.
. "$(dirname "$0")/../lib.sh"
lab_up
lab_double_nat

. "$(dirname "$0")/client_common.bash"

gw_masquerade
# upstream=off: this router, like most, does not ask the outer box for the
# port (portholed would by default: 80_upstream.sh tests that); the checkup
# must find the second NAT from the facts alone.
check "portholed starts behind the outer NAT" ph_start "$(ph_config upstream=off)"
check "a reflector starts on the WAN host" reflector_start --rate 600
serve_tcp "$NS_MAIL" 25
check "map tcp/25 on the router" ph_mail --port tcp/25 map
check_match "the router maps it at its own (shared) address" "tcp +25 +$MAIL_IP:25" "$(ph_ctl list)"
check_eq "(positive control) the outer box reaches the router's mapping" "$OUTER_LAN_IP" \
	"$(probe_tcp "$NS_OUTER" $GW_WAN_IP 25)"
check_not "the WAN host does not get through the outer NAT" probe_tcp "$NS_WAN" $OUTER_IP 25

js=$(ph_mail status --json --reflector "$REFLECTOR_URL"); rc=$?
check_eq "double NAT: status exits 1" 1 $rc
check_eq "double NAT: router's address, the public one the reflector saw, double_nat" \
	"$GW_WAN_IP $OUTER_IP True" \
	"$(json_get 'd["external_address"]+" "+d["public_address"]+" "+str(d["double_nat"])' <<<"$js")"
check_eq "double NAT: mapped, open through the hairpin, refused from outside (the outer box); not open" \
	"mapped open refused partial" \
	"$(json_get 'd["ports"][0]["state"]+" "+d["ports"][0]["reachable"]+" "+d["ports"][0]["outside"]+" "+d["verdict"]' <<<"$js")"
check_match "double NAT: the warning names both addresses" \
	"the reflector saw this network as $OUTER_IP, but the router's external address is $GW_WAN_IP: another NAT sits in front of it" \
	"$(json_get 'd["warning"]' <<<"$js")"
check_match "double NAT: the advice blames the second NAT, at the public address" \
	"refused from outside at $OUTER_IP:25: a second NAT in front stops it: forward the port there too" \
	"$(json_get 'd["ports"][0]["advice"]' <<<"$js")"
out=$(ph_mail check --reflector "$REFLECTOR_URL"); rc=$?
check_eq "double NAT: check is CRITICAL (nothing reachable from outside)" 2 $rc

outer_forward tcp 25
check_eq "the outer box now forwards tcp/25: the WAN host gets through" "$WAN_IP" \
	"$(probe_tcp "$NS_WAN" $OUTER_IP 25)"
js=$(ph_mail status --json --reflector "$REFLECTOR_URL"); rc=$?
check_eq "forwarded by both NATs: status exits 0" 0 $rc
check_eq "open from outside, still double NAT" "open open True" \
	"$(json_get 'd["ports"][0]["outside"]+" "+d["verdict"]+" "+str(d["double_nat"])' <<<"$js")"
check_match "the summary says it goes through a second NAT" "through a second NAT that forwards too" \
	"$(json_get 'd["summary"]' <<<"$js")"
