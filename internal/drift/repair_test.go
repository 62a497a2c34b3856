package drift_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/account"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/memworld"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/samples"
)

// The repository the sample hand-edit records name.
const edited = "acme-sm-data-science-churn-model/training"

// memChurnWorld is a world with the Churn-Model project live in SageMaker and its repositories
// made by the product, as after its CreateProject.
func memChurnWorld(t *testing.T, extra map[string]string) *memworld.World {
	t.Helper()
	w := memworld.New(t)
	cfg := map[string]string{"company": "acme", "shared-repos": "none"}
	for k, v := range extra {
		cfg[k] = v
	}
	w.PutConfig(t, cfg)
	w.SageMaker.PutProject("Churn-Model", "p-1a2b3c4d5e6f", map[string]string{"team": "data-science"})
	if sum, err := w.Service().Handle(memworld.Deadline(t), manual("fix")); err != nil || sum.Created < 3 {
		t.Fatalf("set-up run: %+v, %v; want the project's 3 repositories (and the shared ones)", sum, err)
	}
	w.Rec.Clear()
	return w
}

// record is the sample CloudTrail record name, edited by fn.
func record(name string, fn func(ev map[string]any)) json.RawMessage {
	if fn == nil {
		return samples.Event(name)
	}
	return samples.Edit(name, fn)
}

// deleteByHand deletes the repository as a person would, and returns CloudTrail's record of it.
func deleteByHand(t *testing.T, w *memworld.World, name string) json.RawMessage {
	t.Helper()
	w.DeleteByHand(t, name)
	return record("ecr-put-lifecycle-policy.json", func(ev map[string]any) {
		samples.Detail(ev)["eventName"] = "DeleteRepository"
		samples.Detail(ev)["requestParameters"] = map[string]any{"repositoryName": name, "force": true}
	})
}

func TestReportModeRepairOnlyReports(t *testing.T) {
	w := memChurnWorld(t, map[string]string{"drift-mode": "report"})
	w.EditRetentionByHand(t, edited, 99)
	sum, err := w.Service().Handle(memworld.Deadline(t), record("ecr-put-lifecycle-policy.json", nil))
	if err != nil || sum.Drifted != 1 || sum.Fixed != 0 {
		t.Errorf("report repair: %+v, %v; want drifted, not fixed", sum, err)
	}
	if got := ecrWrites(w.Rec); len(got) != 0 {
		t.Errorf("report mode wrote %v", got)
	}
}

func TestRemovedTeamTagIsPutBackByTheRepair(t *testing.T) {
	w := memChurnWorld(t, nil)
	w.UntagByHand(t, edited, "team")
	sum, err := w.Service().Handle(memworld.Deadline(t), record("ecr-untag-resource.json", nil))
	if err != nil || sum.Fixed != 1 {
		t.Fatalf("repair: %+v, %v; want the tag put back", sum, err)
	}
	if got := w.Repository(t, edited).Tags["team"]; got != "data-science" {
		t.Errorf("team tag: %q; want data-science, from the project's own tags", got)
	}
	if got := ecrWrites(w.Rec); !slices.Equal(got, []string{"TagResource " + edited}) {
		t.Errorf("writes: %v; want the one TagResource", got)
	}
}

func TestDeletedRepositoryIsCreatedAgain(t *testing.T) {
	for _, tc := range []struct {
		name, repository string
	}{
		{"of a live project", edited},
		{"shared", "acme-sagemaker-shared/base-sklearn"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := memChurnWorld(t, map[string]string{"shared-repos": "base-sklearn"})
			sink := w.CaptureEvents(t)
			deleted := deleteByHand(t, w, tc.repository)
			sum, err := w.Service().Handle(memworld.Deadline(t), deleted)
			if err != nil || sum.Created != 1 || sum.Missing != 1 {
				t.Fatalf("repair: %+v, %v; want the repository created again", sum, err)
			}
			r := w.Repository(t, tc.repository)
			if n, _ := r.Retention(); n != 10 || r.Tags["managed-by"] != "sagemaker-ecr-provisioner" {
				t.Errorf("created again: %+v; want tagged, with its policy", r)
			}
			if strings.Contains(tc.repository, "-sm-") && r.Tags["team"] != "data-science" {
				t.Errorf("tags %v; want the owner's", r.Tags)
			}
			if got := account.ByType(sink.Drain(t)); got[publish.RepositoriesProvisioned] != 1 {
				t.Errorf("events: %v; want it announced", got)
			}
		})
	}
}

