#!/usr/bin/python3
"""ttrpc_client.py: a raw ttrpc client for the shim fault tests.

Talks to a shim socket directly (no containerd), hand-encoding the few
protobuf messages it needs. ADDRESS is what the bundle's `address` file holds:
unix:///path for a path socket, anything else is an abstract socket name.

  ttrpc_client.py ADDRESS call METHOD [--ns NS] [--id ID] [--service S]
      one Task.METHOD call with {id} (service containerd.task.v2.Task unless
      given); prints "code=N payload=HEX"
  ttrpc_client.py ADDRESS create --ns NS --id ID --bundle DIR
          [--rootfs-type T --rootfs-source S --rootfs-option O...]
      Task.Create with one rootfs mount (containerd 2 sends overlays with
      uidmap=/gidmap= options), no stdio; prints "code=N ..." as call does
  ttrpc_client.py ADDRESS wait-disconnect --ns NS --id ID
      send Task.Wait for ID, then close the connection without reading
  ttrpc_client.py ADDRESS malformed
      frames the shim must survive: bad payload, unknown type, truncated
      header, then close; prints what came back for each
  ttrpc_client.py ADDRESS oversized
      a request frame announcing 4 MiB + 1 of data (and sending it); the shim
      must answer ResourceExhausted (8) on that stream or drop the connection
Every socket operation has a timeout (default 10 s, --timeout).
"""

import argparse
import socket
import struct
import sys

MSG_REQUEST = 1
MSG_RESPONSE = 2
MAX_DATA = 4 << 20
SERVICE = "containerd.task.v2.Task"


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field_bytes(num, data):
    if isinstance(data, str):
        data = data.encode()
    return varint(num << 3 | 2) + varint(len(data)) + data


def field_varint(num, value):
    return varint(num << 3) + varint(value)


def request(method, payload, ns, service=SERVICE, timeout_ns=0):
    md = field_bytes(1, "containerd-namespace-ttrpc") + field_bytes(2, ns)
    msg = field_bytes(1, service) + field_bytes(2, method) + field_bytes(3, payload)
    if timeout_ns:
        msg += field_varint(4, timeout_ns)
    msg += field_bytes(5, md)
    return msg


def frame(stream, mtype, data, flags=0, length=None):
    if length is None:
        length = len(data)
    return struct.pack(">IIBB", length, stream, mtype, flags) + data


