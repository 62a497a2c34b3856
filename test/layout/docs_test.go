package layout

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var (
	mdLink    = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	mdHeading = regexp.MustCompile(`(?m)^#{1,6} (.+)$`)
	fence     = regexp.MustCompile("(?s)```.*?```")
)

// anchor is the id GitHub gives a heading: lower case, punctuation but '-' dropped, spaces
// made '-'.
func anchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(heading)) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-':
			b.WriteRune(r)
		case r == ' ':
			b.WriteRune('-')
		}
	}
	return b.String()
}

// TestDocumentationLinks: every relative link of the README, DEVELOPMENT.md and docs/ names a
// file of the tree, and every #anchor a heading of the file it points into, so that moving a
// section cannot leave a reader at a dead end.
func TestDocumentationLinks(t *testing.T) {
	root := filepath.Join("..", "..")
	docs, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	docs = append(docs, filepath.Join(root, "README.md"), filepath.Join(root, "DEVELOPMENT.md"))
	headings := map[string]map[string]bool{}
	read := func(path string) string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return fence.ReplaceAllString(string(b), "")
	}
	idsOf := func(path string) map[string]bool {
		if ids, ok := headings[path]; ok {
			return ids
		}
		ids := map[string]bool{}
		for _, m := range mdHeading.FindAllStringSubmatch(read(path), -1) {
			ids[anchor(m[1])] = true
		}
		headings[path] = ids
		return ids
	}
	links := 0
	for _, doc := range docs {
		for _, m := range mdLink.FindAllStringSubmatch(read(doc), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			links++
			path, id, _ := strings.Cut(target, "#")
			file := doc
			if path != "" {
				file = filepath.Join(filepath.Dir(doc), path)
			}
			if _, err := os.Stat(file); err != nil {
				t.Errorf("%s links to %s: no such file", doc, target)
				continue
			}
			if id != "" && strings.HasSuffix(file, ".md") && !idsOf(file)[id] {
				t.Errorf("%s links to %s: %s has no heading #%s", doc, target, file, id)
			}
		}
	}
	if links < 10 {
		t.Errorf("found %d links; the documentation has more: is the pattern wrong?", links)
	}
}
