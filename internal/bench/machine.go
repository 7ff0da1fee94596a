package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// fact is one line of the machine's description.
type fact struct{ name, value string }

// describeMachine says what the benchmark ran on and which versions it compared, and how
// busy the machine was: loadStart is the load average when the run started.
func describeMachine(cfg *config, greeting, loadStart string) []fact {
	gocyradm := firstLine(output(cfg.gocyradm, "--version"))
	if cfg.commit != "" {
		gocyradm += " (" + cfg.commit + ")"
	}
	return []fact{
		{"CPU", cpuModel()},
		{"cores", strconv.Itoa(runtime.NumCPU())},
		{"memory", memTotal()},
		{"operating system", osRelease()},
		{"kernel", firstLine(readFile("/proc/sys/kernel/osrelease"))},
		{"Go", runtime.Version()},
		{"Cyrus IMAP server", serverVersion(greeting)},
		{"cyradm", cyradmVersion()},
		{"Perl", output("perl", "-e", `printf "%vd", $^V`)},
		{"gocyradm", gocyradm},
		{"load average (1, 5, 15 min) at the start", loadStart},
		{"load average (1, 5, 15 min) at the end", loadAverage()},
	}
}

// loadAverage returns the 1, 5 and 15 minute load averages.
func loadAverage() string {
	f := strings.Fields(readFile("/proc/loadavg"))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], ", ")
}

// output runs a command for its standard output, "unknown" if it fails.
func output(name string, args ...string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).Output()
	if err != nil || strings.TrimSpace(string(out)) == "" {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

// readFile returns a file's text, "unknown" if it cannot be read.
func readFile(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "unknown"
	}
	return string(data)
}

// firstLine returns the first line of s, trimmed.
func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}

// procField returns the value of the first "name : value" line of a /proc file.
func procField(path, name string) string {
	sc := bufio.NewScanner(strings.NewReader(readFile(path)))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == name {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// cpuModel returns the CPU's model name.
func cpuModel() string { return procField("/proc/cpuinfo", "model name") }

// memTotal returns the machine's memory in GiB.
func memTotal() string {
	v := procField("/proc/meminfo", "MemTotal")
	kib, err := strconv.ParseInt(strings.TrimSuffix(v, " kB"), 10, 64)
	if err != nil {
		return v
	}
	return fmt.Sprintf("%.1f GiB", float64(kib)/(1<<20))
}

// osRelease returns the distribution's name and version.
func osRelease() string {
	for _, line := range strings.Split(readFile("/etc/os-release"), "\n") {
		if after, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
			return strings.Trim(after, `"`)
		}
	}
	return "unknown"
}

// serverVersion picks "Cyrus IMAP 3.6.1-..." out of the server's greeting.
func serverVersion(greeting string) string {
	if i := strings.Index(greeting, "Cyrus IMAP"); i >= 0 {
		return strings.TrimSuffix(strings.TrimSpace(greeting[i:]), " server ready")
	}
	return greeting
}

// cyradmVersion returns the Debian package's version: cyradm --version prints only
// "Cyrus IMAP 1.00".
func cyradmVersion() string {
	v := output("dpkg-query", "-W", "-f=${Version}", "cyrus-admin")
	if v == "unknown" {
		return output("cyradm", "--version")
	}
	return "Debian cyrus-admin " + v
}
