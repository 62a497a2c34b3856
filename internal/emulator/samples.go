package emulator

import (
	"embed"
	"fmt"
)

// Sample EventBridge events (envelopes and details as AWS documents them),
// embedded so the demo runs from anywhere in the module.
//
//go:embed events/*.json
var samples embed.FS

// SampleEvent returns the sample event in events/name, e.g. "create-project.json".
func SampleEvent(name string) ([]byte, error) {
	b, err := samples.ReadFile("events/" + name)
	if err != nil {
		return nil, fmt.Errorf("sample event: %w", err)
	}
	return b, nil
}
