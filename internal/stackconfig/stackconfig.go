// Package stackconfig is the stack's side of the configuration in Parameter Store: the
// CloudFormation custom resource (Custom::Configuration in template.yaml, served by
// DriftFunction) that seeds the configuration parameters from the stack's parameters.
//
// One rule: Parameter Store owns each value once it is there; the stack seeds values and
// changes only what it still owns (see Reconcile). A stack update never writes the template's
// value over one a person set by hand: that value stays, the function logs a warning naming
// the parameter, the value kept and the stack's value, and the response's Data says which
// (Kept, "none" when none), which template.yaml shows as a stack output. Delete deletes
// nothing: the configuration outlives the stack.
//
// Every request with a ResponseURL is answered there with an HTTP PUT of the JSON body
// CloudFormation expects, SUCCESS or FAILED with a reason: a custom resource that never
// answers holds the stack until its ServiceTimeout.
package stackconfig

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
)

// The resource's properties, as template.yaml passes them.
const (
	// PropertyPath is the configuration path, the function's CONFIG_PATH.
	PropertyPath = "ConfigPath"
	// PropertyValues maps a parameter name under the path to the stack's value, for every
	// stack parameter that is set; an absent name means "the stack does not set this one".
	PropertyValues = "Values"
)

// Keys of the response's Data (Fn::GetAtt Configuration.Kept, ...).
const (
	// DataKept names, space-separated, the parameters whose value Parameter Store keeps
	// against the stack's; "none" when none.
	DataKept = "Kept"
	// DataWritten names, space-separated, the parameters this request wrote; "none" when none.
	DataWritten = "Written"
)

// None is the Data value of an empty list: CloudFormation rejects an output whose value is "".
const None = "none"

// IsRequest reports whether raw is a CloudFormation custom resource request: a JSON object
// with a RequestType or a ResponseURL. No EventBridge event and no manual payload has either.
func IsRequest(raw []byte) bool {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(raw, &probe); err != nil {
		return false
	}
	_, hasType := probe["RequestType"]
	_, hasURL := probe["ResponseURL"]
	return hasType || hasURL
}

// Handler serves the custom resource.
type Handler struct {
	SSM API
	// ConfigPath is the function's own configuration path: a request for another path is
	// refused (FAILED), since the function reads and is allowed to write this one only.
	ConfigPath string
	// HTTP sends the response; nil means a client with a 30-second timeout.
	HTTP   *http.Client
	Logger *slog.Logger
}

// Outcome is what Handle did, for the function's summary.
type Outcome struct {
	RequestType cfn.RequestType
	// Status is the status sent to CloudFormation; "" when no response could be sent (no
	// usable ResponseURL).
	Status cfn.StatusType
	// Reason is why it failed, or a note on what was kept.
	Reason string
	Result
}

