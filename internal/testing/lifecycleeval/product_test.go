package lifecycleeval_test

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/lifecycle"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/lifecycleeval"
)

// TestProductPolicies evaluates the policies the product writes (lifecycle.Spec.Text) over
// small repositories whose outcome is worked out by hand.
func TestProductPolicies(t *testing.T) {
	tests := []struct {
		name   string
		spec   lifecycle.Spec
		images []lifecycleeval.Image
		want   map[string]int64 // digest -> priority of the rule that expires it
	}{
		{
			name:   "plain keep: the newest N, tagged or not",
			spec:   lifecycle.Spec{Keep: 3},
			images: []lifecycleeval.Image{img("t1", 1*day, "v1"), img("u2", 2*day), img("t3", 3*day, "v3"), img("t4", 4*day, "v4"), img("u5", 5*day)},
			want:   map[string]int64{"t4": 1, "u5": 1},
		},
		{
			name: "keep with untagged expiry",
			spec: lifecycle.Spec{Keep: 3, UntaggedDays: 7},
			images: []lifecycleeval.Image{
				img("t1", 1*day, "v1"), img("t2", 2*day, "v2"), img("u3", 3*day), img("t4", 4*day, "v4"), img("t5", 5*day, "v5"),
				img("u10", 10*day),
			},
			// Rule 1 (untagged, 7 days) expires u10. Rule 2 (keep 3) keeps t1, t2 and u3, the
			// newest three: the young untagged u3 takes a place among the N, and could not be
			// expired by rule 2 anyway, since rule 1 selected it.
			want: map[string]int64{"u10": 1, "t4": 2, "t5": 2},
		},
		{
			name: "protected pattern: the in-use image survives however old",
			spec: lifecycle.Spec{Keep: 2, Protected: []string{"sagemaker-in-use-*"}},
			images: []lifecycleeval.Image{
				img("in-use", 400*day, "v0", inUse), img("a", 1*day, "v1"), img("b", 2*day, "v2"), img("c", 3*day, "v3"), img("u", 4*day),
			},
			want: map[string]int64{"c": 2, "u": 2},
		},
		{
			name: "protected in-use image among the newest takes a place among N",
			spec: lifecycle.Spec{Keep: 2, Protected: []string{"sagemaker-in-use-*"}},
			images: []lifecycleeval.Image{
				img("in-use", time.Hour, inUse), img("a", 1*day, "v1"), img("b", 2*day, "v2"),
			},
			// Spec.Keep says so: "It counts protected images too; they are only never expired
			// by it." The guide's evaluation rules agree (see TestEvaluate).
			want: map[string]int64{"b": 2},
		},
		{
			name: "several protected patterns and untagged expiry",
			spec: lifecycle.Spec{Keep: 1, UntaggedDays: 1, Protected: []string{"prod-*", "sagemaker-in-use-*"}},
			images: []lifecycleeval.Image{
				img("new", time.Hour, "v9"), img("u-new", 2*time.Hour), img("u-old", 5*day), img("old", 10*day, "v1"),
				// Each pattern has a rule of its own, so a tag matching either one protects.
				img("prod", 100*day, "prod-7"), img("in-use", 200*day, inUse), img("both", 300*day, "prod-1", inUse),
			},
			// Rules: 1 prod-*, 2 sagemaker-in-use-*, 3 untagged 1 day, 4 keep 1.
			want: map[string]int64{"u-old": 3, "old": 4},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := tt.spec.Text()
			if err := lifecycleeval.Validate(text); err != nil {
				t.Fatalf("the product's policy is invalid: %v\n%s", err, text)
			}
			explained, err := lifecycleeval.Explain(text, tt.images, now)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]int64{}
			for _, e := range explained {
				got[e.Image.Digest] = e.RulePriority
			}
			if diff := gocmp.Diff(tt.want, got); diff != "" {
				t.Errorf("expired digest -> rule priority (-want +got):\n%s\npolicy: %s", diff, text)
			}
		})
	}
}

