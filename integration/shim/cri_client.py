#!/usr/bin/python3
"""cri_client.py: a small CRI (runtime.v1) client for the shim tests.

Uses our own proto subset (proto/cri.proto), compiled at run time with
`python3 -m grpc_tools.protoc` into a temp dir (or into $CRI_GEN_DIR, reused
across calls when set). Debian: python3-grpcio python3-grpc-tools
python3-protobuf.

  cri_client.py --endpoint unix:///run/containerd/containerd.sock COMMAND ...

Commands (ids are printed alone on stdout; structured replies as JSON):
  version | status | images
  run-pod --name N [--uid U] [--namespace NS] [--handler H]
          [--annotation K=V]... [--label K=V]... [--pod-network]
          [--log-dir DIR] [--save FILE]           -> pod id
  create --pod ID --pod-config FILE --name N --image IMG
         [--annotation K=V]... [--log-path P] [--env K=V]... [--tty]
         [--stdin] [--mount HOST:CTR[:ro]]... -- CMD [ARG...]
                                                  -> container id
  start ID | stop [--timeout S] ID | rm ID
  exec-sync [--timeout S] ID -- CMD [ARG...]     (its stdout/stderr; exits
                                                  with the command's code)
  stats ID | inspect ID | inspect-pod ID          -> JSON
  pod-stats ID                                    (PodSandboxStats) -> JSON
  update ID [--cpu-shares N] [--cpu-quota N] [--cpu-period N] [--memory N]
                                                  (UpdateContainerResources)
  reopen-log ID                                   (ReopenContainerLog)
  ps [--pod ID] [-q] | pods [-q]
  stop-pod ID | rm-pod ID
  time-pods --count N --name-prefix P --image IMG --variant NAME:K=V[,K=V]...
            [--handler H] -- CMD [ARG...]
                                                  (hack/bench/shim.sh: N rounds; each
                                                  round one pod per variant, order
                                                  alternating, with those pod
                                                  annotations: RunPodSandbox +
                                                  CreateContainer + StartContainer
                                                  timed; prints "NAME MS RUNPOD CREATE
                                                  START" lines (ms); the
                                                  pods are removed after, untimed)
  run-pods --count N --name-prefix P [run-pod options]
                                                  (N RunPodSandbox calls at once,
                                                  one thread each: pod ids; exits 1
                                                  when any failed)
  stop-rm-pods ID...                              (StopPodSandbox + RemovePodSandbox
                                                  of each, all at once)
  cycle --pod ID --pod-config FILE --image IMG --count N -- CMD [ARG...]
                                                  (N container lifecycles in the pod,
                                                  one after another: create, start,
                                                  wait until exited, remove)
  list-stats [--pod ID] [--id ID]                 (ListContainerStats) -> JSON
  exec-sync-json [--timeout S] ID -- CMD [ARG...] (ExecSync: exit code, output
                                                  lengths and sha256, seconds,
                                                  or the error) -> JSON
  attach|exec-stream [--stdin] [--tty] [--url-only] [--send TEXT]
         [--expect TEXT] [--wait S] ID [-- CMD...]
                                                  (Attach / Exec, then the
                                                  streaming URL over websocket,
                                                  v4.channel.k8s.io) -> JSON
  create ... [--memory-limit BYTES]
Security settings (cri_security.bats), for run-pod, run-pods and create:
  --linux JSON      merged into the config's `linux` (LinuxPodSandboxConfig or
                    LinuxContainerConfig, proto field names), e.g.
                    '{"security_context": {"run_as_user": {"value": 1000}}}'
  --sysctl K=V      (run-pod) linux.sysctls
The default pod uses the host network (no CNI needed); --pod-network asks
for a pod network namespace.
"""

import argparse
import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_DIR = os.path.join(HERE, "proto")