// A deleted repository is not brought back when nothing wants it: its project is gone or being
// deleted, or the configuration creates no project repositories.
func TestDeletedRepositoryIsNotCreatedAgainUnlessWanted(t *testing.T) {
	for _, tc := range []struct {
		name    string
		arrange func(w *memworld.World)
	}{
		{"project deleted", func(w *memworld.World) { w.SageMaker.DeleteProject("Churn-Model") }},
		{"project being deleted", func(w *memworld.World) {
			if err := w.SageMaker.SetStatus("Churn-Model", "DeleteInProgress"); err != nil {
				t.Fatal(err)
			}
		}},
		{"create-project-repos false", func(w *memworld.World) {
			w.PutConfig(t, map[string]string{"create-project-repos": "false"})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := memChurnWorld(t, nil)
			tc.arrange(w)
			deleted := deleteByHand(t, w, edited)
			w.Rec.Clear()
			sum, err := w.Service().Handle(memworld.Deadline(t), deleted)
			if err != nil || sum.Status != "ignored" || sum.Created != 0 {
				t.Errorf("repair: %+v, %v; want ignored: nothing wants it back", sum, err)
			}
			if got := ecrWrites(w.Rec); len(got) != 0 {
				t.Errorf("writes: %v", got)
			}
		})
	}
}

func TestRecordsThatCannotStartARepairAreIgnored(t *testing.T) {
	w := memChurnWorld(t, nil)
	for _, tc := range []struct {
		name   string
		record json.RawMessage
		reason string
	}{
		{"unmanaged repository", record("ecr-put-lifecycle-policy.json", func(ev map[string]any) {
			samples.RequestParameters(ev)["repositoryName"] = "other-team/app"
		}), "not in the managed namespaces"},
		{"a failed call", record("ecr-put-lifecycle-policy.json", func(ev map[string]any) {
			samples.Detail(ev)["errorCode"] = "AccessDenied"
		}), "failed with AccessDenied"},
		{"a call that changes nothing kept", record("ecr-put-lifecycle-policy.json", func(ev map[string]any) {
			samples.Detail(ev)["eventName"] = "BatchGetImage"
		}), `"BatchGetImage"`},
		{"no repository named", record("ecr-untag-resource.json", func(ev map[string]any) {
			samples.RequestParameters(ev)["resourceArn"] = "arn:aws:ecr:us-east-1:123456789012:repository/"
		}), "names no repository"},
		{"requestParameters missing", record("ecr-put-lifecycle-policy.json", func(ev map[string]any) {
			delete(samples.Detail(ev), "requestParameters")
		}), "without requestParameters"},
		{"detail not an object", record("ecr-put-lifecycle-policy.json", func(ev map[string]any) {
			ev["detail"] = "oops"
		}), "malformed"},
		{"another account's record", record("ecr-put-lifecycle-policy.json", func(ev map[string]any) {
			ev["account"] = "222233334444"
		}), "only this account's"},
		{"exempt repository", record("ecr-put-lifecycle-policy.json", func(ev map[string]any) {
			samples.RequestParameters(ev)["repositoryName"] = "acme-sm-data-science-churn-model/inference"
		}), "lifecycle-exempt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w.PutConfig(t, map[string]string{"lifecycle-exempt": "acme-sm-data-science-churn-model/inference"})
			w.Rec.Clear()
			sum, err := w.Service().Handle(memworld.Deadline(t), tc.record)
			if err != nil || sum.Status != "ignored" || !strings.Contains(sum.Reason, tc.reason) {
				t.Errorf("got %q %q, %v; want ignored, the reason naming %q", sum.Status, sum.Reason, err, tc.reason)
			}
			if got := ecrWrites(w.Rec); len(got) != 0 {
				t.Errorf("writes: %v; want none", got)
			}
		})
	}
}
