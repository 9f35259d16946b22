#!/usr/bin/env python3
"""tests/fuzz/mkseeds.py: (re)write the seed corpora under tests/fuzz/corpus/
from the repository's examples (specs/, tests/configs/, tests/profiles/) and
hand-made inputs. Run from the repository root; the output is committed."""
import glob
import hashlib
import json
import os
import re
import shutil
import struct

OUT = "tests/fuzz/corpus"


def put(harness, data, name=None):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(OUT, harness)
    os.makedirs(d, exist_ok=True)
    name = name or hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def js(o):
    return json.dumps(o, separators=(",", ":"))


# ---- protobuf, by hand (varints and length-delimited fields) ----
def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def f_bytes(num, v):
    if isinstance(v, str):
        v = v.encode()
    return varint(num << 3 | 2) + varint(len(v)) + v


def f_int(num, v):
    return varint(num << 3) + varint(v)


def any_(type_url, value):
    return f_bytes(1, type_url) + f_bytes(2, value)


def request(service, method, payload, ns="default", timeout=0):
    m = f_bytes(1, service) + f_bytes(2, method) + f_bytes(3, payload)
    if timeout:
        m += f_int(4, timeout)
    if ns is not None:
        m += f_bytes(5, f_bytes(1, "containerd-namespace-ttrpc") + f_bytes(2, ns))
    return m


def frame(data, stream=1, typ=1, length=None):
    return struct.pack(">IIBB", len(data) if length is None else length, stream, typ, 0) + data


