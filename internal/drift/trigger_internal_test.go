package drift

import (
	"strings"
	"testing"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/config"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/samples"
)

func TestDecodeTrigger(t *testing.T) {
	const (
		path = "/sagemaker-platform/ecr"
		home = "123456789012"
	)
	changed := func(name, account string) []byte {
		return samples.Edit("parameter-store-change.json", func(ev map[string]any) {
			samples.Detail(ev)["name"] = name
			ev["account"] = account
		})
	}
	tests := []struct {
		name    string
		raw     []byte
		want    trigger
		ignored string // a substring of the reason, when ignored
		err     string // a substring of the error
	}{
		{name: "the schedule", raw: samples.Event("scheduled-event.json"), want: trigger{kind: publish.TriggerSchedule}},
		{name: "manual, drift-mode decides", raw: []byte(`{}`), want: trigger{kind: publish.TriggerManual}},
		{name: "manual report", raw: []byte(`{"mode":"report"}`), want: trigger{kind: publish.TriggerManual, mode: config.ModeReport}},
		{name: "manual with a mode that is none", raw: []byte(`{"mode":"dry-run"}`), err: `mode "dry-run"`},
		{name: "manual with an unknown field", raw: []byte(`{"mode":"fix","force":true}`), err: "manual payload"},
		{name: "not an object", raw: []byte(`[1]`), err: "not a JSON object"},
		{name: "a retention changed", raw: changed(path+"/image-retention", home), want: trigger{kind: publish.TriggerConfigChange}},
		{name: "a pull access parameter changed", raw: changed(path+"/pull-accounts", home), want: trigger{kind: publish.TriggerConfigChange, access: true}},
		{name: "an exemption changed", raw: changed(path+"/lifecycle-exempt", home), want: trigger{kind: publish.TriggerConfigChange, access: true}},
		{name: "an override's pull access changed", raw: changed(path+"/overrides/acme-sm-a-b/pull-accounts", home), want: trigger{kind: publish.TriggerConfigChange, access: true}},
		{name: "a sibling path", raw: changed(path+"-staging/image-retention", home), ignored: "not under"},
		{name: "the state itself", raw: changed(path+"-state", home), ignored: "not under"},
		{name: "another account's change", raw: changed(path+"/image-retention", "222233334444"), ignored: "account 222233334444"},
		{name: "a hand edit", raw: samples.Event("ecr-put-lifecycle-policy.json"), want: trigger{kind: publish.TriggerRepair,
			edit: &edit{Call: "PutLifecyclePolicy", Repository: "acme-sm-data-science-churn-model/training"}, at: place{"aws-iso", "us-east-1"}}},
		{name: "a project event is not the reconciler's", raw: samples.Event("create-project.json"), ignored: "aws.sagemaker"},
		{name: "an endpoint created", raw: samples.Event("create-endpoint.json"), want: trigger{kind: publish.TriggerInUse,
			use: &useRecord{Call: "CreateEndpoint", Kind: "endpoint", Name: "churn-model-prod", Account: home}}},
		{name: "an endpoint updated", raw: samples.Event("update-endpoint.json"), want: trigger{kind: publish.TriggerInUse,
			use: &useRecord{Call: "UpdateEndpoint", Kind: "endpoint", Name: "churn-model-prod", Account: home}}},
		{name: "a model package approved", raw: samples.Event("update-model-package.json"), want: trigger{kind: publish.TriggerInUse,
			use: &useRecord{Call: "UpdateModelPackage", Kind: "model-package", Name: "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn-model-group/3", Account: home}}},
		{name: "a member's endpoint, forwarded", raw: samples.Edit("create-endpoint.json", func(ev map[string]any) { ev["account"] = "222233334444" }),
			want: trigger{kind: publish.TriggerInUse, use: &useRecord{Call: "CreateEndpoint", Kind: "endpoint", Name: "churn-model-prod", Account: "222233334444"}}},
		{name: "a failed endpoint creation", raw: samples.Edit("create-endpoint.json", func(ev map[string]any) { samples.Detail(ev)["errorCode"] = "ValidationException" }),
			ignored: "failed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeTrigger(tc.raw, path, home, "aws-iso")
			switch {
			case tc.err != "":
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("error %v; want one saying %q", err, tc.err)
				}
				return
			case err != nil:
				t.Fatalf("decodeTrigger: %v", err)
			case tc.ignored != "":
				if !strings.Contains(got.ignored, tc.ignored) || got.kind != "" {
					t.Errorf("got %+v; want ignored, saying %q", got, tc.ignored)
				}
				return
			}
			if got.edit != nil && tc.want.edit != nil {
				if got.edit.Call != tc.want.edit.Call || got.edit.Repository != tc.want.edit.Repository {
					t.Errorf("edit %+v; want %+v", *got.edit, *tc.want.edit)
				}
				got.edit, tc.want.edit = nil, nil
			}
			if got.use != nil && tc.want.use != nil {
				if *got.use != *tc.want.use {
					t.Errorf("use %+v; want %+v", *got.use, *tc.want.use)
				}
				got.use, tc.want.use = nil, nil
			}
			if got != tc.want {
				t.Errorf("got %+v; want %+v", got, tc.want)
			}
		})
	}
}
