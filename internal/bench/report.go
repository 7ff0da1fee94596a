package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"
)

// report turns the results into the table, the Markdown file and the plot.
type report struct {
	cfg       *config
	scenarios []*scenario
	results   results
	machine   []fact
	took      time.Duration
}

// row is the medians of one scenario at one round-trip time.
type row struct {
	sc              *scenario
	rtt             time.Duration
	cy, gc, raw     time.Duration
	cyRSS, gcRSS    int64 // KiB
	gcByCy, gcByRaw float64
}

// rows returns the medians of every scenario at every round-trip time.
func (r *report) rows() []row {
	var out []row
	for _, sc := range r.scenarios {
		for _, rtt := range r.cfg.rtts {
			m := row{sc: sc, rtt: rtt,
				cy:    r.results.median(sc.key, rtt, toolCyradm),
				gc:    r.results.median(sc.key, rtt, toolGocyradm),
				raw:   r.results.median(sc.key, rtt, toolRaw),
				cyRSS: r.results.medianRSS(sc.key, rtt, toolCyradm),
				gcRSS: r.results.medianRSS(sc.key, rtt, toolGocyradm),
			}
			m.gcByCy, m.gcByRaw = ratio(m.gc, m.cy), ratio(m.gc, m.raw)
			out = append(out, m)
		}
	}
	return out
}

// ratio returns a/b, 0 when b is 0.
func ratio[T time.Duration | int64](a, b T) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// target is a goal of the issue for one scenario, at one round-trip time or at all (-1).
type target struct {
	scenario string
	rtt      time.Duration
	goal     string
	check    func(m row) (measured string, ok bool)
}

var targets = []target{
	{"script", 10 * time.Millisecond, "≤ 0.15 × cyradm and ≤ 1.3 × raw", pipelinedGoal},
	{"listacl", 10 * time.Millisecond, "≤ 0.15 × cyradm and ≤ 1.3 × raw", pipelinedGoal},
	{"lm", -1, "time and peak RSS ≤ cyradm's", func(m row) (string, bool) {
		return fmt.Sprintf("%s × cyradm's time, %s × its peak RSS", formatRatio(m.gcByCy), formatRatio(ratio(m.gcRSS, m.cyRSS))),
			m.gc <= m.cy && m.gcRSS <= m.cyRSS
	}},
	{"oneshot", 0, "≤ 0.5 × cyradm", func(m row) (string, bool) {
		return formatRatio(m.gcByCy) + " × cyradm", m.gcByCy <= 0.5
	}},
}

// pipelinedGoal is the goal for pipelined work at 10 ms: a small fraction of cyradm's
// time, close to raw's.
func pipelinedGoal(m row) (string, bool) {
	return fmt.Sprintf("%s × cyradm, %s × raw", formatRatio(m.gcByCy), formatRatio(m.gcByRaw)),
		m.gcByCy <= 0.15 && m.gcByRaw <= 1.3
}

// verdicts returns the targets that apply to the rows measured, with their outcome.
func (r *report) verdicts() []string {
	var out []string
	for _, m := range r.rows() {
		for _, t := range targets {
			if t.scenario != m.sc.key || (t.rtt >= 0 && t.rtt != m.rtt) {
				continue
			}
			measured, ok := t.check(m)
			verdict := "**missed**"
			if ok {
				verdict = "met"
			}
			out = append(out, fmt.Sprintf("| %s | %s | %s | %s | %s |", m.sc.title, formatRTT(m.rtt), t.goal, measured, verdict))
		}
	}
	return out
}

// write prints the table and writes the Markdown report and the plot, as configured.
func (r *report) write() error {
	r.printTable(os.Stdout)
	if r.cfg.svgFile != "" {
		if err := os.WriteFile(r.cfg.svgFile, []byte(r.svg()), 0o644); err != nil {
			return err
		}
	}
	if r.cfg.mdFile != "" {
		return os.WriteFile(r.cfg.mdFile, []byte(r.markdown()), 0o644)
	}
	return nil
}

