#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Hostile HTTP backends for checkerd, many connections at once, one asyncio
loop (a thread per connection would cost more than checkerd):

  hostile.py DIR PORT_BASE [KIND...]   binds 0.0.0.0 (run it in a namespace);
                                       only the KINDs given (default all)

  PORT_BASE+0 hang      accepts, reads, never answers
  PORT_BASE+1 trickle   a valid status line, one byte every 200 ms, forever
  PORT_BASE+2 endless   200, a chunked body that never ends (1 KiB / 20 ms per connection)
  PORT_BASE+3 garbage   64 KiB of binary garbage, then keeps the connection open
  PORT_BASE+4 good      200 "ok", or 503 while DIR/good-down exists
DIR/ready[-KIND...] when listening; DIR/stats[-KIND...] (connections per
kind) rewritten every second.
"""
import asyncio, os, random, sys

D, BASE = sys.argv[1], int(sys.argv[2])
conns = {k: 0 for k in ("hang", "trickle", "endless", "garbage", "good")}


async def read_head(r):
    try:
        await asyncio.wait_for(r.readuntil(b"\r\n\r\n"), 30)
    except Exception:
        pass


async def hang(r, w):
    while await r.read(4096):
        pass


async def trickle(r, w):
    await read_head(r)
    for b in b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n" * 1000:
        w.write(bytes([b]))
        await w.drain()
        await asyncio.sleep(0.2)


async def endless(r, w):
    await read_head(r)
    w.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"400\r\n" + b"x" * 1024 + b"\r\n"
    while True:
        w.write(chunk)
        await w.drain()
        await asyncio.sleep(0.02)


async def garbage(r, w):
    await read_head(r)
    w.write(random.randbytes(65536))
    await w.drain()
    while await r.read(4096):
        pass


async def good(r, w):
    await read_head(r)
    if os.path.exists(os.path.join(D, "good-down")):
        w.write(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    else:
        w.write(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n")
    await w.drain()


def handler(kind, fn):
    async def h(r, w):
        conns[kind] += 1
        try:
            await fn(r, w)
        except Exception:
            pass
        finally:
            w.close()
    return h


async def dump_stats(suffix):
    while True:
        tmp = os.path.join(D, ".stats" + suffix)
        with open(tmp, "w") as f:
            f.write(" ".join(f"{k}={v}" for k, v in conns.items()) + "\n")
        os.rename(tmp, os.path.join(D, "stats" + suffix))
        await asyncio.sleep(1)


async def main():
    servers = []
    only = sys.argv[3:]
    for i, (kind, fn) in enumerate([("hang", hang), ("trickle", trickle), ("endless", endless),
                                     ("garbage", garbage), ("good", good)]):
        if only and kind not in only:
            continue
        servers.append(await asyncio.start_server(handler(kind, fn), "0.0.0.0", BASE + i, backlog=2048))
    suffix = "-" + "-".join(only) if only else ""
    open(os.path.join(D, "ready" + suffix), "w").close()
    await dump_stats(suffix)

asyncio.run(main())
