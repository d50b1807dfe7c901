#!/usr/bin/env bash
# Install the Dovecot IMAP server from Debian's packages, for the mail tests
# (tests/test_mail_fetch.py start their own Dovecot on 127.0.0.1).
# Safe to run again: does nothing when dovecot is already installed.
set -euo pipefail

if command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ]; then
    echo "dovecot: already installed ($(/usr/sbin/dovecot --version 2>/dev/null || dovecot --version))"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# The package's post-install script may try to start the system service;
# policy-rc.d 101 keeps it from starting (the tests run their own).
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
    trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
$SUDO apt-get install -y -q --no-install-recommends dovecot-imapd
echo "dovecot: installed ($(/usr/sbin/dovecot --version))"