def main():
    for h in ("config", "seccomp", "profile", "ttrpc", "task", "console", "notify"):
        shutil.rmtree(os.path.join(OUT, h), ignore_errors=True)

    examples = sorted(glob.glob("specs/examples/*.json"))
    full = json.load(open("specs/examples/full.json"))

    # config: every example and invalid config, and lone process/resources objects
    for p in examples + sorted(glob.glob("tests/configs/invalid/*.json")):
        put("config", open(p, "rb").read(), os.path.basename(p))
    put("config", js(full["process"]), "process.json")
    put("config", js(full["linux"]["resources"]), "resources.json")
    put("config", js({"memory": {"limit": 1 << 30}, "pids": {"limit": 10}, "unified": {"io.max": "8:0 rbps=1"}}),
        "resources-small.json")

    # seccomp: configs with seccomp sections
    base = {"ociVersion": "1.0.2", "root": {"path": "rootfs"}, "process": {"args": ["sh"], "cwd": "/"},
            "annotations": {"a": "b", "airlock.profile": "untrusted"}}
    secs = [
        full["linux"]["seccomp"],
        {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mount", "umount2"], "action": "SCMP_ACT_NOTIFY"}],
         "listenerPath": "/run/agent.sock", "listenerMetadata": "caf\u00e9 \"quoted\" \\ \u2028"},
        {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38, "architectures": ["SCMP_ARCH_X86_64"],
         "syscalls": [{"names": ["read", "no_such_syscall"], "action": "SCMP_ACT_ALLOW"},
                      {"names": ["kill"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
                       "args": [{"index": 1, "value": 9, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]}]},
        {"defaultAction": "SCMP_ACT_KILL_PROCESS", "flags": ["SECCOMP_FILTER_FLAG_TSYNC"],
         "syscalls": [{"names": ["ptrace"], "action": "SCMP_ACT_TRACE", "errnoRet": 5},
                      {"names": ["uname"], "action": "SCMP_ACT_LOG"}, {"names": ["open"], "action": "SCMP_ACT_TRAP"}]},
    ]
    for i, s in enumerate(secs):
        c = dict(base)
        c["linux"] = {"seccomp": s}
        put("seccomp", js(c), "seccomp-%d.json" % i)
    put("seccomp", open("specs/examples/full.json", "rb").read(), "full.json")

    # profile
    for p in ["specs/profiles/untrusted.json"] + sorted(glob.glob("tests/profiles/*.json")):
        put("profile", open(p, "rb").read(), os.path.basename(p))

    # ttrpc and task: Task requests
    proc = js(full["process"]).encode()
    res = js(full["linux"]["resources"]).encode()
    payloads = {
        "State": f_bytes(1, "c1"),
        "Start": f_bytes(1, "c1") + f_bytes(2, "e1"),
        "Delete": f_bytes(1, "c1"),
        "Pids": f_bytes(1, "c1"),
        "Pause": f_bytes(1, "c1"),
        "Resume": f_bytes(1, "c1"),
        "Kill": f_bytes(1, "c1") + f_int(3, 9) + f_int(4, 1),
        "Exec": f_bytes(1, "c1") + f_bytes(2, "e1") + f_int(3, 1) + f_bytes(4, "/run/in") +
        f_bytes(7, any_("types.containerd.io/opencontainers/runtime-spec/1/Process", proc)),
        "ResizePty": f_bytes(1, "c1") + f_int(3, 80) + f_int(4, 25),
        "CloseIO": f_bytes(1, "c1") + f_int(3, 1),
        "Update": f_bytes(1, "c1") + f_bytes(2, any_("types.containerd.io/opencontainers/runtime-spec/1/LinuxResources", res)) +
        f_bytes(3, f_bytes(1, "k") + f_bytes(2, "v")),
        "Wait": f_bytes(1, "c1") + f_bytes(2, "e1"),
        "Stats": f_bytes(1, "c1"),
        "Connect": f_bytes(1, "c1"),
        "Shutdown": f_bytes(1, "c1") + f_int(2, 1),
        "Create": f_bytes(1, "c1") + f_bytes(2, "/run/bundle") +
        f_bytes(3, f_bytes(1, "overlay") + f_bytes(2, "overlay") + f_bytes(4, "lowerdir=/a") + f_bytes(4, "upperdir=/b")) +
        f_int(4, 1) + f_bytes(5, "/in") + f_bytes(6, "/out") + f_bytes(7, "/err") + f_bytes(10, any_("x", b"\x08\x01")),
    }
    order = ["State", "Create", "Start", "Delete", "Pids", "Pause", "Resume", "Kill", "Exec", "ResizePty",
             "CloseIO", "Update", "Wait", "Stats", "Connect", "Shutdown"]
    svc = "containerd.task.v2.Task"
    for m, p in payloads.items():
        put("task", bytes([order.index(m)]) + p, "%s" % m)
        put("ttrpc", frame(request(svc, m, p)), m)
    put("task", bytes([0x80 | order.index("Exec")]) + payloads["Exec"], "Exec-v3")
    # several frames on one stream, other frame types, an oversized header
    stream = b"".join(frame(request(svc, m, payloads[m]), stream=2 * i + 1) for i, m in enumerate(["Connect", "State", "Kill"]))
    put("ttrpc", stream, "three-frames")
    put("ttrpc", frame(b"", stream=3), "empty-request")
    put("ttrpc", frame(request("containerd.task.v3.Task", "Wait", payloads["Wait"], ns=None, timeout=10**9)), "v3-wait")
    put("ttrpc", frame(b"\x12\x02hi", typ=2) + frame(request(svc, "Shutdown", b"")), "response-then-request")
    put("ttrpc", frame(b"", length=5 << 20) + b"\x00" * 64, "too-large")
    put("ttrpc", frame(request("grpc.health.v1.Health", "Check", b"")), "unknown-service")
    put("ttrpc", f_bytes(1, f_int(1, 5) + f_bytes(2, "not found")) + f_bytes(2, b"\x08\x2a"), "response")

    # console: flags byte, then the payload
    for flags, payload in [(0x01 | 3 << 3, b"/dev/pts/3"), (0x00 | 4 << 3, b"x"), (0x05 | 5 << 3, b"pty"),
                           (0x41 | 6 << 3, b"seqpacket"), (0x81 | 2 << 3, b"\x00\xff"), (0x07 | 7 << 3, b"A" * 300)]:
        put("console", bytes([flags]) + payload)

    # notify: (arch, nr, pid) records
    X86_64, I386, AARCH64 = 0xC000003E, 0x40000003, 0xC00000B7
    recs = [(X86_64, 165, 10), (X86_64, 165, 11), (X86_64, 0x40000000 | 165, 12), (I386, 21, 13),
            (AARCH64, 40, 14), (X86_64, 99999, 15), (0, -1, 0), (0xDEADBEEF, 1, 1)]
    put("notify", b"".join(struct.pack("<IiI", *r) for r in recs), "records")
    put("notify", js({"id": "c1", "profile": "untrusted", "ok": False, "exit_code": None, "signal": "SIGKILL",
                      "timed_out": True, "timeout_ms": 1000, "oom_killed": None,
                      "limits": {"memory": {"enforcement": "cgroup", "value": 1}},
                      "denied_syscalls": [{"name": "mount", "count": 2, "first_ms": 1, "first_pid": 3}],
                      "denied_syscalls_total": 2, "stdout_bytes": 5, "monitor_error": "x"}), "verdict.json")


def dictionary(name, sources):
    """tests/fuzz/NAME.dict: the identifiers quoted in the parser's sources,
    as JSON strings (keys and enum values) for libFuzzer's -dict."""
    words = set()
    for src in sources:
        for w in re.findall(r'"([A-Za-z_][A-Za-z0-9_.]{1,39})"', open(src).read()):
            words.add(w)
    with open("tests/fuzz/%s.dict" % name, "w") as f:
        f.write("# written by tests/fuzz/mkseeds.py from %s\n" % " ".join(sources))
        for w in sorted(words):
            f.write('"\\"%s\\""\n' % w)


if __name__ == "__main__":
    main()
    dictionary("config", ["runtime/lib/config.c", "runtime/lib/names.c"])
    dictionary("seccomp", ["runtime/lib/config.c", "runtime/lib/seccomp.c"])
    dictionary("profile", ["runtime/lib/profile.c"])
