package reconcile

import (
	"maps"
	"slices"
	"strings"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/registry"
)

// Op names a write by the ECR API operation that makes it.
type Op string

// The writes a plan can name.
const (
	OpCreate       Op = "CreateRepository"
	OpLifecycle    Op = "PutLifecyclePolicy"
	OpMutability   Op = "PutImageTagMutability"
	OpTag          Op = "TagResource"
	OpUntag        Op = "UntagResource"
	OpSetAccess    Op = "SetRepositoryPolicy"
	OpDeleteAccess Op = "DeleteRepositoryPolicy"
)

// Write is one call the plan makes, with what it writes: the document (the lifecycle policy
// of PutLifecyclePolicy, the repository policy of SetRepositoryPolicy), the mutability, the
// tags to add or correct (TagResource) or the keys to remove (UntagResource). CreateRepository
// creates the repository with the desired settings and tags.
type Write struct {
	Op         Op
	Document   string
	Mutability registry.Mutability
	Tags       map[string]string
	Keys       []string
}

// String names the write as a report does: the operation, and what it sets.
func (w Write) String() string {
	switch w.Op {
	case OpMutability:
		return string(w.Op) + " " + w.Mutability.Mode
	case OpTag:
		return string(w.Op) + " " + strings.Join(slices.Sorted(maps.Keys(w.Tags)), ", ")
	case OpUntag:
		return string(w.Op) + " " + strings.Join(w.Keys, ", ")
	}
	return string(w.Op)
}

// fixes reports whether the write, once made, fixes diff.
func (w Write) fixes(diff Difference) bool {
	switch w.Op {
	case OpCreate:
		return diff.Setting == SettingRepository
	case OpLifecycle:
		return diff.Setting == SettingLifecycle
	case OpMutability:
		return diff.Setting == SettingMutability
	case OpTag:
		_, ok := w.Tags[diff.Path]
		return diff.Setting == SettingTags && ok
	case OpUntag:
		return diff.Setting == SettingTags && slices.Contains(w.Keys, diff.Path)
	case OpSetAccess, OpDeleteAccess:
		return diff.Setting == SettingAccess
	}
	return false
}
