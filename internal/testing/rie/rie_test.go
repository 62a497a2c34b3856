package rie

import (
	"testing"
	"time"
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
