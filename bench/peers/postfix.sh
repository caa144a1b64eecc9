#!/usr/bin/env bash
# A throwaway Postfix for the side-by-side benchmark (bench/e2e.ts): its own
# config, queue and data directories under one temp dir, smtpd on a loopback
# high port, everything relayed to [127.0.0.1]:<sink port>, no local delivery,
# no chroot. smtpd offers STARTTLS (security level "may") with a self-signed EC
# P-256 certificate made by openssl into the temp dir, the same kind Outpost
# generates for its submission port, so a TLS client pays alike on both;
# smtp-source, which never sends STARTTLS, still talks plain SMTP. The
# system's Postfix (if any) is never touched, and installing the package never
# leaves one listening on port 25.
#
#   bench/peers/postfix.sh install
#       installs Debian's postfix package if /usr/sbin/postfix is missing
#       (non-interactive, "No configuration"); stops and disables a system
#       instance only if the install itself started one.
#
#   bench/peers/postfix.sh run --port 10025 --relay-port 10026 [--dir DIR] [-- COMMAND ...]
#       sets the instance up, starts it and prints one line
#         READY <config_dir> <queue_dir> <master pid>
#       then runs COMMAND (with POSTFIX_BENCH_PORT/POSTFIX_BENCH_CONFIG set) or,
#       without one, waits until its stdin closes or it gets SIGTERM/SIGINT.
#       On any exit (trap) it stops the instance and removes the temp dir.
#
# Needs root (Postfix's master starts as root and drops to the postfix user).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
# the instance being run (set by run_instance, read by its EXIT trap)
dir="" config="" queue="" data="" master_pid="" master_job="" waiter=""

die() {
  echo "postfix.sh: $*" >&2
  exit 1
}

# the process exists and is not a zombie
alive() {
  local state
  state=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n $state && $state != Z ]]
}

default_instance_running() {
  # the default instance's master writes its pid here (Debian: queue_directory /var/spool/postfix)
  local pidfile=/var/spool/postfix/pid/master.pid
  [[ -r $pidfile ]] && alive "$(tr -dc '0-9' <"$pidfile")"
}

install_postfix() {
  if [[ -x /usr/sbin/postfix && -x /usr/sbin/smtp-source && -x /usr/sbin/smtp-sink ]]; then
    return 0
  fi
  [[ $(id -u) -eq 0 ]] || die "postfix is not installed and installing it needs root: apt-get install postfix"
  command -v apt-get >/dev/null || die "postfix is not installed and there is no apt-get; install Postfix 3.x by hand"
  local was_running=no
  if default_instance_running; then was_running=yes; fi
  echo "postfix.sh: installing Debian's postfix package (No configuration)" >&2
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postfix >&2
  # "No configuration" normally starts nothing; if this install did start the default instance, undo that
  if [[ $was_running == no ]] && default_instance_running; then
    echo "postfix.sh: the install started the system Postfix; stopping and disabling it" >&2
    postfix stop >&2 || true
    if command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
      systemctl disable --now postfix >&2 || true
    elif command -v update-rc.d >/dev/null; then
      update-rc.d postfix disable >&2 || true
    fi
  fi
  [[ -x /usr/sbin/smtp-source && -x /usr/sbin/smtp-sink ]] || die "the postfix package did not bring smtp-source and smtp-sink"
}

