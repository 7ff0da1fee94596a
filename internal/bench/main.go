// Command bench compares gocyradm with Cyrus IMAP's Perl cyradm and with the raw IMAP
// commands pipelined on one connection, on the same Cyrus server reached through a
// latency-injecting proxy on loopback. It prepares its own mailboxes on the server, runs
// every tool several times per scenario and round-trip time, prints a table of medians,
// writes a Markdown report and an SVG plot, and removes its mailboxes.
//
// It starts no server: scripts/bench.sh starts a throwaway Cyrus and runs it. It talks
// only to the loopback address it is given.
//
//	go run ./internal/bench -gocyradm PATH [-runs N] [-rtt 0,10ms,50ms] [-md FILE] [-svg FILE]
//
// The server and the admin's credentials default to the variables scripts/testservers.sh
// writes: GOCYRADM_TEST_CYRUS, GOCYRADM_TEST_CYRUS_ADMIN and GOCYRADM_TEST_CYRUS_PASSWORD.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/gocyradm/gocyradm/imapconn"
)

// config is the command line.
type config struct {
	server, user, password string
	mech                   string // the SASL mechanism every tool authenticates with
	gocyradm, cyradm       string
	runs                   int
	rtts                   []time.Duration
	commands               int
	aclMailboxes           int
	lmMailboxes            int
	timeout                time.Duration
	mdFile, svgFile        string
	command                string // how the run was started, for the report
	commit                 string // gocyradm's source revision, for the report
}

// main runs the benchmark, or one tool when started as the spawner.
func main() {
	if len(os.Args) > 1 && os.Args[1] == spawnArg {
		os.Exit(spawnMain(os.Args[2:]))
	}
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
}

// parseFlags parses and checks the command line.
func parseFlags(args []string) (*config, error) {
	cfg := &config{}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.StringVar(&cfg.server, "server", os.Getenv("GOCYRADM_TEST_CYRUS"), "the Cyrus server, `127.0.0.1:PORT` (plain IMAP)")
	fs.StringVar(&cfg.user, "user", envOr("GOCYRADM_TEST_CYRUS_ADMIN", "admin"), "the admin to log in as")
	fs.StringVar(&cfg.password, "password", os.Getenv("GOCYRADM_TEST_CYRUS_PASSWORD"), "the admin's password")
	fs.StringVar(&cfg.mech, "auth", imapconn.SCRAMSHA256, "the SASL mechanism of every tool: SCRAM-SHA-256 (both tools' default) or PLAIN")
	fs.StringVar(&cfg.gocyradm, "gocyradm", "", "the gocyradm binary to measure (required)")
	fs.StringVar(&cfg.cyradm, "cyradm", "/usr/bin/cyradm", "Cyrus's Perl cyradm")
	fs.IntVar(&cfg.runs, "runs", 5, "runs of each tool per scenario and round trip")
	rtts := fs.String("rtt", "0,10ms,50ms", "the round-trip times the proxy adds, comma-separated")
	fs.IntVar(&cfg.commands, "commands", 300, "commands in the mixed script")
	fs.IntVar(&cfg.aclMailboxes, "acl-mailboxes", 1000, "mailboxes with ACLs and quotas, for the script and the wildcard listacl")
	fs.IntVar(&cfg.lmMailboxes, "lm-mailboxes", 20000, "mailboxes for the lm scenario")
	fs.DurationVar(&cfg.timeout, "timeout", 10*time.Minute, "the longest one run of one tool may take")
	fs.StringVar(&cfg.mdFile, "md", "", "write the Markdown report to this `file`")
	fs.StringVar(&cfg.svgFile, "svg", "", "write the SVG plot to this `file`")
	fs.StringVar(&cfg.command, "command", "go run ./internal/bench", "the command that started the run, shown in the report")
	fs.StringVar(&cfg.commit, "commit", "", "gocyradm's source revision, shown in the report")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	var err error
	if cfg.rtts, err = parseRTTs(*rtts); err != nil {
		return nil, err
	}
	return cfg, cfg.check()
}

// envOr returns the environment variable name, or def when it is empty.
func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// parseRTTs parses "0,10ms,50ms"; a bare number is milliseconds.
func parseRTTs(s string) ([]time.Duration, error) {
	var out []time.Duration
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f != "" && strings.Trim(f, "0123456789") == "" {
			f += "ms"
		}
		d, err := time.ParseDuration(f)
		if err != nil || d < 0 {
			return nil, fmt.Errorf("-rtt: invalid round-trip time %q", f)
		}
		out = append(out, d)
	}
	return out, nil
}

// check refuses settings that would make the run unbounded or reach beyond loopback.
func (cfg *config) check() error {
	host, _, err := net.SplitHostPort(cfg.server)
	if err != nil {
		return fmt.Errorf("-server %q: want 127.0.0.1:PORT (or set GOCYRADM_TEST_CYRUS)", cfg.server)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("-server %s: the benchmark only talks to a loopback address", cfg.server)
	}
	switch {
	case cfg.mech != imapconn.SCRAMSHA256 && cfg.mech != sasl.Plain:
		return fmt.Errorf("-auth %s: want %s or %s", cfg.mech, imapconn.SCRAMSHA256, sasl.Plain)
	case cfg.gocyradm == "":
		return errors.New("-gocyradm PATH is required")
	case cfg.password == "":
		return errors.New("no password: give -password or set GOCYRADM_TEST_CYRUS_PASSWORD")
	case cfg.runs < 1 || cfg.runs > 100:
		return errors.New("-runs must be between 1 and 100")
	case cfg.commands < 3 || cfg.commands > cfg.aclMailboxes:
		return errors.New("-commands must be at least 3 and at most -acl-mailboxes")
	case cfg.aclMailboxes > 100000 || cfg.lmMailboxes < 1 || cfg.lmMailboxes > 100000:
		return errors.New("-acl-mailboxes and -lm-mailboxes must be between 1 and 100000")
	case cfg.timeout <= 0:
		return errors.New("-timeout must be positive")
	}
	return nil
}

// run prepares the mailboxes, measures, removes the mailboxes and reports.
func run(ctx context.Context, cfg *config) error {
	start, load := time.Now(), loadAverage()
	work, err := os.MkdirTemp("", "gocyradm-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	scenarios, err := writeScenarios(cfg, work)
	if err != nil {
		return err
	}
	greeting, err := prepare(ctx, cfg)
	if err != nil {
		return err
	}
	res, err := measure(ctx, cfg, scenarios)
	if err = errors.Join(err, cleanup(cfg)); err != nil {
		return err
	}
	rep := &report{cfg: cfg, scenarios: scenarios, results: res, machine: describeMachine(cfg, greeting, load), took: time.Since(start)}
	return rep.write()
}
