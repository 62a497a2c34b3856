// Package rie runs a function's real bootstrap binary as Lambda runs it, under
// aws-lambda-rie, without Docker: built with the Makefile's own build target, started with a
// minimal environment, invoked through the Lambda Invoke API.
//
// What aws-lambda-rie does that shapes this package:
//   - it needs --runtime-api-address and --runtime-interface-emulator-address: the defaults
//     (127.0.0.1:9001, 0.0.0.0:8080) may be taken, and the second listens on every interface;
//     unknown flags are ignored, so even aws-lambda-rie --help starts a server;
//   - it starts the bootstrap lazily, on the first invocation, and only then prints
//     "INIT REPORT(durationMs: N)": the time from starting the bootstrap to the runtime's first
//     request for work, which is what Lambda calls Init Duration. The "Init Duration" in its own
//     REPORT line times an asynchronous call and says about 0.2 ms whatever the function does;
//     Function.InitDuration reads the INIT REPORT line instead;
//   - it handles one invocation at a time and crashes on a second concurrent one, so
//     Function.Invoke queues them;
//   - a handler error is still HTTP 200, with errorType and errorMessage in the body;
//     Function.Invoke turns that into an *InvokeError;
//   - it passes its whole environment to the function, so the environment it gets is built
//     from scratch (see Config);
//   - it starts the bootstrap in a process group of its own; on SIGTERM it kills the bootstrap
//     and exits, which is how Function.Stop ends both.
package rie

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ErrMissing says aws-lambda-rie is not installed, and how to install it.
var ErrMissing = errors.New("aws-lambda-rie not found on PATH or in $(go env GOPATH)/bin: install it with make rie")

// Find returns the path of aws-lambda-rie: on PATH (make puts $(go env GOPATH)/bin there),
// else where go install puts it, since go test run by hand often has no GOPATH/bin on PATH.
func Find(ctx context.Context) (string, error) {
	if path, err := exec.LookPath("aws-lambda-rie"); err == nil {
		return path, nil
	}
	for _, dir := range goBinDirs(ctx) {
		path := filepath.Join(dir, "aws-lambda-rie")
		if st, err := os.Stat(path); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return path, nil
		}
	}
	return "", ErrMissing
}

// goBinDirs are the directories go install writes to: GOBIN, else each GOPATH entry's bin.
func goBinDirs(ctx context.Context) []string {
	out, err := exec.CommandContext(ctx, "go", "env", "GOBIN", "GOPATH").Output()
	if err != nil {
		return nil
	}
	// One line each; an unset GOBIN is an empty first line.
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) > 0 && lines[0] != "" {
		return []string{lines[0]}
	}
	var dirs []string
	if len(lines) > 1 {
		for _, p := range filepath.SplitList(lines[1]) {
			dirs = append(dirs, filepath.Join(p, "bin"))
		}
	}
	return dirs
}

// initReport matches the line rapid (inside aws-lambda-rie) prints when the runtime has
// finished initialising: "INIT REPORT(durationMs: 12.805000)" (the managed-instances variant
// puts more fields inside the parentheses).
var initReport = regexp.MustCompile(`INIT REPORT\([^)]*durationMs: ([0-9.]+)`)

// parseInitReport returns the first INIT REPORT's duration in text.
func parseInitReport(text string) (time.Duration, bool) {
	m := initReport.FindStringSubmatch(text)
	if m == nil {
		return 0, false
	}
	ms, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, false
	}
	return time.Duration(ms * float64(time.Millisecond)), true
}
