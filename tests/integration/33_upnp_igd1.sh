#!/usr/bin/env bash
# IGD:1 mode (igd_version=1, CONFORMANCE E41): only the v1 tree exists, so
# clients that ignore IGD:2 (Windows, Xbox) find a gateway they understand;
# v1 lease rules apply. Also secure_mode=no: third-party mappings allowed
# when the policy says so.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/upnp_common.bash"
lab_up
upnp_start igd_version=1 || exit 1

R=$(ssdp "$NS_MAIL" 239.255.255.250 ssdp:all 1 2000)
check_eq "E41 IGD:1 mode: ssdp:all gets 3+2d+k = 10 replies (with Layer3Forwarding)" 10 "$(grep -c '^USN: ' <<<"$R")"
check_not "E41 IGD:1 mode announces nothing of version 2" grep -q ':2'$'\r' <<<"$R"
check_match "E41 IGD:1 mode: LOCATION is the v1 description" "LOCATION: http://$GW_LAN_IP:$UPNP_PORT/igd1.xml" "$R"
R=$(ssdp "$NS_MAIL" 239.255.255.250 urn:schemas-upnp-org:device:InternetGatewayDevice:2 1 1500)
check_eq "E41 IGD:1 mode: a search for IGD:2 gets no answer" "" "$R"
R=$(ssdp "$NS_MAIL" 239.255.255.250 urn:schemas-upnp-org:service:Layer3Forwarding:1 1 1500)
check_match "E41 Layer3Forwarding:1 is found" '^ST: urn:schemas-upnp-org:service:Layer3Forwarding:1' "$R"
R=$(http_raw "$NS_MAIL" $GW_LAN_IP "GET /igd2.xml HTTP/1.0\r\n\r\n")
check_match "E41 IGD:1 mode: no IGD:2 description" '^HTTP/1\.[01] 404' "$R"
check_eq "E41 IGD:1 mode: the WANIPConnection:2 control URL is not there" 404 \
	"$(soap "$NS_MAIL" $IPC2_URL $IPC2 GetExternalIPAddress "" | head -1 | awk '{print $2}')"
D=$(http_raw "$NS_MAIL" $GW_LAN_IP "GET /igd1.xml HTTP/1.0\r\n\r\n")
check_eq "E40 v1 tree: IGD > L3F, WANDevice > WANCommonInterfaceConfig, WANConnectionDevice > WANIPConnection:1" \
	"InternetGatewayDevice:1 Layer3Forwarding:1 WANDevice:1 WANCommonInterfaceConfig:1 WANConnectionDevice:1 WANIPConnection:1" \
	"$(grep -oE '(device|service):[A-Za-z0-9]+:[0-9]' <<<"$D" | cut -d: -f2- | tr '\n' ' ' | sed 's/ $//')"

check "E41 E46 libminiupnpc in IGD:1 mode" in_mail "$BIN/tests/upnp_igd_test" 1 $EXT_IP 42000
R=$(in_mail timeout 20 upnpc -i -a $MAIL_IP 25 25 TCP)
check_match "E44 v1: port 25 with lease 0 (permanent)" "external $EXT_IP:25 TCP is redirected to internal $MAIL_IP:25 \(duration=0\)" "$R"
L3F=urn:schemas-upnp-org:service:Layer3Forwarding:1
R=$(soap "$NS_MAIL" /ctl/L3F $L3F GetDefaultConnectionService "")
check_match "E41 Layer3Forwarding GetDefaultConnectionService names the WANIPConnection" \
	'NewDefaultConnectionService>uuid:[0-9a-f-]+:WANConnectionDevice:1,urn:upnp-org:serviceId:WANIPConn1<' "$R"
check_eq "E42 v1 AddAnyPortMapping does not exist -> 401" 401 \
	"$(soap "$NS_MAIL" $IPC1_URL $IPC1 AddAnyPortMapping "$(add_args 3000 TCP 3000 $MAIL_IP 0)" | errcode)"
check_eq "E42 a v2 request on the v1 service -> 401" 401 \
	"$(soap "$NS_MAIL" $IPC1_URL $IPC2 GetExternalIPAddress "" | errcode)"
serve_tcp "$NS_MAIL" 25
check_eq "E43 WAN -> $EXT_IP:25 reaches the mail server" "$WAN_IP" "$(probe_tcp "$NS_WAN" $EXT_IP 25)"

