package emulator

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

// ErrRIEMissing says aws-lambda-rie is not installed, and how to install it.
var ErrRIEMissing = errors.New("aws-lambda-rie not found on PATH or in $(go env GOPATH)/bin: install it with make rie")

// FindRIE returns the path of aws-lambda-rie: on PATH (make puts $(go env GOPATH)/bin there),
// else where go install puts it, since go test run by hand often has no GOPATH/bin on PATH.
func FindRIE(ctx context.Context) (string, error) {
	if path, err := exec.LookPath("aws-lambda-rie"); err == nil {
		return path, nil
	}
	for _, dir := range goBinDirs(ctx) {
		path := filepath.Join(dir, "aws-lambda-rie")
		if st, err := os.Stat(path); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return path, nil
		}
	}
	return "", ErrRIEMissing
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
