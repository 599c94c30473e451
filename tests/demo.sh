#!/usr/bin/env bash
# make demo: the whole job in a throwaway lab, told step by step.
. "$(dirname "$0")/lib.sh"
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
MAIL_PORTS="25 587 465 110 995 143 993 80 443 8008 8443 8843"

say "Building a lab of network namespaces: a WAN host ($WAN_IP), the gateway (external $EXT_IP, LAN $GW_LAN_IP), a mail server ($MAIL_IP) and a workstation ($WS_IP)."
lab_up

say "Starting portholed on the gateway. It creates its own nftables table, inet porthole, and nothing else."
ph_start
in_gw nft list table inet porthole | sed 's/^/    /'

say "The mail server listens on its mail ports (each answers with the address it sees the client coming from)."
for p in $MAIL_PORTS; do serve_tcp "$NS_MAIL" "$p"; done
echo "    listening on: $MAIL_PORTS"

if [ -x "$BIN/porthole" ]; then
	say "The mail server asks the gateway for its ports itself, through libporthole (porthole map --profile mail)."
	in_mail env PORTHOLE_STATE="$LAB_DIR/porthole.state" "$BIN/porthole" --gateway $GW_LAN_IP map --profile mail | sed 's/^/    /'
	say "porthole status: is every mail port open on the router? (mapped, external endpoint, lease, and a real connection through the public address)"
	in_mail env PORTHOLE_STATE="$LAB_DIR/porthole.state" "$BIN/porthole" --gateway $GW_LAN_IP status | sed 's/^/    /'
else
	say "Mapping the mail ports as static mappings with portholectl (the client library does this once it lands)."
	for p in $MAIL_PORTS; do ph_ctl add tcp "$p" $MAIL_IP "$p" 0 "mail $p" >/dev/null; done
fi

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