def compile_proto():
    """Compile proto/cri.proto; returns the directory holding cri_pb2*.py."""
    gen = os.environ.get("CRI_GEN_DIR")
    if gen and os.path.exists(os.path.join(gen, "cri_pb2_grpc.py")):
        return gen
    out = tempfile.mkdtemp(prefix="cri-gen.")
    subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", "-I", PROTO_DIR,
         "--python_out=" + out, "--grpc_python_out=" + out,
         os.path.join(PROTO_DIR, "cri.proto")],
        check=True)
    if gen:
        # Publish atomically; a concurrent caller may have won the race.
        os.makedirs(os.path.dirname(os.path.abspath(gen)), exist_ok=True)
        try:
            os.rename(out, gen)
            return gen
        except OSError:
            pass
    atexit.register(shutil.rmtree, out, True)
    return out


sys.path.insert(0, compile_proto())
import grpc  # noqa: E402
import cri_pb2 as pb  # noqa: E402
import cri_pb2_grpc as pbg  # noqa: E402
from google.protobuf import json_format  # noqa: E402


def to_json(msg):
    return json_format.MessageToJson(msg, preserving_proto_field_name=True,
                                      including_default_value_fields=False)


def kv_list(items):
    out = {}
    for item in items or []:
        k, sep, v = item.partition("=")
        if not sep:
            raise SystemExit("expected KEY=VALUE, got %r" % item)
        out[k] = v
    return out


def pod_config(a):
    cfg = pb.PodSandboxConfig()
    cfg.metadata.name = a.name
    cfg.metadata.uid = a.uid or ("uid-" + a.name)
    cfg.metadata.namespace = a.namespace
    cfg.metadata.attempt = 0
    cfg.log_directory = a.log_dir or ""
    cfg.annotations.update(kv_list(a.annotation))
    cfg.labels.update(kv_list(a.label))
    ns = cfg.linux.security_context.namespace_options
    ns.network = pb.POD if a.pod_network else pb.NODE
    ns.pid = pb.CONTAINER
    ns.ipc = pb.POD
    if a.pod_network:
        cfg.hostname = a.name
    apply_linux_overrides(cfg, a)
    return cfg


# ---- security settings (cri_security.bats) ---------------------------------

def add_linux_override_args(s, pod):
    s.add_argument("--linux", dest="linux_json", action="append",
                   help="JSON merged into the config's linux message")
    if pod:
        s.add_argument("--sysctl", action="append", help="K=V: linux.sysctls")


def apply_linux_overrides(cfg, a):
    """Merge every --linux JSON into cfg.linux (later ones win), then the
    pod's --sysctl K=V pairs."""
    for j in getattr(a, "linux_json", None) or []:
        json_format.Parse(j, cfg.linux, ignore_unknown_fields=False)
    sysctls = kv_list(getattr(a, "sysctl", None))
    if sysctls:
        cfg.linux.sysctls.update(sysctls)


def cmd_run_pod(stub, a):
    cfg = pod_config(a)
    if a.save:
        with open(a.save, "w") as f:
            f.write(to_json(cfg))
    r = stub.RunPodSandbox(pb.RunPodSandboxRequest(config=cfg, runtime_handler=a.handler or ""),
                           timeout=a.timeout)
    print(r.pod_sandbox_id)


def run_parallel(fn, items):
    """fn(item) for each item, one thread each, all at once; returns
    [(item, result, error)] in the items' order."""
    import threading
    out = [None] * len(items)
    go = threading.Event()

    def work(i, item):
        go.wait()
        try:
            out[i] = (item, fn(item), None)
        except grpc.RpcError as e:
            out[i] = (item, None, "%s: %s" % (e.code().name, e.details()))
        except Exception as e:  # noqa: BLE001 (reported, not swallowed)
            out[i] = (item, None, repr(e))

    threads = [threading.Thread(target=work, args=(i, it)) for i, it in enumerate(items)]
    for t in threads:
        t.start()
    go.set()
    for t in threads:
        t.join()
    return out


