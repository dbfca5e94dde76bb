#!/usr/bin/python3
# A scrape flood on loopback: N concurrent connections (all opened before any
# is read), each GET /metrics; bounded in time. Prints counts:
#   ok=<200 responses> refused=<connect errors/resets> timeout=<not done in time>
import asyncio
import resource
import sys

host, port, n, limit = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])


async def one(start):
    try:
        r, w = await asyncio.open_connection(host, port)
    except OSError:
        return 'refused'
    await start.wait()   # hold every connection open until all are attempted
    try:
        w.write(b'GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
        await w.drain()
        data = await r.read()
        w.close()
        return 'ok' if data.startswith(b'HTTP/1.1 200') and b'vigil_up{' in data else 'bad'
    except OSError:
        return 'refused'


async def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, n + 256)), hard))
    start = asyncio.Event()
    tasks = [asyncio.ensure_future(one(start)) for _ in range(n)]
    await asyncio.sleep(0.5)   # let the connects pile up
    start.set()
    done, pending = await asyncio.wait(tasks, timeout=limit)
    for t in pending:
        t.cancel()
    res = [t.result() for t in done]
    print(f"ok={res.count('ok')} refused={res.count('refused')} bad={res.count('bad')} timeout={len(pending)}")

asyncio.run(main())
