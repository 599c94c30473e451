#!/usr/bin/env bash
# The normal client path: a gateway whose external address looks public.
# The other labs use a documentation range, which miniupnpc judges "not
# connected" (UPNP_GetValidIGD returns 2); here the WAN is 11.0.0.0/24, a
# routable-looking prefix that exists only inside the lab's namespaces
# (they have no link to any real network), so GetValidIGD must return 1.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/upnp_common.bash"
lab_up
X_EXT=11.0.0.1
X_WAN=11.0.0.2
lab_public_wan $X_EXT $X_WAN
upnp_start || exit 1
serve_tcp "$NS_MAIL" 25

check "libminiupnpc via IGD:2: UPNP_GetValidIGD returns 1, add/get/walk/delete" \
	in_mail "$BIN/tests/upnp_igd_test" 2 $X_EXT 45000 connected
check "libminiupnpc via IGD:1: the same" in_mail "$BIN/tests/upnp_igd_test" 1 $X_EXT 46000 connected
R=$(upnpc_run "$NS_MAIL" -i -s)
check_match "upnpc finds a valid, connected IGD" "Found valid IGD" "$R"
check_match "upnpc: ExternalIPAddress = $X_EXT" "ExternalIPAddress = $X_EXT" "$R"
R=$(in_mail timeout 20 upnpc -i -e smtp -a $MAIL_IP 25 25 TCP 600)
check_match "upnpc -a maps tcp/25 (the mail server's own port)" \
	"external $X_EXT:25 TCP is redirected to internal $MAIL_IP:25" "$R"
check_eq "the WAN host reaches the mail server at $X_EXT:25" "$X_WAN" "$(probe_tcp "$NS_WAN" $X_EXT 25)"
out=$(in_mail "$BIN/porthole" -t 1500 -P upnp --port tcp/587 map 2>&1)
check_match "libporthole over UPnP maps tcp/587 at the public address" "tcp/587 -> $X_EXT:587 via upnp" "$out"
check_not "... and says nothing of a double NAT" grep -qi "double NAT" <<<"$out"
