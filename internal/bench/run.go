package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gocyradm/gocyradm/internal/latencyproxy"
)

// sample is one run of one tool.
type sample struct {
	wall   time.Duration
	maxRSS int64 // the process's peak resident set in KiB; 0 when not measured
}

// cell names the runs of one tool in one scenario at one round-trip time.
type cell struct {
	scenario string
	rtt      time.Duration
	tool     string
}

// results holds every sample.
type results map[cell][]sample

// The tools, in the order they run and are reported.
const (
	toolCyradm   = "cyradm"
	toolGocyradm = "gocyradm"
	toolRaw      = "raw"
)

var toolNames = []string{toolCyradm, toolGocyradm, toolRaw}

// runner runs one tool once on a scenario through the proxy at addr.
type runner func(ctx context.Context, cfg *config, sc *scenario, addr string) (sample, error)

var runners = map[string]runner{toolCyradm: runCyradm, toolGocyradm: runGocyradm, toolRaw: runRaw}

// measure runs every tool cfg.runs times per scenario and round-trip time, the tools in
// turn within each run so that slow drifts of the machine touch them alike.
func measure(ctx context.Context, cfg *config, scenarios []*scenario) (results, error) {
	res := results{}
	for _, rtt := range cfg.rtts {
		p, err := latencyproxy.Start(cfg.server, rtt/2)
		if err != nil {
			return nil, err
		}
		err = measureAt(ctx, cfg, scenarios, rtt, p.Addr(), res)
		p.Close()
		if err != nil {
			return nil, err
		}
	}
	return res, nil
}

// measureAt runs every tool on every scenario through the proxy at addr.
func measureAt(ctx context.Context, cfg *config, scenarios []*scenario, rtt time.Duration, addr string, res results) error {
	for _, sc := range scenarios {
		for range cfg.runs {
			for _, tool := range toolNames {
				s, err := runners[tool](ctx, cfg, sc, addr)
				if err != nil {
					return fmt.Errorf("%s, %s at %s round trip: %w", tool, sc.title, formatRTT(rtt), err)
				}
				k := cell{sc.key, rtt, tool}
				res[k] = append(res[k], s)
			}
		}
		progressf("%-8s at %5s: cyradm %s, gocyradm %s, raw %s (medians)", sc.key, formatRTT(rtt),
			formatDuration(res.median(sc.key, rtt, toolCyradm)),
			formatDuration(res.median(sc.key, rtt, toolGocyradm)),
			formatDuration(res.median(sc.key, rtt, toolRaw)))
	}
	return nil
}

// median returns the median wall time of a cell.
func (r results) median(scenario string, rtt time.Duration, tool string) time.Duration {
	var ds []time.Duration
	for _, s := range r[cell{scenario, rtt, tool}] {
		ds = append(ds, s.wall)
	}
	return time.Duration(medianOf(ds))
}

// medianRSS returns the median peak RSS of a cell in KiB, 0 when not measured.
func (r results) medianRSS(scenario string, rtt time.Duration, tool string) int64 {
	var ks []int64
	for _, s := range r[cell{scenario, rtt, tool}] {
		ks = append(ks, s.maxRSS)
	}
	return medianOf(ks)
}

// medianOf returns the median, the mean of the middle two for an even count, 0 for none.
func medianOf[T ~int64](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}

// runCyradm runs cyradm with the script on its standard input.
func runCyradm(ctx context.Context, cfg *config, sc *scenario, addr string) (sample, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return sample{}, err
	}
	args := []string{"--norc", "--notls", "--auth", cfg.mech, "--user", cfg.user,
		"--password", cfg.password, "--port", port, host}
	return runProcess(ctx, cfg, sc, cfg.cyradm, args, nil, sc.script)
}

// runGocyradm runs gocyradm with -f on the script, or -c for a one-shot.
func runGocyradm(ctx context.Context, cfg *config, sc *scenario, addr string) (sample, error) {
	args := []string{"--norc", "--notls", "-a", cfg.mech, "-u", cfg.user, "-f", sc.script, addr}
	if sc.oneShot != "" {
		args = []string{"--norc", "--notls", "-a", cfg.mech, "-u", cfg.user, "-c", sc.oneShot, addr}
	}
	return runProcess(ctx, cfg, sc, cfg.gocyradm, args, []string{"GOCYRADM_PASSWORD=" + cfg.password}, "")
}

// runProcess runs a tool through the spawner, its output into a file, and checks its
// exit status and output.
func runProcess(ctx context.Context, cfg *config, sc *scenario, bin string, args, env []string, stdin string) (sample, error) {
	dir := filepath.Dir(sc.script)
	out, err := os.CreateTemp(dir, "out-")
	if err != nil {
		return sample{}, err
	}
	defer os.Remove(out.Name())
	defer out.Close()
	in, err := os.Open(os.DevNull)
	if stdin != "" {
		in, err = os.Open(stdin)
	}
	if err != nil {
		return sample{}, err
	}
	defer in.Close()
	env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}, env...)
	rep, stderr, err := spawn(ctx, cfg.timeout, in, out, bin, args, env)
	s := sample{wall: rep.wall, maxRSS: rep.maxRSS}
	switch {
	case err != nil:
	case rep.exitCode != 0:
		err = fmt.Errorf("exit status %d", rep.exitCode)
	case rep.maxRSS <= rep.floor:
		err = fmt.Errorf("peak RSS %d KiB is not above the spawner's own %d KiB: not measured", rep.maxRSS, rep.floor)
	default:
		err = checkOutput(out.Name(), sc)
	}
	if err != nil && strings.TrimSpace(stderr) != "" {
		err = fmt.Errorf("%w; its standard error: %s", err, strings.TrimSpace(stderr))
	}
	return s, err
}

// checkOutput checks the output a tool wrote into the file at path.
func checkOutput(path string, sc *scenario) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return sc.check(string(data))
}

// runRaw sends the scenario's IMAP itself, pipelined, timed from connecting to the end of
// LOGOUT.
func runRaw(ctx context.Context, cfg *config, sc *scenario, addr string) (sample, error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	start := time.Now()
	c, err := login(ctx, addr, cfg)
	if err != nil {
		return sample{}, err
	}
	out, err := sc.raw(ctx, c)
	err = errors.Join(err, c.Logout(ctx))
	s := sample{wall: time.Since(start)}
	if err == nil {
		err = sc.check(out)
	}
	return s, err
}
