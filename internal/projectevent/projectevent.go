// Package projectevent turns the EventBridge events that concern SageMaker projects, and
// SageMaker Unified Studio (Amazon DataZone) projects, into one plain value: "project P
// changed" or "project P was deleted".
//
// An event is a trigger, not the truth: it says which project to look at. Tags are passed on
// only where the event carries the project's full current tag set (CreateProject, Tag Change on
// Resource); after AddTags, DeleteTags and UpdateProject the caller reads the current tags from
// SageMaker, so duplicated and out-of-order events converge on the same result.
package projectevent

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// Action is what happened to the project.
type Action string

// The two things an event can say about a project.
const (
	// Sync: the project exists and may have changed; bring its repositories in line.
	Sync Action = "sync"
	// Delete: the project was deleted.
	Delete Action = "delete"
)

// Change is the project an event is about.
type Change struct {
	Action Action
	// Trigger names the event: the CloudTrail eventName, or the EventBridge detail-type.
	Trigger string
	// EventID is the EventBridge event id, for logs.
	EventID string
	// Time is when the event happened, as EventBridge stamped it; zero when absent.
	Time time.Time
	// Project is the SageMaker project name as the event spells it (ARNs spell it in lower case).
	Project string
	// ARN is the project's ARN: as the event names it, or, for an UpdateProject record that
	// does not, as SageMaker spells it in the event's Region and account. Empty for
	// DeleteProject, and for a CreateProject record without its response (it carries the tags).
	ARN string
	// Account is the account the project lives in: the event's account (EventBridge keeps a
	// forwarded event's sender there), which the project ARN, where there is one, must match.
	Account string
	// ProjectID is the project's id (p-...) when the event carries it; a Unified Studio
	// project's DataZone id, always.
	ProjectID string
	// Domain is the DataZone domain of a SageMaker Unified Studio project; empty for a
	// SageMaker project. Such a change names no ARN and carries no tags: the project is read
	// back from DataZone.
	Domain string
	// Tags is the project's full tag set when the event carries it; nil means "read it".
	Tags map[string]string
}

// ErrIgnored marks an event that is not about a SageMaker project: not a failure, just not ours.
var ErrIgnored = errors.New("event ignored")

// Error is an event that claims to be about a project but cannot be read: bad JSON, a missing
// field, a value of the wrong type. Retrying it cannot help.
type Error struct {
	Reason string
}

func (e *Error) Error() string { return "malformed event: " + e.Reason }

func malformed(format string, args ...any) error {
	return &Error{Reason: fmt.Sprintf(format, args...)}
}

func ignored(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrIgnored, fmt.Sprintf(format, args...))
}

// The events this package understands.
const (
	sourceSageMaker  = "aws.sagemaker"
	sourceTag        = "aws.tag"
	typeCloudTrail   = "AWS API Call via CloudTrail"
	typeTagChange    = "Tag Change on Resource"
	eventCreate      = "CreateProject"
	eventAddTags     = "AddTags"
	eventDeleteTags  = "DeleteTags"
	eventDelete      = "DeleteProject"
	eventUpdate      = "UpdateProject"
	maxProjectLength = 1024
)

// parseProjectARN reads a SageMaker project ARN, in any partition, into its account and
// project name; ok is false for anything else.
func parseProjectARN(s string) (account, name string, ok bool) {
	a, err := arn.Parse(s)
	if err != nil || !strings.HasPrefix(a.Partition, "aws") || a.Service != "sagemaker" || !region.MatchString(a.Region) || !accountPattern.MatchString(a.AccountID) {
		return "", "", false
	}
	name, ok = strings.CutPrefix(a.Resource, "project/")
	if !ok || name == "" || strings.Contains(name, "/") {
		return "", "", false
	}
	return a.AccountID, name, true
}

