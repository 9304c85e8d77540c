#!/usr/bin/env bash
# What the tests use beyond PyPI, from Debian: wrk (load engine cross-check),
# chromium + chromium-driver (browser tests), nginx (the balancer in front of two
# servers; the tests run their own nginx as this user, never the system's service)
# and nghttp2-client (h2load, the HTTP/2 load of `make bench`). Installed when missing
# and possible (root with apt-get); otherwise the tests that need them skip and say why.
set -u
want=()
command -v wrk >/dev/null 2>&1 || want+=(wrk)
command -v chromium >/dev/null 2>&1 || want+=(chromium)
command -v chromedriver >/dev/null 2>&1 || want+=(chromium-driver)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || want+=(nginx)
command -v h2load >/dev/null 2>&1 || want+=(nghttp2-client)
[ ${#want[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "system-deps: cannot install ${want[*]} (needs root and apt-get); the tests that need them will skip" >&2
    exit 0
fi
echo "system-deps: installing ${want[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
{ apt-get update -qq && apt-get install -y -qq --no-install-recommends "${want[@]}"; } >/dev/null 2>&1 \
    || echo "system-deps: apt-get could not install ${want[*]}; the tests that need them will skip" >&2
exit 0
