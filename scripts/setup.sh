#!/usr/bin/env bash
# Installs every Debian 12 package that building and testing hrnn needs. Idempotent: does nothing
# when all packages are present. Uses sudo only when not root.
set -euo pipefail

PACKAGES=(
  g++ cmake ninja-build pkg-config git ca-certificates
  libabsl-dev          # Status, flags, containers, synchronization
  libeigen3-dev        # baseline kernels and elementwise math
  nlohmann-json3-dev   # config.json and the safetensors header
  zlib1g-dev           # gzip-compressed interaction logs
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler  # the gRPC API
  prometheus-cpp-dev   # /metrics exposition
  libhiredis-dev       # --catalog_stream: PutItems replicated through a Redis stream
  libcpp-httplib-dev   # --http_port: the HTTP/JSON API's server (and its tests' client)
  redis-server         # its tests and the routing test run a real one (redis-cli comes with it)
  curl                 # demo and tests read /metrics over HTTP
  openssl              # the TLS tests make their certificates
  libgtest-dev libgmock-dev
  libbenchmark-dev
  clang                # the libFuzzer smoke run (scripts/fuzz.sh), the thread-safety check
  clang-format         # the format check (scripts/format_check.sh)
  python3              # scripts/lib/clang_commands.py (thread-safety check)
  # client/python: pip install into a venv that sees these (scripts/python-client-test.sh)
  python3-venv python3-setuptools python3-wheel python3-grpcio python3-protobuf
  chromium             # scripts/console-test.sh: the web console in a headless browser
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -q
$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}"