def parse_fields(buf):
    """Top-level protobuf fields: {num: [value, ...]} (bytes or int)."""
    out = {}
    i = 0
    while i < len(buf):
        key, i = read_varint(buf, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = read_varint(buf, i)
        elif wt == 2:
            n, i = read_varint(buf, i)
            v = buf[i:i + n]
            i += n
        elif wt == 1:
            v = buf[i:i + 8]
            i += 8
        elif wt == 5:
            v = buf[i:i + 4]
            i += 4
        else:
            raise ValueError("bad wire type %d" % wt)
        out.setdefault(num, []).append(v)
    return out


def read_varint(buf, i):
    shift = n = 0
    while True:
        b = buf[i]
        i += 1
        n |= (b & 0x7F) << shift
        if not b & 0x80:
            return n, i
        shift += 7


def connect(address, timeout):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    if address.startswith("unix://"):
        s.connect(address[len("unix://"):])
    else:
        s.connect("\0" + address)
    return s


def recv_exact(s, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def read_response(s):
    """(stream, code, message, payload), or None on EOF."""
    hdr = recv_exact(s, 10)
    if hdr is None:
        return None
    length, stream, mtype, _flags = struct.unpack(">IIBB", hdr)
    data = recv_exact(s, length) if length else b""
    if data is None:
        return None
    if mtype != MSG_RESPONSE:
        return (stream, -1, "unexpected frame type %d" % mtype, data)
    f = parse_fields(data)
    code, message = 0, ""
    if 1 in f:
        st = parse_fields(f[1][0])
        code = st.get(1, [0])[0]
        message = st.get(2, [b""])[0].decode(errors="replace")
    return (stream, code, message, f.get(2, [b""])[0])


def describe(r):
    if r is None:
        return "closed"
    return "stream=%d code=%d message=%r payload=%s" % (r[0], r[1], r[2], r[3].hex())


def cmd_call(a):
    s = connect(a.address, a.timeout)
    payload = field_bytes(1, a.id) if a.id else b""
    s.sendall(frame(1, MSG_REQUEST, request(a.method, payload, a.ns, service=a.service)))
    r = read_response(s)
    s.close()
    if r is None:
        print("closed")
        return 1
    print("code=%d payload=%s message=%s" % (r[1], r[3].hex(), r[2]))
    return 0


def cmd_create(a):
    payload = field_bytes(1, a.id) + field_bytes(2, a.bundle)
    if a.rootfs_type:
        m = field_bytes(1, a.rootfs_type) + field_bytes(2, a.rootfs_source or a.rootfs_type)
        for o in a.rootfs_option or []:
            m += field_bytes(4, o)
        payload += field_bytes(3, m)
    s = connect(a.address, a.timeout)
    s.sendall(frame(1, MSG_REQUEST, request("Create", payload, a.ns)))
    r = read_response(s)
    s.close()
    if r is None:
        print("closed")
        return 1
    print("code=%d payload=%s message=%s" % (r[1], r[3].hex(), r[2]))
    return 0


def cmd_wait_disconnect(a):
    s = connect(a.address, a.timeout)
    s.sendall(frame(1, MSG_REQUEST, request("Wait", field_bytes(1, a.id), a.ns)))
    # A Wait on a running task has no answer yet: make sure the shim is
    # holding it (a State on another stream is answered first), then hang up.
    s.sendall(frame(3, MSG_REQUEST, request("State", field_bytes(1, a.id), a.ns)))
    r = read_response(s)
    print("state answered: " + describe(r))
    s.shutdown(socket.SHUT_RDWR)
    s.close()
    return 0 if r is not None and r[0] == 3 else 1


def cmd_malformed(a):
    results = []
    cases = [
        # A request whose data is not a valid Request message.
        ("garbage-payload", frame(1, MSG_REQUEST, b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff")),
        # A valid Request for an unknown method.
        ("unknown-method", frame(3, MSG_REQUEST, request("NoSuchMethod", b"", a.ns))),
        # A valid Request on an unknown service.
        ("unknown-service", frame(5, MSG_REQUEST, request("State", b"", a.ns,
                                                          service="no.such.Service"))),
        # A frame type nobody defines.
        ("unknown-type", frame(7, 0x7f, b"abc")),
        # A Request whose payload is not the method's message.
        ("bad-method-payload", frame(9, MSG_REQUEST, request("State", b"\x0a\xff", a.ns))),
        # An even (server-side) stream id.
        ("even-stream", frame(2, MSG_REQUEST, request("State", b"", a.ns))),
    ]
    for name, data in cases:
        try:
            # No answer is a valid outcome here: wait less for it.
            s = connect(a.address, min(a.timeout, 3.0))
            s.sendall(data)
            try:
                r = read_response(s)
            except socket.timeout:
                r = "no answer (timeout)"
            s.close()
        except OSError as e:
            r = "error: %s" % e
        results.append((name, r if isinstance(r, str) else describe(r)))
    # A truncated header, then hang up.
    s = connect(a.address, a.timeout)
    s.sendall(b"\x00\x00\x00")
    s.close()
    results.append(("truncated-header", "sent"))
    # A header announcing data that never comes, then hang up.
    s = connect(a.address, a.timeout)
    s.sendall(struct.pack(">IIBB", 100, 11, MSG_REQUEST, 0) + b"\x0a\x02")
    s.close()
    results.append(("truncated-data", "sent"))
    for name, r in results:
        print("%s: %s" % (name, r))
    return 0


def cmd_oversized(a):
    s = connect(a.address, a.timeout)
    n = MAX_DATA + 1
    try:
        s.sendall(struct.pack(">IIBB", n, 1, MSG_REQUEST, 0))
        chunk = b"\0" * 65536
        left = n
        while left > 0:
            s.sendall(chunk[:min(left, len(chunk))])
            left -= min(left, len(chunk))
    except OSError as e:
        print("send stopped: %s" % e)
    try:
        r = read_response(s)
    except (socket.timeout, ConnectionResetError) as e:
        r = None
        print("read: %s" % e)
    s.close()
    print("oversized: " + describe(r))
    if r is None:
        return 0  # dropped: allowed
    return 0 if r[0] == 1 and r[1] == 8 else 1


def main():
    p = argparse.ArgumentParser()
    p.add_argument("address")
    p.add_argument("--timeout", type=float, default=10.0)
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("call")
    s.add_argument("method")
    s.add_argument("--ns", default="default")
    s.add_argument("--id", default="")
    s.add_argument("--service", default=SERVICE)
    s = sub.add_parser("create")
    s.add_argument("--ns", default="default")
    s.add_argument("--id", required=True)
    s.add_argument("--bundle", required=True)
    s.add_argument("--rootfs-type")
    s.add_argument("--rootfs-source")
    s.add_argument("--rootfs-option", action="append")
    s = sub.add_parser("wait-disconnect")
    s.add_argument("--ns", required=True)
    s.add_argument("--id", required=True)
    s = sub.add_parser("malformed")
    s.add_argument("--ns", default="default")
    sub.add_parser("oversized")
    a = p.parse_args()
    return {"call": cmd_call, "create": cmd_create, "wait-disconnect": cmd_wait_disconnect,
            "malformed": cmd_malformed, "oversized": cmd_oversized}[a.command](a)


if __name__ == "__main__":
    sys.exit(main())