def cmd_run_pods(stub, a):
    def one(i):
        b = argparse.Namespace(**vars(a))
        b.name = "%s-%d" % (a.name_prefix, i)
        cfg = pod_config(b)
        return stub.RunPodSandbox(pb.RunPodSandboxRequest(config=cfg, runtime_handler=a.handler or ""),
                                  timeout=a.timeout).pod_sandbox_id

    bad = 0
    for i, pod, err in run_parallel(one, list(range(a.count))):
        if err:
            bad += 1
            print("pod %s-%d: %s" % (a.name_prefix, i, err), file=sys.stderr)
        else:
            print(pod)
    return 1 if bad else 0


def cmd_time_pods(stub, a):
    import time
    variants = []
    for v in a.variant:
        name, _, kvs = v.partition(":")
        variants.append((name, kv_list([x for x in kvs.split(",") if x])))
    cmd = list(a.cmd)
    if cmd and cmd[0] == "--":
        cmd = cmd[1:]
    pods = []
    try:
        for i in range(a.count):
            order = variants if i % 2 == 0 else list(reversed(variants))
            for name, ann in order:
                b = argparse.Namespace(name="%s-%s-%d" % (a.name_prefix, name, i), uid=None,
                                       namespace="default", annotation=None, label=None,
                                       pod_network=False, log_dir=a.log_dir, linux_json=None, sysctl=None)
                cfg = pod_config(b)
                cfg.annotations.update(ann)
                t0 = time.monotonic()
                pod = stub.RunPodSandbox(pb.RunPodSandboxRequest(config=cfg, runtime_handler=a.handler or ""),
                                         timeout=a.timeout).pod_sandbox_id
                pods.append(pod)
                t1 = time.monotonic()
                c = pb.ContainerConfig()
                c.metadata.name = "c"
                c.image.image = a.image
                c.command.extend(cmd)
                c.log_path = "c-%s-%d.log" % (name, i)
                c.linux.security_context.namespace_options.CopyFrom(cfg.linux.security_context.namespace_options)
                cid = stub.CreateContainer(pb.CreateContainerRequest(
                    pod_sandbox_id=pod, config=c, sandbox_config=cfg), timeout=a.timeout).container_id
                t2 = time.monotonic()
                stub.StartContainer(pb.StartContainerRequest(container_id=cid), timeout=a.timeout)
                t3 = time.monotonic()
                print("%s %.2f %.2f %.2f %.2f" % (name, (t3 - t0) * 1000.0, (t1 - t0) * 1000.0, (t2 - t1) * 1000.0,
                                                  (t3 - t2) * 1000.0), flush=True)
    finally:
        for pod in pods:
            try:
                stub.StopPodSandbox(pb.StopPodSandboxRequest(pod_sandbox_id=pod), timeout=a.timeout)
                stub.RemovePodSandbox(pb.RemovePodSandboxRequest(pod_sandbox_id=pod), timeout=a.timeout)
            except grpc.RpcError as e:
                print("pod %s: %s: %s" % (pod, e.code().name, e.details()), file=sys.stderr)
    return 0


def cmd_stop_rm_pods(stub, a):
    def one(pod):
        stub.StopPodSandbox(pb.StopPodSandboxRequest(pod_sandbox_id=pod), timeout=a.timeout)
        stub.RemovePodSandbox(pb.RemovePodSandboxRequest(pod_sandbox_id=pod), timeout=a.timeout)

    bad = 0
    for pod, _, err in run_parallel(one, a.ids):
        if err:
            bad += 1
            print("pod %s: %s" % (pod, err), file=sys.stderr)
    return 1 if bad else 0


