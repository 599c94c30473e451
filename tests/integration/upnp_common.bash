# upnp_common.bash: helpers shared by the 3x_upnp*.sh tests (sourced after
# tests/lib.sh; not a test itself). HTTP is on a fixed port so raw requests
# can be written by hand.
UPNP_PORT=5000
IPC2_URL=/ctl/IPConn2
IPC1_URL=/ctl/IPConn1
IPC2=urn:schemas-upnp-org:service:WANIPConnection:2
IPC1=urn:schemas-upnp-org:service:WANIPConnection:1

upnp_start() {
	ph_start "$(ph_config "http_port=$UPNP_PORT" "$@")"
}

# ssdp NS DST ST MX WAIT_MS: print the replies to one M-SEARCH.
ssdp() {
	local ns=$1; shift
	ip netns exec "$ns" "$BIN/tests/ssdp_probe" search "$@"
}

# http_raw NS HOST REQUEST: send REQUEST (printf %b escapes) and print the answer.
http_raw() {
	printf '%b' "$3" | ip netns exec "$1" socat -T3 - TCP:"$2":$UPNP_PORT,connect-timeout=2 2>/dev/null
}

# xarg NAME VALUE: one SOAP argument element.
xarg() { printf '<%s>%s</%s>' "$1" "$2" "$1"; }

# soap_envelope SERVICE ACTION ARGS_XML: the request body of one action.
soap_envelope() {
	printf '<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body><u:%s xmlns:u="%s">%s</u:%s></s:Body></s:Envelope>' \
		"$2" "$1" "$3" "$2"
}

# soap NS URL SERVICE ACTION ARGS_XML: call an action, print the HTTP answer.
soap() {
	soap_body "$1" "$2" "$3#$4" "$(soap_envelope "$3" "$4" "$5")"
}

# upnp_send NS TIMEOUT: stdin to the gateway's HTTP port, the answer to stdout.
# The gateway's address is $UPNP_GW: its LAN IPv4 address unless set (an IPv6
# one in brackets); the request comes from the address $UPNP_BIND when set.
upnp_send() {
	local gw=${UPNP_GW:-$GW_LAN_IP} to=TCP
	[[ $gw == \[* ]] && to=TCP6
	ip netns exec "$1" socat -T"$2" - $to:$gw:$UPNP_PORT,connect-timeout=2${UPNP_BIND:+,bind=$UPNP_BIND} 2>/dev/null
}

# soap_burst NS URL SERVICE ACTION N: N calls back to back on one connection
# (no slow process start between them, however loaded the machine); print
# every answer.
soap_burst() {
	local body i
	body=$(soap_envelope "$3" "$4" "")
	for i in $(seq "$5"); do
		printf 'POST %s HTTP/1.1\r\nHOST: %s:%s\r\nCONTENT-TYPE: text/xml; charset="utf-8"\r\nSOAPACTION: "%s#%s"\r\nCONTENT-LENGTH: %s\r\n%s\r\n%s' \
			"$2" ${UPNP_GW:-$GW_LAN_IP} $UPNP_PORT "$3" "$4" ${#body} "$([ "$i" = "$5" ] && printf 'CONNECTION: close\r\n')" "$body"
	done | upnp_send "$1" 5
}

# soap_body NS URL SOAPACTION BODY: POST a body as it is (to $UPNP_GW, from
# $UPNP_BIND: upnp_send).
soap_body() {
	local req="POST $2 HTTP/1.1\r\nHOST: ${UPNP_GW:-$GW_LAN_IP}:$UPNP_PORT\r\nCONTENT-TYPE: text/xml; charset=\"utf-8\"\r\nSOAPACTION: \"$3\"\r\nCONTENT-LENGTH: ${#4}\r\nCONNECTION: close\r\n\r\n"
	{ printf '%b' "$req"; printf '%s' "$4"; } | upnp_send "$1" 3
}

# The UPnP error code of a fault, or "ok" for a 200 answer.
errcode() {
	local r
	r=$(cat)
	if printf '%s' "$r" | head -1 | grep -q ' 200 '; then echo ok; return; fi
	printf '%s' "$r" | sed -n 's:.*<errorCode>\([0-9]*\)</errorCode>.*:\1:p' | head -1
}

# A value out of a SOAP answer.
xval() { sed -n "s:.*<$1>\([^<]*\)</$1>.*:\1:p" | head -1; }

# add_args EXT PROTO INTPORT CLIENT LEASE [REMOTE] [DESC]
add_args() {
	xarg NewRemoteHost "${6:-}"; xarg NewExternalPort "$1"; xarg NewProtocol "$2"
	xarg NewInternalPort "$3"; xarg NewInternalClient "$4"; xarg NewEnabled 1
	xarg NewPortMappingDescription "${7:-test}"; xarg NewLeaseDuration "$5"
}

key_args() { xarg NewRemoteHost "${3:-}"; xarg NewExternalPort "$1"; xarg NewProtocol "$2"; }

ph_alive() { kill -0 "$PH_PID"; }

# PH_PID is the subshell lib.sh started portholed from; stop the daemon itself.
upnp_stop() {
	local kids
	kids=$(ps -o pid= --ppid "$PH_PID" 2>/dev/null)
	[ -n "$kids" ] && kill -TERM $kids 2>/dev/null
	ph_stop
}

# gena_catcher NS PORT FILE [v6]: a NOTIFY listener on NS (IPv4, or IPv6 with
# v6) that appends each request (headers, body, then a line "----") to FILE
# in one write, so a reader that sees its SEQ line sees its body too, and
# answers 200.
gena_catcher() {
	local listen="TCP-LISTEN:$2,fork,reuseaddr"
	[ "${4:-}" = v6 ] && listen="TCP6-LISTEN:$2,fork,reuseaddr,ipv6only=1"
	[ -f "$LAB_DIR/catch.sh" ] || cat >"$LAB_DIR/catch.sh" <<'SH'
n=0 req=""
while IFS= read -r l; do
	l=${l%$'\r'}
	req+="$l"$'\n'
	[ -z "$l" ] && break
	case ${l,,} in content-length:*) n=${l#*: } ;; esac
done
req+=$(head -c "$n")
printf '%s\n----\n' "$req" >>"$1"
printf 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'
SH
	: >"$3"
	ip netns exec "$1" socat "$listen" SYSTEM:"bash $LAB_DIR/catch.sh $3" 2>/dev/null &
	LAB_PIDS+=($!)
	wait_listen "$1" tcp "$2"
}

# What the catchers received: wait_for FILE REGEX (up to 3 s for a line to
# match), nth_notify FILE N, nnotify FILE (how many), wait_after FILE N REGEX
# (up to 3 s for a NOTIFY after the first N to match).
wait_for() {
	for _ in $(seq 30); do grep -Eq -- "$2" "$1" && return 0; sleep 0.1; done
	return 1
}
nth_notify() { awk -v n="$2" 'BEGIN{RS="----\n"} NR==n' "$1"; }
nnotify() { grep -c '^SEQ: ' "$1"; }
wait_after() {
	for _ in $(seq 30); do
		awk -v n="$2" 'BEGIN{RS="----\n"} NR>n' "$1" | grep -Eq -- "$3" && return 0
		sleep 0.1
	done
	return 1
}
