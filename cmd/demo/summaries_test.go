package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestJSONDiff(t *testing.T) {
	for _, tc := range []struct {
		name      string
		want, got string
		diffs     []difference
	}{
		{"same, other key order", `{"a":1,"b":[1,2]}`, `{"b":[1,2],"a":1.0}`, nil},
		{"leaf", `{"rules":[{"selection":{"countNumber":10}}]}`, `{"rules":[{"selection":{"countNumber":99}}]}`,
			[]difference{{Path: "rules[0].selection.countNumber", Want: "10", Got: "99"}}},
		{"absent key and extra element", `{"a":1,"l":[1]}`, `{"b":null,"l":[1,2]}`,
			[]difference{{"a", "1", "(absent)"}, {"l[1]", "(absent)", "2"}, {"b", "(absent)", "null"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := jsonDiff(tc.want, tc.got)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.diffs, got); diff != "" {
				t.Errorf("jsonDiff (-want +got):\n%s", diff)
			}
		})
	}
}
