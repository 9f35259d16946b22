#!/usr/bin/env bash
# Install every build and test dependency of airlock from Debian 12's apt
# repositories. Idempotent: packages already present are left alone.
set -euo pipefail
pkgs=(
  # build
  build-essential pkg-config libyajl-dev libseccomp-dev libcap-dev libsystemd-dev
  protobuf-c-compiler libprotobuf-c-dev
  # tests
  libcmocka-dev bats jq python3 busybox-static iproute2 util-linux procps
  dbus-daemon # test_sdbus_static: a private bus
  # fuzzing (make fuzz: clang's libFuzzer and sanitizer runtimes)
  clang libclang-rt-14-dev
  # fault injection (integration/faults.bats: strace -e inject)
  strace
  # peers and benchmarks
  crun runc hyperfine containerd python3-grpcio python3-grpc-tools python3-protobuf
  # the shim's memory checks (integration/shim/memcheck.bats)
  valgrind gdb file
  # CRI pod networking (integration/shim/cri_*.bats: bridge, host-local, loopback)
  containernetworking-plugins
  # CRI-O's container monitor (integration/conmon.bats, integration/conmon_monitor.bats)
  conmon
  # a runc client (integration/runc_compat2.bats: podman with airlock as its runtime)
  podman
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#pkgs[@]} packages present"
  exit 0
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
