package world

import (
	"fmt"
	"sync"
	"testing"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/config"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/naming"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/account"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/wire"
)

// invariants are the promises the product makes about other people's data, checked on every
// request of every test that uses a World:
//   - no ECR write outside the managed namespaces of the configured company;
//   - no image deleted: no image-deleting call, no forced repository delete;
//   - no lifecycle policy written to an exempt repository;
//   - no ECR write at all while the configuration is invalid.
type invariants struct {
	mu         sync.Mutex
	path       string
	values     map[string]string // full parameter name -> value, as stored
	cfg        config.Config
	valid      bool
	violations []string
}

func newInvariants() *invariants { return &invariants{values: map[string]string{}} }

// configure records what the setup wrote to SSM and re-reads the configuration as the product
// would.
func (v *invariants) configure(path string, values map[string]string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.path = path
	for name, value := range values {
		v.values[path+"/"+name] = value
	}
	v.parse()
}

// forget records that the setup deleted parameters.
func (v *invariants) forget(path string, names []string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, name := range names {
		delete(v.values, path+"/"+name)
	}
	v.parse()
}

// parse re-reads the configuration as the product would. The caller holds v.mu.
func (v *invariants) parse() {
	cfg, err := config.ParseFor(v.path, account.ID, v.values)
	v.cfg, v.valid = cfg, err == nil
}

// check is the Recorder's hook.
func (v *invariants) check(r wire.Request) {
	if r.Service != "ecr" || !r.Write() {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	fail := func(format string, args ...any) {
		v.violations = append(v.violations, fmt.Sprintf("%s %s: ", r.Operation, r.Repository)+fmt.Sprintf(format, args...))
	}
	switch {
	case r.Operation == "BatchDeleteImage" || r.Operation == "DeleteLifecyclePolicy" || r.Force:
		fail("deletes images or a policy")
	case v.path == "":
		fail("an ECR write before any configuration exists")
	case !v.valid:
		fail("an ECR write while the configuration is invalid")
	case r.Repository == "" || !naming.Managed(v.cfg.Company, r.Repository):
		fail("outside the managed namespaces of company %q", v.cfg.Company)
	case r.Operation == "PutLifecyclePolicy" && v.cfg.Exempt(r.Repository):
		fail("lifecycle policy written to an exempt repository")
	}
}

// report fails the test once per violation.
func (v *invariants) report(t testing.TB) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, msg := range v.violations {
		t.Errorf("safety invariant broken: %s", msg)
	}
}
