#!/usr/bin/env bash
# Behind another NAT (issue 17) with Debian's miniupnpd as the ISP box: the
# office router's portholed forwards its mappings to it (libporthole picks
# PCP, which miniupnpd speaks), and follows its restart.
#
# The ISP box's WAN is 192.0.3.0/24 (lab_isp_routable: miniupnpd maps only
# on a routable-looking address). miniupnpd's rules match its WAN interface only,
# so it does no hairpin: the office router's own table maps the public
# address too, and the workstation gets through that way.
. "$(dirname "$0")/../lib.sh"
MINIUPNPD=/usr/sbin/miniupnpd
if [ ! -x "$MINIUPNPD" ]; then
	trap lab_finish EXIT
	skip "every check with miniupnpd in front" "not installed: apt-get install miniupnpd-nftables (tests/deps.sh)"
	exit 0
fi
lab_up_double
lab_isp_routable
P="$BIN/tests/pcptest"

miniupnpd_setup "$NS_ISP" "$ISP_LAN_NET" "deny 2424 0.0.0.0/0 1-65535"
mu_start() { miniupnpd_start; }
mu_stop() { kill -TERM "$MU_PID" 2>/dev/null; wait "$MU_PID" 2>/dev/null; }

check "miniupnpd starts in the ISP box" mu_start
# The worker's poll made slow (60 s, a test hook): miniupnpd's restart below
# is followed through its announcements on 224.0.0.1:5350.
export PORTHOLED_UPSTREAM_CHECK_MS=60000
check "the office router's portholed starts (upstream=auto), polling every 60 s" ph_start
unset PORTHOLED_UPSTREAM_CHECK_MS
serve_tcp "$NS_MAIL" 25
serve_tcp "$NS_MAIL" 587
mu_map_smtp
out=$(in_mail "$P" -o map -p tcp -i 587 -e 587 -l 600 $GW_LAN_IP)
check_match "62 a PCP MAP names miniupnpd's address and the same port" \
	"result_name=SUCCESS .*ext_port=587 ext_ip=$X_EXT" "$out"
check_match "the office router speaks PCP to miniupnpd" "upstream_method=pcp" "$(ph_ctl status)"
check_match "the office router's table maps the public address too (hairpin)" \
	"elements = \\{ .*$X_EXT" "$(in_gw nft list set inet porthole ext4 | tr -d '\n')"
check_eq "62 the workstation reaches the mail server through the public address (office hairpin)" \
	"$X_EXT" "$(probe_tcp "$NS_WS" $X_EXT 587 | cut -d: -f1)"

# UPnP's answer waits for miniupnpd's (soap_hold.c)
R=$(in_mail timeout 20 upnpc -i -e smtps -a $MAIL_IP 465 465 TCP 600 2>&1)
check_match "62 upnpc maps tcp/465 through the office router, told miniupnpd's address" \
	"external $X_EXT:465 TCP is redirected to internal $MAIL_IP:465" "$R"
check "62 ... miniupnpd's rule was there before upnpc had its answer" mu_has_rule 465
# miniupnpd's rules keep external port 2424: it offers another one, which a
# server's clients could not find; the office router gives it back (718).
R=$(in_mail timeout 20 upnpc -i -a $MAIL_IP 2424 2424 TCP 600 2>&1)
check_match "62 miniupnpd keeps external port 2424: UPnP AddPortMapping gets 718 once it said so" \
	"AddPortMapping\\(2424, 2424, $MAIL_IP\\) failed with code 718" "$R"
check_not "62 ... and no local mapping of tcp 2424 is left" bash -c \
	"ip netns exec $NS_GW $BIN/portholectl -s $CTL_SOCK list | grep -E '^tcp +2424 '"
R=$(in_mail timeout 20 upnpc -i -d 465 TCP 2>&1)
check_match "63 upnpc deletes tcp/465" "UPNP_DeletePortMapping\\(\\) returned : 0" "$R"
check "63 ... and miniupnpd's rule goes within 3 s" wait_until 30 mu_no_rule 465

in_mail natpmpc -g $GW_LAN_IP -a 25 25 tcp 0 >/dev/null 2>&1
check "63 deleting tcp/25 removes miniupnpd's rule within 3 s" wait_until 30 mu_no_rule 25
check "63 ... tcp/587 stays (control)" mu_has_rule 587
check_not "63 ... and the Internet host no longer reaches port 25" probe_tcp "$NS_WAN" $X_EXT 25

sleep 3		# past the resolution of miniupnpd's epoch (seconds since its start)
mu_stop
# A box that reboots loses its ruleset; miniupnpd alone leaves it.
in_isp nft flush chain inet filter prerouting_miniupnpd
in_isp nft flush chain inet filter miniupnpd
check "miniupnpd starts again, without our mapping" mu_start
check "63 the office router maps tcp/587 there again within 5 s" wait_until 50 mu_has_rule 587
check_eq "63 the Internet host reaches the mail server again" "$X_NET" \
	"$(probe_tcp "$NS_WAN" $X_EXT 587 | cut -d: -f1)"
check_match "63 portholectl status counts the restart" "upstream_restarts=1" "$(ph_ctl status)"
check_match "63 ... which miniupnpd's announcement told, not the 60 s poll" \
	"the gateway in front announced itself; checking it now" "$(cat "$LAB_DIR/portholed.log")"
