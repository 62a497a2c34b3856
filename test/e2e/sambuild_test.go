//go:build integration

package e2e

import (
	"context"
	"crypto/sha256"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/rie"
)

// sam build (BuildMethod: makefile) runs make build-<LogicalId> with ARTIFACTS_DIR set and
// deploys $(ARTIFACTS_DIR)/bootstrap on provided.al2023 arm64. The SAM CLI is not available
// here, so the test runs those targets as sam build would.
func TestSamBuildTargetsMakeStaticArm64Bootstraps(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	root, err := rie.ModuleRoot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatal("make not found on PATH: the sam build targets are Makefile targets")
	}
	sums := map[string]string{}
	for _, target := range []string{"build-ProvisionFunction", "build-DriftFunction"} {
		artifacts := t.TempDir()
		cmd := exec.CommandContext(ctx, "make", "--no-print-directory", target, "ARTIFACTS_DIR="+artifacts)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("make %s: %v\n%s", target, err, out)
		}
		path := filepath.Join(artifacts, "bootstrap")
		wantStaticArm64(t, path)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		sums[target] = string(sum[:])
	}
	if sums["build-ProvisionFunction"] == sums["build-DriftFunction"] {
		t.Error("build-ProvisionFunction and build-DriftFunction wrote the same binary")
	}
}

// wantStaticArm64 fails unless path is a 64-bit ELF executable for arm64 with no program
// interpreter: statically linked, as provided.al2023 runs it.
func wantStaticArm64(t *testing.T, path string) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer f.Close()
	if f.Class != elf.ELFCLASS64 || f.Machine != elf.EM_AARCH64 || f.Type != elf.ET_EXEC {
		t.Errorf("%s: class %v, machine %v, type %v; want ELFCLASS64, EM_AARCH64, ET_EXEC", path, f.Class, f.Machine, f.Type)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("%s has a program interpreter (PT_INTERP): dynamically linked, want static", path)
		}
		if p.Type == elf.PT_DYNAMIC {
			t.Errorf("%s has a PT_DYNAMIC segment: want static", path)
		}
	}
}
