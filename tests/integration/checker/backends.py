#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Real local backends for the checker integration tests.

  backends.py DIR SPEC...

SPEC is KIND:PORT[:ARG]; every server binds 127.0.0.1 (or the address given
with --addr) and runs until killed. Behaviour is steered through files in DIR
so a test can flip a backend between healthy and broken without restarting it:

  http:PORT        status from DIR/status-PORT (default 200), body DIR/body-PORT
                   (default "ok\\n"); every request path is appended to DIR/requests-PORT
  https:PORT:CERT  the same over TLS with CERT (PEM holding key and certificate)
  hang:PORT        accepts and never answers
  garbage:PORT     answers every connection with binary garbage and closes
  endless:PORT     answers 200 with a chunked body that never ends
  trickle:PORT     sends a valid status line one byte per second, forever
  smtp:PORT        220 banner, 250 to EHLO/HELO, 221 to QUIT; banner from DIR/smtp-PORT
  udp:PORT         UDP echo, prefixing replies with DIR/udp-PORT (default "PONG ")
  https-old:PORT:CERT  TLS 1.0/1.1 only (a downgrade the checker must refuse)
  dns:PORT         answers A queries for the name in DIR/dns-PORT (default ok.test)
                   with DIR/dns-addr-PORT (default 10.1.2.3), NXDOMAIN for other names
DIR/ready is written when every listener is up.
"""
import os
import socket
import socketserver
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

D = sys.argv[1]
ADDR = "127.0.0.1"
specs = sys.argv[2:]
if specs and specs[0].startswith("--addr="):
    ADDR = specs[0].split("=", 1)[1]
    specs = specs[1:]


def ctl(name, default):
    try:
        with open(os.path.join(D, name)) as f:
            return f.read()
    except FileNotFoundError:
        return default


def make_http(port):
    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def do_GET(self):
            with open(os.path.join(D, "requests-%d" % port), "a") as f:
                f.write(self.path + " " + self.headers.get("Host", "") + "\n")
            status = int(ctl("status-%d" % port, "200").strip() or 200)
            body = ctl("body-%d" % port, "ok\n").encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)

        do_HEAD = do_GET

    return H


class TCP(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def serve_stream(port, handler):
    srv = TCP((ADDR, port), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()


class Hang(socketserver.BaseRequestHandler):
    def handle(self):
        time.sleep(3600)


class Garbage(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.sendall(bytes(range(256)) * 4 + b"\r\n\r\n")


class Endless(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.recv(4096)
        try:
            self.request.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            chunk = b"4000\r\n" + b"x" * 0x4000 + b"\r\n"
            while True:
                self.request.sendall(chunk)
        except OSError:
            pass


class Trickle(socketserver.BaseRequestHandler):
    def handle(self):
        try:
            for b in b"HTTP/1.1 200 OK\r\nX: " + b"y" * 100000:
                self.request.sendall(bytes([b]))
                time.sleep(1)
        except OSError:
            pass


def make_smtp(port):
    class S(socketserver.StreamRequestHandler):
        def handle(self):
            banner = ctl("smtp-%d" % port, "220 test ESMTP ready\r\n")
            self.wfile.write(banner.encode())
            for line in self.rfile:
                cmd = line.decode(errors="replace").strip().upper()
                if cmd.startswith("EHLO"):
                    self.wfile.write(b"250-test greets you\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
                elif cmd.startswith("HELO"):
                    self.wfile.write(b"250 test\r\n")
                elif cmd.startswith("QUIT"):
                    self.wfile.write(b"221 bye\r\n")
                    return
                else:
                    self.wfile.write(b"500 what\r\n")
    return S


def serve_udp(port):
    s = socket.socket(socket.AF_INET6 if ":" in ADDR else socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((ADDR, port))

    def loop():
        while True:
            data, peer = s.recvfrom(65535)
            with open(os.path.join(D, "requests-%d" % port), "a") as f:
                f.write(repr(data) + "\n")
            s.sendto(ctl("udp-%d" % port, "PONG ").encode() + data, peer)
    threading.Thread(target=loop, daemon=True).start()


def serve_dns(port):
    s = socket.socket(socket.AF_INET6 if ":" in ADDR else socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((ADDR, port))

    def loop():
        while True:
            q, peer = s.recvfrom(512)
            if len(q) < 17:
                continue
            i, labels = 12, []
            while q[i] != 0:
                labels.append(q[i + 1:i + 1 + q[i]].decode())
                i += 1 + q[i]
            qtype = int.from_bytes(q[i + 1:i + 3], "big")
            question = q[12:i + 5]
            name = ".".join(labels)
            with open(os.path.join(D, "requests-%d" % port), "a") as f:
                f.write("%s %d\n" % (name, qtype))
            want = ctl("dns-%d" % port, "ok.test").strip()
            flags = 0x8180  # response, RD, RA
            an = b""
            if name != want:
                flags |= 3  # NXDOMAIN
            elif qtype == 1:
                addr = socket.inet_aton(ctl("dns-addr-%d" % port, "10.1.2.3").strip())
                an = b"\xc0\x0c" + (1).to_bytes(2, "big") + (1).to_bytes(2, "big") + (60).to_bytes(4, "big") + (4).to_bytes(2, "big") + addr
            hdr = q[0:2] + flags.to_bytes(2, "big") + (1).to_bytes(2, "big") + (1 if an else 0).to_bytes(2, "big") + bytes(4)
            s.sendto(hdr + question + an, peer)
    threading.Thread(target=loop, daemon=True).start()


for spec in specs:
    parts = spec.split(":")
    kind, port = parts[0], int(parts[1])
    if kind == "http":
        srv = ThreadingHTTPServer((ADDR, port), make_http(port))
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    elif kind == "https":
        srv = ThreadingHTTPServer((ADDR, port), make_http(port))
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(parts[2])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    elif kind == "https-old":
        srv = ThreadingHTTPServer((ADDR, port), make_http(port))
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.set_ciphers("ALL:@SECLEVEL=0")
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        ctx.load_cert_chain(parts[2])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    elif kind == "dns":
        serve_dns(port)
    elif kind == "hang":
        serve_stream(port, Hang)
    elif kind == "garbage":
        serve_stream(port, Garbage)
    elif kind == "endless":
        serve_stream(port, Endless)
    elif kind == "trickle":
        serve_stream(port, Trickle)
    elif kind == "smtp":
        serve_stream(port, make_smtp(port))
    elif kind == "udp":
        serve_udp(port)
    else:
        sys.exit("unknown backend kind " + kind)

with open(os.path.join(D, "ready"), "w") as f:
    f.write("ok\n")
while True:
    time.sleep(3600)