def cmd_cycle(stub, a):
    import time
    pcfg = pb.PodSandboxConfig()
    with open(a.pod_config) as f:
        json_format.Parse(f.read(), pcfg)
    cmd = list(a.cmd)
    if cmd and cmd[0] == "--":
        cmd = cmd[1:]
    for i in range(a.count):
        cfg = pb.ContainerConfig()
        cfg.metadata.name = "cycle-%d" % i
        cfg.image.image = a.image
        cfg.command.extend(cmd)
        cfg.linux.security_context.namespace_options.CopyFrom(
            pcfg.linux.security_context.namespace_options)
        cid = stub.CreateContainer(pb.CreateContainerRequest(
            pod_sandbox_id=a.pod, config=cfg, sandbox_config=pcfg), timeout=a.timeout).container_id
        stub.StartContainer(pb.StartContainerRequest(container_id=cid), timeout=a.timeout)
        deadline = time.monotonic() + a.timeout
        while True:
            st = stub.ContainerStatus(pb.ContainerStatusRequest(container_id=cid),
                                      timeout=a.timeout).status
            if st.state == pb.CONTAINER_EXITED:
                break
            if time.monotonic() > deadline:
                raise SystemExit("container %s (cycle %d) did not exit" % (cid, i))
            time.sleep(0.02)
        if st.exit_code != 0:
            raise SystemExit("container %s (cycle %d): exit code %d" % (cid, i, st.exit_code))
        stub.RemoveContainer(pb.RemoveContainerRequest(container_id=cid), timeout=a.timeout)
    return 0


def cmd_create(stub, a):
    pcfg = pb.PodSandboxConfig()
    with open(a.pod_config) as f:
        json_format.Parse(f.read(), pcfg)
    cfg = pb.ContainerConfig()
    cfg.metadata.name = a.name
    cfg.image.image = a.image
    cmd = list(a.cmd)
    if cmd and cmd[0] == "--":
        cmd = cmd[1:]
    cfg.command.extend(cmd)
    for k, v in kv_list(a.env).items():
        cfg.envs.add(key=k, value=v)
    cfg.annotations.update(kv_list(a.annotation))
    for m in a.mount or []:
        parts = m.split(":")
        if len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] != "ro"):
            raise SystemExit("--mount: expected HOST:CTR[:ro], got %r" % m)
        cfg.mounts.add(host_path=parts[0], container_path=parts[1], readonly=len(parts) == 3)
    cfg.log_path = a.log_path or ""
    cfg.tty = a.tty
    cfg.stdin = a.stdin
    ns = cfg.linux.security_context.namespace_options
    ns.CopyFrom(pcfg.linux.security_context.namespace_options)
    apply_linux_overrides(cfg, a)
    validation_create_config(cfg, a)
    r = stub.CreateContainer(pb.CreateContainerRequest(
        pod_sandbox_id=a.pod, config=cfg, sandbox_config=pcfg), timeout=a.timeout)
    print(r.container_id)


def cmd_exec_sync(stub, a):
    cmd = list(a.cmd)
    if cmd and cmd[0] == "--":
        cmd = cmd[1:]
    r = stub.ExecSync(pb.ExecSyncRequest(container_id=a.id, cmd=cmd, timeout=a.exec_timeout),
                      timeout=a.timeout)
    sys.stdout.buffer.write(r.stdout)
    sys.stdout.flush()
    sys.stderr.buffer.write(r.stderr)
    sys.stderr.flush()
    return r.exit_code


def cmd_ps(stub, a):
    f = pb.ContainerFilter()
    if a.pod:
        f.pod_sandbox_id = a.pod
    r = stub.ListContainers(pb.ListContainersRequest(filter=f), timeout=a.timeout)
    for c in r.containers:
        if a.quiet:
            print(c.id)
        else:
            print("%s %s %s %s" % (c.id, pb.ContainerState.Name(c.state), c.metadata.name,
                                   c.pod_sandbox_id))


def cmd_pods(stub, a):
    r = stub.ListPodSandbox(pb.ListPodSandboxRequest(), timeout=a.timeout)
    for p in r.items:
        if a.quiet:
            print(p.id)
        else:
            print("%s %s %s %s" % (p.id, pb.PodSandboxState.Name(p.state), p.metadata.name,
                                   p.runtime_handler))



