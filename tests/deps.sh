#!/usr/bin/env bash
# tests/deps.sh: the Debian packages porthole needs to build and test.
# As root, installs the missing ones; otherwise names them and fails.
PACKAGES=(
	build-essential pkg-config
	libnftnl-dev libmnl-dev libmicrohttpd-dev libxml2-dev libcap-dev libseccomp-dev  # the daemon
	libnatpmp-dev libminiupnpc-dev libcurl4-openssl-dev libjson-c-dev  # the client library
	dnsmasq-base                                            # the lab's DNS server
	libcmocka-dev                                           # unit tests
	libupnp-dev                                             # a libupnp control point (SSDP test)
	iproute2 nftables socat tcpdump procps curl strace      # the lab
	natpmpc miniupnpc                                       # real clients
	python3 libxml2-utils                                   # JSON and XML checks (xmllint)
	miniupnpd-nftables                                      # the reference gateway
	coturn                                                  # a real STUN server (upstream lab)
	clang                                                   # fuzzing
	chromium                                                # the status page, rendered
)
missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "missing Debian packages: ${missing[*]}" >&2
	echo "install them with: sudo apt-get install ${missing[*]}" >&2
	exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# The reference gateway is for the lab only: never let its service start here.
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d.porthole
chmod +x /usr/sbin/policy-rc.d.porthole
had_policy=0
[ -e /usr/sbin/policy-rc.d ] && had_policy=1
[ $had_policy -eq 1 ] || cp /usr/sbin/policy-rc.d.porthole /usr/sbin/policy-rc.d
apt-get update -qq >/dev/null 2>&1 || apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
rc=$?
[ $had_policy -eq 1 ] || rm -f /usr/sbin/policy-rc.d
rm -f /usr/sbin/policy-rc.d.porthole
[ $rc -eq 0 ] || { echo "apt-get install failed" >&2; exit 1; }
