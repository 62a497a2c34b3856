package emulator

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseInitReport(t *testing.T) {
	for _, tc := range []struct {
		name string
		text string
		want time.Duration
		ok   bool
	}{
		{"rie", "27 Nov 2026 00:33:36,032 [INFO] (rapid) INIT REPORT(durationMs: 12.805000)\n", 12805 * time.Microsecond, true},
		{"managed instances", "INIT REPORT(initType: on-demand, durationMs: 3.50, status: success, phase: init, errorType: )", 3500 * time.Microsecond, true},
		// RIE's REPORT line also says "Init Duration", timed around an asynchronous call.
		{"REPORT only", "REPORT RequestId: x\tInit Duration: 0.19 ms\tDuration: 938.11 ms", 0, false},
		{"nothing yet", "", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := parseInitReport(tc.text)
			if got != tc.want || ok != tc.ok {
				t.Errorf("parseInitReport: got %v, %v; want %v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestJSONDiff(t *testing.T) {
	for _, tc := range []struct {
		name      string
		want, got string
		diffs     []difference
	}{
		{"same, other key order", `{"a":1,"b":[1,2]}`, `{"b":[1,2],"a":1.0}`, nil},
		{"leaf", `{"rules":[{"selection":{"countNumber":10}}]}`, `{"rules":[{"selection":{"countNumber":99}}]}`,
			[]difference{{Path: "rules[0].selection.countNumber", Want: "10", Got: "99"}}},
		{"absent key and extra element", `{"a":1,"l":[1]}`, `{"b":null,"l":[1,2]}`,
			[]difference{{"a", "1", "(absent)"}, {"l[1]", "(absent)", "2"}, {"b", "(absent)", "null"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := jsonDiff(tc.want, tc.got)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.diffs, got); diff != "" {
				t.Errorf("jsonDiff (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOutputSinceSurvivesDropping(t *testing.T) {
	o := NewOutput(nil)
	big := make([]byte, maxOutput)
	o.Write(big)
	mark := o.Offset()
	o.Write([]byte("after the mark\n"))
	if got := o.Since(mark); got != "after the mark\n" {
		t.Errorf("Since(mark) = %q; want the line written after the mark", got)
	}
	if got, want := o.Offset(), maxOutput+len("after the mark\n"); got != want {
		t.Errorf("Offset() = %d; want %d", got, want)
	}
}
