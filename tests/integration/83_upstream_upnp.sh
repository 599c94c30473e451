#!/usr/bin/env bash
# Behind another NAT (issue 17) with upstream=upnp: the ISP box is Debian's
# miniupnpd speaking UPnP only (NAT-PMP and PCP off), and the office
# router's portholed maps through it with UPnP IGD (libporthole's
# miniupnpc). The ISP box's WAN is 192.0.3.0/24 (lab_isp_routable).
. "$(dirname "$0")/../lib.sh"
if [ ! -x /usr/sbin/miniupnpd ]; then
	trap lab_finish EXIT
	skip "every check with a UPnP-only box in front" "miniupnpd not installed: apt-get install miniupnpd-nftables (tests/deps.sh)"
	exit 0
fi
lab_up_double
lab_isp_routable
miniupnpd_setup "$NS_ISP" "$ISP_LAN_NET" enable_natpmp=no http_port=5555

check "miniupnpd starts in the ISP box, UPnP only" miniupnpd_start tcp 5555
check_not "control: nothing answers PCP or NAT-PMP in the ISP box (no udp/5351)" \
	bash -c "ip netns exec $NS_ISP ss -H -lun 'sport = :5351' | grep -q ."
check "the office router's portholed starts with upstream=upnp" ph_start "$(ph_config upstream=upnp)"
check "61 the ISP box's address is learned through UPnP within 5 s" wait_until 50 bash -c \
	"ip netns exec $NS_GW $BIN/portholectl -s $CTL_SOCK status | grep -qx external_address=$X_EXT"
check_eq "portholectl status: forwarded upstream with UPnP, the address learned from it" \
	"upstream_method=upnp upstream_active=yes public_source=upstream:upnp" \
	"$(ph_ctl status | grep -E '^(upstream_active|upstream_method|public_source)=' | sort -r | xargs)"
serve_tcp "$NS_MAIL" 25
serve_tcp "$NS_MAIL" 587
mu_map_smtp
R=$(in_mail timeout 20 upnpc -i -e submission -a $MAIL_IP 587 587 TCP 600 2>&1)
check_match "62 upnpc maps tcp/587, told miniupnpd's address" \
	"external $X_EXT:587 TCP is redirected to internal $MAIL_IP:587" "$R"
check "62 ... miniupnpd's rule was there before upnpc had its answer" mu_has_rule 587
check_match "62 ... with the local lease's description (UPnP NewPortMappingDescription)" \
	"TCP +587->$OFFICE_WAN_IP:587 +'submission'" "$(in_isp upnpc -i -u http://$ISP_LAN_IP:5555/rootDesc.xml -l 2>&1)"
check_eq "62 the Internet host reaches it too" "$X_NET" "$(probe_tcp "$NS_WAN" $X_EXT 587 | cut -d: -f1)"

in_mail natpmpc -g $GW_LAN_IP -a 25 25 tcp 0 >/dev/null 2>&1
check "63 deleting tcp/25 removes miniupnpd's rule within 3 s" wait_until 30 mu_no_rule 25
check "63 ... tcp/587 stays (control)" mu_has_rule 587
check_not "63 ... and the Internet host no longer reaches port 25" probe_tcp "$NS_WAN" $X_EXT 25
R=$(in_mail timeout 20 upnpc -i -d 587 TCP 2>&1)
check_match "63 upnpc deletes tcp/587" "UPNP_DeletePortMapping\\(\\) returned : 0" "$R"
check "63 ... and miniupnpd's rule goes within 3 s" wait_until 30 mu_no_rule 587
