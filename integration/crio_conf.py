#!/usr/bin/env python3
"""crio_conf.py check FILE      check a CRI-O drop-in against CRI-O 1.26's schema
crio_conf.py monitor-env FILE HANDLER   print the handler's monitor_env, one a line

`check` reads FILE as TOML (python's tomllib; CRI-O uses BurntSushi's
decoder, also TOML 1.0) and applies what CRI-O 1.26 applies to each
[crio.runtime.runtimes.NAME] table (pkg/config/config.go: RuntimeHandler,
Validate, ValidateRuntimes, TranslateMonitorFieldsForHandler), stricter
where CRI-O would silently ignore something:

- only the keys of 1.26's RuntimeHandler, each of its type (CRI-O ignores an
  unknown key, so a key of a later CRI-O would do nothing there);
- runtime_path absolute (CRI-O drops the handler when it does not exist);
- runtime_type "", "oci", "vm" or "pod"; runtime_config_path only with "vm";
- allowed_annotations only CRI-O 1.26's own experimental annotation names
  (anything else: "invalid allowed_annotation", the handler is dropped or, as
  the default runtime, CRI-O does not start);
- monitor_cgroup valid for both cgroup managers ("pod": cgroupfs refuses
  anything else, and an empty value becomes "system.slice"),
  monitor_exec_cgroup "" or "container";
- monitor_env entries KEY=VALUE.

Prints one line per problem, prefixed with the file and the TOML path, and
exits 1 when there is any; else prints "ok: HANDLER ..." per handler.
"""
import sys
import tomllib

# pkg/config/config.go, type RuntimeHandler, in v1.26.0 .. v1.26.4 (the
# same ten keys in each).
HANDLER_KEYS = {
    "runtime_config_path": str,
    "runtime_path": str,
    "runtime_type": str,
    "runtime_root": str,
    "privileged_without_host_devices": bool,
    "allowed_annotations": list,
    "monitor_path": str,
    "monitor_cgroup": str,
    "monitor_env": list,
    "monitor_exec_cgroup": str,
}
# Keys later CRI-O versions added (ignored by 1.26).
LATER_KEYS = {
    "platform_runtime_paths": "1.28",
    "runtime_pull_image": "1.29",
    "container_min_memory": "1.30",
    "no_sync_log": "1.31",
    "inherit_default_runtime": "1.32",
    "default_annotations": "1.32",
}
# pkg/annotations/annotations.go, AllAllowedAnnotations, in every 1.26.x.
ALLOWED_ANNOTATIONS = {
    "io.kubernetes.cri-o.userns-mode",
    "io.kubernetes.cri-o.cgroup2-mount-hierarchy-rw",
    "io.kubernetes.cri-o.UnifiedCgroup",
    "io.kubernetes.cri-o.ShmSize",
    "io.kubernetes.cri-o.Devices",
    "cpu-load-balancing.crio.io",
    "cpu-quota.crio.io",
    "irq-load-balancing.crio.io",
    "io.containers.trace-syscall",
    "io.kubernetes.cri.rdt-class",
    "io.kubernetes.cri-o.TrySkipVolumeSELinuxLabel",
    "cpu-c-states.crio.io",
    "cpu-freq-governor.crio.io",
    "io.kubernetes.cri-o.seccompNotifierAction",
}
# Accepted by some CRI-O versions only.
LATER_ANNOTATIONS = {
    "io.kubernetes.cri-o.LinkLogs": "1.26.4 (not 1.26.0 to 1.26.3)",
    "io.kubernetes.cri-o.umask": "1.27",
}


