// Package invariants holds the promises the product makes about other people's data, checked on
// every call of every test that uses a test world (internal/testing/world on moto,
// internal/testing/memworld in memory):
//   - no ECR write outside the managed namespaces of the configured company;
//   - no image deleted: no forced repository delete, and the image calls only add and remove the
//     product's own tags: a BatchDeleteImage names every image by a protecting tag
//     (registry.InUsePrefix) alone, a PutImage puts a protecting or a released tag
//     (registry.ReleasedPrefix) on the image whose digest the tag ends with;
//   - no lifecycle policy written to an exempt repository;
//   - no ECR write at all while the configuration is invalid.
//
// A world tells the Checker what its set-up wrote to Parameter Store, hands it every call the
// product makes, and has it report at the end of the test.
package invariants

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/config"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/naming"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/registry"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/account"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/wire"
)

// Checker checks calls against the invariants under the configuration the set-up wrote. It is
// safe for concurrent use.
type Checker struct {
	mu         sync.Mutex
	path       string
	values     map[string]string // full parameter name -> value, as stored
	cfg        config.Config
	valid      bool
	violations []string
}

// New returns a Checker that knows no configuration yet: any ECR write breaks an invariant.
func New() *Checker { return &Checker{values: map[string]string{}} }

// Configure records what the set-up wrote to SSM (names relative to path) and re-reads the
// configuration as the product would.
func (c *Checker) Configure(path string, values map[string]string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.path = path
	for name, value := range values {
		c.values[path+"/"+name] = value
	}
	c.parse()
}

// Forget records that the set-up deleted parameters (names relative to path).
func (c *Checker) Forget(path string, names []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, name := range names {
		delete(c.values, path+"/"+name)
	}
	c.parse()
}

// parse re-reads the configuration as the product would. The caller holds c.mu.
func (c *Checker) parse() {
	cfg, err := config.ParseFor(c.path, account.ID, c.values)
	c.cfg, c.valid = cfg, err == nil
}

// Check records a violation when the call breaks an invariant; it is a wire.Recorder's Check.
func (c *Checker) Check(r wire.Request) {
	if r.Service != "ecr" || !r.Write() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	fail := func(format string, args ...any) {
		c.violations = append(c.violations, fmt.Sprintf("%s %s: ", r.Operation, r.Repository)+fmt.Sprintf(format, args...))
	}
	switch {
	case r.Operation == "DeleteLifecyclePolicy" || r.Force:
		fail("deletes images or a policy")
	case r.Operation == "BatchDeleteImage" && !removesInUseTagsOnly(r.ImageIDs()):
		fail("may delete an image: %s; only a %s<hex> tag named alone may be removed", r.Images, registry.InUsePrefix)
	case r.Operation == "PutImage" && !putsProductTagsOnly(r.ImageIDs()):
		fail("puts %s; only a %s<hex> or %s<hex> tag, on the image with that digest", r.Images, registry.InUsePrefix, registry.ReleasedPrefix)
	case c.path == "":
		fail("an ECR write before any configuration exists")
	case !c.valid:
		fail("an ECR write while the configuration is invalid")
	case r.Repository == "" || !naming.Managed(c.cfg.Company, r.Repository):
		fail("outside the managed namespaces of company %q", c.cfg.Company)
	case r.Operation == "PutLifecyclePolicy" && c.cfg.Exempt(r.Repository):
		fail("lifecycle policy written to an exempt repository")
	}
}

// removesInUseTagsOnly reports whether every image id of a BatchDeleteImage removes a protecting
// tag and nothing else: a tag of registry.InUsePrefix and 64 hex digits, without a digest. A
// digest deletes the image with all its tags; ECR documents an id as a tag or a digest, and
// moto, given both, deletes the image.
func removesInUseTagsOnly(ids []wire.ImageID) bool {
	if len(ids) == 0 {
		return false
	}
	for _, id := range ids {
		hex, ok := strings.CutPrefix(id.Tag, registry.InUsePrefix)
		if _, err := registry.InUseTag("sha256:" + hex); !ok || err != nil || id.Digest != "" {
			return false
		}
	}
	return true
}

// putsProductTagsOnly reports whether a PutImage names the image's digest (the product always
// does: ECR then refuses a manifest that is not that image's) and puts that digest's
// protecting or released tag.
func putsProductTagsOnly(ids []wire.ImageID) bool {
	if len(ids) != 1 {
		return false
	}
	id := ids[0]
	inUse, err := registry.InUseTag(id.Digest)
	released, _ := registry.ReleasedTag(id.Digest)
	return err == nil && (id.Tag == inUse || id.Tag == released)
}

// Report fails the test once per violation.
func (c *Checker) Report(t testing.TB) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, msg := range c.violations {
		t.Errorf("safety invariant broken: %s", msg)
	}
}
