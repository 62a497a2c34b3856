package drift

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/config"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/inuse"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/naming"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
)

// trigger is what started a run, and the mode it asks for ("" means drift-mode decides).
type trigger struct {
	kind publish.Trigger
	mode config.Mode
	// ignored, when set, says why the event is not for this function.
	ignored string
	// access is set when a pull access parameter changed.
	access bool
	// edit, for an aws.ecr CloudTrail record, is the hand edit to repair, and at the partition
	// and Region the record came from.
	edit *edit
	at   place
	// use, for an aws.sagemaker CloudTrail record that puts images into use, names the
	// resource whose images are to be protected at once (protect-in-use).
	use *useRecord
}

// useRecord is a SageMaker resource a record says was created or changed, in the account the
// record came from (a member's, forwarded).
type useRecord struct {
	Call, Kind, Name, Account string
}

// useCalls are the SageMaker calls that put images into use, and the kind of what they name.
var useCalls = map[string]string{
	"CreateEndpoint": inuse.KindEndpoint, "UpdateEndpoint": inuse.KindEndpoint,
	"CreateInferenceComponent": inuse.KindInferenceComponent, "UpdateInferenceComponent": inuse.KindInferenceComponent,
	"CreateModelPackage": inuse.KindModelPackage, "UpdateModelPackage": inuse.KindModelPackage,
}

// edit is a call someone made on one repository, as CloudTrail recorded it.
type edit struct {
	// Call is the CloudTrail eventName, e.g. PutLifecyclePolicy.
	Call string
	// Repository is the repository it named.
	Repository string
	// By is who made it (userIdentity.arn), for the log.
	By string
}

// repairCalls are the ECR calls whose record starts the repair of the repository they name.
var repairCalls = []string{"PutLifecyclePolicy", "DeleteLifecyclePolicy", "SetRepositoryPolicy", "DeleteRepositoryPolicy",
	"PutImageTagMutability", "TagResource", "UntagResource", "DeleteRepository"}

// decodeTrigger reads the invocation payload: an EventBridge Scheduled Event, a Parameter Store
// Change under the configuration path, an ECR hand edit's CloudTrail record, or a manual {} /
// {"mode":"report"|"fix"}. An event of another account than home is ignored: a bus that takes
// member accounts' project events could bring their own configuration changes and ECR calls
// too, and those say nothing about this account's registry.
func decodeTrigger(raw []byte, configPath, home, partition string) (trigger, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(raw, &probe); err != nil || probe == nil {
		return trigger{}, fmt.Errorf("payload is not a JSON object: want {}, {\"mode\":\"report\"}, {\"mode\":\"fix\"} or an EventBridge event")
	}
	if _, isEvent := probe["detail-type"]; !isEvent {
		var manual struct {
			Mode config.Mode `json:"mode"`
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&manual); err != nil {
			return trigger{}, fmt.Errorf("manual payload: %v: want {}, {\"mode\":\"report\"} or {\"mode\":\"fix\"}", err)
		}
		switch manual.Mode {
		case "", config.ModeFix, config.ModeReport:
			return trigger{kind: publish.TriggerManual, mode: manual.Mode}, nil
		}
		return trigger{}, fmt.Errorf("manual payload: mode %q: want %q or %q", manual.Mode, config.ModeReport, config.ModeFix)
	}
	var ev events.EventBridgeEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		return trigger{}, fmt.Errorf("EventBridge event: %v", err)
	}
	if ev.Source == "aws.sagemaker" && ev.DetailType == "AWS API Call via CloudTrail" {
		// A member's record comes forwarded: whether its account is served is the run's to say.
		return decodeUse(ev.Detail, ev.AccountID)
	}
	if home != "" && ev.AccountID != "" && ev.AccountID != home {
		return trigger{ignored: fmt.Sprintf("an event of account %s (%s, %s): the reconciler takes only this account's (%s)", ev.AccountID, ev.Source, ev.DetailType, home)}, nil
	}
	switch {
	case ev.Source == "aws.events" && ev.DetailType == "Scheduled Event":
		return trigger{kind: publish.TriggerSchedule}, nil
	case ev.Source == "aws.ssm" && ev.DetailType == "Parameter Store Change":
		var change struct {
			Name string `json:"name"`
		}
		if err := json.Unmarshal(ev.Detail, &change); err != nil {
			return trigger{}, fmt.Errorf("detail of the Parameter Store Change: %v", err)
		}
		rel, under := strings.CutPrefix(change.Name, strings.TrimRight(configPath, "/")+"/")
		if !under {
			return trigger{ignored: fmt.Sprintf("parameter %q is not under %s", change.Name, configPath)}, nil
		}
		return trigger{kind: publish.TriggerConfigChange, access: config.AccessParameter(rel)}, nil
	case ev.Source == "aws.ecr" && ev.DetailType == "AWS API Call via CloudTrail":
		t, err := decodeEdit(ev.Detail)
		t.at = place{partition: cmp.Or(partition, "aws"), region: ev.Region}
		return t, err
	}
	return trigger{ignored: fmt.Sprintf("source %q, detail-type %q", ev.Source, ev.DetailType)}, nil
}

