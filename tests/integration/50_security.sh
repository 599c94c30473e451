#!/usr/bin/env bash
# Nothing let in: each check is a named security test (issue 6). The WAN side
# gets no answer from any protocol; another LAN host's ports can't be taken;
# CallStranger callbacks, entity expansion and external entities are refused;
# a flood meets the per-host quota and rate limit without starving others;
# 10,000 malformed packets in a row leave the daemon serving.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/upnp_common.bash"
lab_up
P="$BIN/tests/pcptest"
upnp_start "max_per_host=8" "rate_limit=50"

# --- SEC-1: requests from the WAN side get no answer. Each request is first
# sent from the LAN and answered there, so the silence is the WAN side's, not
# a broken request or a daemon that is down. ---
# http_get NS ADDR: GET /rootDesc.xml; socat's exit status 1 is "no answer".
http_get() {
	printf 'GET /rootDesc.xml HTTP/1.1\r\nHost: %s:%s\r\n\r\n' "$2" $UPNP_PORT |
		ip netns exec "$1" socat -T2 - TCP:"$2":$UPNP_PORT,connect-timeout=2
}
# http_answers NS ADDR: the same GET gets an HTTP status line.
http_answers() { http_get "$@" | grep -q '^HTTP/1.1 '; }
check_match "SEC-1a (control) NAT-PMP from the LAN is answered" "result=0 " \
	"$(in_mail "$P" -x 0000 -t 500 -k 1 $GW_LAN_IP)"
check_fails "SEC-1a NAT-PMP from the WAN gets no answer" 2 in_wan "$P" -x 0000 -t 500 -k 1 $EXT_IP
check_match "SEC-1b (control) PCP from the LAN is answered" "result=0 " \
	"$(in_mail "$P" -o announce -t 500 -k 1 $GW_LAN_IP)"
check_fails "SEC-1b PCP from the WAN gets no answer" 2 in_wan "$P" -o announce -t 500 -k 1 $EXT_IP
check_match "SEC-1c (control) SSDP M-SEARCH to the LAN address is answered" "^ST: " \
	"$(ssdp "$NS_MAIL" $GW_LAN_IP ssdp:all 1 800)"
check_absent "SEC-1c SSDP M-SEARCH to the WAN address gets no answer" . \
	ssdp "$NS_WAN" $EXT_IP ssdp:all 1 800
check_match "SEC-1d (control) multicast SSDP from the LAN is answered" "^ST: " \
	"$(ssdp "$NS_MAIL" 239.255.255.250 ssdp:all 1 1500)"
check_absent "SEC-1d multicast SSDP from the WAN side gets no answer" . \
	ssdp "$NS_WAN" 239.255.255.250 ssdp:all 1 800
check "SEC-1e (control) HTTP to the LAN address is answered" http_answers "$NS_MAIL" $GW_LAN_IP
check_not "SEC-1e HTTP to the WAN address gets no answer" http_answers "$NS_WAN" $EXT_IP
check_match "SEC-1f the control socket is a UNIX socket held by portholed" "portholed" \
	"$(in_gw ss -Hxlp src "$CTL_SOCK")"
# HTTP: the LAN's IPv4 address, and [::] bound to the LAN interface (its IPv6 addresses).
check_eq "SEC-1f portholed listens on TCP only on the LAN (HTTP)" \
	"$GW_LAN_IP:$UPNP_PORT [::]%br-lan:$UPNP_PORT" \
	"$(in_gw ss -Hltnp | grep '"portholed"' | awk '{print $4}' | sort -u | tr '\n' ' ' | sed 's/ $//')"
check "SEC-1 the daemon ran through all of it" ph_alive

# --- SEC-2: a LAN host cannot map another LAN host's ports ---
out=$(soap "$NS_WS" $IPC2_URL $IPC2 AddPortMapping "$(add_args 4000 TCP 4000 $MAIL_IP 3600)" | errcode)
check_eq "SEC-2a UPnP AddPortMapping for another host -> 606" 606 "$out"
out=$(in_ws "$P" -o map -p tcp -i 4001 -T $MAIL_IP $GW_LAN_IP)
check_match "SEC-2b PCP THIRD_PARTY for another host is refused" "result=(5|2) " "$out"
check_absent "SEC-2c neither made a mapping" ' (4000|4001) ' ph_ctl list

# --- SEC-3: CallStranger (CVE-2020-12695) ---
req="SUBSCRIBE /evt/IPConn2 HTTP/1.1\r\nHOST: $GW_LAN_IP:$UPNP_PORT\r\nCALLBACK: <http://198.51.100.9:80/>\r\nNT: upnp:event\r\nTIMEOUT: Second-1800\r\n\r\n"
check_match "SEC-3a a callback off the LAN is refused with 412" "^HTTP/1.1 412" "$(http_raw "$NS_MAIL" $GW_LAN_IP "$req")"
req="SUBSCRIBE /evt/IPConn2 HTTP/1.1\r\nHOST: $GW_LAN_IP:$UPNP_PORT\r\nCALLBACK: <http://$WS_IP:80/>\r\nNT: upnp:event\r\nTIMEOUT: Second-1800\r\n\r\n"
check_match "SEC-3b a callback to another LAN host is refused with 412" "^HTTP/1.1 412" "$(http_raw "$NS_MAIL" $GW_LAN_IP "$req")"

