#!/usr/bin/env python3
"""ARP prober for split-brain tests: from a client namespace, send an ARP
request for the VIP every INTERVAL seconds and record which MACs answer each
request. Each request uses its own sender IP (BASE + seq % 50), so a reply is
matched to its request by its target IP, not by arrival time.

Prints one JSON object: requests, answered, per-MAC counts, first/last seq per
MAC, the requests answered by more than one MAC ("both"), the longest run of
unanswered requests, and the timeline as [seq, t_ms, [macs]] when --timeline."""
import argparse, ipaddress, json, select, socket, struct, time

ETH_P_ARP = 0x0806

def mac_str(b):
    return ':'.join('%02x' % x for x in b)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--iface', default='eth0')
    ap.add_argument('--target', required=True)
    ap.add_argument('--base', required=True, help='first of 50 sender IPs on the subnet')
    ap.add_argument('--interval', type=float, default=0.01)
    ap.add_argument('--duration', type=float, default=5)
    ap.add_argument('--timeline', action='store_true')
    ap.add_argument('--ready', help='file created once the first request is about to go out')
    a = ap.parse_args()

    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ARP))
    s.bind((a.iface, ETH_P_ARP))
    mymac = s.getsockname()[4][:6]
    target = socket.inet_aton(a.target)
    base = int(ipaddress.IPv4Address(a.base))
    answers = {}   # seq -> set(mac)
    sent_at = {}
    latest = {}    # index (seq % 50) -> seq
    if a.ready:
        open(a.ready, 'w').close()
    start = time.monotonic()
    seq = 0
    nxt = start
    while True:
        now = time.monotonic()
        if now - start >= a.duration:
            break
        if now >= nxt:
            spa = struct.pack('!I', base + seq % 50)
            arp = struct.pack('!HHBBH6s4s6s4s', 1, 0x0800, 6, 4, 1, mymac, spa, b'\0' * 6, target)
            frame = b'\xff' * 6 + mymac + struct.pack('!H', ETH_P_ARP) + arp
            s.send(frame)
            sent_at[seq] = now
            latest[seq % 50] = seq
            answers[seq] = set()
            seq += 1
            nxt += a.interval
        r, _, _ = select.select([s], [], [], max(0, min(nxt, start + a.duration) - time.monotonic()))
        while r:
            try:
                pkt = s.recv(2048, socket.MSG_DONTWAIT)
            except BlockingIOError:
                break
            if len(pkt) < 42:
                continue
            op, sha, spa, tha, tpa = struct.unpack('!6x6s4s6s4s', pkt[14 + 2:14 + 28])[0:1] + struct.unpack('!6s4s6s4s', pkt[22:42])
            op = struct.unpack('!H', pkt[20:22])[0]
            if op != 2 or spa != target:
                continue
            idx = (struct.unpack('!I', tpa)[0] - base)
            if 0 <= idx < 50 and idx in latest:
                answers[latest[idx]].add(mac_str(sha))
    macs = {}
    both = []
    longest_gap = gap = 0
    for k in range(seq):
        m = answers[k]
        if len(m) > 1:
            both.append(k)
        if not m:
            gap += 1
            longest_gap = max(longest_gap, gap)
        else:
            gap = 0
        for x in m:
            e = macs.setdefault(x, {'count': 0, 'first': k, 'last': k})
            e['count'] += 1
            e['last'] = k
    out = {'requests': seq, 'answered': sum(1 for k in range(seq) if answers[k]), 'macs': macs,
           'both': both, 'longest_unanswered': longest_gap, 'interval_ms': a.interval * 1000}
    if a.timeline:
        out['timeline'] = [[k, round((sent_at[k] - start) * 1000, 1), sorted(answers[k])] for k in range(seq)]
    print(json.dumps(out))

main()