// Handle serves one request: it applies the ownership rule (Create, Update), or does nothing
// (Delete), and answers CloudFormation. The error is non-nil when the response is FAILED or
// could not be sent; the outcome says which.
func (h *Handler) Handle(ctx context.Context, raw []byte) (Outcome, error) {
	log := cmp.Or(h.Logger, slog.Default())
	var ev cfn.Event
	decodeErr := json.Unmarshal(raw, &ev) // a field of the wrong type leaves the others decoded
	out := Outcome{RequestType: ev.RequestType}
	if _, err := responseURL(ev.ResponseURL); err != nil {
		log.ErrorContext(ctx, "CloudFormation request cannot be answered", "error", err.Error(),
			"requestType", ev.RequestType, "logicalResourceId", ev.LogicalResourceID, "stackId", ev.StackID)
		return out, fmt.Errorf("CloudFormation custom resource request: %w", err)
	}
	log = log.With("requestType", ev.RequestType, "logicalResourceId", ev.LogicalResourceID, "stackId", ev.StackID)

	resp := cfn.NewResponse(&ev)
	resp.PhysicalResourceID = cmp.Or(ev.PhysicalResourceID, ev.RequestID)
	err := decodeErr
	if err == nil {
		err = validate(&ev)
	}
	if err != nil {
		err = fmt.Errorf("malformed request: %w", err)
	} else {
		switch ev.RequestType {
		case cfn.RequestDelete:
			// Nothing is deleted: the configuration outlives the stack, and a value in
			// Parameter Store is owned by Parameter Store.
			log.InfoContext(ctx, "configuration kept in Parameter Store: the stack's delete deletes nothing")
		default:
			out.Result, resp.PhysicalResourceID, err = h.apply(ctx, &ev, resp.PhysicalResourceID)
			resp.Data = data(out.Result)
			for _, k := range out.Kept {
				h.warn(ctx, log, k)
			}
			if err == nil && len(out.Kept) > 0 {
				resp.Reason = "Parameter Store keeps its own value of " + names(out.Kept) + " (see the function's log)"
			}
		}
	}
	resp.Status = cfn.StatusSuccess
	if err != nil {
		// A FAILED response makes CloudFormation roll back. Only what could not be done
		// fails: a value kept by the ownership rule is no failure (see apply).
		resp.Status, resp.Reason = cfn.StatusFailed, err.Error()
		log.ErrorContext(ctx, "configuration request failed", "error", err.Error(), "written", out.Written)
	}
	out.Status, out.Reason = resp.Status, resp.Reason

	if sendErr := h.respond(ctx, ev.ResponseURL, resp); sendErr != nil {
		log.ErrorContext(ctx, "response to CloudFormation not sent: the stack waits until the resource's ServiceTimeout",
			"error", sendErr.Error(), "status", resp.Status)
		out.Status = ""
		return out, errors.Join(err, sendErr)
	}
	log.InfoContext(ctx, "configuration request answered", "status", resp.Status, "written", list(out.Written), "kept", names(out.Kept))
	return out, err
}

// apply runs the ownership rule for a Create or an Update and returns the physical id to
// answer with.
//
// A value kept against the stack's is never a failure: a FAILED response would make
// CloudFormation roll back, sending an Update with the old and new properties swapped; the
// person's value still differs from both, so the rollback could not write it either, would
// conflict the same way, and a FAILED answer to it would leave the stack in
// UPDATE_ROLLBACK_FAILED. The value is kept and reported instead: the warning in the log, and
// Data.Kept (a stack output).
func (h *Handler) apply(ctx context.Context, ev *cfn.Event, physicalID string) (Result, string, error) {
	desired, err := parseProperties(ev.ResourceProperties)
	if err != nil {
		return Result{}, physicalID, fmt.Errorf("malformed request: ResourceProperties: %w", err)
	}
	if want := strings.TrimRight(h.ConfigPath, "/"); want != "" && desired.path != want {
		return Result{}, physicalID, fmt.Errorf("%s %q is not this function's configuration path %q (CONFIG_PATH): it serves only its own",
			PropertyPath, desired.path, want)
	}
	var previous map[string]string
	switch ev.RequestType {
	case cfn.RequestCreate:
		physicalID = PhysicalID(desired.path)
	case cfn.RequestUpdate:
		old, err := parseProperties(ev.OldResourceProperties)
		switch {
		case err != nil:
			// Nothing is known of what the stack set before: nothing is overwritten.
			h.logger().WarnContext(ctx, "previous properties unreadable: only absent parameters are created", "error", err.Error())
		case old.path != desired.path:
			// Another path is another resource: CloudFormation sees the new physical id,
			// and sends the old one a Delete, which deletes nothing.
			physicalID = PhysicalID(desired.path)
		default:
			previous = old.values
		}
	}
	calls, cancel := callContext(ctx)
	defer cancel()
	res, err := Reconcile(calls, h.SSM, desired.path, previous, desired.values)
	return res, physicalID, err
}

// PhysicalID is the resource's physical id: its configuration path. Another path is another
// resource.
func PhysicalID(path string) string { return "sagemaker-ecr-provisioner-configuration:" + path }

func (h *Handler) logger() *slog.Logger { return cmp.Or(h.Logger, slog.Default()) }