# ---- validation calls (cri_validation.bats) ---------------------------------
# ListContainerStats, ExecSync with a measured duration, and Attach / Exec
# through containerd's streaming server: a minimal websocket client speaking
# Kubernetes' channel protocol (v4.channel.k8s.io: every message starts with
# its channel number, 0 stdin, 1 stdout, 2 stderr, 3 error/status).

def validation_create_args(s):
    s.add_argument("--memory-limit", type=int, default=0,
                   help="linux.resources.memory_limit_in_bytes")


def validation_create_config(cfg, a):
    if getattr(a, "memory_limit", 0):
        cfg.linux.resources.memory_limit_in_bytes = a.memory_limit


def cmd_list_stats(stub, a):
    f = pb.ContainerStatsFilter(id=a.id or "", pod_sandbox_id=a.pod or "")
    print(to_json(stub.ListContainerStats(pb.ListContainerStatsRequest(filter=f),
                                          timeout=a.timeout)))
    return 0


def cmd_exec_sync_json(stub, a):
    """ExecSync; prints {"exit_code", "stdout_len", "stderr_len", "stdout_sha256",
    "seconds"} or {"error_code", "error", "seconds"}; always exits 0."""
    import hashlib
    import time
    cmd = list(a.cmd)
    if cmd and cmd[0] == "--":
        cmd = cmd[1:]
    t0 = time.monotonic()
    try:
        r = stub.ExecSync(pb.ExecSyncRequest(container_id=a.id, cmd=cmd,
                                             timeout=a.exec_timeout), timeout=a.timeout)
        out = {"exit_code": r.exit_code, "stdout_len": len(r.stdout),
               "stderr_len": len(r.stderr),
               "stdout_sha256": hashlib.sha256(r.stdout).hexdigest()}
    except grpc.RpcError as e:
        out = {"error_code": e.code().name, "error": e.details()}
    out["seconds"] = round(time.monotonic() - t0, 3)
    print(json.dumps(out))
    return 0


