package sweep

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/google/go-cmp/cmp"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/registry"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/ecrfake"
)

func names(batch []registry.Summary) []string {
	var out []string
	for _, s := range batch {
		out = append(out, s.Name)
	}
	return out
}

// A cycle goes through the repositories in name order, a batch an invocation, whatever order
// and pages ECR lists them in; a repository created or deleted meanwhile does not make another
// one skipped.
func TestListGoesThroughEveryRepositoryInNameOrder(t *testing.T) {
	fake := ecrfake.New()
	fake.SetPageSize(3) // ten repositories, four pages
	for _, i := range []int{7, 2, 9, 0, 5, 3, 8, 1, 6, 4} {
		fake.Put(ecrfake.Repository{Name: fmt.Sprintf("acme-sm-t-p%d/training", i)})
	}
	fake.Put(ecrfake.Repository{Name: "other/app"})
	reg := registry.New(fake, func(string) bool { return false })
	managed := func(name string) bool { return strings.HasPrefix(name, "acme-sm-") }

	var seen []string
	after := ""
	for run := 0; ; run++ {
		l, err := List(context.Background(), reg, managed, after, 4)
		if err != nil {
			t.Fatal(err)
		}
		if l.Total() != 10 || l.Has("other/app") || (run == 0 && !l.Has("acme-sm-t-p0/training")) {
			t.Fatalf("listing: %d names, has other/app %v; want the 10 managed ones", l.Total(), l.Has("other/app"))
		}
		seen = append(seen, names(l.Batch)...)
		after = l.Batch[len(l.Batch)-1].Name
		if run == 0 {
			// Meanwhile a repository before the cursor is deleted and one after it created.
			deleted := "acme-sm-t-p0/training"
			if _, err := fake.DeleteRepository(context.Background(), ecrDelete(deleted)); err != nil {
				t.Fatal(err)
			}
			fake.Put(ecrfake.Repository{Name: "acme-sm-t-p5a/training"})
		}
		if !l.Rest {
			break
		}
		if run > 5 {
			t.Fatal("the cycle does not end")
		}
	}
	want := []string{"acme-sm-t-p0/training", "acme-sm-t-p1/training", "acme-sm-t-p2/training", "acme-sm-t-p3/training",
		"acme-sm-t-p4/training", "acme-sm-t-p5/training", "acme-sm-t-p5a/training", "acme-sm-t-p6/training",
		"acme-sm-t-p7/training", "acme-sm-t-p8/training", "acme-sm-t-p9/training"}
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("repositories checked over the cycle (-want +got):\n%s", diff)
	}
}

func TestPosition(t *testing.T) {
	l := &Listing{names: []string{"a/1", "b/1", "c/1"}}
	for _, tc := range []struct {
		after string
		want  int
	}{{"", 0}, {"a/1", 1}, {"b/0", 1}, {"c/1", 3}, {"d", 3}} {
		if got := l.Position(tc.after); got != tc.want {
			t.Errorf("Position(%q) = %d; want %d", tc.after, got, tc.want)
		}
	}
}

// parameters is an in-memory Parameter Store of one parameter at a time.
type parameters struct {
	mu     sync.Mutex
	values map[string]string
	// afterPut, when set, runs once after a PutParameter lands: another run writing then.
	afterPut func(p *parameters)
}

func (p *parameters) GetParameter(_ context.Context, in *ssm.GetParameterInput, _ ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	v, ok := p.values[aws.ToString(in.Name)]
	if !ok {
		return nil, &ssmtypes.ParameterNotFound{}
	}
	return &ssm.GetParameterOutput{Parameter: &ssmtypes.Parameter{Name: in.Name, Value: aws.String(v)}}, nil
}

func (p *parameters) PutParameter(_ context.Context, in *ssm.PutParameterInput, _ ...func(*ssm.Options)) (*ssm.PutParameterOutput, error) {
	p.mu.Lock()
	p.values[aws.ToString(in.Name)] = aws.ToString(in.Value)
	after := p.afterPut
	p.afterPut = nil
	p.mu.Unlock()
	if after != nil {
		after(p)
	}
	return &ssm.PutParameterOutput{}, nil
}

