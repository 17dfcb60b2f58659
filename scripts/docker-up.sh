#!/usr/bin/env bash
# Makes sure a Docker engine answers on this machine, so that the reference servers can be
# run in containers. Idempotent: an engine that already answers `docker info` is left as it is.
#
#   scripts/docker-up.sh          start dockerd if needed (installing Debian's docker.io first)
#   scripts/docker-up.sh --stop   stop dockerd, but only if this script started it
#
# The engine is started for load testing on loopback only. Left to its defaults, dockerd
# creates a docker0 bridge on 172.17.0.0/16, adds NAT and FORWARD rules (with a FORWARD policy
# of DROP) and switches on net.ipv4.ip_forward; none of that is wanted here:
#   --bridge=none        no docker0 bridge and no default bridge network: every container runs
#                        with --network host, so that client and server talk over 127.0.0.1 and
#                        a measurement never crosses a veth pair, a NAT rule or another address.
#   --iptables=false     dockerd adds no NAT/filter rules and leaves the host's firewall as it
#   --ip6tables=false    was (there is no bridge to masquerade); it also lets dockerd start on a
#                        kernel without netfilter, where it would otherwise refuse to.
#   --ip-forward=false   with no bridge there is nothing to route, so the host's
#                        net.ipv4.ip_forward is left as it was.
# Image builds need no bridge either: the server Dockerfiles have no RUN step, and a RUN step
# still runs (with no network) on an engine started this way.
set -euo pipefail

LOG=/var/log/gauntlet-dockerd.log
# dockerd writes this pidfile itself (--pidfile) and removes it on a clean exit; its presence
# with a live dockerd behind it is what marks the daemon as started by this script.
PIDFILE=/run/gauntlet-dockerd.pid
WAIT_S=60

say() { printf 'docker-up: %s\n' "$*"; }
die() { printf 'docker-up: %s\n' "$*" >&2; exit 1; }

# The pid from our pidfile if it names a running dockerd, else nothing.
our_pid() {
  [ -f "$PIDFILE" ] || return 1
  local pid
  pid=$(cat "$PIDFILE" 2>/dev/null || true)
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" = dockerd ] || return 1
  printf '%s\n' "$pid"
}

engine_answers() { docker info >/dev/null 2>&1; }

stop() {
  local pid
  if ! pid=$(our_pid); then
    if engine_answers; then
      say "dockerd was not started by this script (no live $PIDFILE); leaving it alone"
    else
      say "no dockerd started by this script is running"
    fi
    return 0
  fi
  kill -TERM "$pid"
  # dockerd stops its containers (10 s grace each, in parallel) and its containerd first.
  for _ in $(seq 1 60); do
    [ -d "/proc/$pid" ] || { rm -f "$PIDFILE"; say "dockerd (pid $pid) stopped"; return 0; }
    sleep 0.5
  done
  die "dockerd (pid $pid) did not stop within 30 s; see $LOG"
}

if [ "${1:-}" = --stop ]; then
  stop
  exit 0
elif [ $# -gt 0 ]; then
  die "usage: $0 [--stop]"
fi

if command -v docker >/dev/null 2>&1 && engine_answers; then
  say "docker engine already running ($(docker info --format '{{.ServerVersion}}, storage {{.Driver}}, cgroup v{{.CgroupVersion}}' 2>/dev/null || echo 'version unknown'))"
  exit 0
fi

[ "$(id -u)" = 0 ] || die "must run as root to install and start dockerd"

if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
  say "installing Debian's docker.io (dockerd, containerd, runc)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # docker.io's own CLI lands in /usr/bin; a docker CLI already in /usr/local/bin stays first
  # on PATH and keeps working (it negotiates the daemon's older API version).
  apt-get install -y -qq --no-install-recommends docker.io >/dev/null
  command -v dockerd >/dev/null 2>&1 || die "docker.io installed but dockerd is not on PATH"
fi

launched=
if pid=$(our_pid); then
  say "dockerd (pid $pid, started by this script) is running but not answering yet; waiting"
else
  flags=(--bridge=none --iptables=false --ip-forward=false --pidfile "$PIDFILE")
  # --ip6tables exists from dockerd 20.10 on; older ones do not touch ip6tables anyway.
  if dockerd --help 2>/dev/null | grep -q -- '--ip6tables'; then
    flags+=(--ip6tables=false)
  fi
  mkdir -p "$(dirname "$LOG")"
  printf '\n==== %s: dockerd %s\n' "$(date -u +%FT%TZ)" "${flags[*]}" >>"$LOG"
  # setsid + nohup: the daemon must outlive the shell (and its process group) that ran us.
  setsid nohup dockerd "${flags[@]}" >>"$LOG" 2>&1 </dev/null &
  launched=$!
fi

fail() {
  printf 'docker-up: %s; last lines of %s:\n' "$1" "$LOG" >&2
  tail -n 30 "$LOG" >&2
  exit 1
}

gone=0
for _ in $(seq 1 $((WAIT_S * 2))); do
  if engine_answers; then
    say "docker engine up ($(docker info --format '{{.ServerVersion}}, storage {{.Driver}}, cgroup v{{.CgroupVersion}}' 2>/dev/null)); log $LOG, pidfile $PIDFILE"
    exit 0
  fi
  # Neither the process we launched nor a dockerd behind our pidfile: it has exited.
  if ! our_pid >/dev/null && { [ -z "$launched" ] || ! kill -0 "$launched" 2>/dev/null; }; then
    gone=$((gone + 1))
    [ "$gone" -lt 4 ] || fail "dockerd exited"
  else
    gone=0
  fi
  sleep 0.5
done
fail "docker info still fails after $WAIT_S s"