class WebSocket:
    """Just enough of RFC 6455 for the streaming server: client frames
    masked, server frames unmasked, no extensions."""

    def __init__(self, url, protocols, timeout):
        import base64
        import socket
        import urllib.parse
        u = urllib.parse.urlsplit(url)
        if u.scheme != "http":
            raise SystemExit("streaming URL %r: only http is supported" % url)
        self.sock = socket.create_connection((u.hostname, u.port or 80), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        path = u.path + ("?" + u.query if u.query else "")
        req = ("GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
               "Sec-WebSocket-Protocol: %s\r\nOrigin: http://%s\r\n\r\n"
               % (path, u.netloc, key, ", ".join(protocols), u.netloc))
        self.sock.sendall(req.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise SystemExit("streaming server closed during the handshake: %r" % head)
            head += chunk
        head, self.buf = head.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        self.status_line = lines[0]
        self.headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            self.headers[k.strip().lower()] = v.strip()
        if " 101 " not in self.status_line + " ":
            raise SystemExit("streaming server refused the upgrade: %s" % self.status_line)
        self.protocol = self.headers.get("sec-websocket-protocol", "")

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def send(self, payload, opcode=2):
        import struct
        mask = os.urandom(4)
        n = len(payload)
        if n < 126:
            hdr = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 65536:
            hdr = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            hdr = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(hdr + mask + body)

    def recv(self):
        """(opcode, payload) of the next whole message; (8, b"") on close/EOF."""
        import struct
        data, first_op = b"", None
        try:
            while True:
                b0, b1 = self._read(2)
                op, n = b0 & 0x0F, b1 & 0x7F
                if n == 126:
                    n = struct.unpack("!H", self._read(2))[0]
                elif n == 127:
                    n = struct.unpack("!Q", self._read(8))[0]
                mask = self._read(4) if b1 & 0x80 else None
                p = self._read(n)
                if mask:
                    p = bytes(b ^ mask[i % 4] for i, b in enumerate(p))
                if op == 9:  # ping
                    self.send(p, opcode=10)
                    continue
                if op == 10:
                    continue
                if op == 8:
                    return 8, p
                if first_op is None:
                    first_op = op
                data += p
                if b0 & 0x80:
                    return first_op, data
        except EOFError:
            return 8, b""

    def close(self):
        try:
            self.send(b"\x03\xe8", opcode=8)
        except OSError:
            pass
        self.sock.close()


STREAM_PROTOCOLS = ["v4.channel.k8s.io", "channel.k8s.io"]


def stream_session(url, a):
    """Connect to a streaming URL, send --send on stdin, collect stdout and
    stderr until --expect is seen on stdout or the server closes; returns a
    dict for JSON output."""
    import time
    ws = WebSocket(url, STREAM_PROTOCOLS, a.timeout)
    out = {"url": url, "protocol": ws.protocol, "stdout": "", "stderr": "", "error": "",
           "closed": False}
    if a.send is not None:
        ws.send(b"\x00" + a.send.encode().decode("unicode_escape").encode())
    deadline = time.monotonic() + a.wait
    stdout = b""
    while time.monotonic() < deadline:
        ws.sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            op, msg = ws.recv()
        except OSError:  # socket.timeout included
            break
        if op == 8:
            out["closed"] = True
            break
        if not msg:
            continue
        ch, body = msg[0], msg[1:]
        if ws.protocol.startswith("base64"):
            import base64
            ch, body = ch - ord("0"), base64.b64decode(body)
        if ch == 1:
            stdout += body
        elif ch == 2:
            out["stderr"] += body.decode(errors="replace")
        elif ch == 3:
            out["error"] += body.decode(errors="replace")
        if a.expect is not None and a.expect.encode() in stdout:
            break
    out["stdout"] = stdout.decode(errors="replace")
    ws.close()
    if out["error"]:
        try:
            st = json.loads(out["error"])
            out["status"] = st.get("status")
            code = 0
            for c in (st.get("details") or {}).get("causes") or []:
                if c.get("reason") == "ExitCode":
                    code = int(c.get("message"))
            out["exit_code"] = code if st.get("status") != "Success" else 0
        except ValueError:
            pass
    return out


def cmd_attach(stub, a):
    r = stub.Attach(pb.AttachRequest(container_id=a.id, stdin=a.stdin, tty=a.tty,
                                     stdout=True, stderr=not a.tty), timeout=a.timeout)
    if a.url_only:
        print(r.url)
        return 0
    print(json.dumps(stream_session(r.url, a)))
    return 0


def cmd_exec_stream(stub, a):
    cmd = list(a.cmd)
    if cmd and cmd[0] == "--":
        cmd = cmd[1:]
    r = stub.Exec(pb.ExecRequest(container_id=a.id, cmd=cmd, stdin=a.stdin, tty=a.tty,
                                 stdout=True, stderr=not a.tty), timeout=a.timeout)
    if a.url_only:
        print(r.url)
        return 0
    print(json.dumps(stream_session(r.url, a)))
    return 0


def validation_parsers(sub):
    s = sub.add_parser("list-stats")
    s.add_argument("--pod")
    s.add_argument("--id")
    s = sub.add_parser("exec-sync-json")
    s.add_argument("--timeout", dest="exec_timeout", type=int, default=30)
    s.add_argument("id")
    s.add_argument("cmd", nargs=argparse.REMAINDER)
    for name in ("attach", "exec-stream"):
        s = sub.add_parser(name)
        s.add_argument("--stdin", action="store_true")
        s.add_argument("--tty", action="store_true")
        s.add_argument("--url-only", action="store_true")
        s.add_argument("--send", help="text for stdin (backslash escapes allowed)")
        s.add_argument("--expect", help="stop once stdout contains this")
        s.add_argument("--wait", type=float, default=10.0,
                       help="at most this long for output (s)")
        s.add_argument("id")
        if name == "exec-stream":
            s.add_argument("cmd", nargs=argparse.REMAINDER)


VALIDATION_COMMANDS = {
    "list-stats": cmd_list_stats,
    "exec-sync-json": cmd_exec_sync_json,
    "attach": cmd_attach,
    "exec-stream": cmd_exec_stream,
}


def main():
    p = argparse.ArgumentParser(description="minimal CRI client for tests")
    p.add_argument("--endpoint", default="unix:///run/containerd/containerd.sock")
    p.add_argument("--timeout", type=float, default=60.0, help="per-call deadline (s)")
    sub = p.add_subparsers(dest="command", required=True)

    sub.add_parser("version")
    sub.add_parser("status")
    sub.add_parser("images")

    s = sub.add_parser("run-pod")
    s.add_argument("--name", required=True)
    s.add_argument("--uid")
    s.add_argument("--namespace", default="default")
    s.add_argument("--handler")
    s.add_argument("--annotation", action="append")
    s.add_argument("--label", action="append")
    s.add_argument("--pod-network", action="store_true")
    s.add_argument("--log-dir")
    s.add_argument("--save")
    add_linux_override_args(s, True)

    s = sub.add_parser("time-pods")
    s.add_argument("--count", type=int, required=True)
    s.add_argument("--name-prefix", required=True)
    s.add_argument("--image", required=True)
    s.add_argument("--variant", action="append", required=True)
    s.add_argument("--handler")
    s.add_argument("--log-dir")
    s.add_argument("cmd", nargs=argparse.REMAINDER)

    s = sub.add_parser("run-pods")
    s.add_argument("--count", type=int, required=True)
    s.add_argument("--name-prefix", required=True)
    s.add_argument("--uid")
    s.add_argument("--namespace", default="default")
    s.add_argument("--handler")
    s.add_argument("--annotation", action="append")
    s.add_argument("--label", action="append")
    s.add_argument("--pod-network", action="store_true")
    s.add_argument("--log-dir")
    s = sub.add_parser("stop-rm-pods")
    s.add_argument("ids", nargs="*")

    s = sub.add_parser("cycle")
    s.add_argument("--pod", required=True)
    s.add_argument("--pod-config", required=True)
    s.add_argument("--image", required=True)
    s.add_argument("--count", type=int, required=True)
    s.add_argument("cmd", nargs=argparse.REMAINDER)

    s = sub.add_parser("create")
    s.add_argument("--pod", required=True)
    s.add_argument("--pod-config", required=True)
    s.add_argument("--name", required=True)
    s.add_argument("--image", required=True)
    s.add_argument("--annotation", action="append")
    s.add_argument("--env", action="append")
    s.add_argument("--log-path")
    s.add_argument("--tty", action="store_true")
    s.add_argument("--stdin", action="store_true")
    s.add_argument("--mount", action="append")
    add_linux_override_args(s, False)
    validation_create_args(s)
    s.add_argument("cmd", nargs=argparse.REMAINDER)

    for name in ("start", "rm", "stats", "inspect", "inspect-pod", "stop-pod", "rm-pod",
                 "pod-stats", "reopen-log"):
        sub.add_parser(name).add_argument("id")
    s = sub.add_parser("stop")
    s.add_argument("--timeout", dest="stop_timeout", type=int, default=10)
    s.add_argument("id")

    s = sub.add_parser("update")
    s.add_argument("--cpu-shares", type=int, default=0)
    s.add_argument("--cpu-quota", type=int, default=0)
    s.add_argument("--cpu-period", type=int, default=0)
    s.add_argument("--memory", type=int, default=0)
    s.add_argument("id")

    s = sub.add_parser("exec-sync")
    s.add_argument("--timeout", dest="exec_timeout", type=int, default=30)
    s.add_argument("id")
    s.add_argument("cmd", nargs=argparse.REMAINDER)

    s = sub.add_parser("ps")
    s.add_argument("--pod")
    s.add_argument("-q", dest="quiet", action="store_true")
    s = sub.add_parser("pods")
    s.add_argument("-q", dest="quiet", action="store_true")
    sub.add_parser("pods-q")
    validation_parsers(sub)

    a = p.parse_args()
    # 16 MiB replies, as the kubelet allows (ExecSync output).
    ch = grpc.insecure_channel(a.endpoint, options=[("grpc.max_receive_message_length", 16 << 20)])
    rt = pbg.RuntimeServiceStub(ch)
    t = a.timeout
    c = a.command
    try:
        if c == "version":
            print(to_json(rt.Version(pb.VersionRequest(version="v1"), timeout=t)))
        elif c == "status":
            print(to_json(rt.Status(pb.StatusRequest(verbose=False), timeout=t)))
        elif c == "images":
            img = pbg.ImageServiceStub(ch)
            for i in img.ListImages(pb.ListImagesRequest(), timeout=t).images:
                print("%s %s" % (i.id, ",".join(i.repo_tags)))
        elif c == "run-pod":
            cmd_run_pod(rt, a)
        elif c == "run-pods":
            return cmd_run_pods(rt, a)
        elif c == "time-pods":
            return cmd_time_pods(rt, a)
        elif c == "stop-rm-pods":
            return cmd_stop_rm_pods(rt, a)
        elif c == "cycle":
            return cmd_cycle(rt, a)
        elif c == "create":
            cmd_create(rt, a)
        elif c == "start":
            rt.StartContainer(pb.StartContainerRequest(container_id=a.id), timeout=t)
        elif c == "stop":
            rt.StopContainer(pb.StopContainerRequest(container_id=a.id, timeout=a.stop_timeout),
                             timeout=t)
        elif c == "rm":
            rt.RemoveContainer(pb.RemoveContainerRequest(container_id=a.id), timeout=t)
        elif c == "exec-sync":
            return cmd_exec_sync(rt, a)
        elif c == "stats":
            print(to_json(rt.ContainerStats(pb.ContainerStatsRequest(container_id=a.id),
                                            timeout=t)))
        elif c == "pod-stats":
            print(to_json(rt.PodSandboxStats(pb.PodSandboxStatsRequest(pod_sandbox_id=a.id),
                                             timeout=t)))
        elif c == "reopen-log":
            rt.ReopenContainerLog(pb.ReopenContainerLogRequest(container_id=a.id), timeout=t)
        elif c == "update":
            res = pb.LinuxContainerResources(cpu_shares=a.cpu_shares, cpu_quota=a.cpu_quota,
                                             cpu_period=a.cpu_period,
                                             memory_limit_in_bytes=a.memory)
            rt.UpdateContainerResources(pb.UpdateContainerResourcesRequest(
                container_id=a.id, linux=res), timeout=t)
        elif c == "inspect":
            print(to_json(rt.ContainerStatus(pb.ContainerStatusRequest(container_id=a.id),
                                             timeout=t)))
        elif c == "inspect-pod":
            print(to_json(rt.PodSandboxStatus(pb.PodSandboxStatusRequest(pod_sandbox_id=a.id),
                                              timeout=t)))
        elif c == "ps":
            cmd_ps(rt, a)
        elif c == "pods":
            cmd_pods(rt, a)
        elif c == "pods-q":
            a.quiet = True
            cmd_pods(rt, a)
        elif c == "stop-pod":
            rt.StopPodSandbox(pb.StopPodSandboxRequest(pod_sandbox_id=a.id), timeout=t)
        elif c == "rm-pod":
            rt.RemovePodSandbox(pb.RemovePodSandboxRequest(pod_sandbox_id=a.id), timeout=t)
        elif c in VALIDATION_COMMANDS:
            return VALIDATION_COMMANDS[c](rt, a)
    except grpc.RpcError as e:
        print("cri %s: %s: %s" % (c, e.code().name, e.details()), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