// warn logs one kept value.
func (h *Handler) warn(ctx context.Context, log *slog.Logger, k Kept) {
	name := strings.TrimRight(h.ConfigPath, "/") + "/" + k.Name
	if k.Stack == "" {
		log.WarnContext(ctx, "configuration value kept: the stack no longer sets this parameter, and Parameter Store keeps its value; delete it there to unset it",
			"parameter", name, "kept", k.Held)
		return
	}
	log.WarnContext(ctx, "configuration value kept: Parameter Store holds a value the stack did not set, so the stack's new value is not written; change it in Parameter Store if the stack's is wanted",
		"parameter", name, "kept", k.Held, "stack", k.Stack)
}

// callContext leaves time, before the invocation's deadline, to answer CloudFormation.
func callContext(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	margin := min(max(time.Until(deadline)/4, time.Second), 30*time.Second)
	return context.WithDeadline(ctx, deadline.Add(-margin))
}

func validate(ev *cfn.Event) error {
	var missing []string
	for _, f := range []struct{ name, value string }{
		{"RequestId", ev.RequestID}, {"StackId", ev.StackID}, {"LogicalResourceId", ev.LogicalResourceID},
		{"ResourceType", ev.ResourceType},
	} {
		if f.value == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("no %s", strings.Join(missing, ", "))
	}
	switch ev.RequestType {
	case cfn.RequestCreate, cfn.RequestUpdate, cfn.RequestDelete:
		return nil
	}
	return fmt.Errorf("RequestType %q: want Create, Update or Delete", ev.RequestType)
}

type properties struct {
	path   string
	values map[string]string
}

// parameterName is a name under the configuration path.
var parameterName = regexp.MustCompile(`^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$`)

// parseProperties reads ConfigPath and Values. CloudFormation passes every scalar as a string;
// numbers and booleans are taken as they print. An empty value is a parameter the stack does
// not set (Parameter Store cannot store "").
func parseProperties(p map[string]any) (properties, error) {
	path, ok := p[PropertyPath].(string)
	if !ok || !strings.HasPrefix(path, "/") {
		return properties{}, fmt.Errorf("%s %v: want an SSM path such as /sagemaker-platform/ecr", PropertyPath, p[PropertyPath])
	}
	out := properties{path: strings.TrimRight(path, "/"), values: map[string]string{}}
	raw, ok := p[PropertyValues].(map[string]any)
	if !ok && p[PropertyValues] != nil {
		return properties{}, fmt.Errorf("%s: got %T; want a mapping of parameter name to value", PropertyValues, p[PropertyValues])
	}
	for name, v := range raw {
		if !parameterName.MatchString(name) || slices.ContainsFunc(strings.Split(name, "/"), func(part string) bool { return strings.Trim(part, ".") == "" }) {
			return properties{}, fmt.Errorf("%s: parameter name %q: want a name under the path, such as image-retention", PropertyValues, name)
		}
		var s string
		switch x := v.(type) {
		case string:
			s = x
		case float64:
			s = strconv.FormatFloat(x, 'f', -1, 64)
		case bool:
			s = strconv.FormatBool(x)
		case nil:
		default:
			return properties{}, fmt.Errorf("%s.%s: got %T; want a string", PropertyValues, name, v)
		}
		if s != "" {
			out.values[name] = s
		}
	}
	return out, nil
}

func responseURL(s string) (*url.URL, error) {
	if s == "" {
		return nil, errors.New("no ResponseURL")
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("ResponseURL %q: want an http(s) URL", s)
	}
	return u, nil
}

// data is the response's Data: Kept always (the template reads it with Fn::GetAtt, which fails
// on a missing key), Written for the log of stack events.
func data(r Result) map[string]any {
	return map[string]any{DataKept: names(r.Kept), DataWritten: list(r.Written)}
}

func names(kept []Kept) string {
	n := make([]string, len(kept))
	for i, k := range kept {
		n[i] = k.Name
	}
	return list(n)
}

func list(l []string) string {
	if len(l) == 0 {
		return None
	}
	return strings.Join(l, " ")
}
