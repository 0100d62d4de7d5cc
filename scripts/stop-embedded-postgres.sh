#!/bin/sh
# Stops the embedded PostgreSQL that Ledgerbridge keeps running under HOME/pg (default
# .ledgerbridge), so `make clean` never removes the data of a running server.
# With the virtual environment: `ledgerbridge db stop`; without it: a fast shutdown
# (SIGINT) of the postmaster named in postmaster.pid, waited for.
home="${1:-.ledgerbridge}"
pidfile="$home/pg/postmaster.pid"
[ -f "$pidfile" ] || exit 0
if [ -x .venv/bin/ledgerbridge ] && .venv/bin/ledgerbridge db stop --home "$home"; then
    exit 0
fi
pid=$(head -n 1 "$pidfile")
kill -INT "$pid" 2>/dev/null || exit 0
tries=0
while kill -0 "$pid" 2>/dev/null; do
    tries=$((tries + 1))
    if [ "$tries" -gt 60 ]; then
        echo "the embedded PostgreSQL (pid $pid) did not stop in 30 s" >&2
        exit 1
    fi
    sleep 0.5
done
echo "stopped the embedded PostgreSQL under $home/pg (pid $pid)"
