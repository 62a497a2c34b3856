package drift

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/config"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/handler"
)

// trigger is what started a run, and the mode it asks for ("" means drift-mode decides).
type trigger struct {
	kind handler.Trigger
	mode config.Mode
	// ignored, when set, says why the event is not for this function.
	ignored string
	// access is set when a pull access parameter changed.
	access bool
}

// decodeTrigger reads the invocation payload: an EventBridge Scheduled Event, a Parameter Store
// Change under the configuration path, or a manual {} / {"mode":"report"|"fix"}.
func decodeTrigger(raw []byte, configPath string) (trigger, error) {
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
			return trigger{kind: handler.TriggerManual, mode: manual.Mode}, nil
		}
		return trigger{}, fmt.Errorf("manual payload: mode %q: want %q or %q", manual.Mode, config.ModeReport, config.ModeFix)
	}
	var ev events.EventBridgeEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		return trigger{}, fmt.Errorf("EventBridge event: %v", err)
	}
	switch {
	case ev.Source == "aws.events" && ev.DetailType == "Scheduled Event":
		return trigger{kind: handler.TriggerSchedule}, nil
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
		return trigger{kind: handler.TriggerConfigChange, access: config.AccessParameter(rel)}, nil
	}
	return trigger{ignored: fmt.Sprintf("source %q, detail-type %q", ev.Source, ev.DetailType)}, nil
}
