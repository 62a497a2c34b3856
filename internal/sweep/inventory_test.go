package sweep

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// The inventory's state at its largest: both modes' rounds, each stopped in the middle of
// MaxOpen+1 accounts (MaxOpen read at once, and one whose protections were cut short) at the
// longest resource key there is (inuse.Use.Key: a model package version of a group whose name
// is as long as SageMaker allows, 63 characters), the fix round with its filter full and its release under
// way. It fits a standard parameter, with room to spare.
func TestInventoryStateIsBounded(t *testing.T) {
	now := time.Date(2026, 12, 2, 15, 4, 5, 123456789, time.UTC)
	accounts := []string{"111111111111", "222222222222", "333333333333", "444444444444", "555555555555", "666666666666"}
	key := "2/" + strings.Repeat("g", 63) + " 2147483647"
	var inv Inventory
	for _, mode := range []string{"fix", "report"} {
		r := inv.RoundOf(mode, now, 1<<30, accounts, mode == "fix")
		for _, a := range accounts[:MaxOpen+1] {
			r.Begin(a)
			r.Read(a, false, key, false)
		}
		r.Failed, r.LastFinished, r.Runs, r.Released = true, now, 1<<30, Place("any")
		if r.Seen != nil {
			for i := range 100_000 {
				r.Seen.Add(fmt.Sprint(i))
			}
		}
	}
	b, err := json.Marshal(inv)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("largest inventory state: %d bytes", len(b))
	if len(b) > maxSize {
		t.Errorf("the inventory's state at its largest is %d bytes, over the %d of a standard parameter", len(b), maxSize)
	}
}

// What was added is always found; what was not is found by mistake about as often as the
// filter's documentation says.
func TestFilterFalsePositives(t *testing.T) {
	for _, tc := range []struct {
		added   int
		atMost  float64
		atLeast float64
	}{{1000, 0.004, 0}, {2500, 0.13, 0.06}, {5000, 0.6, 0.4}} {
		f := NewFilter(42)
		for i := range tc.added {
			f.Add(fmt.Sprintf("repo@sha256:%064x", i))
		}
		for i := range tc.added {
			if !f.Has(fmt.Sprintf("repo@sha256:%064x", i)) {
				t.Fatalf("%d added: key %d added and not found", tc.added, i)
			}
		}
		const probes = 100_000
		wrong := 0
		for i := range probes {
			if f.Has(fmt.Sprintf("other@sha256:%064x", i)) {
				wrong++
			}
		}
		rate := float64(wrong) / probes
		t.Logf("%d added: %.3f%% false positives", tc.added, 100*rate)
		if rate > tc.atMost || rate < tc.atLeast {
			t.Errorf("%d added: %.3f%% false positives; want between %.1f%% and %.1f%%", tc.added, 100*rate, 100*tc.atLeast, 100*tc.atMost)
		}
	}
}

// Another seed makes other mistakes: what one round keeps by mistake, the next mostly does not.
func TestFilterSeedsMakeOtherMistakes(t *testing.T) {
	a, b := NewFilter(1), NewFilter(2)
	for i := range 2500 {
		a.Add(fmt.Sprint("in-use-", i))
		b.Add(fmt.Sprint("in-use-", i))
	}
	both, first := 0, 0
	for i := range 100_000 {
		k := fmt.Sprint("unused-", i)
		if a.Has(k) {
			first++
			if b.Has(k) {
				both++
			}
		}
	}
	if first == 0 || both*5 > first {
		t.Errorf("%d mistakes with seed 1, %d of them again with seed 2; want few repeated", first, both)
	}
}

// A filter whose bits are not its size (edited by hand) keeps everything.
func TestFilterOfAnotherSizeKeepsEverything(t *testing.T) {
	f := &Filter{Seed: 1, Bits: []byte{0}}
	if !f.Has("anything") {
		t.Error("a damaged filter misses a key: it could release an image in use")
	}
}

// A round goes on across runs: the accounts a run stopped in come first, then those not begun;
// a failure makes it release nothing; it begins again under another restart count or other
// accounts, and a finished round leaves the next to begin anew.
func TestRoundAcrossRuns(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	accounts := []string{"a", "b", "c", "d"}
	var inv Inventory
	r := inv.RoundOf("fix", t0, 0, accounts, true)
	if got := positions(r.Work(accounts)); got != "a: b: c: d:" {
		t.Fatalf("first run's work: %s", got)
	}
	// Run 1 begins a and b; a is read to its end, b stops after 0/x.
	r.Begin("a")
	r.Read("a", true, "", false)
	r.Begin("b")
	r.Read("b", false, "0/x", false)
	r.Seen.Add("kept")
	if r.Complete(accounts) {
		t.Fatal("complete after two of four accounts")
	}
	// Run 2 keeps the round and goes on in b, then c and d.
	r = inv.RoundOf("fix", t0.Add(time.Hour), 0, accounts, true)
	if got := positions(r.Work(accounts)); got != "b:0/x c: d:" {
		t.Fatalf("second run's work: %s", got)
	}
	if !r.Seen.Has("kept") {
		t.Fatal("the second run lost what the first found")
	}
	for _, a := range []string{"b", "c", "d"} {
		r.Begin(a)
		r.Read(a, true, "", a == "c")
	}
	if !r.Complete(accounts) || !r.Failed {
		t.Fatalf("after every account, with c failed: complete %v, failed %v", r.Complete(accounts), r.Failed)
	}
	r.Finish(t0.Add(2*time.Hour), false)
	if !r.LastFinished.IsZero() {
		t.Error("a round with a failure counts as finished")
	}
	r = inv.RoundOf("fix", t0.Add(3*time.Hour), 0, accounts, true)
	if !r.Started.Equal(t0.Add(3*time.Hour)) || r.Seen.Has("kept") || r.Failed {
		t.Errorf("the round after a finished one is not new: %+v", r)
	}
	r.Begin("a")
	r.Read("a", false, "3/y", false)
	if again := inv.RoundOf("fix", t0.Add(4*time.Hour), 1, accounts, true); len(again.Open) != 0 || !again.Started.Equal(t0.Add(4*time.Hour)) {
		t.Errorf("a restart did not begin the round again: %+v", again)
	}
	r = inv.RoundOf("fix", t0.Add(5*time.Hour), 1, accounts, true)
	r.Begin("a")
	r.Read("a", false, "3/y", false)
	if again := inv.RoundOf("fix", t0.Add(6*time.Hour), 1, []string{"a", "b", "c", "d", "e"}, true); len(again.Open) != 0 {
		t.Errorf("another account served did not begin the round again: %+v", again)
	}
	if rep := inv.RoundOf("report", t0, 0, accounts, false); rep.Seen != nil {
		t.Error("a report round keeps a filter")
	}
}

func positions(ps []Position) string {
	var s []string
	for _, p := range ps {
		s = append(s, p.Account+":"+p.After)
	}
	return strings.Join(s, " ")
}
