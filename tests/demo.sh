#!/usr/bin/env bash
# make demo: the whole job in a throwaway lab, told step by step.
. "$(dirname "$0")/lib.sh"
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "Building a lab of network namespaces: a WAN host ($WAN_IP), the gateway (external $EXT_IP, LAN $GW_LAN_IP), a mail server ($MAIL_IP) and a workstation ($WS_IP)."
lab_up

say "Starting portholed on the gateway. It creates its own nftables table, inet porthole, and nothing else."
ph_start
in_gw nft list table inet porthole | sed 's/^/    /'

STATE=$LAB_DIR/porthole.state
say "The mail server starts (examples/mailserver.c): it listens on its mail ports and, through libporthole, asks the gateway for them itself (PCP first, then NAT-PMP, then UPnP) and keeps them renewed."
ip netns exec "$NS_MAIL" "$BIN/examples/mailserver" -g $GW_LAN_IP -s "$STATE" >"$LAB_DIR/mailserver.log" 2>&1 &
LAB_PIDS+=($!)
for _ in $(seq 100); do
	[ "$(ph_ctl list | grep -c " $MAIL_IP:")" -ge 12 ] && break
	sleep 0.1
done
sed 's/^/    /' "$LAB_DIR/mailserver.log"

say "A reflector on the WAN host ($REFLECTOR_URL): porthole reflect, the vantage point outside the network."
gw_masquerade
reflector_start

say "porthole status, on the mail server: is every mail port open from the Internet? (mapped, by what, external endpoint, lease left, the reflector connecting back from outside, and a connection through the public address)"
in_mail "$BIN/porthole" -g $GW_LAN_IP -s "$STATE" status --reflector "$REFLECTOR_URL" | sed 's/^/    /'
[ "${PIPESTATUS[0]}" -eq 0 ] && pass "porthole status: every mail port open" || fail "porthole status: every mail port open"

say "The router's own view: portholectl list (every mapping, whoever made it, with counters)."
ph_ctl list | sed 's/^/    /'

say "From the Internet: the WAN host connects to $EXT_IP:25. The mail server sees the WAN host's address:"
seen=$(probe_tcp "$NS_WAN" $EXT_IP 25)
echo "    mail server saw: ${seen:-nothing (FAILED)}"
[ -n "$seen" ] && pass "WAN host reached the mail server" || fail "WAN host reached the mail server"

say "Hairpin: the workstation connects to the public address $EXT_IP:993. The mail server sees the gateway's external address, so its replies go back through the gateway:"
seen=$(probe_tcp "$NS_WS" $EXT_IP 993)
echo "    mail server saw: ${seen:-nothing (FAILED)}"
[ "${seen%%:*}" = "$EXT_IP" ] && pass "workstation reached the mail server through the public address" \
	|| fail "workstation reached the mail server through the public address"

say "Counters after that traffic:"
ph_ctl list | grep -E '^PROTO|  (25|993) ' | sed 's/^/    /'

say "Stopping portholed: its table goes with it."
ph_stop
in_gw nft list table inet porthole >/dev/null 2>&1 && fail "table removed at exit" || pass "table removed at exit"
say "Tearing down the lab."