// TestProductPolicyIntent checks, over random repositories, that the policies the product writes
// expire exactly what the product means by them:
//   - an image carrying a tag that matches a protected pattern is never expired;
//   - with UntaggedDays set, an untagged image is expired exactly when it was pushed more than
//     UntaggedDays days ago (and never by the keep rule, which the untagged rule's selection
//     shields it from);
//   - every other image is expired exactly when it is not among the Keep newest images of the
//     whole repository, protected and untagged images counted.
//
// The expectation is computed here independently of the evaluator (path.Match for patterns, a
// sort for the newest N).
func TestProductPolicyIntent(t *testing.T) {
	specs := []lifecycle.Spec{
		{Keep: 10},
		{Keep: 1},
		{Keep: 5, UntaggedDays: 7},
		{Keep: 3, Protected: []string{"sagemaker-in-use-*"}},
		{Keep: 4, UntaggedDays: 14, Protected: []string{"prod-*", "release-*-final", "sagemaker-in-use-*"}},
		{Keep: lifecycle.MaxRetention, UntaggedDays: lifecycle.MaxUntaggedDays, Protected: []string{"latest"}},
	}
	for seed := uint64(1); seed <= 20; seed++ {
		images := randomImages(rand.New(rand.NewPCG(seed, 7)), 40)
		for _, spec := range specs {
			t.Run(fmt.Sprintf("seed %d keep %d untagged %d protected %v", seed, spec.Keep, spec.UntaggedDays, spec.Protected), func(t *testing.T) {
				if err := spec.Check(); err != nil {
					t.Fatalf("spec: %v", err)
				}
				expired, err := lifecycleeval.Evaluate(spec.Text(), images, now)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, im := range expired {
					got = append(got, im.Digest)
				}
				if diff := gocmp.Diff(intended(spec, images), got); diff != "" {
					t.Errorf("expired digests (-intended +evaluated):\n%s", diff)
				}
			})
		}
	}
}

// intended lists, in input order, the digests the product means spec to expire (see
// TestProductPolicyIntent).
func intended(spec lifecycle.Spec, images []lifecycleeval.Image) []string {
	newest := slices.Clone(images)
	slices.SortFunc(newest, func(a, b lifecycleeval.Image) int {
		return cmp.Or(b.PushedAt.Compare(a.PushedAt), strings.Compare(a.Digest, b.Digest))
	})
	kept := map[string]bool{}
	for _, im := range newest[:min(spec.Keep, len(newest))] {
		kept[im.Digest] = true
	}
	var out []string
	for _, im := range images {
		protected := slices.ContainsFunc(im.Tags, func(tag string) bool {
			return slices.ContainsFunc(spec.Protected, func(p string) bool {
				ok, _ := path.Match(p, tag)
				return ok
			})
		})
		var expire bool
		switch {
		case protected:
		case len(im.Tags) == 0 && spec.UntaggedDays > 0:
			expire = now.Sub(im.PushedAt) > time.Duration(spec.UntaggedDays)*day
		default:
			expire = !kept[im.Digest]
		}
		if expire {
			out = append(out, im.Digest)
		}
	}
	return out
}

// randomImages makes n images pushed within the last 60 days, about a quarter untagged, the
// rest with one to three tags of kinds the product's policies care about.
func randomImages(r *rand.Rand, n int) []lifecycleeval.Image {
	kinds := []func() string{
		func() string { return fmt.Sprintf("v%d", r.IntN(1000)) },
		func() string { return fmt.Sprintf("prod-%d", r.IntN(100)) },
		func() string { return fmt.Sprintf("release-%d-final", r.IntN(100)) },
		func() string { return fmt.Sprintf("release-%d-rc", r.IntN(100)) },
		func() string { return fmt.Sprintf("sagemaker-in-use-%064x", r.Uint64()) },
		func() string { return "latest" },
	}
	images := make([]lifecycleeval.Image, n)
	for i := range images {
		var tags []string
		if r.IntN(4) > 0 {
			for range 1 + r.IntN(3) {
				tags = append(tags, kinds[r.IntN(len(kinds))]())
			}
		}
		// Whole hours, so equal push times occur and the ordering by digest is exercised.
		images[i] = img(fmt.Sprintf("sha256:%02d", i), time.Duration(r.IntN(60*24))*time.Hour, tags...)
	}
	return images
}