func TestStateRoundTripAndLease(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	params := &parameters{values: map[string]string{}}
	store := &Store{API: params, Name: "/sagemaker-platform/ecr-state"}

	st, held, err := store.Acquire(ctx, "run-1", now, now.Add(15*time.Minute), func(st *State) { st.Restarts++ })
	if err != nil || !held || st.Restarts != 1 {
		t.Fatalf("first Acquire: held %v, %v, restarts %d; want the lease, and what prepare changed", held, err, st.Restarts)
	}
	st.Cycles = map[string]*Cycle{"fix": {Started: now, After: "acme-sm-x/training", Checked: 7}}
	if err := store.Save(ctx, st); err != nil {
		t.Fatal(err)
	}
	if _, held, _ := store.Acquire(ctx, "run-2", now.Add(time.Minute), now.Add(16*time.Minute), nil); held {
		t.Error("a second run took a lease that runs for 14 more minutes")
	}
	got, held, err := store.Acquire(ctx, "run-3", now.Add(20*time.Minute), now.Add(35*time.Minute), nil)
	if err != nil || !held {
		t.Fatalf("Acquire after the lease ran out: held %v, %v", held, err)
	}
	if c := got.Cycles["fix"]; c == nil || c.After != "acme-sm-x/training" || c.Checked != 7 || got.Restarts != 1 {
		t.Errorf("state read back: %+v, restarts %d; want the cursor and the restart count kept", got.Cycles, got.Restarts)
	}

	// Release gives up only its own lease.
	if err := store.Release(ctx, "run-2", func(st *State) { st.Scopes = "x" }); err != nil {
		t.Fatal(err)
	}
	if st, _ := store.Load(ctx); st.Lease == nil || st.Lease.Holder != "run-3" || st.Scopes != "x" {
		t.Errorf("after another run's release: lease %+v, scopes %q; want run-3's lease kept, the change written", st.Lease, st.Scopes)
	}
	if err := store.Release(ctx, "run-3", nil); err != nil {
		t.Fatal(err)
	}
	if st, _ := store.Load(ctx); st.Lease != nil {
		t.Errorf("after its holder's release: lease %+v; want none", st.Lease)
	}

	// Two runs at once: run-5's lease lands right after run-4's, so run-4 backs off.
	params.values[store.Name] = `{}`
	params.afterPut = func(p *parameters) {
		p.mu.Lock()
		p.values[store.Name] = `{"lease":{"holder":"run-5","until":"2026-12-01T11:00:00Z"}}`
		p.mu.Unlock()
	}
	if st, held, err := store.Acquire(ctx, "run-4", now.Add(40*time.Minute), now.Add(55*time.Minute), nil); err != nil || held || st.Lease.Holder != "run-5" {
		t.Errorf("run-4 after run-5's lease landed: held %v (%v), lease %+v; want it to back off", held, err, st.Lease)
	}
}

func TestLoadNamesABrokenState(t *testing.T) {
	params := &parameters{values: map[string]string{"/p-state": "{not json"}}
	_, err := (&Store{API: params, Name: "/p-state"}).Load(context.Background())
	if err == nil || !strings.Contains(err.Error(), "/p-state") || !strings.Contains(err.Error(), "delete the parameter") {
		t.Errorf("Load: %v; want an error naming the parameter and the way out", err)
	}
}

func TestCycleOldestCheck(t *testing.T) {
	var c Cycle
	if _, ok := c.OldestCheck(); ok {
		t.Error("a cycle that never completed has an oldest check")
	}
	start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	c.Begin(start, false, 0)
	c.Finish(start.Add(time.Hour))
	c.Begin(start.Add(2*time.Hour), true, 1)
	if got, ok := c.OldestCheck(); !ok || !got.Equal(start) || !c.Access {
		t.Errorf("after one cycle: oldest check %v, %v, access %v; want the completed cycle's start", got, ok, c.Access)
	}
}

