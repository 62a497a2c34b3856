package publish_test

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
)

// The contract, one sample a detail type: testdata/events/<detail type>.json holds a detail as
// consumers receive it. Each decodes into its Go type with no field left over, and encodes back
// to the same JSON, so a field renamed, dropped or added in the code fails here first.
func TestDetailSamplesRoundTrip(t *testing.T) {
	samples := map[string]struct {
		file   string
		detail func() any
	}{
		publish.RepositoriesProvisioned: {"repositories-provisioned.json", func() any { return &publish.ProvisionedDetail{} }},
		publish.ProvisioningFailed:      {"provisioning-failed.json", func() any { return &publish.FailedDetail{} }},
		publish.RepositoriesRetained:    {"project-repositories-retained.json", func() any { return &publish.RetiredDetail{} }},
		publish.RepositoriesDeleted:     {"project-repositories-deleted.json", func() any { return &publish.RetiredDetail{} }},
		publish.DriftDetected:           {"lifecycle-drift-detected.json", func() any { return &publish.DriftDetail{} }},
		publish.DriftFixed:              {"lifecycle-drift-fixed.json", func() any { return &publish.DriftDetail{} }},
		publish.ReconcileCompleted:      {"reconcile-completed.json", func() any { return &publish.ReconcileSummary{} }},
		publish.ConfigurationInvalid:    {"configuration-invalid.json", func() any { return &publish.ConfigurationReport{} }},
	}
	if got, want := slices.Sorted(maps.Keys(samples)), publish.DetailTypes(); !slices.Equal(got, want) {
		t.Errorf("samples for %v; want one for every detail type %v", got, want)
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "events", "*.json"))
	if len(files) != len(samples) {
		t.Errorf("%d sample files; want %d, one a detail type", len(files), len(samples))
	}
	for detailType, s := range samples {
		t.Run(detailType, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", "events", s.file))
			if err != nil {
				t.Fatal(err)
			}
			v := s.detail()
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(v); err != nil {
				t.Fatalf("%s into %s: %v", s.file, reflect.TypeOf(v).Elem(), err)
			}
			again, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			var want, got any
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(again, &got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s encoded back (-sample +code):\n%s", s.file, diff)
			}
		})
	}
}
