package lifecycleeval

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"
)

// Image is one image of a repository as a lifecycle policy sees it.
type Image struct {
	// Digest identifies the image; it also orders images pushed at the same instant.
	Digest string
	// Tags are the image's tags; an image without tags is untagged.
	Tags []string
	// PushedAt is when the image was pushed.
	PushedAt time.Time
}

// Expiry is an image a policy expires and the rule that expires it.
type Expiry struct {
	// Image is the expired image.
	Image Image
	// RulePriority is the rulePriority of the rule that expires it.
	RulePriority int64
}

// day is the unit of countUnit days.
const day = 24 * time.Hour

// Evaluate returns the images, of those given, that policyText expires when ECR evaluates it at
// now, in the order they were given. An invalid policy is an error naming its problems, and
// nothing is expired. See the package documentation for the rules applied.
func Evaluate(policyText string, images []Image, now time.Time) (expired []Image, err error) {
	exp, err := Explain(policyText, images, now)
	if err != nil {
		return nil, err
	}
	for _, e := range exp {
		expired = append(expired, e.Image)
	}
	return expired, nil
}

// Explain is Evaluate that also says which rule expires each image.
func Explain(policyText string, images []Image, now time.Time) ([]Expiry, error) {
	rules, err := parse(policyText)
	if err != nil {
		return nil, err
	}
	// seen[i]: image i matched the selection of a rule already applied, so no later rule may
	// expire it. expired[i]: a rule expires it, the one of priority expiredBy[i].
	seen := make([]bool, len(images))
	expired := make([]bool, len(images))
	expiredBy := make([]int64, len(images))
	for _, r := range rules {
		var selected []int
		for i, img := range images {
			if r.selects(img) {
				selected = append(selected, i)
			}
		}
		// The rule counts every image it selects, seen or not, and marks among them; it only
		// skips the seen ones when it expires.
		for _, i := range r.marks(selected, images, now) {
			if !seen[i] {
				expired[i], expiredBy[i] = true, r.priority
			}
		}
		for _, i := range selected {
			seen[i] = true
		}
	}
	var out []Expiry
	for i, img := range images {
		if expired[i] {
			out = append(out, Expiry{Image: img, RulePriority: expiredBy[i]})
		}
	}
	return out, nil
}

// selects reports whether img matches the rule's tag selection.
func (r rule) selects(img Image) bool {
	switch r.status {
	case statusAny:
		return true
	case statusUntagged:
		return len(img.Tags) == 0
	}
	if len(img.Tags) == 0 {
		return false
	}
	match := strings.HasPrefix
	list := r.prefixes
	if r.patterns != nil {
		match, list = wildcardMatch, r.patterns
	}
	for _, entry := range list {
		if !slices.ContainsFunc(img.Tags, func(tag string) bool { return match(tag, entry) }) {
			return false
		}
	}
	return true
}

// marks returns the images among selected (indexes into images) that the rule's count marks
// for expiry.
func (r rule) marks(selected []int, images []Image, now time.Time) []int {
	switch r.countType {
	case countImages:
		newestFirst := slices.Clone(selected)
		slices.SortStableFunc(newestFirst, func(a, b int) int {
			return cmp.Or(images[b].PushedAt.Compare(images[a].PushedAt), strings.Compare(images[a].Digest, images[b].Digest))
		})
		if int64(len(newestFirst)) <= r.count {
			return nil
		}
		return newestFirst[r.count:]
	case countSincePush:
		if r.count > math.MaxInt64/int64(day) {
			return nil // longer ago than time.Time arithmetic reaches: nothing is that old
		}
		limit := time.Duration(r.count) * day
		var out []int
		for _, i := range selected {
			if now.Sub(images[i].PushedAt) > limit {
				out = append(out, i)
			}
		}
		return out
	}
	return nil
}

// wildcardMatch reports whether the whole of tag matches pattern, in which '*' stands for any
// run of characters (the empty one too) and every other character for itself.
func wildcardMatch(tag, pattern string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return tag == pattern
	}
	rest, ok := strings.CutPrefix(tag, parts[0])
	if !ok {
		return false
	}
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		j := strings.Index(rest, p)
		if j < 0 {
			return false
		}
		rest = rest[j+len(p):]
	}
	return strings.HasSuffix(rest, last)
}