// printTable prints the medians for a terminal.
func (r *report) printTable(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tRTT\tcyradm\tgocyradm\traw\tgo/cyradm\tgo/raw\tRSS cyradm\tRSS gocyradm\t")
	for _, m := range r.rows() {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", m.sc.key, formatRTT(m.rtt),
			formatDuration(m.cy), formatDuration(m.gc), formatDuration(m.raw),
			formatRatio(m.gcByCy), formatRatio(m.gcByRaw), formatKiB(m.cyRSS), formatKiB(m.gcRSS))
	}
	tw.Flush()
	fmt.Fprintf(w, "\n%d runs each; the run took %v.\n", r.cfg.runs, r.took.Round(time.Second))
}

// markdown returns the report's Markdown text.
func (r *report) markdown() string {
	var b strings.Builder
	r.mdIntro(&b)
	r.mdMachine(&b)
	r.mdMethod(&b)
	r.mdResults(&b)
	r.mdSamples(&b)
	return b.String()
}

// mdIntro writes the title, what is compared and how to run it again.
func (r *report) mdIntro(b *strings.Builder) {
	fmt.Fprintf(b, `# Benchmarks

gocyradm against Cyrus IMAP's Perl cyradm and against the raw IMAP commands pipelined on one
connection (the floor: what the server and the round trips allow), on the same Cyrus server,
through a TCP proxy on loopback that adds a fixed round-trip time.

This file and [benchmarks.svg](benchmarks.svg) are written by %s; the run of %s took %v
(preparing and removing the mailboxes included). Run it again with:

    scripts/bench.sh              # 5 runs at 0, 10 and 50 ms; rewrites these two files
    scripts/bench.sh --runs 9     # more runs
    scripts/bench.sh --quick      # a short check: 1 run, fewer mailboxes, written elsewhere

`, "`"+r.cfg.command+"`", time.Now().UTC().Format("2006-01-02"), r.took.Round(time.Second))
}

// mdMachine describes the machine and the versions compared.
func (r *report) mdMachine(b *strings.Builder) {
	b.WriteString("## Machine\n\n| | |\n|---|---|\n")
	for _, f := range r.machine {
		fmt.Fprintf(b, "| %s | %s |\n", f.name, f.value)
	}
	b.WriteString("\nThe server, the proxy and the tool measured share the machine. A load average near the\n" +
		"number of cores means other work competed for them during the run, which slows and blurs the figures.\n\n")
}

// mdMethod says how each tool is run and measured, and what the scripts are.
func (r *report) mdMethod(b *strings.Builder) {
	fmt.Fprintf(b, `## Method

- **Server**: a throwaway Cyrus started by scripts/testservers.sh, with %s mailboxes
  that have an ACL entry for %s and a STORAGE quota root each, %s more for lm, and %s.
- **Proxy**: internal/latencyproxy, on 127.0.0.1, forwards each chunk half the round-trip
  time after reading it, in both directions, in order, without holding chunks behind one
  another. Round-trip times: %s.
- **Authentication**: every tool uses %s, named explicitly (SCRAM-SHA-256 is both tools'
  default with Cyrus), in plain IMAP (--notls): the proxy could not tell TLS apart anyway.
- **cyradm** reads the script on its standard input: %s.
- **gocyradm** runs the same script file with -f (a one-shot with -c): %s,
  the password in GOCYRADM_PASSWORD.
- **raw** is the same IMAP sent by this program with imapconn: connect, AUTHENTICATE,
  every command started before any answer is awaited (a wildcard listacl: LIST, then every
  GETACL), LOGOUT; timed from connecting to the end of LOGOUT, inside this program.
- **Time** is wall time from starting the tool's process to its exit, the median of %d runs;
  the tools run in turn within each run. **Peak RSS** is the process's maximum resident set
  (wait4's ru_maxrss), median of the runs. The tools are started by a small spawner process
  rather than by the benchmark itself, since a child started with vfork, as Go does, is
  charged its parent's peak RSS at exec. Not measured for raw, which runs in-process.
- Every run's output is checked (the number of ACL entries, quota lines or mailboxes it
  shows), so a tool that skipped commands would fail the benchmark rather than look fast.

`, thousands(r.cfg.aclMailboxes), "`"+benchID+"`", thousands(r.cfg.lmMailboxes), "`"+oneShotTarget+"`", r.rttList(),
		r.cfg.mech,
		"`cyradm --norc --notls --auth "+r.cfg.mech+" --user admin --password PASS --port PORT 127.0.0.1 <script`",
		"`gocyradm --norc --notls -a "+r.cfg.mech+" -u admin -f script 127.0.0.1:PORT`", r.cfg.runs)
	b.WriteString("The scripts:\n\n")
	for _, sc := range r.scenarios {
		fmt.Fprintf(b, "- %s: %s\n", sc.title, scriptSummary(sc))
	}
	b.WriteString("\n")
}