// decodeEdit reads the CloudTrail record of an ECR call. Records that cannot start a repair (a
// failed call, another call, no repository named, a record that does not parse) are ignored
// with the reason: retrying them cannot help, and the sweep still sees every repository.
func decodeEdit(detail json.RawMessage) (trigger, error) {
	var ct struct {
		EventName         string `json:"eventName"`
		ErrorCode         string `json:"errorCode"`
		RequestParameters *struct {
			RepositoryName string `json:"repositoryName"`
			ResourceArn    string `json:"resourceArn"`
		} `json:"requestParameters"`
		UserIdentity struct {
			ARN string `json:"arn"`
		} `json:"userIdentity"`
	}
	if err := json.Unmarshal(detail, &ct); err != nil {
		return trigger{ignored: fmt.Sprintf("malformed ECR CloudTrail record: %v", err)}, nil
	}
	switch {
	case ct.ErrorCode != "":
		return trigger{ignored: fmt.Sprintf("%s failed with %s; nothing changed", ct.EventName, ct.ErrorCode)}, nil
	case !slices.Contains(repairCalls, ct.EventName):
		return trigger{ignored: fmt.Sprintf("ECR call %q changes nothing the product keeps", ct.EventName)}, nil
	case ct.RequestParameters == nil:
		return trigger{ignored: fmt.Sprintf("malformed ECR CloudTrail record: %s without requestParameters", ct.EventName)}, nil
	}
	name := ct.RequestParameters.RepositoryName
	if name == "" {
		// TagResource and UntagResource name the repository by its ARN.
		_, name, _ = strings.Cut(ct.RequestParameters.ResourceArn, ":repository/")
	}
	if err := naming.CheckRepository(name); err != nil {
		return trigger{ignored: fmt.Sprintf("malformed ECR CloudTrail record: %s names no repository (%v)", ct.EventName, err)}, nil
	}
	return trigger{kind: publish.TriggerRepair, edit: &edit{Call: ct.EventName, Repository: name, By: ct.UserIdentity.ARN}}, nil
}

// decodeUse reads the CloudTrail record of a SageMaker call that puts images into use. Any
// other record, or one that does not name its resource, is ignored with the reason.
func decodeUse(detail json.RawMessage, account string) (trigger, error) {
	var ct struct {
		EventName         string `json:"eventName"`
		ErrorCode         string `json:"errorCode"`
		RequestParameters struct {
			EndpointName           string `json:"endpointName"`
			InferenceComponentName string `json:"inferenceComponentName"`
			ModelPackageArn        string `json:"modelPackageArn"`
		} `json:"requestParameters"`
		ResponseElements struct {
			ModelPackageArn string `json:"modelPackageArn"`
		} `json:"responseElements"`
	}
	if err := json.Unmarshal(detail, &ct); err != nil {
		return trigger{ignored: fmt.Sprintf("malformed SageMaker CloudTrail record: %v", err)}, nil
	}
	kind, ok := useCalls[ct.EventName]
	switch {
	case ct.ErrorCode != "":
		return trigger{ignored: fmt.Sprintf("%s failed with %s; nothing changed", ct.EventName, ct.ErrorCode)}, nil
	case !ok:
		return trigger{ignored: fmt.Sprintf("aws.sagemaker call %q puts no image into use", ct.EventName)}, nil
	}
	name := cmp.Or(ct.RequestParameters.EndpointName, ct.RequestParameters.InferenceComponentName,
		ct.RequestParameters.ModelPackageArn, ct.ResponseElements.ModelPackageArn)
	if name == "" {
		return trigger{ignored: fmt.Sprintf("malformed SageMaker CloudTrail record: %s names no resource", ct.EventName)}, nil
	}
	return trigger{kind: publish.TriggerInUse, use: &useRecord{Call: ct.EventName, Kind: kind, Name: name, Account: account}}, nil
}
