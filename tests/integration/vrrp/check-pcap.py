#!/usr/bin/env python3
"""Checks the VRRP adverts in a pcap byte by byte, independently of vrrpd's
codec: IPv4 header (TTL 255, protocol 112, header checksum, DSCP), VRRP
version/type/VRID/count/interval/addresses, the checksum (v3: with the IPv4
pseudo-header, v2: VRRP message only) and v2 PASS authentication data.
Fails unless both vigil's and the peer's adverts are present and valid."""
import argparse, socket, struct, sys

def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff

def packets(path):
    data = open(path, 'rb').read()
    magic = struct.unpack('<I', data[:4])[0]
    e = '<' if magic in (0xa1b2c3d4, 0xa1b23c4d) else '>'
    linktype = struct.unpack(e + 'I', data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(e + 'IIII', data[off:off + 16])
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if linktype == 1:       # Ethernet
            if struct.unpack('!H', frame[12:14])[0] != 0x0800:
                continue
            yield frame[14:]
        elif linktype == 113:   # Linux cooked
            yield frame[16:]

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('pcap')
    ap.add_argument('--version', type=int, required=True)
    ap.add_argument('--vrid', type=int, required=True)
    ap.add_argument('--addr', required=True)
    ap.add_argument('--interval-cs', type=int, required=True)
    ap.add_argument('--password')
    ap.add_argument('--vigil-src', required=True)
    ap.add_argument('--peer-src', required=True)
    a = ap.parse_args()
    seen = {a.vigil_src: 0, a.peer_src: 0}
    prio0 = 0
    errors = []
    for ip in packets(a.pcap):
        ihl = (ip[0] & 0xf) * 4
        src = socket.inet_ntoa(ip[12:16]); dst = socket.inet_ntoa(ip[16:20])
        who = 'vigil' if src == a.vigil_src else 'peer' if src == a.peer_src else src
        def err(msg):
            errors.append(f'{who} advert: {msg}')
        if ip[9] != 112:
            continue
        if ip[8] != 255: err(f'TTL {ip[8]}')
        if csum(ip[:ihl]) != 0: err('bad IPv4 header checksum')
        if dst != '224.0.0.18': err(f'destination {dst}')
        total = struct.unpack('!H', ip[2:4])[0]
        v = ip[ihl:total]
        ver, typ = v[0] >> 4, v[0] & 0xf
        vrid, prio, cnt = v[1], v[2], v[3]
        if ver != a.version: err(f'version {ver}')
        if typ != 1: err(f'type {typ}')
        if vrid != a.vrid: err(f'vrid {vrid}')
        if cnt != 1: err(f'count {cnt}')
        want_len = 8 + 4 * cnt + (8 if ver == 2 else 0)
        if len(v) != want_len: err(f'length {len(v)} != {want_len}')
        if socket.inet_ntoa(v[8:12]) != a.addr: err(f'address {socket.inet_ntoa(v[8:12])}')
        if ver == 3:
            if v[4] >> 4: err('reserved bits set')
            iv = (v[4] & 0xf) << 8 | v[5]
            ph = ip[12:16] + ip[16:20] + struct.pack('!BBH', 0, 112, len(v))
            if csum(ph + v) != 0: err('bad VRRPv3 checksum (pseudo-header included)')
        else:
            iv = v[5] * 100
            if csum(v) != 0: err('bad VRRPv2 checksum')
            want_auth = 1 if a.password else 0
            if v[4] != want_auth: err(f'auth type {v[4]}')
            want = (a.password or '').encode().ljust(8, b'\0')
            if v[12:20] != want: err(f'auth data {v[12:20]!r}')
        if iv != a.interval_cs: err(f'interval {iv} cs')
        if src in seen: seen[src] += 1
        if src == a.vigil_src and prio == 0: prio0 += 1
    print(f'# adverts: vigil {seen[a.vigil_src]}, peer {seen[a.peer_src]}, vigil priority-0 {prio0}', file=sys.stderr)
    if seen[a.vigil_src] < 3: errors.append('fewer than 3 vigil adverts captured')
    if seen[a.peer_src] < 1: errors.append('no peer advert captured')
    if prio0 < 1: errors.append('no priority-0 advert from the stopping vigil')
    for e in errors[:20]:
        print('FAIL: ' + e, file=sys.stderr)
    sys.exit(1 if errors else 0)

main()
