package projectevent

import (
	"cmp"
	"encoding/json"
	"regexp"

	"github.com/aws/aws-lambda-go/events"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/naming"
)

// The SageMaker Unified Studio (Amazon DataZone) events this package understands: CloudTrail
// records of the project calls, and DataZone's own project events.
const (
	sourceDataZone     = "aws.datazone"
	typeProjectCreated = "Project Creation Succeeded"
	typeProjectMoved   = "Project Moved Between Domain Unit"
)

var (
	studioProjectPat = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,36}$`)
)

// studioRequest is what this package reads of the requestParameters of DataZone's
// CreateProject, UpdateProject and DeleteProject.
type studioRequest struct {
	DomainIdentifier string `json:"domainIdentifier"`
	Identifier       string `json:"identifier"`
	Name             string `json:"name"`
}

// studioResponse is what this package reads of CreateProject's responseElements.
type studioResponse struct {
	ID       string `json:"id"`
	DomainID string `json:"domainId"`
}

// decodeDataZone reads an aws.datazone event: a Change naming the domain and the project
// (its DataZone id in ProjectID). Every one is a trigger: the project is read back.
func decodeDataZone(env events.EventBridgeEvent) (Change, error) {
	switch env.DetailType {
	case typeCloudTrail:
		return decodeStudioCloudTrail(env.Detail)
	case typeProjectCreated, typeProjectMoved:
		return decodeStudioNative(env.DetailType, env.Detail)
	}
	return Change{}, ignored("DataZone event %q does not concern project repositories", env.DetailType)
}

func decodeStudioCloudTrail(detail json.RawMessage) (Change, error) {
	var ct cloudTrail
	if err := unmarshalObject(detail, &ct); err != nil {
		return Change{}, malformed("CloudTrail detail: %v", err)
	}
	if ct.ErrorCode != "" {
		return Change{}, ignored("DataZone %s failed with %s; nothing changed", ct.EventName, ct.ErrorCode)
	}
	if ct.EventSource != "" && ct.EventSource != "datazone.amazonaws.com" {
		return Change{}, ignored("a record of %s, not of DataZone", ct.EventSource)
	}
	c := Change{Trigger: ct.EventName, Action: Sync}
	var req studioRequest
	switch ct.EventName {
	case eventCreate, eventUpdate, eventDelete:
		if err := unmarshalObject(ct.RequestParameters, &req); err != nil {
			return Change{}, malformed("DataZone %s requestParameters: %v", ct.EventName, err)
		}
	case "":
		return Change{}, malformed("CloudTrail detail has no eventName")
	default:
		return Change{}, ignored("DataZone API call %s does not concern project repositories", ct.EventName)
	}
	c.Domain, c.ProjectID, c.Project = req.DomainIdentifier, req.Identifier, req.Name
	if ct.EventName == eventCreate {
		// The project's id is in the response only.
		var resp studioResponse
		if len(ct.ResponseElements) == 0 || string(ct.ResponseElements) == "null" {
			return Change{}, malformed("DataZone CreateProject has no responseElements to name the project it created")
		}
		if err := unmarshalObject(ct.ResponseElements, &resp); err != nil {
			return Change{}, malformed("DataZone CreateProject responseElements: %v", err)
		}
		if resp.DomainID != "" && resp.DomainID != c.Domain {
			return Change{}, malformed("DataZone CreateProject in domain %q answered a project of domain %q", c.Domain, resp.DomainID)
		}
		c.ProjectID = resp.ID
	}
	if ct.EventName == eventDelete {
		c.Action = Delete
	}
	if c.Project == "" {
		c.Project = c.ProjectID // named by its id until it is read
	}
	return c, checkStudio(c)
}

// decodeStudioNative reads DataZone's own project events. AWS does not publish their detail's
// shape, so they are read as triggers that name a domain and a project: the domain under
// domainId (or domain, or domainIdentifier), the project under projectId (or
// projectIdentifier), in the detail or in its metadata or data objects; the project is then
// read back.
func decodeStudioNative(detailType string, detail json.RawMessage) (Change, error) {
	if err := unmarshalObject(detail, &struct{}{}); err != nil {
		return Change{}, malformed("%s detail: %v", detailType, err)
	}
	var d map[string]json.RawMessage
	if err := json.Unmarshal(detail, &d); err != nil {
		return Change{}, malformed("%s detail: %v", detailType, err)
	}
	c := Change{Trigger: detailType, Action: Sync,
		Domain:    lookUp(d, "domainId", "domain", "domainIdentifier"),
		ProjectID: lookUp(d, "projectId", "projectIdentifier")}
	c.Project = cmp.Or(lookUp(d, "projectName"), c.ProjectID)
	return c, checkStudio(c)
}

// lookUp returns the first string value under one of keys, in obj or in its metadata or data
// objects.
func lookUp(obj map[string]json.RawMessage, keys ...string) string {
	for _, scope := range []string{"", "metadata", "data"} {
		in := obj
		if scope != "" {
			in = nil
			if json.Unmarshal(obj[scope], &in) != nil {
				continue
			}
		}
		for _, k := range keys {
			var s string
			if json.Unmarshal(in[k], &s) == nil && s != "" {
				return s
			}
		}
	}
	return ""
}

// checkStudio checks that a DataZone event names a domain and a project that can be one.
func checkStudio(c Change) error {
	switch {
	case !naming.IsDomainID(c.Domain):
		return malformed("%s names no DataZone domain id (dzd_ or dzd- and 1 to 36 letters, digits, _ or -): %q", c.Trigger, c.Domain)
	case !studioProjectPat.MatchString(c.ProjectID):
		return malformed("%s names no DataZone project id (1 to 36 letters, digits, _ or -): %q", c.Trigger, c.ProjectID)
	}
	return nil
}
