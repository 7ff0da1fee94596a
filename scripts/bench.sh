#!/usr/bin/env bash
# The benchmark: gocyradm against Cyrus's Perl cyradm and against raw pipelined IMAP, on a
# throwaway Cyrus on loopback, through a proxy adding 0, 10 and 50 ms of round trip.
#
#   scripts/bench.sh              5 runs of each tool per scenario and round trip; writes
#                                 docs/benchmarks.md and docs/benchmarks.svg (about 10 minutes)
#   scripts/bench.sh --runs N     N runs instead of 5
#   scripts/bench.sh --quick      1 run at 0 and 10 ms, lm over 2,000 mailboxes; writes the
#                                 report into a temporary directory (about a minute)
#   scripts/bench.sh --out DIR    write benchmarks.md and benchmarks.svg into DIR
#
# Needs root (the server runs as the cyrus user). Installs the servers and cyradm with
# scripts/testservers.sh install. The server's files are removed after a successful run and
# kept after a failed one.
# shellcheck disable=SC2317 # cleanup runs from a trap
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

dir=
status=1

usage() {
	sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

cleanup() {
	[[ -n $dir ]] || return 0
	scripts/testservers.sh stop "$dir" || true
	if ((status == 0)); then
		rm -rf "$dir"
	else
		echo "bench: the server's files and logs are in $dir" >&2
	fi
}

# revision describes the source measured: the commit, and whether the tree differs from it.
revision() {
	local rev
	rev=$(git rev-parse --short HEAD 2>/dev/null) || {
		echo unknown
		return
	}
	[[ -z $(git status --porcelain 2>/dev/null) ]] || rev+=" with uncommitted changes"
	echo "$rev"
}

main() {
	local runs=5 quick=0 out=docs args=()
	while (($#)); do
		case $1 in
		--runs)
			(($# >= 2)) || usage
			runs=$2
			shift
			;;
		--quick) quick=1 ;;
		--out)
			(($# >= 2)) || usage
			out=$2
			shift
			;;
		*) usage ;;
		esac
		shift
	done
	[[ $runs =~ ^[0-9]+$ ]] || usage
	if ((quick)); then
		[[ $out != docs ]] || out=$(mktemp -d /tmp/gocyradm-bench-report.XXXXXX)
		args+=(-rtt '0,10ms' -lm-mailboxes 2000)
		runs=1
	fi
	mkdir -p "$out"

	scripts/testservers.sh install
	dir=$(mktemp -d /tmp/gocyradm-bench.XXXXXX)
	chmod 755 "$dir" # the server's user must be able to enter it
	go build -o "$dir/bin/gocyradm" ./cmd/gocyradm
	go build -o "$dir/bin/bench" ./internal/bench
	scripts/testservers.sh start "$dir/server" cyrus
	# shellcheck source=/dev/null
	source "$dir/server/env"

	"$dir/bin/bench" -gocyradm "$dir/bin/gocyradm" -runs "$runs" "${args[@]}" \
		-md "$out/benchmarks.md" -svg "$out/benchmarks.svg" \
		-command "scripts/bench.sh${ORIGINAL_ARGS[*]:+ ${ORIGINAL_ARGS[*]}}" -commit "$(revision)"
	status=0
	echo "bench: wrote $out/benchmarks.md and $out/benchmarks.svg" >&2
}

ORIGINAL_ARGS=("$@")
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
main "$@"; exit
