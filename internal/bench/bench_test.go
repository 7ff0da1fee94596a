package main

import (
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"time"
)

func TestMedianOf(t *testing.T) {
	for _, tc := range []struct {
		in   []int64
		want int64
	}{
		{nil, 0},
		{[]int64{7}, 7},
		{[]int64{9, 1, 5}, 5},
		{[]int64{4, 1, 3, 2}, 2}, // (2+3)/2 in integers
		{[]int64{10, 30, 20, 40}, 25},
	} {
		if got := medianOf(tc.in); got != tc.want {
			t.Errorf("medianOf(%v) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestParseRTTs(t *testing.T) {
	got, err := parseRTTs("0, 10, 50ms,1s")
	want := []time.Duration{0, 10 * time.Millisecond, 50 * time.Millisecond, time.Second}
	if err != nil || len(got) != len(want) {
		t.Fatalf("parseRTTs = %v, %v; want %v", got, err, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("parseRTTs[%d] = %v, want %v", i, got[i], want[i])
		}
	}
	for _, bad := range []string{"", "fast", "-5ms", "10,"} {
		if _, err := parseRTTs(bad); err == nil {
			t.Errorf("parseRTTs(%q) accepted", bad)
		}
	}
}

func TestCheckRefusesNonLoopback(t *testing.T) {
	cfg := &config{server: "192.0.2.1:143", mech: "PLAIN", gocyradm: "x", password: "p", runs: 1, commands: 3, aclMailboxes: 3, lmMailboxes: 1, timeout: time.Second}
	if err := cfg.check(); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("check() = %v, want a refusal of a non-loopback server", err)
	}
	cfg.server = "127.0.0.1:143"
	if err := cfg.check(); err != nil {
		t.Errorf("check() = %v for a loopback server", err)
	}
}

func TestFormats(t *testing.T) {
	for _, tc := range []struct {
		got, want string
	}{
		{formatDuration(512 * time.Microsecond), "0.512 ms"},
		{formatDuration(12340 * time.Microsecond), "12.3 ms"},
		{formatDuration(1234 * time.Millisecond), "1.23 s"},
		{formatDuration(123456 * time.Millisecond), "123 s"},
		{formatDuration(0), "–"},
		{formatKiB(15360), "15.0 MiB"},
		{formatRatio(0.123), "0.12"},
		{thousands(20000), "20,000"},
		{thousands(1000000), "1,000,000"},
		{thousands(300), "300"},
		{msAxis(1000), "1 s"},
		{msAxis(10), "10 ms"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestLinearTicks(t *testing.T) {
	for _, max := range []float64{0.3, 7, 17.4, 99, 150, 2345} {
		step, n := linearTicks(max)
		if step*float64(n) < max || n > 6 || n < 1 {
			t.Errorf("linearTicks(%v) = %v × %d", max, step, n)
		}
	}
}

func TestByDepth(t *testing.T) {
	got := byDepth([]string{"bench", "bench.acl.m1", "user.x", "bench.acl", "bench.lm.m1"})
	want := [][]string{{"bench.acl.m1", "bench.lm.m1"}, {"user.x", "bench.acl"}, {"bench"}}
	if len(got) != len(want) {
		t.Fatalf("byDepth = %v, want %v", got, want)
	}
	for i := range want {
		if strings.Join(got[i], " ") != strings.Join(want[i], " ") {
			t.Errorf("byDepth level %d = %v, want %v", i, got[i], want[i])
		}
	}
}

func TestMixedScript(t *testing.T) {
	sc := mixedScript(&config{commands: 300, aclMailboxes: 1000})
	lines := strings.Split(strings.TrimSpace(sc.text), "\n")
	if len(lines) != 300 {
		t.Fatalf("%d lines, want 300", len(lines))
	}
	counts := map[string]int{}
	for _, l := range lines {
		counts[strings.Fields(l)[0]]++
	}
	for _, verb := range []string{"listaclmailbox", "listquota", "setaclmailbox"} {
		if counts[verb] != 100 {
			t.Errorf("%d × %s, want 100", counts[verb], verb)
		}
	}
	out := strings.Repeat("benchuser lrs\n", 100) + strings.Repeat("STORAGE 0/1000000 (0%)\n", 100)
	if err := sc.check(out); err != nil {
		t.Errorf("check of a complete output: %v", err)
	}
	if err := sc.check(strings.Repeat("benchuser lrs\n", 99)); err == nil {
		t.Error("check accepted an incomplete output")
	}
}

// TestSVGIsWellFormed draws a plot from made-up results and parses it as XML.
func TestSVGIsWellFormed(t *testing.T) {
	cfg := &config{runs: 3, rtts: []time.Duration{0, 10 * time.Millisecond}, commands: 300, aclMailboxes: 1000, lmMailboxes: 20000}
	scs := []*scenario{mixedScript(cfg), wildcardListACL(cfg), listMailboxes(cfg), oneShot()}
	res := results{}
	for i, sc := range scs {
		for _, rtt := range cfg.rtts {
			for j, tool := range toolNames {
				res[cell{sc.key, rtt, tool}] = []sample{{wall: time.Duration(i+j+1) * 7 * time.Millisecond, maxRSS: int64(10000 + 1000*j)}}
			}
		}
	}
	rep := &report{cfg: cfg, scenarios: scs, results: res, machine: []fact{{"CPU", "Test <CPU> & co"}}}
	svg := rep.svg()
	dec := xml.NewDecoder(strings.NewReader(svg))
	for {
		_, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the SVG is not well-formed XML: %v", err)
		}
	}
	for _, want := range []string{"lm over 20,000 mailboxes: peak RSS", "Test &lt;CPU&gt; &amp; co", "10 ms round trip"} {
		if !strings.Contains(svg, want) {
			t.Errorf("the SVG lacks %q", want)
		}
	}
	if md := rep.markdown(); !strings.Contains(md, "| met |") && !strings.Contains(md, "**missed**") {
		t.Error("the report shows no target")
	}
}
