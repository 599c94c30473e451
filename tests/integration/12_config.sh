#!/usr/bin/env bash
# Configuration keys and rules no other script exercises, each shown by what
# clients and real traffic see: ext_ip, uuid, a custom table, enable_upnp=no,
# deny rules with narrow port ranges, and SIGHUP changing lifetimes and limits.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/upnp_common.bash"
lab_up
P="$BIN/tests/pcptest"
serve_tcp "$NS_MAIL" 25
serve_tcp "$NS_MAIL" 3001
serve_tcp "$NS_WS" 3001

field() { printf '%s\n' "$2" | grep -o " $1=[^ ]*" | head -1 | cut -d= -f2; }
pcp_from() { ip netns exec "$1" "$P" "${@:2}" $GW_LAN_IP; }
# conf_rules LINES...: the lab's config without its allow-everything rule.
conf_rules() {
	local conf
	conf=$(ph_config "$@")
	sed -i "/^allow 1-65535 ${LAN_NET%/*}/d" "$conf"
	echo "$conf"
}

# --- ext_ip: the address clients are told, when it is not the WAN
# interface's own (an upstream 1:1 NAT); WAN traffic still arrives at wan0 ---
X=198.51.100.7
check "portholed starts with ext_ip=$X and a UPnP port" ph_start "$(ph_config ext_ip=$X http_port=$UPNP_PORT)"
check_match "ext_ip: portholectl status reports it" "external_address=$X" "$(ph_ctl status)"
check_match "ext_ip: NAT-PMP reports it (c6336407)" "result=0 .*hex=00800000[0-9a-f]{8}c6336407$" \
	"$(pcp_from "$NS_MAIL" -x 0000)"
out=$(pcp_from "$NS_MAIL" -i 25 -e 2525 -l 600)
check_match "ext_ip: a PCP MAP reports it" "result_name=SUCCESS .*ext_port=2525 ext_ip=$X" "$out"
check_eq "ext_ip: UPnP GetExternalIPAddress reports it" "$X" \
	"$(soap "$NS_MAIL" $IPC2_URL $IPC2 GetExternalIPAddress "" | xval NewExternalIPAddress)"
# The upstream routes $X to the gateway: packets arrive at wan0 addressed to it.
in_wan ip route add $X/32 via $EXT_IP
check_eq "ext_ip: WAN traffic to $X crosses the mapping" "$WAN_IP" \
	"$(probe_tcp "$NS_WAN" $X 2525)"
in_wan ip route del $X/32 via $EXT_IP
check_eq "ext_ip: a LAN host reaches the mapping at $X (hairpin)" "$X" \
	"$(probe_tcp "$NS_WS" $X 2525 | cut -d: -f1)"
in_gw ip addr flush dev wan0
in_gw ip addr add 203.0.113.9/24 dev wan0
sleep 1		# time for the daemon to have seen the change, were it following it
check_match "ext_ip: a WAN address change does not replace it" "external_address=$X" "$(ph_ctl status)"
in_gw ip addr flush dev wan0
in_gw ip addr add $EXT_IP/24 dev wan0
ph_stop

# --- uuid, a custom table ---
U=0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9
conf=$(ph_config uuid=$U http_port=$UPNP_PORT)
sed -i 's/^table=porthole$/table=lab_fw/' "$conf"
check "portholed starts with uuid=$U and table=lab_fw" ph_start "$conf"
check_match "uuid: SSDP answers with it" "^USN: uuid:$U::upnp:rootdevice" \
	"$(ssdp "$NS_MAIL" $GW_LAN_IP upnp:rootdevice - 1000)"
check_match "uuid: the description's root device has it" "<UDN>uuid:$U</UDN>" \
	"$(http_raw "$NS_MAIL" $GW_LAN_IP "GET /igd2.xml HTTP/1.0\r\n\r\n")"
ph_ctl add tcp 2526 $MAIL_IP 25 >/dev/null
check_match "table: the mapping is in table inet lab_fw" "tcp \. 2526 : $MAIL_IP \. 25" \
	"$(in_gw nft list table inet lab_fw)"
check_not "table: there is no table inet porthole" in_gw nft list table inet porthole
check_eq "table: the mapping carries WAN traffic" "$WAN_IP" "$(probe_tcp "$NS_WAN" $EXT_IP 2526)"
ph_stop
check_not "table: lab_fw leaves with the daemon" in_gw nft list table inet lab_fw

# --- enable_upnp=no: no SSDP, no HTTP; NAT-PMP still answers (the control,
# with UPnP answering in the same lab above) ---
check "portholed starts with enable_upnp=no" ph_start "$(ph_config enable_upnp=no http_port=$UPNP_PORT)"
check_match "enable_upnp=no: NAT-PMP still answers" "result=0 " "$(pcp_from "$NS_MAIL" -x 0000)"
check_absent "enable_upnp=no: no SSDP answer" . ssdp "$NS_MAIL" $GW_LAN_IP upnp:rootdevice - 1000
check_not "enable_upnp=no: no HTTP on the UPnP port" \
	in_mail socat -T2 - TCP:$GW_LAN_IP:$UPNP_PORT,connect-timeout=2 </dev/null
