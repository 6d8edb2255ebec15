#!/usr/bin/env bash
# Install the Prometheus server for tests/integration/runtime when it is missing and we may (root + apt-get).
# A no-op when `prometheus` is already on PATH, or when we are not root: the test then skips, or fails
# under MODELYARD_REQUIRE_PROMETHEUS=1.
set -euo pipefail
if command -v prometheus >/dev/null 2>&1; then
  echo "prometheus: $(command -v prometheus)"
  exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "prometheus is not installed and we are not root with apt-get: skipping (install it yourself)" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends prometheus >/dev/null
echo "prometheus: $(command -v prometheus)"