# --- SEC-4: XML entity expansion and external entities ---
bomb='<?xml version="1.0"?><!DOCTYPE s [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><u:AddPortMapping xmlns:u="'$IPC2'"><NewRemoteHost></NewRemoteHost><NewExternalPort>4100</NewExternalPort><NewProtocol>TCP</NewProtocol><NewInternalPort>4100</NewInternalPort><NewInternalClient>'$MAIL_IP'</NewInternalClient><NewEnabled>1</NewEnabled><NewPortMappingDescription>&d;</NewPortMappingDescription><NewLeaseDuration>3600</NewLeaseDuration></u:AddPortMapping></s:Body></s:Envelope>'
out=$(soap_body "$NS_MAIL" $IPC2_URL "$IPC2#AddPortMapping" "$bomb")
check_match "SEC-4a an entity bomb gets a fault" "^HTTP/1.1 (500|400)" "$out"
xxe='<?xml version="1.0"?><!DOCTYPE s [<!ENTITY x SYSTEM "file:///etc/passwd">]><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><u:AddPortMapping xmlns:u="'$IPC2'"><NewRemoteHost></NewRemoteHost><NewExternalPort>4101</NewExternalPort><NewProtocol>TCP</NewProtocol><NewInternalPort>4101</NewInternalPort><NewInternalClient>'$MAIL_IP'</NewInternalClient><NewEnabled>1</NewEnabled><NewPortMappingDescription>&x;</NewPortMappingDescription><NewLeaseDuration>3600</NewLeaseDuration></u:AddPortMapping></s:Body></s:Envelope>'
out=$(soap_body "$NS_MAIL" $IPC2_URL "$IPC2#AddPortMapping" "$xxe")
check_match "SEC-4b an external entity gets a fault" "^HTTP/1.1 (500|400)" "$out"
check_not "SEC-4c and nothing of /etc/passwd comes back" grep -q "root:" <<<"$out"
check_absent "SEC-4d neither made a mapping" ' (4100|4101) ' ph_ctl list

# --- SEC-5: a flood meets the per-host quota and the rate limit ---
granted=0
for i in $(seq 1 12); do
	out=$(in_mail "$P" -o map -p tcp -i $((5000 + i)) -l 3600 $GW_LAN_IP)
	grep -q "result=0 " <<<"$out" && granted=$((granted + 1))
done
check_eq "SEC-5a one host gets no more than max_per_host=8 mappings" 8 "$granted"
out=$(in_mail "$P" -o map -p tcp -i 5100 -l 3600 $GW_LAN_IP)
check_match "SEC-5b the ninth is refused with USER_EX_QUOTA (10)" "result=10 " "$out"
check_match "SEC-5b the refusal is logged with its reason" \
	"mapping refused: pcp tcp [0-9]+ for $MAIL_IP: the host has used its max_per_host quota" \
	"$(cat "$LAB_DIR/portholed.log")"
out=$(in_ws "$P" -o map -p tcp -i 6000 -l 3600 $GW_LAN_IP)
check_match "SEC-5c another host still gets its mapping" "result=0 " "$out"
in_mail "$BIN/tests/udpflood" $GW_LAN_IP 5351 3000 7 &
flood=$!
sleep 0.2
out=$(in_ws "$P" -o map -p tcp -i 6001 -l 3600 $GW_LAN_IP)
wait $flood
check_match "SEC-5d during one host's flood another host is served" "result=0 " "$out"
sleep 1.1	# the summary of suppressed drop lines comes with the next second's first
in_mail "$P" -x 01 -t 100 -k 1 $GW_LAN_IP >/dev/null
check_match "SEC-5e the flood met the per-host rate limit (logged)" "over the per-host rate limit" \
	"$(cat "$LAB_DIR/portholed.log")"

# --- SEC-6: 10,000 malformed packets in a row ---
sleep 1
in_mail "$BIN/tests/udpflood" $GW_LAN_IP 5351 10000 11
in_mail "$BIN/tests/udpflood" $GW_LAN_IP 1900 10000 13
in_mail "$BIN/tests/udpflood" 239.255.255.250 1900 2000 17
sleep 1.5	# let the rate limit refill
check "SEC-6a the daemon is still running" ph_alive
check_match "SEC-6b NAT-PMP still answers" "result=0 " "$(in_ws "$P" -x 0000 $GW_LAN_IP)"
check_match "SEC-6c PCP still answers" "result=0 " "$(in_ws "$P" -o announce $GW_LAN_IP)"
check_match "SEC-6d SSDP still answers" "LOCATION" "$(ssdp "$NS_WS" $GW_LAN_IP ssdp:all 1 1500)"
check_match "SEC-6e UPnP SOAP still answers" "$EXT_IP" \
	"$(soap "$NS_WS" $IPC2_URL $IPC2 GetExternalIPAddress "" | xval NewExternalIPAddress)"
check_match "SEC-6f malformed packets are logged, rate-limited" "more requests dropped" \
	"$(cat "$LAB_DIR/portholed.log")"
check_eq "SEC-6g the log did not grow by a line per bad packet" 1 \
	"$([ "$(wc -l <"$LAB_DIR/portholed.log")" -lt 2000 ] && echo 1)"
upnp_stop
