#!/usr/bin/env bash
# `make serve`: Newsroom Review with production settings (DJANGO_ENV=production).
#
# Collects the static files (hashed, gzip and brotli copies for WhiteNoise), migrates, then
# runs gunicorn (gunicorn.conf.py) and one `manage.py task_worker` for the background tasks.
# Ctrl-C or SIGTERM stops both gracefully. If the worker exits it is started again (after a
# pause that grows while it keeps failing); if gunicorn exits, the worker is stopped too.
#
# Required, as for any production start: SECRET_KEY and ALLOWED_HOSTS in the environment.
# To try it on this machine over plain http, INSECURE_LOCAL_HTTP=1 (loopback only): then
# ALLOWED_HOSTS defaults to the loopback names and, without SECRET_KEY, a key is generated
# once into var/secret_key (mode 600) and reused. See the README's Production section.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
PY="$VENV/bin/python"
export DJANGO_ENV=production
export HOST=${HOST:-127.0.0.1}
export PORT=${PORT:-8000}

say() { printf 'serve: %s\n' "$*" >&2; }
refuse() { say "$*"; exit 2; }

is_loopback() {
    case "$1" in 127.* | localhost | ::1 | "[::1]") return 0 ;; *) return 1 ;; esac
}

case "${INSECURE_LOCAL_HTTP:-}" in 1 | true | yes | on) local_http=1 ;; *) local_http=0 ;; esac

if [ "$local_http" = 1 ]; then
    is_loopback "$HOST" || refuse "INSECURE_LOCAL_HTTP=1 serves plain http and is for this machine only; HOST=$HOST is not a loopback address."
    export ALLOWED_HOSTS=${ALLOWED_HOSTS:-127.0.0.1,localhost,[::1]}
    if [ -z "${SECRET_KEY:-}" ]; then
        key_file=var/secret_key
        if [ ! -s "$key_file" ]; then
            mkdir -p var
            (umask 077 && "$PY" -c 'import secrets; print(secrets.token_urlsafe(64))' >"$key_file")
            say "no SECRET_KEY set: generated one into $key_file (mode 600) for this local try-out; it is reused next time."
        fi
        SECRET_KEY=$(cat "$key_file")
        export SECRET_KEY
    fi
    say "INSECURE_LOCAL_HTTP=1: plain http on $HOST, cookies without Secure, no HTTPS redirect. Never for a public site."
else
    [ -n "${SECRET_KEY:-}" ] || refuse "SECRET_KEY is not set. Give the server a long random key that stays the same across restarts, e.g.
    SECRET_KEY=\$(python3 -c 'import secrets; print(secrets.token_urlsafe(64))')
kept in the service's environment file (see README, Production). To try the app on this machine over plain http instead:
    make serve INSECURE_LOCAL_HTTP=1"
    [ -n "${ALLOWED_HOSTS:-}" ] || refuse "ALLOWED_HOSTS is not set: list the site's host names, comma-separated (e.g. ALLOWED_HOSTS=news.example.org)."
    case "${SECURE_SSL_REDIRECT:-1}" in 0 | false | no | off) ;; *)
        say "HTTPS only: plain http requests are redirected to https. Put a TLS proxy in front (with BEHIND_HTTPS_PROXY=1), or for a local try-out use INSECURE_LOCAL_HTTP=1." ;;
    esac
fi

"$PY" manage.py collectstatic --noinput --verbosity 0
"$PY" manage.py migrate --noinput

tasks_backend=$(printf '%s' "${TASKS_BACKEND:-database}" | tr '[:upper:]' '[:lower:]')
worker_pid=""
web_pid=""
pause_pid=""

stop() {
    trap - HUP INT TERM
    # SIGTERM: gunicorn finishes the requests in flight (graceful_timeout), the worker its task.
    for pid in $web_pid $worker_pid $pause_pid; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    wait $web_pid $worker_pid $pause_pid 2>/dev/null || true
}
trap 'stop; exit 129' HUP
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM

# Each child gets its own session (setsid), so a Ctrl-C in the terminal reaches only this
# script, which then sends each child exactly one SIGTERM: a second signal would make the
# worker abandon its task.
start_worker() {
    setsid "$PY" manage.py task_worker &
    worker_pid=$!
    worker_started=$SECONDS
    say "background worker (manage.py task_worker) pid $worker_pid"
}

if [ "$tasks_backend" = database ]; then
    start_worker
fi
setsid "$VENV/bin/gunicorn" -c gunicorn.conf.py &
web_pid=$!
say "gunicorn pid $web_pid on http://$HOST:$PORT/ (Ctrl-C stops it and the worker)"

# gunicorn exiting stops everything. The worker exiting (a crash, a kill, an out-of-memory)
# must not take the site down: it is started again after a pause of 1 s, doubling up to
# 30 s while it keeps dying within a minute of starting.
pause=1
while :; do
    status=0
    wait -n $web_pid $worker_pid || status=$?
    if ! kill -0 "$web_pid" 2>/dev/null; then
        break  # gunicorn is gone (its status is the script's)
    fi
    if [ -n "$worker_pid" ] && ! kill -0 "$worker_pid" 2>/dev/null; then
        worker_pid=""
        if [ $((SECONDS - worker_started)) -ge 60 ]; then
            pause=1
        fi
        say "background worker exited (status $status); restarting in ${pause}s"
        # Waiting on a background sleep, not a foreground one, so Ctrl-C or SIGTERM during
        # the pause is handled at once.
        sleep "$pause" &
        pause_pid=$!
        wait "$pause_pid" || true
        pause_pid=""
        start_worker
        pause=$((pause * 2 > 30 ? 30 : pause * 2))
    fi
done
stop
exit "$status"
