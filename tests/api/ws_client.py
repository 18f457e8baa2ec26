"""ws_client.py — the WebSocket clients of test_websocket.sh: a real client (python3-websockets)
for the stream, ping/pong, the close handshake and oversized or endless messages, and raw sockets
for what a well-behaved client never does (unmasked frames, text that is not UTF-8, not
answering pings, not reading).
Usage: ws_client.py COMMAND URL [ARGS]; prints what it saw, exits 1 when the scenario fails.
With WS_READY_FILE set, the client creates that file once its handshake is done, so a script
that runs it in the background can wait for the connection instead of sleeping a guess (a
loaded machine took more than 0.5 s to start Python and connect)."""
import asyncio
import base64
import json
import os
import socket
import struct
import sys
import time
import urllib.parse
import urllib.request

import websockets

JOB = b'{"kind":"clip_processing","request":{"clip_id":"c1","source_uri":"media://m_x"}}'


def connected():
    """Tells a waiting script that the handshake is done (WS_READY_FILE)."""
    path = os.environ.get("WS_READY_FILE")
    if path:
        open(path, "w").close()


def submit(base, n):
    for _ in range(n):
        req = urllib.request.Request(f"{base}/v1/jobs", data=JOB, method="POST",
                                     headers={"Content-Type": "application/json"})
        urllib.request.urlopen(req).read()


async def frames_until_quiet(ws, quiet_s, want=None):
    """Text frames until quiet_s pass without one (or want frames came)."""
    out = []
    while want is None or len(out) < want:
        try:
            out.append(await asyncio.wait_for(ws.recv(), quiet_s))
        except asyncio.TimeoutError:
            break
    return out


async def live(url, base, n):
    """Connects, then submits n jobs: their n events arrive as frames."""
    async with websockets.connect(url) as ws:
        await asyncio.get_running_loop().run_in_executor(None, submit, base, n)
        for f in await frames_until_quiet(ws, 5, n):
            print(f)


async def collect(url, quiet_s):
    async with websockets.connect(url) as ws:
        connected()
        for f in await frames_until_quiet(ws, quiet_s):
            print(f)


async def pingpong(url, base, stay_s):
    """Our ping is answered; the server's pings (answered by the library) keep us open over
    stay_s; an event still arrives after; the close handshake echoes 1000."""
    async with websockets.connect(url, ping_interval=None) as ws:
        pong = await ws.ping(b"hello")
        await asyncio.wait_for(pong, 5)
        print("pong")
        await asyncio.sleep(stay_s)
        print("open" if ws.open else "closed")
        await asyncio.get_running_loop().run_in_executor(None, submit, base, 1)
        got = await frames_until_quiet(ws, 5, 1)
        print(f"events {len(got)}")
        await ws.close()
        print(f"close {ws.close_code}")


async def oversize(url, size):
    async with websockets.connect(url, ping_interval=None) as ws:
        await ws.send("x" * size)
        await ws.wait_closed()
        print(f"close {ws.close_code}")


async def fragments(url):
    """A message whose fragments never end: the server closes once it passes the limit."""
    async def endless():
        while True:
            await asyncio.sleep(0)  # lets the library read the server's close frame
            yield "y" * 1000

    async with websockets.connect(url, ping_interval=None) as ws:
        try:
            await ws.send(endless())
        except (websockets.exceptions.ConnectionClosed, websockets.exceptions.InvalidState):
            pass
        await ws.wait_closed()
        print(f"close {ws.close_code}")


def raw_connect(url, rcvbuf=None):
    u = urllib.parse.urlparse(url)
    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect((u.hostname, u.port))
    key = base64.b64encode(os.urandom(16)).decode()
    path = u.path + (f"?{u.query}" if u.query else "")
    s.sendall((f"GET {path} HTTP/1.1\r\nHost: {u.netloc}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
               f"Sec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(1)
        if not chunk:
            raise SystemExit("handshake: connection closed")
        head += chunk
    if not head.startswith(b"HTTP/1.1 101"):
        raise SystemExit(f"handshake: {head!r}")
    connected()
    return s


def read_frame(s):
    """One server frame: (opcode, payload), or None at the end of the stream."""
    def exactly(n):
        b = b""
        while len(b) < n:
            chunk = s.recv(n - len(b))
            if not chunk:
                return None
            b += chunk
        return b
    h = exactly(2)
    if h is None:
        return None
    n = h[1] & 0x7F
    if n == 126:
        n = struct.unpack(">H", exactly(2))[0]
    elif n == 127:
        n = struct.unpack(">Q", exactly(8))[0]
    return h[0] & 0x0F, exactly(n) or b""


def close_code_of(s, timeout):
    """Reads frames until the server's close frame; its code, or None."""
    s.settimeout(timeout)
    seen = []
    try:
        while True:
            f = read_frame(s)
            if f is None:
                return None, seen
            seen.append(f[0])
            if f[0] == 8:
                return struct.unpack(">H", f[1][:2])[0], seen
    except (socket.timeout, ConnectionResetError):
        return None, seen


def unmasked(url):
    s = raw_connect(url)
    s.sendall(b"\x81\x02hi")  # a text frame without the mask bit
    code, _ = close_code_of(s, 5)
    print(f"close {code}")


def badutf8(url):
    s = raw_connect(url)
    payload, mask = b"caf\xc3(", b"\x01\x02\x03\x04"
    s.sendall(bytes([0x81, 0x80 | len(payload)]) + mask + bytes(c ^ mask[i % 4] for i, c in enumerate(payload)))
    code, _ = close_code_of(s, 5)
    print(f"close {code}")


def silent(url, timeout):
    """Never answers the server's pings: it pings, then closes (1001), then ends the stream."""
    s = raw_connect(url)
    code, seen = close_code_of(s, timeout)
    eof = read_frame(s) is None if code else False
    print(f"ping {9 in seen} close {code} eof {eof}")


def slow(url, wait_s):
    """Does not read for wait_s while events pile up, then reads: the server dropped it."""
    s = raw_connect(url, rcvbuf=4096)
    time.sleep(wait_s)
    s.settimeout(5)
    total = 0
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            total += len(chunk)
    except socket.timeout:
        print(f"open after {total} bytes")
        return
    except ConnectionResetError:
        pass
    print(f"dropped after {total} bytes")


def main():
    cmd, url, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    if cmd == "live":
        asyncio.run(live(url, args[0], int(args[1])))
    elif cmd == "collect":
        asyncio.run(collect(url, float(args[0])))
    elif cmd == "pingpong":
        asyncio.run(pingpong(url, args[0], float(args[1])))
    elif cmd == "oversize":
        asyncio.run(oversize(url, int(args[0])))
    elif cmd == "fragments":
        asyncio.run(fragments(url))
    elif cmd == "unmasked":
        unmasked(url)
    elif cmd == "badutf8":
        badutf8(url)
    elif cmd == "silent":
        silent(url, float(args[0]))
    elif cmd == "slow":
        slow(url, float(args[0]))
    else:
        raise SystemExit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
