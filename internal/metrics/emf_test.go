package metrics

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestWriteIsValidEMF(t *testing.T) {
	var buf bytes.Buffer
	now := time.UnixMilli(1795000000000)
	err := Write(&buf, now, map[string]string{"Mode": "fix", "Function": "drift"},
		Metric{Name: "Scanned", Value: 3, Unit: "Count"}, Metric{Name: "Duration", Value: 12.5, Unit: "Milliseconds"})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Count(buf.Bytes(), []byte("\n")) != 1 {
		t.Fatalf("got %q; want one line", buf.String())
	}
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"Function": "drift", "Mode": "fix", "Scanned": 3.0, "Duration": 12.5,
		"_aws": map[string]any{
			"Timestamp": 1795000000000.0,
			"CloudWatchMetrics": []any{map[string]any{
				"Namespace":  Namespace,
				"Dimensions": []any{[]any{"Function", "Mode"}},
				"Metrics": []any{
					map[string]any{"Name": "Scanned", "Unit": "Count"},
					map[string]any{"Name": "Duration", "Unit": "Milliseconds"},
				},
			}},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("EMF line (-want +got):\n%s", diff)
	}
}
