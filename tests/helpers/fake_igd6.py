#!/usr/bin/env python3
"""fake_igd6.py IFNAME ADDR DESC LOG: an IGD that is not the router, over IPv6.

Answers every SSDP M-SEARCH heard on [ff02::c]:1900 (joined on IFNAME) with
LOCATION http://[ADDR]:8080/igd2.xml, serves the file DESC there, and writes
one line per HTTP request ("GET /igd2.xml", "POST /ctl/IP6FCtl", ...) to
LOG. A client that takes only its router's IGD fetches the description at
most, and never sends a SOAP request here.
"""
import http.server
import socket
import struct
import sys
import threading

ifname, addr, desc_path, log_path = sys.argv[1:5]
desc = open(desc_path, "rb").read()


class Handler(http.server.BaseHTTPRequestHandler):
    def log(self):
        with open(log_path, "a") as f:
            f.write("%s %s\n" % (self.command, self.path))

    def do_GET(self):
        self.log()
        self.send_response(200)
        self.send_header("Content-Type", 'text/xml; charset="utf-8"')
        self.send_header("Content-Length", str(len(desc)))
        self.end_headers()
        self.wfile.write(desc)

    def do_POST(self):
        self.log()
        self.send_response(500)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class Server(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6


def ssdp():
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", 1900))
    group = socket.inet_pton(socket.AF_INET6, "ff02::c")
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP,
                 group + struct.pack("@I", socket.if_nametoindex(ifname)))
    while True:
        data, peer = s.recvfrom(2048)
        if not data.startswith(b"M-SEARCH"):
            continue
        st = "upnp:rootdevice"
        for line in data.decode("ascii", "replace").split("\r\n"):
            if line.lower().startswith("st:"):
                st = line[3:].strip()
        reply = ("HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=120\r\nEXT:\r\n"
                 "LOCATION: http://[%s]:8080/igd2.xml\r\nSERVER: fake/1 UPnP/2.0 fake/1\r\n"
                 "ST: %s\r\nUSN: uuid:00000000-0000-0000-0000-000000000001::%s\r\n\r\n"
                 % (addr, st, st))
        s.sendto(reply.encode(), peer)


httpd = Server(("::", 8080), Handler)
threading.Thread(target=httpd.serve_forever, daemon=True).start()
ssdp()
