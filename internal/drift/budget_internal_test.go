package drift

import (
	"context"
	"testing"
	"time"
)

func TestBudgetLeavesTimeForTheStateAndTheEvents(t *testing.T) {
	start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		timeout            time.Duration
		stop, calls, final time.Duration // after start
	}{
		{900 * time.Second, 840 * time.Second, 870 * time.Second, 885 * time.Second},
		{90 * time.Second, 81 * time.Second, 85500 * time.Millisecond, 87750 * time.Millisecond},
		{10 * time.Second, 8 * time.Second, 9 * time.Second, 9500 * time.Millisecond},
	} {
		t.Run(tc.timeout.String(), func(t *testing.T) {
			ctx, cancel := context.WithDeadline(context.Background(), start.Add(tc.timeout))
			defer cancel()
			stopBy, finalBy, calls, cancelCalls := budget(ctx, start)
			defer cancelCalls()
			callsBy, _ := calls.Deadline()
			if got := [3]time.Duration{stopBy.Sub(start), callsBy.Sub(start), finalBy.Sub(start)}; got != [3]time.Duration{tc.stop, tc.calls, tc.final} {
				t.Errorf("stop, calls' deadline, final: %v; want %v %v %v", got, tc.stop, tc.calls, tc.final)
			}
		})
	}
	stopBy, finalBy, calls, cancel := budget(context.Background(), start)
	defer cancel()
	if _, ok := calls.Deadline(); ok || !stopBy.IsZero() || !finalBy.IsZero() {
		t.Errorf("without a deadline: stop %v, final %v; want no bounds", stopBy, finalBy)
	}
}