// rttList returns the round-trip times, comma-separated.
func (r *report) rttList() string {
	var s []string
	for _, d := range r.cfg.rtts {
		s = append(s, formatRTT(d))
	}
	return strings.Join(s, ", ")
}

// scriptSummary shows a script's first lines.
func scriptSummary(sc *scenario) string {
	lines := strings.Split(strings.TrimSpace(sc.text), "\n")
	if sc.oneShot != "" {
		return fmt.Sprintf("`gocyradm -c '%s'`, and that line on cyradm's standard input", sc.oneShot)
	}
	if len(lines) == 1 {
		return "`" + lines[0] + "`"
	}
	return fmt.Sprintf("`%s`, `%s`, `%s`, … (%d lines)", lines[0], lines[1], lines[2], len(lines))
}

// mdResults writes the medians, the targets and the plot.
func (r *report) mdResults(b *strings.Builder) {
	b.WriteString("## Results\n\nMedians; ratios are gocyradm's time over cyradm's and over raw's.\n\n")
	b.WriteString("| Scenario | RTT | cyradm | gocyradm | raw | gocyradm / cyradm | gocyradm / raw | peak RSS cyradm | peak RSS gocyradm |\n")
	b.WriteString("|---|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, m := range r.rows() {
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", m.sc.title, formatRTT(m.rtt),
			formatDuration(m.cy), formatDuration(m.gc), formatDuration(m.raw),
			formatRatio(m.gcByCy), formatRatio(m.gcByRaw), formatKiB(m.cyRSS), formatKiB(m.gcRSS))
	}
	b.WriteString("\n### Targets\n\nMeasured, not asserted: a missed target is reported here, it does not fail the run.\n\n")
	b.WriteString("| Scenario | RTT | Target for gocyradm | Measured | |\n|---|--:|---|---|---|\n")
	for _, v := range r.verdicts() {
		b.WriteString(v + "\n")
	}
	b.WriteString("\n![Medians per scenario and round-trip time](benchmarks.svg)\n\n")
}

// mdSamples lists every run's wall time.
func (r *report) mdSamples(b *strings.Builder) {
	b.WriteString("## Every run\n\nWall times in run order.\n\n| Scenario | RTT | Tool | Runs |\n|---|--:|---|---|\n")
	for _, sc := range r.scenarios {
		for _, rtt := range r.cfg.rtts {
			for _, tool := range toolNames {
				var s []string
				for _, x := range r.results[cell{sc.key, rtt, tool}] {
					s = append(s, formatDuration(x.wall))
				}
				fmt.Fprintf(b, "| %s | %s | %s | %s |\n", sc.key, formatRTT(rtt), tool, strings.Join(s, ", "))
			}
		}
	}
}

// formatRTT shows a round-trip time in milliseconds.
func formatRTT(d time.Duration) string {
	return fmt.Sprintf("%d ms", d.Milliseconds())
}

// formatDuration shows about three significant digits: 0.512 ms, 12.3 ms, 1.23 s, 123 s.
func formatDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "–"
	case d < time.Second:
		return significant(float64(d)/float64(time.Millisecond)) + " ms"
	}
	return significant(d.Seconds()) + " s"
}

// significant formats x with three significant digits, without an exponent.
func significant(x float64) string {
	switch {
	case x >= 100:
		return fmt.Sprintf("%.0f", x)
	case x >= 10:
		return fmt.Sprintf("%.1f", x)
	case x >= 1:
		return fmt.Sprintf("%.2f", x)
	}
	return fmt.Sprintf("%.3g", x)
}

// formatRatio shows a ratio with two decimals, "–" when there is none.
func formatRatio(x float64) string {
	if x <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", x)
}

// formatKiB shows KiB as MiB, "–" when not measured.
func formatKiB(k int64) string {
	if k <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f MiB", float64(k)/1024)
}