def check_handler(where, name, h, problems):
    for key, val in h.items():
        p = "%s.%s" % (where, key)
        if key not in HANDLER_KEYS:
            if key in LATER_KEYS:
                problems.append("%s: not a key of CRI-O 1.26's runtime handler (added in %s); 1.26 ignores it"
                                % (p, LATER_KEYS[key]))
            else:
                problems.append("%s: unknown key (CRI-O 1.26 knows: %s)" % (p, ", ".join(sorted(HANDLER_KEYS))))
            continue
        want = HANDLER_KEYS[key]
        if not isinstance(val, want):
            problems.append("%s: must be a %s, is %r" % (p, want.__name__, val))
            continue
        if want is list and not all(isinstance(v, str) for v in val):
            problems.append("%s: must be an array of strings, is %r" % (p, val))
    rtype = h.get("runtime_type", "")
    if rtype not in ("", "oci", "vm", "pod"):
        problems.append('%s.runtime_type: invalid `runtime_type` "%s" for runtime "%s"' % (where, rtype, name))
    if h.get("runtime_config_path") and rtype != "vm":
        problems.append("%s.runtime_config_path: can only be used with the 'vm' runtime type" % where)
    rpath = h.get("runtime_path")
    if not isinstance(rpath, str) or not rpath.startswith("/"):
        problems.append("%s.runtime_path: must be an absolute path (CRI-O would look \"%s\" up in its PATH)"
                        % (where, name))
    mpath = h.get("monitor_path", "")
    if rtype in ("", "oci") and (not isinstance(mpath, str) or not mpath.startswith("/")):
        problems.append("%s.monitor_path: must be conmon's absolute path" % where)
    for ann in h.get("allowed_annotations", []) or []:
        if not isinstance(ann, str):
            continue
        if ann in ALLOWED_ANNOTATIONS:
            continue
        if ann in LATER_ANNOTATIONS:
            problems.append("%s.allowed_annotations: %s is accepted by CRI-O %s only"
                            % (where, ann, LATER_ANNOTATIONS[ann]))
        else:
            problems.append("%s.allowed_annotations: invalid allowed_annotation: %s (CRI-O drops the handler; "
                            "only CRI-O's own annotation names may be listed)" % (where, ann))
    mcg = h.get("monitor_cgroup", "")
    if isinstance(mcg, str) and mcg != "pod":
        problems.append('%s.monitor_cgroup: "%s" is not valid with both cgroup managers (cgroupfs takes only "pod": '
                        'an empty value becomes "system.slice", which it refuses; systemd: "pod" or a .slice)'
                        % (where, mcg))
    mec = h.get("monitor_exec_cgroup", "")
    if mec not in ("", "container"):
        problems.append('%s.monitor_exec_cgroup: "%s" is not "" or "container"' % (where, mec))
    for e in h.get("monitor_env", []) or []:
        if isinstance(e, str) and ("=" not in e or e.startswith("=")):
            problems.append("%s.monitor_env: %r is not KEY=VALUE" % (where, e))


def check(path):
    problems = []
    with open(path, "rb") as f:
        try:
            doc = tomllib.load(f)
        except tomllib.TOMLDecodeError as e:
            print("%s: unable to decode configuration: %s" % (path, e))
            return 1
    handlers = {}
    for top, v in doc.items():
        if top != "crio" or not isinstance(v, dict):
            problems.append("%s: not a table of CRI-O's configuration" % top)
            continue
        for k, vv in v.items():
            if k != "runtime" or not isinstance(vv, dict):
                problems.append("crio.%s: this drop-in should only add runtime handlers" % k)
                continue
            for kk, vvv in vv.items():
                if kk != "runtimes" or not isinstance(vvv, dict):
                    problems.append("crio.runtime.%s: this drop-in should only add runtime handlers" % kk)
                    continue
                handlers = vvv
    if not handlers:
        problems.append("no [crio.runtime.runtimes.NAME] table")
    for name, h in handlers.items():
        where = "crio.runtime.runtimes.%s" % name
        if not isinstance(h, dict):
            problems.append("%s: must be a table" % where)
            continue
        check_handler(where, name, h, problems)
    for p in problems:
        print("%s: %s" % (path, p))
    if problems:
        return 1
    for name, h in handlers.items():
        print("ok: %s runtime_path=%s runtime_type=%s monitor_path=%s allowed_annotations=%s"
              % (name, h.get("runtime_path"), h.get("runtime_type", ""), h.get("monitor_path", ""),
                 h.get("allowed_annotations", [])))
    return 0


def monitor_env(path, handler):
    with open(path, "rb") as f:
        doc = tomllib.load(f)
    h = doc["crio"]["runtime"]["runtimes"][handler]
    for e in h.get("monitor_env", []):
        print(e)
    return 0


def main():
    a = sys.argv[1:]
    if len(a) == 2 and a[0] == "check":
        return check(a[1])
    if len(a) == 3 and a[0] == "monitor-env":
        return monitor_env(a[1], a[2])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
