package sweep

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestPrepare(t *testing.T) {
	swept := map[string]*Cycle{"fix": {}}
	tests := []struct {
		name                   string
		st                     State
		scopes                 string
		accessChanged, restart bool
		wantWithdrawn          bool
		wantRestarts           int
	}{
		{name: "first run ever", st: State{}, scopes: "aaa"},
		{name: "same scopes", st: State{Scopes: "aaa", Cycles: swept, Restarts: 2}, scopes: "aaa", wantRestarts: 2},
		{name: "scopes changed", st: State{Scopes: "aaa", Cycles: swept, Restarts: 2}, scopes: "bbb", wantWithdrawn: true, wantRestarts: 3},
		{name: "every scope gone", st: State{Scopes: "aaa", Cycles: swept}, scopes: "", wantWithdrawn: true, wantRestarts: 1},
		{name: "a state written before the fingerprint", st: State{Cycles: swept}, scopes: "aaa", wantWithdrawn: true, wantRestarts: 1},
		{name: "a pull access parameter changed", st: State{Scopes: "aaa", Cycles: swept}, scopes: "aaa", accessChanged: true, restart: true, wantWithdrawn: true, wantRestarts: 1},
		{name: "another parameter changed", st: State{Scopes: "aaa", Cycles: swept}, scopes: "aaa", restart: true, wantRestarts: 1},
		{name: "a withdrawal under way stays", st: State{Scopes: "aaa", Cycles: swept, Withdrawn: true}, scopes: "aaa", wantWithdrawn: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := tc.st
			st.Prepare(tc.scopes, tc.accessChanged, tc.restart)
			if st.Withdrawn != tc.wantWithdrawn || st.Restarts != tc.wantRestarts {
				t.Errorf("withdrawn %v, restarts %d; want %v, %d", st.Withdrawn, st.Restarts, tc.wantWithdrawn, tc.wantRestarts)
			}
		})
	}
}

func TestCycleOf(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	now := t0.Add(time.Hour)
	under := &Cycle{Started: t0, After: "acme-sm-a/x", Checked: 5, Restarts: 1, LastStarted: t0.Add(-time.Hour), LastFinished: t0.Add(-time.Minute)}
	tests := []struct {
		name string
		st   State
		mode string
		want Cycle
	}{
		{name: "never begun", st: State{}, mode: "fix", want: Cycle{Started: now}},
		{name: "never begun, a withdrawal under way", st: State{Withdrawn: true, Restarts: 3}, mode: "fix", want: Cycle{Started: now, Access: true, Restarts: 3}},
		{name: "under way", st: State{Restarts: 1, Cycles: map[string]*Cycle{"fix": under}}, mode: "fix", want: *under},
		{name: "another mode's is not this one's", st: State{Restarts: 1, Cycles: map[string]*Cycle{"fix": under}}, mode: "report", want: Cycle{Started: now, Restarts: 1}},
		{name: "begun under another restart count: begun again, the last completed one kept",
			st: State{Restarts: 2, Cycles: map[string]*Cycle{"fix": under}}, mode: "fix",
			want: Cycle{Started: now, Restarts: 2, LastStarted: under.LastStarted, LastFinished: under.LastFinished}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := tc.st
			if st.Cycles != nil { // each case its own copy
				c := *st.Cycles["fix"]
				st.Cycles = map[string]*Cycle{"fix": &c}
			}
			if diff := cmp.Diff(tc.want, *st.CycleOf(tc.mode, now)); diff != "" {
				t.Errorf("cycle (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTailStart(t *testing.T) {
	accounts := []string{"123456789012", "222233334444", "333344445555"}
	tests := []struct {
		name        string
		account     string
		want        int
		wantAccount string
	}{
		{name: "a new cycle starts at this account", account: "", want: 0, wantAccount: "123456789012"},
		{name: "at the cursor's account", account: "222233334444", want: 1, wantAccount: "222233334444"},
		{name: "a member no longer served: the next in order", account: "300000000000", want: 2, wantAccount: "300000000000"},
		{name: "past the last member: nothing left", account: "900000000000", want: 3, wantAccount: "900000000000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := Discovery{Account: tc.account}
			if got := d.TailStart(accounts); got != tc.want || d.Account != tc.wantAccount {
				t.Errorf("TailStart = %d, account %q; want %d, %q", got, d.Account, tc.want, tc.wantAccount)
			}
		})
	}
}

func TestStudioOf(t *testing.T) {
	since := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		state State
		want  StudioCursor
	}{
		{"first run", State{}, StudioCursor{}},
		{"kept under the same restarts", State{Restarts: 2, Studio: map[string]*StudioCursor{"fix": {Next: "dzd_b", Since: since, Restarts: 2}}},
			StudioCursor{Next: "dzd_b", Since: since, Restarts: 2}},
		{"a restart forgets since, not where to start", State{Restarts: 3, Studio: map[string]*StudioCursor{"fix": {Next: "dzd_b", Since: since, Restarts: 2}}},
			StudioCursor{Next: "dzd_b", Restarts: 2}},
		{"another mode's is not this one's", State{Studio: map[string]*StudioCursor{"report": {Next: "dzd_b", Since: since}}}, StudioCursor{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.state.StudioOf("fix"); got != tc.want {
				t.Errorf("StudioOf: %+v; want %+v", got, tc.want)
			}
		})
	}
}