run_instance() {
  local port="" relay_port=""
  while [[ $# -gt 0 ]]; do
    case $1 in
      --port) port=$2; shift 2 ;;
      --relay-port) relay_port=$2; shift 2 ;;
      --dir) dir=$2; shift 2 ;;
      --) shift; break ;;
      *) die "unknown option $1" ;;
    esac
  done
  [[ $port =~ ^[0-9]+$ && $relay_port =~ ^[0-9]+$ ]] || die "run needs --port N --relay-port N"
  [[ $(id -u) -eq 0 ]] || die "run needs root (Postfix's master starts as root)"
  install_postfix
  id postfix >/dev/null 2>&1 || die "no postfix user (is the package installed?)"

  if [[ -z $dir ]]; then dir=$(mktemp -d /tmp/outpost-bench-postfix.XXXXXX); fi
  # globals, not locals: the EXIT trap runs teardown after this function has returned
  config=$dir/etc queue=$dir/queue data=$dir/data

  # shellcheck disable=SC2317 # called from the trap
  teardown() {
    trap - EXIT INT TERM HUP
    if [[ -n $waiter ]]; then kill "$waiter" 2>/dev/null || true; fi
    if [[ -n $master_job ]]; then
      postfix -c "$config" stop >/dev/null 2>&1 || true
      # postfix stop returns before master is gone; wait for it (bounded) so nothing outlives the temp dir
      for _ in $(seq 1 50); do alive "$master_pid" || break; sleep 0.2; done
      if alive "$master_pid"; then kill -KILL "$master_pid" 2>/dev/null || true; fi
      wait "$master_job" 2>/dev/null || true
    fi
    rm -rf "$dir"
  }
  trap teardown EXIT
  trap 'exit 143' TERM
  trap 'exit 130' INT
  trap 'exit 129' HUP

  # the queue path must be root-owned and not writable by others; the postfix user must be able to reach it
  chmod 0755 "$dir"
  mkdir -p "$config" "$queue" "$data"
  chown root:root "$config" "$queue"
  chown postfix:postfix "$data"
  chmod 0755 "$config" "$queue"
  chmod 0700 "$data"

  # the same kind of certificate as Outpost's self-signed one (core/submission/tls-certificate.ts); read by smtpd as root
  command -v openssl >/dev/null || die "openssl is missing (apt-get install openssl): smtpd's STARTTLS certificate is made with it"
  openssl req -x509 -nodes -days 2 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
    -subj /CN=postfix-bench.test -addext subjectAltName=DNS:postfix-bench.test \
    -keyout "$config/tls-key.pem" -out "$config/tls-cert.pem" 2>/dev/null || die "openssl could not make a certificate in $config"
  chmod 0600 "$config/tls-key.pem"

  local meta=/etc/postfix
  [[ -f $meta/postfix-files ]] || meta=/usr/share/postfix
  sed -e "s|@PORT@|$port|g" "$here/postfix/master.cf.in" >"$config/master.cf"
  sed -e "s|@QUEUE@|$queue|g" -e "s|@DATA@|$data|g" -e "s|@RELAY_PORT@|$relay_port|g" \
      -e "s|@META@|$meta|g" -e "s|@LOG@|$dir/maillog|g" \
      -e "s|@TLS_KEY@|$config/tls-key.pem|g" -e "s|@TLS_CERT@|$config/tls-cert.pem|g" "$here/postfix/main.cf.in" >"$config/main.cf"
  # postfix-files and dynamicmaps.cf come from the package; point at them instead of copying
  [[ -f /etc/postfix/dynamicmaps.cf ]] && ln -s /etc/postfix/dynamicmaps.cf "$config/dynamicmaps.cf"
  [[ -d /etc/postfix/dynamicmaps.cf.d ]] && ln -s /etc/postfix/dynamicmaps.cf.d "$config/dynamicmaps.cf.d"

  postfix -c "$config" check >&2 || die "postfix check failed for $config"
  # start-fg keeps master in the foreground as our child (not a daemon re-parented to init), so it is ours to stop and reap
  postfix -c "$config" start-fg >&2 &
  master_job=$!
  for _ in $(seq 1 100); do
    alive "$master_job" || die "postfix did not start (log: $dir/maillog)"
    [[ -r $queue/pid/master.pid ]] && master_pid=$(tr -dc '0-9' <"$queue/pid/master.pid")
    if [[ -n $master_pid ]] && alive "$master_pid" && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
    sleep 0.1
  done
  [[ -n $master_pid ]] || die "no master pid in $queue/pid/master.pid"
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || die "smtpd does not listen on 127.0.0.1:$port (log: $dir/maillog)"

  echo "READY $config $queue $master_pid"
  if [[ $# -gt 0 ]]; then
    POSTFIX_BENCH_PORT=$port POSTFIX_BENCH_CONFIG=$config "$@"
  else
    # until the caller closes our stdin (or signals us); the read is in the background so traps run at once
    # (the explicit <&0: a background command's stdin would otherwise be /dev/null)
    cat <&0 >/dev/null &
    waiter=$!
    wait "$waiter" || true
    waiter=""
  fi
}

case ${1:-} in
  install) install_postfix ;;
  run) shift; run_instance "$@" ;;
  *) die "usage: postfix.sh install | run --port N --relay-port N [--dir DIR] [-- COMMAND ...]" ;;
esac
