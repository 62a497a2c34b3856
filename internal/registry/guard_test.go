package registry

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// testDigest is a well-formed digest, so a refusal is the guard's and not the digest's.
var testDigest = "sha256:" + strings.Repeat("ab", 32)

// noCalls fails the test on any call: a guarded write must never reach ECR.
type noCalls struct {
	API
	t *testing.T
}

func TestWritesOutsideTheGuardMakeNoCall(t *testing.T) {
	r := New(noCalls{t: t}, func(name string) bool { return strings.HasPrefix(name, "acme-sm-") })
	ctx := context.Background()
	repo := Summary{Name: "other-team/app", ARN: "arn:aws:ecr:us-east-1:123456789012:repository/other-team/app"}
	writes := map[string]func() error{
		"Create":        func() error { _, _, err := r.Create(ctx, repo.Name, Settings{}); return err },
		"PutPolicy":     func() error { return r.PutPolicy(ctx, repo.Name, "{}") },
		"Tag":           func() error { return r.Tag(ctx, repo, map[string]string{"a": "b"}) },
		"Untag":         func() error { return r.Untag(ctx, repo, []string{"a"}) },
		"DeleteIfEmpty": func() error { _, err := r.DeleteIfEmpty(ctx, repo.Name); return err },
		"Images":        func() error { _, err := r.Images(ctx, repo.Name); return err },
		"AddImageTag": func() error {
			tag, _ := InUseTag(testDigest)
			return r.AddImageTag(ctx, repo.Name, testDigest, tag)
		},
		"AddImageTag released": func() error {
			tag, _ := ReleasedTag(testDigest)
			return r.AddImageTag(ctx, repo.Name, testDigest, tag)
		},
		"RemoveInUseTag": func() error { return r.RemoveInUseTag(ctx, repo.Name, testDigest) },
	}
	for name, write := range writes {
		t.Run(name, func(t *testing.T) {
			// A call would reach the nil embedded API and panic.
			if err := write(); !errors.Is(err, ErrOutsideNamespace) {
				t.Errorf("got %v; want ErrOutsideNamespace", err)
			}
		})
	}
}
