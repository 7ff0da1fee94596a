package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// spawnArg, as the first argument, makes this program a spawner: it runs one tool and
// reports its wall time and peak RSS on file descriptor 3.
//
// The tools are not started by the benchmark itself because of how Linux accounts peak
// RSS: Go starts a child with vfork, so the child shares its parent's memory until exec,
// and exec records the parent's peak RSS as the child's. The child's ru_maxrss is thus
// at least the parent's peak, which for the benchmark, holding the proxy's buffers and
// the raw client's data, can exceed the tools'. The spawner does nothing else, so its
// peak (about 2 MiB) is far below any tool's; it reports it, and a tool's figure not above
// it is refused as unmeasured.
const spawnArg = "-spawn-one-tool"

// spawnReport is what the spawner reports.
type spawnReport struct {
	wall          time.Duration
	maxRSS, floor int64 // KiB: the tool's peak RSS, and the spawner's own when it started it
	exitCode      int
}

// spawnMain runs "TIMEOUT BIN ARG..." with the spawner's standard streams, the tool
// killed after TIMEOUT or when the spawner dies, and writes the report to descriptor 3.
func spawnMain(args []string) int {
	report := os.NewFile(3, "report")
	if len(args) < 2 || report == nil {
		fmt.Fprintln(os.Stderr, "bench: usage: bench "+spawnArg+" TIMEOUT BIN [ARG...] (with descriptor 3 open)")
		return 125
	}
	timeout, err := time.ParseDuration(args[0])
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		return 125
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[1], args[2:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	// Pdeathsig follows the thread that started the child: keep it.
	runtime.LockOSThread()
	floor := ownPeakRSS()
	start := time.Now()
	err = cmd.Run()
	rep := spawnReport{wall: time.Since(start), floor: floor, exitCode: -1}
	if ps := cmd.ProcessState; ps != nil {
		rep.exitCode = ps.ExitCode()
		if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
			rep.maxRSS = ru.Maxrss
		}
	}
	if ctx.Err() != nil {
		fmt.Fprintf(os.Stderr, "bench: %s did not finish within %v\n", args[1], timeout)
	} else if err != nil && rep.exitCode < 0 {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
	}
	fmt.Fprintf(report, "%d %d %d %d\n", rep.wall, rep.maxRSS, rep.floor, rep.exitCode)
	return 0
}

// ownPeakRSS returns this process's peak RSS in KiB (VmHWM), 0 if unknown.
func ownPeakRSS() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// spawn runs a tool through the spawner, stdin and stdout being files, and returns its
// report and standard error.
func spawn(ctx context.Context, timeout time.Duration, stdin, stdout *os.File, bin string, args, env []string) (spawnReport, string, error) {
	self, err := os.Executable()
	if err != nil {
		return spawnReport{}, "", err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return spawnReport{}, "", err
	}
	defer r.Close()
	// The spawner enforces the timeout; this one is a backstop should it hang itself.
	ctx, cancel := context.WithTimeout(ctx, timeout+30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, self, append([]string{spawnArg, timeout.String(), bin}, args...)...)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.ExtraFiles = stdin, stdout, []*os.File{w}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err = cmd.Start()
	w.Close()
	if err != nil {
		return spawnReport{}, "", err
	}
	line, readErr := bufio.NewReader(r).ReadString('\n')
	err = errors.Join(cmd.Wait(), readErr)
	if err != nil {
		return spawnReport{}, stderr.String(), fmt.Errorf("the spawner failed: %w", err)
	}
	rep, err := parseSpawnReport(line)
	return rep, stderr.String(), err
}

// parseSpawnReport parses the spawner's report line.
func parseSpawnReport(line string) (spawnReport, error) {
	var rep spawnReport
	var wall int64
	if _, err := fmt.Sscanf(line, "%d %d %d %d", &wall, &rep.maxRSS, &rep.floor, &rep.exitCode); err != nil {
		return rep, fmt.Errorf("the spawner's report %q: %w", line, err)
	}
	rep.wall = time.Duration(wall)
	return rep, nil
}
