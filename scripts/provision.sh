#!/usr/bin/env bash
# Provisions what sls-run's tests need on a Debian machine, from Debian's packages, and starts the
# Docker engine when it is not running. Idempotent: a second run only checks (about a second).
#
#   scripts/provision.sh            # everything the test suites need (docker standins go registry chromium)
#   scripts/provision.sh docker     # only the Docker engine
#   scripts/provision.sh registry   # Debian's docker-registry + htpasswd (push tests; never started as a service)
#   scripts/provision.sh go         # Go 1.23 from bookworm-backports (the go template's own tests)
#   scripts/provision.sh standins   # only Debian's busybox-static, the base of the offline stand-in
#                                   # images of alpine:3.20 / node:22-alpine (test/helpers/standins.ts)
#   scripts/provision.sh chromium   # Debian's Chromium (/usr/bin/chromium), driven by playwright-core in the
#                                   # dashboard's browser test (test/e2e/dashboard.test.ts); never downloaded
#
# Later features add their parts here.
set -euo pipefail

want=("$@")
[ ${#want[@]} -gt 0 ] || want=(docker standins go registry chromium)

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
log() { printf 'provision: %s\n' "$*" >&2; }

apt_updated=""
apt_install() { # apt_install PACKAGE
  if [ -z "$apt_updated" ]; then $SUDO apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$1" >/dev/null
}

ensure_pkg() { # ensure_pkg COMMAND PACKAGE
  if command -v "$1" >/dev/null 2>&1; then return 0; fi
  log "installing $2 (for $1)"
  apt_install "$2"
}

ensure_standins() {
  # The stand-in images start FROM scratch: their /bin/busybox must be the static build. Debian's
  # dynamically linked `busybox` package also provides the command, so check the package too.
  ensure_pkg busybox busybox-static
  if ! dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed'; then
    log "installing busybox-static (replaces the dynamically linked busybox)"
    apt_install busybox-static
  fi
}

ensure_go() {
  # The go template needs Go >= 1.23; Debian 12 ships 1.19, bookworm-backports has 1.23.
  if command -v go >/dev/null 2>&1 && go version | grep -Eq 'go1\.(2[3-9]|[3-9][0-9])'; then return 0; fi
  if [ ! -x /usr/lib/go-1.23/bin/go ]; then
    if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
      log "adding Debian's bookworm-backports to apt sources (for golang-1.23)"
      printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' | $SUDO tee /etc/apt/sources.list.d/sls-run-backports.sources >/dev/null
      apt_updated=""
    fi
    log "installing golang-1.23-go (bookworm-backports)"
    apt_install golang-1.23-go
  fi
  $SUDO ln -sf /usr/lib/go-1.23/bin/go /usr/local/bin/go
  $SUDO ln -sf /usr/lib/go-1.23/bin/gofmt /usr/local/bin/gofmt
}

ensure_registry() {
  # Debian's docker-registry (distribution v2.8, /usr/bin/docker-registry) and htpasswd -B. Tests start
  # their own registry on a free 127.0.0.1 port (test/helpers/registry.ts), never the package's service
  # (port 5000, /etc/docker/registry/config.yml): its postinst enables and starts that service unless a
  # policy-rc.d forbids it (Docker's Debian images have one), so it is disabled and stopped here. Only
  # the service is stopped (its unit or pidfile), never our own registries.
  ensure_pkg docker-registry docker-registry
  ensure_pkg htpasswd apache2-utils
  if [ -d /run/systemd/system ]; then
    if systemctl is-enabled --quiet docker-registry 2>/dev/null || systemctl is-active --quiet docker-registry 2>/dev/null; then
      log "disabling and stopping the docker-registry service (port 5000)"
      $SUDO systemctl disable --now docker-registry >/dev/null 2>&1 || true
    fi
  elif [ -x /etc/init.d/docker-registry ]; then
    if ls /etc/rc[2-5].d/S*docker-registry >/dev/null 2>&1; then
      log "disabling the docker-registry sysv service (port 5000)"
      $SUDO update-rc.d docker-registry disable >/dev/null 2>&1 || true
    fi
    if $SUDO /etc/init.d/docker-registry status >/dev/null 2>&1; then
      log "stopping the docker-registry sysv service (port 5000)"
      $SUDO /etc/init.d/docker-registry stop >/dev/null 2>&1 || true
    fi
  fi
}

engine_answers() {
  curl -fsS --max-time 3 --unix-socket /var/run/docker.sock http://localhost/_ping >/dev/null 2>&1
}

start_docker() {
  ensure_pkg curl curl
  ensure_pkg dockerd docker.io
  if engine_answers; then log "Docker engine already running"; return 0; fi
  log "starting dockerd (log: /var/log/sls-run-dockerd.log)"
  $SUDO sh -c 'nohup dockerd >/var/log/sls-run-dockerd.log 2>&1 &'
  for _ in $(seq 1 120); do
    if engine_answers; then log "Docker engine is up"; return 0; fi
    sleep 0.5
  done
  log "dockerd did not answer within 60 s; last lines of its log:"
  tail -n 20 /var/log/sls-run-dockerd.log >&2 || true
  return 1
}

for part in "${want[@]}"; do
  case "$part" in
    docker) start_docker ;;
    standins) ensure_standins ;;
    go) ensure_go ;;
    registry) ensure_registry ;;
    chromium) ensure_pkg chromium chromium ;;
    *) log "unknown part: $part (known: docker standins go registry chromium)"; exit 2 ;;
  esac
done
