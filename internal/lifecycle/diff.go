package lifecycle

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Leaf is one place where two policies differ by meaning: a path such as
// rules[0].selection.countNumber, and the values there ("(absent)" for nothing).
type Leaf struct {
	Path, Want, Got string
}

// Differences lists the leaves where actual differs from desired, in the form Equal compares
// (rules sorted by priority, descriptions left out, numbers by value), so a person sees
// "countNumber 10, found 99" rather than two documents. It fails as Equal does on a text that
// is not a policy document.
func Differences(desired, actual string) ([]Leaf, error) {
	var docs [2]any
	for i, text := range []string{desired, actual} {
		form, err := comparisonForm(text)
		if err != nil {
			return nil, fmt.Errorf("%s lifecycle policy: %w", [2]string{"desired", "actual"}[i], err)
		}
		dec := json.NewDecoder(strings.NewReader(form))
		dec.UseNumber()
		if err := dec.Decode(&docs[i]); err != nil {
			return nil, err
		}
	}
	var out []Leaf
	diffValues("", docs[0], docs[1], &out)
	return out, nil
}

// absent stands for a missing array element or object key.
type absent struct{}

func diffValues(path string, want, got any, out *[]Leaf) {
	wm, wok := want.(map[string]any)
	gm, gok := got.(map[string]any)
	if wok && gok {
		keys := slices.Sorted(maps.Keys(wm))
		for _, k := range slices.Sorted(maps.Keys(gm)) {
			if _, ok := wm[k]; !ok {
				keys = append(keys, k)
			}
		}
		for _, k := range keys {
			diffValues(strings.TrimPrefix(path+"."+k, "."), valueAt(wm, k), valueAt(gm, k), out)
		}
		return
	}
	wa, wok := want.([]any)
	ga, gok := got.([]any)
	if wok && gok {
		for i := range max(len(wa), len(ga)) {
			diffValues(fmt.Sprintf("%s[%d]", path, i), elementAt(wa, i), elementAt(ga, i), out)
		}
		return
	}
	if ws, gs := leafText(want), leafText(got); ws != gs {
		*out = append(*out, Leaf{Path: path, Want: ws, Got: gs})
	}
}

func valueAt(m map[string]any, k string) any {
	if v, ok := m[k]; ok {
		return v
	}
	return absent{}
}

func elementAt(l []any, i int) any {
	if i < len(l) {
		return l[i]
	}
	return absent{}
}

func leafText(v any) string {
	if _, ok := v.(absent); ok {
		return "(absent)"
	}
	text, err := encode(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return text
}
