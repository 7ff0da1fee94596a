#!/usr/bin/env bash
# Runs gocyradm for real: builds it, starts a throwaway Cyrus IMAP server on loopback and
# connects to it as the server's admin. The server and the build are removed on exit.
#
#   scripts/try.sh                    an interactive shell
#   scripts/try.sh -c 'lm'            run commands and exit
#   scripts/try.sh -f cmds.txt        run a script and exit
#
# With GOCYRADM_SERVER set (host, host:port, imap://... or imaps://...), no server is started:
# gocyradm connects there, with the given options only.
# Exits with gocyradm's exit status.
# shellcheck disable=SC2317 # cleanup runs from a trap
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tmp=

cleanup() {
	[[ -n $tmp ]] || return 0
	"$root/scripts/testservers.sh" stop "$tmp/servers" || true
	rm -rf "$tmp"
}

# run CMD...: runs gocyradm in the foreground, attached to the terminal, and exits with its
# status. Ctrl-C goes to gocyradm (which cancels the running command); this script outlives it
# so that the cleanup still runs. A trapped signal is reset to its default in the child, which
# an ignored one would not be.
run() {
	local status=0
	trap : INT
	"$@" || status=$?
	exit "$status"
}

main() {
	tmp=$(mktemp -d /tmp/gocyradm-try.XXXXXX)
	chmod 755 "$tmp" # the server's user must be able to enter it
	# The build runs in the repository; gocyradm runs in the caller's directory, so that relative
	# paths given to it (-f FILE, > FILE) mean what they say.
	(cd "$root" && go build -o "$tmp/gocyradm" ./cmd/gocyradm)

	if [[ -n ${GOCYRADM_SERVER:-} ]]; then
		run "$tmp/gocyradm" "$@" "$GOCYRADM_SERVER"
	fi

	"$root/scripts/testservers.sh" install
	"$root/scripts/testservers.sh" start "$tmp/servers" cyrus
	# shellcheck source=/dev/null
	source "$tmp/servers/env"
	GOCYRADM_PASSWORD=$GOCYRADM_TEST_CYRUS_PASSWORD run "$tmp/gocyradm" \
		--cafile "$GOCYRADM_TEST_CAFILE" -u "$GOCYRADM_TEST_CYRUS_ADMIN" "$@" "$GOCYRADM_TEST_CYRUS"
}

trap cleanup EXIT
trap 'exit 143' TERM
main "$@"; exit
