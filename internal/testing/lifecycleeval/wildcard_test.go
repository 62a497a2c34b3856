package lifecycleeval

import (
	"path"
	"testing"
	"unicode/utf8"
)

func TestWildcardMatch(t *testing.T) {
	tests := []struct {
		tag, pattern string
		want         bool
	}{
		{"prod", "prod", true},
		{"prod1", "prod", false}, // a pattern without '*' is the whole tag
		{"prod", "prod*", true},  // '*' may stand for nothing
		{"prod1", "prod*", true},
		{"xprod", "prod*", false},
		{"latest", "*", true},
		{"a", "a*a", false}, // the two a's cannot be the same character
		{"aa", "a*a", true},
		{"abcabc", "*bc*bc", true},
		{"abcab", "*bc*bc", false},
		{"release--final", "release-*-final", true},
		{"release-final", "release-*-final", false},
		{"v1.2.3", "v*.*.*", true},
		{"v1.2", "v*.*.*", false},
		{"x", "**", true},
		{"sagemaker-in-use-ab12", "sagemaker-in-use-*", true},
	}
	for _, tt := range tests {
		if got := wildcardMatch(tt.tag, tt.pattern); got != tt.want {
			t.Errorf("wildcardMatch(%q, %q) = %t; want %t", tt.tag, tt.pattern, got, tt.want)
		}
		// Image tags hold no '/', '?', '[' or '\', so path.Match means the same there.
		if ref, err := path.Match(tt.pattern, tt.tag); err != nil || ref != tt.want {
			t.Errorf("path.Match(%q, %q) = %t, %v; the table is wrong", tt.pattern, tt.tag, ref, err)
		}
	}
}

// FuzzWildcardMatch checks wildcardMatch against path.Match over tag-like strings.
func FuzzWildcardMatch(f *testing.F) {
	f.Add("release-1-final", "release-*-final")
	f.Add("aaa", "a*a*a")
	f.Fuzz(func(t *testing.T, tag, pattern string) {
		for _, s := range []string{tag, pattern} {
			if !utf8.ValidString(s) {
				return
			}
			for _, c := range s {
				if c == '/' || c == '?' || c == '[' || c == '\\' {
					return
				}
			}
		}
		want, err := path.Match(pattern, tag)
		if err != nil {
			return
		}
		if got := wildcardMatch(tag, pattern); got != want {
			t.Fatalf("wildcardMatch(%q, %q) = %t; path.Match says %t", tag, pattern, got, want)
		}
	})
}
