#!/usr/bin/env bash
# The project's test command: starts throwaway Cyrus IMAP and Dovecot servers and a Cyrus Murder
# on loopback, then runs go vet and every test, integration tests included, against them.
#
#   scripts/test.sh                       go vet ./... and go test ./...
#   scripts/test.sh -run X ./imapconn     arguments replace ./... for go test
#
# Integration tests fail, never skip, when the servers cannot start. The servers' files and logs
# are removed after a successful run and kept after a failed one.
# shellcheck disable=SC2317 # cleanup runs from a trap
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

dir=
status=1

cleanup() {
	[[ -n $dir ]] || return 0
	scripts/murder.sh stop "$dir/murder" || true
	scripts/testservers.sh stop "$dir" || true
	if ((status == 0)); then
		rm -rf "$dir"
	else
		echo "test: the test servers' files and logs are in $dir" >&2
	fi
}

main() {
	scripts/testservers.sh install
	dir=$(mktemp -d /tmp/gocyradm-test.XXXXXX)
	chmod 755 "$dir" # the servers' users must be able to enter it
	if ! scripts/testservers.sh start "$dir" all; then
		echo "test: the test servers did not start" >&2
		exit 1
	fi
	if ! scripts/murder.sh start "$dir/murder"; then
		echo "test: the Cyrus Murder did not start" >&2
		exit 1
	fi
	# shellcheck source=/dev/null
	source "$dir/env"
	# shellcheck source=/dev/null
	source "$dir/murder/env"
	go vet ./...
	status=0
	go test -count=1 -timeout 20m "${@:-./...}" || status=$?
	return "$status"
}

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
main "$@"; exit
