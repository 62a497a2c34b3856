// Package metrics writes CloudWatch metrics as Embedded Metric Format log lines: one JSON
// object on stdout that CloudWatch Logs turns into metrics, with no PutMetricData call, no
// extra permission and no latency in the function.
package metrics

import (
	"encoding/json"
	"io"
	"sort"
	"time"
)

// Namespace is the CloudWatch namespace of the product's metrics.
const Namespace = "SageMakerECRProvisioner"

// Metric is one value.
type Metric struct {
	Name  string
	Value float64
	// Unit is a CloudWatch unit: Count, Milliseconds, Seconds...
	Unit string
}

// Write writes one EMF line with the metrics under the given dimensions (for instance
// {"Function": "drift", "Mode": "fix"}).
func Write(w io.Writer, now time.Time, dimensions map[string]string, values ...Metric) error {
	type metricDef struct {
		Name string `json:"Name"`
		Unit string `json:"Unit"`
	}
	type directive struct {
		Namespace  string      `json:"Namespace"`
		Dimensions [][]string  `json:"Dimensions"`
		Metrics    []metricDef `json:"Metrics"`
	}
	keys := make([]string, 0, len(dimensions))
	line := map[string]any{}
	for k, v := range dimensions {
		keys = append(keys, k)
		line[k] = v
	}
	sort.Strings(keys)
	d := directive{Namespace: Namespace, Dimensions: [][]string{keys}}
	for _, m := range values {
		d.Metrics = append(d.Metrics, metricDef{Name: m.Name, Unit: m.Unit})
		line[m.Name] = m.Value
	}
	line["_aws"] = map[string]any{
		"Timestamp":         now.UnixMilli(),
		"CloudWatchMetrics": []directive{d},
	}
	b, err := json.Marshal(line)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
