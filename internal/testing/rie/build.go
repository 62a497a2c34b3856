package rie

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

// Build compiles both functions for linux on this machine's architecture into
// outDir/provision/bootstrap and outDir/drift/bootstrap by running the Makefile's own build
// target (make build ARCH=<this machine's> BIN=outDir): the flags, the tags and CGO_ENABLED=0
// are the Makefile's, so what runs here is what ships, but for the architecture.
func Build(ctx context.Context, outDir string) (Binaries, error) {
	root, err := ModuleRoot(ctx)
	if err != nil {
		return Binaries{}, err
	}
	cmd := exec.CommandContext(ctx, "make", "--no-print-directory", "build", "ARCH="+runtime.GOARCH, "BIN="+outDir)
	cmd.Dir = root
	// make runs go build, which runs the compiler and linker as children; on cancel, end them all.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return Binaries{}, fmt.Errorf("build: %w", context.Cause(ctx))
		}
		return Binaries{}, fmt.Errorf("make build: %v\n%s", err, strings.TrimSpace(out.String()))
	}
	bins := Binaries{
		Provision: filepath.Join(outDir, "provision", "bootstrap"),
		Drift:     filepath.Join(outDir, "drift", "bootstrap"),
		Arch:      runtime.GOARCH,
	}
	for _, path := range []string{bins.Provision, bins.Drift} {
		if _, err := os.Stat(path); err != nil {
			return Binaries{}, fmt.Errorf("make build wrote no %s: %w", path, err)
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
