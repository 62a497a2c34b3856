// Package samples holds the one copy of every sample event the tests and the demo use:
// EventBridge envelopes and details as AWS documents them (CloudTrail records of SageMaker calls,
// CreateProject from a Service Catalog product and from templateProviders, UpdateProject,
// AddTags, DeleteTags, DeleteProject, and of ECR calls; Tag Change on Resource, Scheduled
// Event, Parameter Store Change, a member account's forwarded CreateProject; CloudTrail
// records of DataZone's CreateProject, UpdateProject and DeleteProject, and of SageMaker's
// CreateEndpoint, UpdateEndpoint and UpdateModelPackage), embedded so that any
// package and the demo read them from anywhere in the module. DataZone's own Project Creation
// Succeeded and Project Moved Between Domain Unit events are samples too, though AWS does not
// publish their detail: theirs is a plausible shape that names the domain and the project the
// way DataZone's other events do. Every file under events/ is
// a sample: Names lists them all. Variants, hostile ones included, are derived from them in code
// with Edit, so nothing keeps copies equal by hand.
package samples

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
)

//go:embed events/*.json
var files embed.FS

// Names lists every sample, sorted ("add-tags.json", "create-project.json", ...).
func Names() []string {
	entries, _ := fs.ReadDir(files, "events") // embedded: cannot fail
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}

// Event returns the sample event name as stored. The samples are compiled in, so a name that
// is not one of them is a bug in the caller: Event panics then, naming it.
func Event(name string) []byte {
	b, err := files.ReadFile(path.Join("events", name))
	if err != nil {
		panic(fmt.Sprintf("samples: no sample event %q (have %v)", name, Names()))
	}
	return b
}

// Edit returns the sample event name with fn applied to its generic JSON form, re-encoded.
func Edit(name string, fn func(ev map[string]any)) []byte {
	ev := Decode(name)
	fn(ev)
	b, err := json.Marshal(ev)
	if err != nil {
		panic(fmt.Sprintf("samples: re-encode %s: %v", name, err))
	}
	return b
}

// Decode returns the sample event name as generic JSON, for a test to change what it needs.
func Decode(name string) map[string]any {
	var ev map[string]any
	if err := json.Unmarshal(Event(name), &ev); err != nil {
		panic(fmt.Sprintf("samples: %s is not a JSON object: %v", name, err))
	}
	return ev
}

// Detail is the event's detail object.
func Detail(ev map[string]any) map[string]any { return ev["detail"].(map[string]any) }

// RequestParameters is a CloudTrail record's detail.requestParameters object.
func RequestParameters(ev map[string]any) map[string]any {
	return Detail(ev)["requestParameters"].(map[string]any)
}