# The lab's policy has no third-party right: secure_mode=no alone changes nothing.
upnp_stop
upnp_start igd_version=1 secure_mode=no || exit 1
check_eq "E43 secure_mode=no, no third-party rule: ws mapping mail -> 718 (v1)" 718 \
	"$(soap "$NS_WS" $IPC1_URL $IPC1 AddPortMapping "$(add_args 2600 TCP 25 $MAIL_IP 0)" | errcode)"
# secure_mode=no and a third-party rule: a host may map another host.
upnp_stop
cat >"$LAB_DIR/tp.conf" <<CONF
ext_ifname=wan0
lan_ifname=br-lan
table=porthole
control_socket=$CTL_SOCK
http_port=$UPNP_PORT
igd_version=1
secure_mode=no
allow 1-65535 $LAN_NET 1-65535 third-party
CONF
ph_start "$LAB_DIR/tp.conf" || exit 1
check_eq "E43 secure_mode=no: ws maps a port to mail" ok \
	"$(soap "$NS_WS" $IPC1_URL $IPC1 AddPortMapping "$(add_args 2600 TCP 25 $MAIL_IP 0)" | errcode)"
check_eq "E43 secure_mode=no: ws may delete it" ok \
	"$(soap "$NS_WS" $IPC1_URL $IPC1 DeletePortMapping "$(key_args 2600 TCP)" | errcode)"
ph_ctl add tcp 2700 $MAIL_IP 25 0 static >/dev/null
check_eq "E46 a static mapping cannot be deleted over UPnP -> 606" 606 \
	"$(soap "$NS_MAIL" $IPC1_URL $IPC1 DeletePortMapping "$(key_args 2700 TCP)" | errcode)"
check_eq "E43 a static mapping cannot be taken over -> 718" 718 \
	"$(soap "$NS_MAIL" $IPC1_URL $IPC1 AddPortMapping "$(add_args 2700 TCP 26 $MAIL_IP 0)" | errcode)"

# The per-host request budget (rate_limit) covers SOAP as it does PCP.
upnp_stop
upnp_start rate_limit=5 || exit 1
codes=$(soap_burst "$NS_MAIL" $IPC1_URL $IPC1 GetExternalIPAddress 20 | grep '^HTTP/1.1 ' |
	awk '{print $2}' | sort | uniq -c | tr '\n' ' ')
check_match "E42 over rate_limit=5: a burst of 20 gets 503s ($codes)" '[0-9]+ 503' "$codes"
check_match "E42 ... but the budget's worth gets served" '[0-9]+ 200' "$codes"
R=$(ssdp "$NS_WS" $GW_LAN_IP upnp:rootdevice - 1000)
check_match "E38 another host's budget is its own" '^ST: upnp:rootdevice' "$R"
sleep 1.5
check_eq "E42 the budget refills" 200 "$(soap "$NS_MAIL" $IPC1_URL $IPC1 GetExternalIPAddress "" | head -1 | awk '{print $2}')"

# A host over its quota (max_per_host) gets 728 NoPortMapsAvailable.
upnp_stop
upnp_start max_per_host=2 || exit 1
for p in 3001 3002; do
	soap "$NS_MAIL" $IPC2_URL $IPC2 AddPortMapping "$(add_args $p TCP $p $MAIL_IP 600)" >/dev/null
done
check_eq "E43 AddPortMapping over the host's quota -> 728" 728 \
	"$(soap "$NS_MAIL" $IPC2_URL $IPC2 AddPortMapping "$(add_args 3003 TCP 3003 $MAIL_IP 600)" | errcode)"
check_eq "E45 AddAnyPortMapping over the host's quota -> 728" 728 \
	"$(soap "$NS_MAIL" $IPC2_URL $IPC2 AddAnyPortMapping "$(add_args 3003 TCP 3003 $MAIL_IP 600)" | errcode)"
check_eq "E43 ... renewing one it holds still works" ok \
	"$(soap "$NS_MAIL" $IPC2_URL $IPC2 AddPortMapping "$(add_args 3001 TCP 3001 $MAIL_IP 900)" | errcode)"
check_eq "E43 ... and another host is not affected" ok \
	"$(soap "$NS_WS" $IPC2_URL $IPC2 AddPortMapping "$(add_args 3003 TCP 3003 $WS_IP 600)" | errcode)"
