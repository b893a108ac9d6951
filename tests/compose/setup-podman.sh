#!/usr/bin/env bash
# Prepares a Debian machine without Docker for tests/compose/smoke.sh (run as root; idempotent):
# podman + podman-compose from Debian, runc and ulimits that fit a sandbox, and local images in
# place of pulled ones: a Debian bookworm base (debootstrap --variant=minbase, imported) for the
# fraudloop runtime image, the same base with nginx for the load balancer, and, when an n8n
# install is given (SMOKE_N8N_DIR, a folder with node_modules/.bin/n8n, e.g. the one
# tests/n8n/run.sh caches), the base with this machine's Node.js and the n8n user and command of
# the official image, the install itself mounted at /opt/n8n by the smoke test.
set -euo pipefail
work="${SMOKE_WORK:-/var/tmp/fraudloop-smoke}"
base_image="${SMOKE_BASE_IMAGE:-localhost/fraudloop-base:bookworm}"
nginx_image="${SMOKE_NGINX_IMAGE:-localhost/fraudloop-test-nginx:bookworm}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

missing=()
for tool in podman podman-compose debootstrap runc; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "== installing ${missing[*]} (Debian)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman podman-compose debootstrap runc >/dev/null
fi

conf=/etc/containers/containers.conf
if ! grep -qs '^runtime *= *"runc"' "$conf"; then
  echo "== configuring podman: runc, ulimits ($conf)"
  mkdir -p /etc/containers
  [ -f "$conf" ] && cp "$conf" "$conf.before-fraudloop"
  cat >"$conf" <<'CONF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
runtime = "runc"
CONF
fi

if ! podman image exists "$base_image"; then
  echo "== building $base_image with debootstrap (a few minutes)"
  rm -rf "$work/rootfs" && mkdir -p "$work"
  debootstrap --variant=minbase --include=ca-certificates bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log"
  rm -f "$work"/rootfs/var/cache/apt/archives/*.deb
  tar -C "$work/rootfs" -c . | podman import - "$base_image" >/dev/null
fi

if ! podman image exists "$nginx_image"; then
  echo "== building $nginx_image (the base with Debian's nginx-light and wget)"
  [ -d "$work/rootfs" ] || { echo "missing $work/rootfs: remove $base_image and run again" >&2; exit 1; }
  rm -rf "$work/rootfs-nginx" && cp -a "$work/rootfs" "$work/rootfs-nginx"
  cp /etc/resolv.conf "$work/rootfs-nginx/etc/resolv.conf"
  chroot "$work/rootfs-nginx" bash -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends nginx-light wget >/dev/null && apt-get clean \
    && rm -rf /var/lib/apt/lists/*'
  tar -C "$work/rootfs-nginx" -c . | podman import - "$nginx_image" >/dev/null
fi
n8n_image="${SMOKE_N8N_IMAGE:-localhost/fraudloop-test-n8n:bookworm}"
n8n_note=""
if [ -n "${SMOKE_N8N_DIR:-}" ]; then
  if ! podman image exists "$n8n_image"; then
    node="$(command -v node)" || { echo "SMOKE_N8N_DIR is set but there is no node here" >&2; exit 1; }
    echo "== building $n8n_image (the base with $("$node" --version) and an n8n command reading /opt/n8n)"
    ctx="$work/n8n-image" && rm -rf "$ctx" && mkdir -p "$ctx"
    cp "$node" "$ctx/node"
    cat >"$ctx/n8n" <<'SH'
#!/bin/sh
exec node /opt/n8n/node_modules/n8n/bin/n8n "$@"
SH
    cat >"$ctx/Containerfile" <<CF
FROM $base_image
COPY node n8n /usr/local/bin/
RUN chmod 0755 /usr/local/bin/node /usr/local/bin/n8n \
 && groupadd --gid 1000 node && useradd --uid 1000 --gid node --create-home --home-dir /home/node node \
 && mkdir -p /home/node/.n8n && chown node:node /home/node/.n8n
USER node
WORKDIR /home/node
ENV NODE_ENV=production
CMD ["n8n", "start"]
CF
    podman build --quiet --format docker -t "$n8n_image" "$ctx" >/dev/null
    rm -rf "$ctx"
  fi
  n8n_note=", n8n $n8n_image"
fi
echo "== podman ready: $(podman --version), base $base_image, lb $nginx_image$n8n_note"
