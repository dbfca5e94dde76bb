#!/usr/bin/env python3
"""Sends one crafted VRRP advert (IPv4, raw socket with IP_HDRINCL) to
224.0.0.18 on an interface: a valid one or one malformed KIND, to check that
vrrpd counts and drops each kind of bad packet."""
import argparse, socket, struct

def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff

ap = argparse.ArgumentParser()
ap.add_argument('--iface', default='eth0')
ap.add_argument('--src', required=True)
ap.add_argument('--vrid', type=int, default=51)
ap.add_argument('--priority', type=int, default=254)
ap.add_argument('--interval-cs', type=int, default=100)
ap.add_argument('--addr', action='append', required=True)
ap.add_argument('--kind', default='good',
                choices=['good', 'ttl', 'version', 'type', 'checksum', 'length', 'addrlist', 'vrid', 'v2', 'interval'])
a = ap.parse_args()

ver, typ, ttl, vrid, iv = 3, 1, 255, a.vrid, a.interval_cs
addrs = [socket.inet_aton(x) for x in a.addr]
count = len(addrs)
if a.kind == 'ttl': ttl = 64
if a.kind == 'version': ver = 4
if a.kind == 'type': typ = 2
if a.kind == 'vrid': vrid = a.vrid + 1
if a.kind == 'addrlist': addrs = [socket.inet_aton('192.0.2.99')]
if a.kind == 'length': count += 1
if a.kind == 'interval': iv = a.interval_cs * 2
src, dst = socket.inet_aton(a.src), socket.inet_aton('224.0.0.18')
if a.kind == 'v2':
    body = struct.pack('!BBBBBBH', 0x21, vrid, a.priority, count, 0, max(1, iv // 100), 0) + b''.join(addrs) + b'\0' * 8
    c = csum(body)
else:
    body = struct.pack('!BBBBHH', ver << 4 | typ, vrid, a.priority, count, iv & 0xfff, 0) + b''.join(addrs)
    c = csum(src + dst + struct.pack('!BBH', 0, 112, len(body)) + body)
if a.kind == 'checksum':
    c ^= 0x0101
body = body[:6] + struct.pack('!H', c) + body[8:]
ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0xc0, 20 + len(body), 0, 0, ttl, 112, 0, src, dst)
ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, a.iface.encode())
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, ttl)
s.sendto(ip + body, ('224.0.0.18', 0))
