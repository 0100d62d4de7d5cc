#!/bin/sh
# Installs the system packages when they are missing: the ODBC stack (unixODBC + the SQLite
# ODBC driver) and Chromium, which the review pages' browser tests drive through playwright.
set -eu
missing=""
dpkg -s unixodbc >/dev/null 2>&1 || missing="$missing unixodbc"
dpkg -s libsqliteodbc >/dev/null 2>&1 || missing="$missing libsqliteodbc"
dpkg -s chromium >/dev/null 2>&1 || missing="$missing chromium"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing system packages:$missing"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
else
    echo "missing system packages:$missing" >&2
    echo "install them with: sudo apt-get install -y$missing" >&2
    exit 1
fi
