package emulator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// Binaries are the two functions' bootstrap files.
type Binaries struct {
	Provision string
	Drift     string
	// Arch is the GOARCH they were built for.
	Arch string
}

// buildFlags are the Makefile's GOFLAGS_BUILD: what ships is what runs here.
var buildFlags = []string{"-trimpath", "-tags", "lambda.norpc", "-ldflags=-s -w"}

// Build compiles both functions for linux on this machine's architecture, with the Makefile's
// flags and CGO_ENABLED=0, into outDir/provision/bootstrap and outDir/drift/bootstrap. It runs
// one go build for both, from the module root, so their shared packages compile once.
func Build(ctx context.Context, outDir string) (Binaries, error) {
	root, err := ModuleRoot(ctx)
	if err != nil {
		return Binaries{}, err
	}
	staging, err := os.MkdirTemp(outDir, ".build-")
	if err != nil {
		return Binaries{}, fmt.Errorf("build: %w", err)
	}
	defer os.RemoveAll(staging)

	args := append([]string{"build"}, buildFlags...)
	args = append(args, "-o", staging+string(filepath.Separator), "./functions/provision", "./functions/drift")
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	// go build runs the compiler and linker as children; on cancel, end them all.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return Binaries{}, fmt.Errorf("build: %w", context.Cause(ctx))
		}
		return Binaries{}, fmt.Errorf("go build ./functions/...: %v\n%s", err, strings.TrimSpace(stderr.String()))
	}

	bins := Binaries{Arch: runtime.GOARCH}
	for name, dst := range map[string]*string{"provision": &bins.Provision, "drift": &bins.Drift} {
		dir := filepath.Join(outDir, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return Binaries{}, fmt.Errorf("build: %w", err)
		}
		*dst = filepath.Join(dir, "bootstrap")
		if err := os.Rename(filepath.Join(staging, name), *dst); err != nil {
			return Binaries{}, fmt.Errorf("build: %w", err)
		}
	}
	return bins, nil
}

// ModuleRoot is the directory of the go.mod that the current directory belongs to.
func ModuleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			err = fmt.Errorf("%v: %s", err, bytes.TrimSpace(exit.Stderr))
		}
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside the module: run from the repository (go env GOMOD is empty)")
	}
	return filepath.Dir(gomod), nil
}