// Decode reads one EventBridge event. It returns an error wrapping ErrIgnored for events that
// are not about a SageMaker project, and an *Error for events that are but cannot be read. A
// project ARN the record does not carry is built in partition (the functions' PARTITION, "aws"
// when empty), the Region and the account of the event.
func Decode(raw []byte, partition string) (Change, error) {
	var env events.EventBridgeEvent
	if err := strictUnmarshal(raw, &env); err != nil {
		return Change{}, malformed("not an EventBridge event: %v", err)
	}
	var (
		c   Change
		err error
	)
	switch {
	case env.Source == sourceSageMaker && env.DetailType == typeCloudTrail:
		c, err = decodeCloudTrail(env.Detail)
	case env.Source == sourceTag && env.DetailType == typeTagChange:
		c, err = decodeTagChange(env)
	case env.Source == sourceDataZone:
		c, err = decodeDataZone(env)
	case env.Source == "" && env.DetailType == "":
		return Change{}, malformed("no source or detail-type: not an EventBridge event")
	default:
		return Change{}, ignored("source %q, detail-type %q", env.Source, env.DetailType)
	}
	if err != nil {
		return Change{}, err
	}
	c.EventID, c.Time, c.Account = env.ID, env.Time, env.AccountID
	if account, _, ok := parseProjectARN(c.ARN); ok {
		switch {
		case c.Account == "":
			c.Account = account
		case account != c.Account:
			return Change{}, malformed("the project %s is in account %s, but the event comes from account %s", c.ARN, account, c.Account)
		}
	}
	if c.Action == Sync && c.Tags == nil && c.ARN == "" && c.Domain == "" {
		// The tags are to be read from SageMaker, which wants the ARN: the project lives where
		// the call was made, and its ARN spells the name in lower case.
		if !region.MatchString(env.Region) || !accountPattern.MatchString(c.Account) {
			return Change{}, malformed("%s names no project ARN, and the event no Region and account to build it from", c.Trigger)
		}
		built := arn.ARN{Partition: cmp.Or(partition, "aws"), Service: "sagemaker", Region: env.Region, AccountID: c.Account,
			Resource: "project/" + strings.ToLower(c.Project)}.String()
		if _, _, ok := parseProjectARN(built); !ok {
			return Change{}, malformed("%s: %q makes no project ARN", c.Trigger, c.Project)
		}
		c.ARN = built
	}
	return c, nil
}

var (
	region         = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	accountPattern = regexp.MustCompile(`^[0-9]{12}$`)
)

// strictUnmarshal decodes one JSON value and rejects trailing data.
func strictUnmarshal(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(v); err != nil {
		return err
	}
	// Not dec.More: it reports false for a trailing ']' or '}', so `{...}]` passed as one event.
	// Anything but the end of input after the value is trailing data.
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data after the JSON value")
	}
	return oneSpelling(raw, v)
}

// cloudTrail is the part of a CloudTrail record this package reads.
type cloudTrail struct {
	EventSource       string          `json:"eventSource"`
	EventName         string          `json:"eventName"`
	ErrorCode         string          `json:"errorCode"`
	RequestParameters json.RawMessage `json:"requestParameters"`
	ResponseElements  json.RawMessage `json:"responseElements"`
}

type createRequest struct {
	ProjectName string  `json:"projectName"`
	Tags        tagList `json:"tags"`
}

type createResponse struct {
	ProjectArn string `json:"projectArn"`
	ProjectID  string `json:"projectId"`
}

type tagsRequest struct {
	ResourceArn string `json:"resourceArn"`
}

type deleteRequest struct {
	ProjectName string `json:"projectName"`
}

// updateRequest is what this package reads of UpdateProject's requestParameters (projectName,
// projectDescription, serviceCatalogProvisioningUpdateDetails, templateProvidersToUpdate,
// tags). Its tags are not read: they need the project's tag update constraints and may not be
// the whole set, so SageMaker is asked for the current ones.
type updateRequest struct {
	ProjectName string `json:"projectName"`
}

type updateResponse struct {
	ProjectArn string `json:"projectArn"`
}

func decodeCloudTrail(detail json.RawMessage) (Change, error) {
	var ct cloudTrail
	if err := unmarshalObject(detail, &ct); err != nil {
		return Change{}, malformed("CloudTrail detail: %v", err)
	}
	if ct.ErrorCode != "" {
		return Change{}, ignored("%s failed with %s; nothing changed", ct.EventName, ct.ErrorCode)
	}
	c := Change{Trigger: ct.EventName}
	switch ct.EventName {
	case eventCreate:
		var req createRequest
		if err := unmarshalObject(ct.RequestParameters, &req); err != nil {
			return Change{}, malformed("CreateProject requestParameters: %v", err)
		}
		if err := checkProject(req.ProjectName); err != nil {
			return Change{}, err
		}
		var resp createResponse
		if len(ct.ResponseElements) > 0 && string(ct.ResponseElements) != "null" {
			if err := unmarshalObject(ct.ResponseElements, &resp); err != nil {
				return Change{}, malformed("CreateProject responseElements: %v", err)
			}
		}
		c.Action, c.Project, c.ARN, c.ProjectID = Sync, req.ProjectName, resp.ProjectArn, resp.ProjectID
		c.Tags = req.Tags.Map()
	case eventAddTags, eventDeleteTags:
		var req tagsRequest
		if err := unmarshalObject(ct.RequestParameters, &req); err != nil {
			return Change{}, malformed("%s requestParameters: %v", ct.EventName, err)
		}
		if req.ResourceArn == "" {
			return Change{}, malformed("%s requestParameters.resourceArn is missing", ct.EventName)
		}
		name, ok := ProjectFromARN(req.ResourceArn)
		if !ok {
			// AddTags and DeleteTags serve every SageMaker resource type.
			return Change{}, ignored("%s on %q, which is not a SageMaker project", ct.EventName, req.ResourceArn)
		}
		c.Action, c.Project, c.ARN = Sync, name, req.ResourceArn
	case eventUpdate:
		var req updateRequest
		if err := unmarshalObject(ct.RequestParameters, &req); err != nil {
			return Change{}, malformed("UpdateProject requestParameters: %v", err)
		}
		if err := checkProject(req.ProjectName); err != nil {
			return Change{}, err
		}
		var resp updateResponse
		if len(ct.ResponseElements) > 0 && string(ct.ResponseElements) != "null" {
			if err := unmarshalObject(ct.ResponseElements, &resp); err != nil {
				return Change{}, malformed("UpdateProject responseElements: %v", err)
			}
		}
		if resp.ProjectArn != "" {
			if name, ok := ProjectFromARN(resp.ProjectArn); !ok || !strings.EqualFold(name, req.ProjectName) {
				return Change{}, malformed("UpdateProject of %q answered %q, which is not that project's ARN", req.ProjectName, resp.ProjectArn)
			}
		}
		// Tags stay nil: the caller reads the current ones.
		c.Action, c.Project, c.ARN = Sync, req.ProjectName, resp.ProjectArn
	case eventDelete:
		var req deleteRequest
		if err := unmarshalObject(ct.RequestParameters, &req); err != nil {
			return Change{}, malformed("DeleteProject requestParameters: %v", err)
		}
		if err := checkProject(req.ProjectName); err != nil {
			return Change{}, err
		}
		c.Action, c.Project = Delete, req.ProjectName
	case "":
		return Change{}, malformed("CloudTrail detail has no eventName")
	default:
		return Change{}, ignored("SageMaker API call %s does not concern project repositories", ct.EventName)
	}
	return c, nil
}