// The state stays small: names sharing a creation time are bounded, scopes are hashed, and a
// state that would not fit a standard parameter is refused with its size, not truncated.
func TestStateStaysSmall(t *testing.T) {
	var d Discovery
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for i := range 500 {
		d.Visited(at, fmt.Sprintf("%s%03d", strings.Repeat("p", 29), i)) // 32 characters, SageMaker's longest
	}
	if len(d.Done) != maxDone || !strings.HasSuffix(d.Done[maxDone-1], "499") {
		t.Errorf("Done after 500 projects of one instant: %d names, last %q; want the last %d", len(d.Done), d.Done[len(d.Done)-1], maxDone)
	}
	d.Visited(at.Add(-time.Second), "older")
	if !d.Before.Equal(at.Add(-time.Second)) || len(d.Done) != 1 {
		t.Errorf("after an older project: before %v, done %v; want the cursor moved", d.Before, d.Done)
	}
}

// The state's size does not depend on the number of pull access scopes: with 1,000 member
// accounts and 1,000 namespace overrides, both modes' longest cursors and full discovery
// lists, it still fits in a standard parameter.
func TestStateFitsWhateverTheScopes(t *testing.T) {
	var scopes []string
	for i := range 1000 {
		scopes = append(scopes, fmt.Sprintf("member:%012d", 100000000000+i), fmt.Sprintf("acme-sm-team%04d-%s", i, strings.Repeat("n", 200)))
	}
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	full := func() *Discovery {
		d := &Discovery{Newest: at, Account: "123456789012", Started: at, LastFinished: at}
		for i := range maxDone + 5 {
			d.Visited(at, fmt.Sprintf("%s%03d", strings.Repeat("p", 29), i))
		}
		return d
	}
	cycle := func() *Cycle {
		return &Cycle{Started: at, After: strings.Repeat("r", 256), Checked: 100000, Failed: 100000, Restarts: 1 << 30, Access: true, LastStarted: at, LastFinished: at}
	}
	st := State{Scopes: Fingerprint(scopes), Withdrawn: true, Restarts: 1 << 30,
		Cycles:      map[string]*Cycle{"fix": cycle(), "report": cycle()},
		Discoveries: map[string]*Discovery{"fix": full(), "report": full()},
		Studio: map[string]*StudioCursor{ // a DataZone domain id is at most 40 characters
			"fix": {Next: "dzd_" + strings.Repeat("d", 36), Since: at, Restarts: 1 << 30}, "report": {Next: "dzd_" + strings.Repeat("d", 36), Since: at, Restarts: 1 << 30}},
		Lease: &Lease{Holder: strings.Repeat("h", 64), Until: at}}
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the largest state: %d bytes", len(b))
	if len(b) > maxSize {
		t.Errorf("the largest state is %d bytes; want at most %d", len(b), maxSize)
	}
	store := &Store{API: &parameters{values: map[string]string{}}, Name: "/p-state"}
	if err := store.Save(context.Background(), st); err != nil {
		t.Errorf("save: %v", err)
	}
	if Fingerprint(scopes) != Fingerprint(reversed(scopes)) {
		t.Error("the fingerprint depends on the scopes' order")
	}
	if Fingerprint(scopes) == Fingerprint(scopes[1:]) {
		t.Error("the fingerprint does not change when a scope goes")
	}
}

// A state that cannot be saved is an error that says why, and nothing is written.
func TestOversizedStateIsAnErrorThatSaysWhy(t *testing.T) {
	params := &parameters{values: map[string]string{}}
	store := &Store{API: params, Name: "/p-state"}
	st := State{Cycles: map[string]*Cycle{"fix": {After: strings.Repeat("r", 5000)}}}
	err := store.Save(context.Background(), st)
	if err == nil || !strings.Contains(err.Error(), "4096") || !strings.Contains(err.Error(), "/p-state") {
		t.Errorf("an oversized state: %v; want an error naming the limit and the parameter", err)
	}
	if len(params.values) != 0 {
		t.Errorf("written: %v; want nothing", params.values)
	}
}

func ecrDelete(name string) *ecr.DeleteRepositoryInput {
	return &ecr.DeleteRepositoryInput{RepositoryName: aws.String(name)}
}

func reversed(list []string) []string {
	out := slices.Clone(list)
	slices.Reverse(out)
	return out
}
