package stackconfig_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/stackconfig"
)

const path = "/sagemaker-platform/ecr"

func TestReconcile(t *testing.T) {
	tests := []struct {
		name     string
		held     map[string]string // Parameter Store before
		previous map[string]string // nil: a Create
		desired  map[string]string
		// want
		written []string
		kept    []stackconfig.Kept
		after   map[string]string // Parameter Store after, for the names listed
		calls   []string          // when set, exactly these calls
	}{
		{
			name:    "create seeds every parameter that is absent",
			desired: map[string]string{"company": "acme", "image-retention": "10"},
			written: []string{"company", "image-retention"},
			after:   map[string]string{"company": "acme", "image-retention": "10"},
		},
		{
			name:    "create keeps a value that is already there, and says so only when it differs",
			held:    map[string]string{"image-retention": "20", "company": "acme"},
			desired: map[string]string{"company": "acme", "image-retention": "10", "drift-mode": "fix"},
			written: []string{"drift-mode"},
			kept:    []stackconfig.Kept{{Name: "image-retention", Held: "20", Stack: "10"}},
			after:   map[string]string{"image-retention": "20", "company": "acme", "drift-mode": "fix"},
		},
		{
			name:     "update writes a changed value where Parameter Store holds the previous stack value",
			held:     map[string]string{"image-retention": "10", "drift-mode": "fix"},
			previous: map[string]string{"image-retention": "10", "drift-mode": "fix"},
			desired:  map[string]string{"image-retention": "15", "drift-mode": "report"},
			written:  []string{"drift-mode", "image-retention"},
			after:    map[string]string{"image-retention": "15", "drift-mode": "report"},
		},
		{
			name:     "update writes a changed value where Parameter Store holds nothing",
			previous: map[string]string{"image-retention": "10"},
			desired:  map[string]string{"image-retention": "15"},
			written:  []string{"image-retention"},
			after:    map[string]string{"image-retention": "15"},
		},
		{
			name:     "update keeps a value changed by hand, and reports it",
			held:     map[string]string{"image-retention": "20", "drift-mode": "fix"},
			previous: map[string]string{"image-retention": "10", "drift-mode": "fix"},
			desired:  map[string]string{"image-retention": "15", "drift-mode": "report"},
			written:  []string{"drift-mode"},
			kept:     []stackconfig.Kept{{Name: "image-retention", Held: "20", Stack: "15"}},
			after:    map[string]string{"image-retention": "20", "drift-mode": "report"},
		},
		{
			name:     "an unchanged stack value is never written, not even read, whatever Parameter Store holds",
			held:     map[string]string{"image-retention": "20"},
			previous: map[string]string{"image-retention": "10", "company": "acme"},
			desired:  map[string]string{"image-retention": "10", "company": "acme"},
			after:    map[string]string{"image-retention": "20"},
			calls:    []string{},
		},
		{
			name:     "update: a value the stack did not set before is created only where absent",
			held:     map[string]string{"allowed-teams": "risk"},
			previous: map[string]string{"company": "acme"},
			desired:  map[string]string{"company": "acme", "allowed-teams": "vision", "pull-org-id": "o-abcdefghij"},
			written:  []string{"pull-org-id"},
			kept:     []stackconfig.Kept{{Name: "allowed-teams", Held: "risk", Stack: "vision"}},
			after:    map[string]string{"allowed-teams": "risk", "pull-org-id": "o-abcdefghij"},
		},
		{
			name:     "update: Parameter Store already holds the new value",
			held:     map[string]string{"image-retention": "15"},
			previous: map[string]string{"image-retention": "10"},
			desired:  map[string]string{"image-retention": "15"},
			after:    map[string]string{"image-retention": "15"},
		},
		{
			name:     "update: a value the stack no longer sets stays, and is reported",
			held:     map[string]string{"pull-accounts": "111122223333", "company": "acme"},
			previous: map[string]string{"pull-accounts": "111122223333", "company": "acme", "allowed-teams": "risk"},
			desired:  map[string]string{"company": "acme"},
			kept:     []stackconfig.Kept{{Name: "pull-accounts", Held: "111122223333"}},
			after:    map[string]string{"pull-accounts": "111122223333"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(tc.held)
			res, err := stackconfig.Reconcile(context.Background(), f, path, tc.previous, tc.desired)
			if err != nil {
				t.Fatalf("Reconcile: %v", err)
			}
			if diff := cmp.Diff(tc.written, res.Written); diff != "" {
				t.Errorf("Written (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.written, f.writes()); diff != "" {
				t.Errorf("parameters written in Parameter Store (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.kept, res.Kept); diff != "" {
				t.Errorf("Kept (-want +got):\n%s", diff)
			}
			for name, want := range tc.after {
				if got, _ := f.value(name); got != want {
					t.Errorf("Parameter Store %s: got %q; want %q", name, got, want)
				}
			}
			if tc.calls != nil && len(f.calls) != len(tc.calls) {
				t.Errorf("calls: got %v; want %v", f.calls, tc.calls)
			}
		})
	}
}

// A write Parameter Store refuses fails with the parameter named; what was written before it
// is reported.
func TestReconcileFailure(t *testing.T) {
	f := newFake(nil)
	f.fail[path+"/image-retention"] = errors.New("AccessDeniedException: not authorized")
	res, err := stackconfig.Reconcile(context.Background(), f, path, nil, map[string]string{"company": "acme", "image-retention": "10"})
	if err == nil || !strings.Contains(err.Error(), path+"/image-retention") || !strings.Contains(err.Error(), "AccessDenied") {
		t.Fatalf("error: got %v; want one naming the parameter and the cause", err)
	}
	if diff := cmp.Diff([]string{"company"}, res.Written); diff != "" {
		t.Errorf("Written (-want +got):\n%s", diff)
	}
}
