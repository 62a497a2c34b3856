// Package layout checks that the tree shows what ships: every package directly under
// internal/ is one the functions import, apart from internal/testing, the harness, which the
// functions never import.
package layout

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const (
	module  = "github.com/sagemaker-platform/sagemaker-ecr-provisioner"
	harness = module + "/internal/testing"
)

// shipped lists the module's packages the functions' binaries are built from.
func shipped(t *testing.T, root string) []string {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", "./functions/...")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps ./functions/...: %v\n%s", err, stderr.String())
	}
	var pkgs []string
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, module+"/") {
			pkgs = append(pkgs, p)
		}
	}
	return pkgs
}

func TestInternalHoldsWhatShips(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	deps := shipped(t, root)
	for _, p := range deps {
		if p == harness || strings.HasPrefix(p, harness+"/") {
			t.Errorf("the functions import %s: the harness must not ship", p)
		}
	}
	entries, err := os.ReadDir(filepath.Join(root, "internal"))
	if err != nil {
		t.Fatal(err)
	}
	dirs := 0
	for _, e := range entries {
		if !e.IsDir() || e.Name() == "testing" {
			continue
		}
		dirs++
		if p := module + "/internal/" + e.Name(); !slices.Contains(deps, p) {
			t.Errorf("%s is directly under internal/ but the functions do not import it: move it to internal/testing or delete it", p)
		}
	}
	if dirs == 0 {
		t.Fatal("found no package under internal/; is the test run from the module?")
	}
}