// tagChange is the detail of an aws.tag "Tag Change on Resource" event.
type tagChange struct {
	Service      string            `json:"service"`
	ResourceType string            `json:"resource-type"`
	Tags         map[string]string `json:"tags"`
}

func decodeTagChange(env events.EventBridgeEvent) (Change, error) {
	var d tagChange
	if err := unmarshalObject(env.Detail, &d); err != nil {
		return Change{}, malformed("Tag Change on Resource detail: %v", err)
	}
	if d.Service != "sagemaker" || d.ResourceType != "project" {
		return Change{}, ignored("tag change on a %s %s, not a SageMaker project", d.Service, d.ResourceType)
	}
	if len(env.Resources) != 1 {
		return Change{}, malformed("Tag Change on Resource names %d resources; want exactly 1", len(env.Resources))
	}
	name, ok := ProjectFromARN(env.Resources[0])
	if !ok {
		return Change{}, malformed("Tag Change on Resource: %q is not a SageMaker project ARN", env.Resources[0])
	}
	tags := d.Tags
	if tags == nil {
		// The event carries the whole current tag set; none at all means the last one was removed.
		tags = map[string]string{}
	}
	return Change{Action: Sync, Trigger: typeTagChange, Project: name, ARN: env.Resources[0], Tags: tags}, nil
}

// ProjectFromARN returns the project name of a SageMaker project ARN.
func ProjectFromARN(s string) (string, bool) {
	_, name, ok := parseProjectARN(s)
	return name, ok
}

// unmarshalObject decodes a JSON object; null, a missing value or another JSON type is an error.
func unmarshalObject(raw json.RawMessage, v any) error {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || string(trimmed) == "null" {
		return errors.New("missing")
	}
	if trimmed[0] != '{' {
		return errors.New("not a JSON object")
	}
	if err := json.Unmarshal(trimmed, v); err != nil {
		return err
	}
	return oneSpelling(trimmed, v)
}

// oneSpelling rejects a JSON object that spells one of v's fields in more than one way.
// encoding/json matches keys to fields ignoring case (and folds 'ſ' to 's', 'K' to 'k'), and
// the last matching key wins, so {"projectName":"p","ProjectName":"q"} would name a project by
// key order, which JSON leaves undefined: the same event re-encoded would name another project.
// EventBridge and CloudTrail spell each key once, exactly; a lone variant spelling is still read.
func oneSpelling(raw []byte, v any) error {
	var keys map[string]json.RawMessage
	if json.Unmarshal(raw, &keys) != nil {
		return nil // not an object; the typed decode has already said what is wrong
	}
	t := reflect.TypeOf(v).Elem()
	for i := range t.NumField() {
		field, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		var spellings []string
		for k := range keys {
			if strings.EqualFold(k, field) {
				spellings = append(spellings, k)
			}
		}
		if len(spellings) > 1 {
			sort.Strings(spellings)
			return fmt.Errorf("field %s is spelled more than one way (%q)", field, spellings)
		}
	}
	return nil
}

// checkProject catches what can never be a project name early. Whether the name makes a valid
// repository name is naming's concern, later, so its error can name the repository.
func checkProject(name string) error {
	switch {
	case name == "":
		return malformed("projectName is missing")
	case len(name) > maxProjectLength:
		return malformed("projectName is %d bytes long", len(name))
	case strings.ContainsAny(name, "\x00"):
		return malformed("projectName contains a NUL byte")
	}
	return nil
}