check_absent "enable_upnp=no: nothing listens on udp/1900" . in_gw ss -Hlun "sport = :1900"
ph_stop

# --- deny rules and narrow port ranges: the first rule that matches decides ---
conf=$(conf_rules "allow 2500-2510 $MAIL_IP/32 25" "deny 1-65535 $WS_IP/32 1-65535" \
	"allow 3000 $LAN_NET 3001" "deny 1-65535 0.0.0.0/0 1-65535")
check "portholed starts with narrow allow rules and deny rules" ph_start "$conf"
out=$(pcp_from "$NS_MAIL" -i 25 -e 2505 -l 600)
check_match "rules: mail 25 on external 2505 is allowed (2500-2510)" "result_name=SUCCESS .*ext_port=2505 " "$out"
check_eq "rules: ... and carries WAN traffic" "$WAN_IP" "$(probe_tcp "$NS_WAN" $EXT_IP 2505)"
out=$(pcp_from "$NS_MAIL" -i 25 -e 2511 -P -l 600)
check_match "rules: external 2511, outside the range, is not granted" \
	"result_name=(NOT_AUTHORIZED|CANNOT_PROVIDE_EXTERNAL) " "$out"
out=$(pcp_from "$NS_MAIL" -i 25 -e 2511 -l 600)
check "rules: without PREFER_FAILURE, any port granted is inside 2500-2510 ($(field ext_port "$out"))" \
	test "$(field result_name "$out")" = NOT_AUTHORIZED -o \
	\( "$(field ext_port "$out")" -ge 2500 -a "$(field ext_port "$out")" -le 2510 \)
check_eq "rules: internal port 26 matches no allow rule -> NOT_AUTHORIZED" NOT_AUTHORIZED \
	"$(field result_name "$(pcp_from "$NS_MAIL" -i 26 -e 2506 -l 600)")"
check_eq "rules: 3000 -> mail:3001 is allowed by the later rule" SUCCESS \
	"$(field result_name "$(pcp_from "$NS_MAIL" -i 3001 -e 3000 -P -l 600)")"
check_eq "rules: ... and carries WAN traffic" "$WAN_IP" "$(probe_tcp "$NS_WAN" $EXT_IP 3000)"
check "rules: (the mapping on 3000 is deleted)" ph_ctl del tcp 3000
check_eq "rules: ws is denied first, though the later rule would allow it" NOT_AUTHORIZED \
	"$(field result_name "$(pcp_from "$NS_WS" -i 3001 -e 3000 -l 600)")"
check_not "rules: ... and the WAN does not reach ws" probe_tcp "$NS_WAN" $EXT_IP 3000
check_match "rules: NAT-PMP is held to them too (result 2)" "result=2 " \
	"$(pcp_from "$NS_WS" -x 00020000041704170000012c)"
ph_stop

# --- SIGHUP changes lifetimes and limits (each request a new mapping: a
# repeated one would be another nonce's) ---
conf=$(ph_config max_lifetime=900 max_per_host=2)
check "portholed starts with max_lifetime=900, max_per_host=2" ph_start "$conf"
check_eq "before: a PCP lifetime is capped at 900" 900 "$(field lifetime "$(pcp_from "$NS_MAIL" -i 4001 -l 5000)")"
check_eq "before: a second mapping fits the quota" SUCCESS \
	"$(field result_name "$(pcp_from "$NS_MAIL" -i 4002 -l 600)")"
check_eq "before: mail's third mapping is over its quota" USER_EX_QUOTA \
	"$(field result_name "$(pcp_from "$NS_MAIL" -i 4003 -l 600)")"
sed -i 's/^max_lifetime=900$/max_lifetime=600/; s/^max_per_host=2$/max_per_host=4/' "$conf"
echo "min_lifetime=300" >>"$conf"
kill -HUP "$PH_PID"
wait_until 50 grep -q "reloaded" "$LAB_DIR/portholed.log"
out=$(pcp_from "$NS_MAIL" -i 4003 -l 5000)
check_eq "after SIGHUP: the third mapping fits the new quota (4)" SUCCESS "$(field result_name "$out")"
check_eq "after SIGHUP: ... and its lifetime is capped at the new 600" 600 "$(field lifetime "$out")"
check_eq "after SIGHUP: the floor is the new 300" 300 "$(field lifetime "$(pcp_from "$NS_MAIL" -i 4004 -l 30)")"
check_eq "after SIGHUP: the fifth is over the new quota" USER_EX_QUOTA \
	"$(field result_name "$(pcp_from "$NS_MAIL" -i 4005 -l 600)")"
ph_stop
