package sweep

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// maxSize is the largest value of a standard SSM parameter.
const maxSize = 4096

// maxDone bounds Discovery.Done, so that the state stays small whatever SageMaker holds.
const maxDone = 50

// State is what the reconciler keeps between invocations: a few hundred bytes of JSON (its
// only lists are bounded), below the 4 KB of a standard SSM parameter.
type State struct {
	// Cycles are the repository sweep's cycles, one a mode: a report run does not advance the
	// fix runs' cursor, or what it only reported would not be fixed in that cycle.
	Cycles map[string]*Cycle `json:"cycles,omitempty"`
	// Discovery is the project discovery's cycle.
	Discovery Discovery `json:"discovery"`
	// Restarts counts the requests to start every cycle over (a configuration change, a pull
	// access scope gone): a cycle begun under another count is begun again, with the
	// configuration its run reads. A counter, not a flag, so that no run has to clear it and
	// a request made while a run sweeps is not lost when that run saves its cursor.
	Restarts int `json:"restarts,omitempty"`
	// Granted are the pull access scopes (config.PullScopes) of the last run that swept, each
	// as a short hash (see Scopes), so that many namespace overrides still fit. When one goes,
	// Withdrawn is set: the product's statements may be where they are no longer wanted, so
	// cycles read every repository policy until a fix cycle that did so completes.
	Granted   []string `json:"granted,omitempty"`
	Withdrawn bool     `json:"withdrawn,omitempty"`
	// Lease is the run that sweeps now, if any.
	Lease *Lease `json:"lease,omitempty"`
}

// Cycle is one pass of the sweep over every managed repository.
type Cycle struct {
	// Started is when the cycle's first run started.
	Started time.Time `json:"started"`
	// After is the cursor: the name of the last repository checked; "" at the start.
	After string `json:"after,omitempty"`
	// Checked counts the repositories checked in the cycle so far.
	Checked int `json:"checked"`
	// Restarts is State.Restarts when the cycle began.
	Restarts int `json:"restarts,omitempty"`
	// Access: the cycle reads every repository policy, not only where pull access is
	// granted, to remove the product's statements where they are no longer wanted.
	Access bool `json:"access,omitempty"`
	// LastStarted and LastFinished bound the last cycle that completed; zero before any did.
	// Every repository was checked after LastStarted.
	LastStarted  time.Time `json:"lastStarted,omitzero"`
	LastFinished time.Time `json:"lastFinished,omitzero"`
}

// Begin starts a new cycle at now under the state's restart count, keeping what the last
// completed one says.
func (c *Cycle) Begin(now time.Time, access bool, restarts int) {
	*c = Cycle{Started: now, Access: access, Restarts: restarts, LastStarted: c.LastStarted, LastFinished: c.LastFinished}
}

// Finish records that the cycle has completed at now.
func (c *Cycle) Finish(now time.Time) {
	c.LastStarted, c.LastFinished = c.Started, now
}

// OldestCheck is the time before which no managed repository was last checked: the start of the
// last completed cycle. ok is false before any cycle completed (some repository may never have
// been checked).
func (c *Cycle) OldestCheck() (t time.Time, ok bool) {
	return c.LastStarted, !c.LastStarted.IsZero()
}

// Discovery is the project discovery's cycle over every account served, newest projects first.
// Each run first looks at the projects created since the last run in every account (the
// heads), then goes on down from the cursor (the tail), account after account, until it has
// seen every project.
type Discovery struct {
	// Newest: every project created up to then has been looked at by the head.
	Newest time.Time `json:"newest,omitzero"`
	// Account is the account the tail is in (this one first, then each member account in
	// order); "" before the tail began. Before is the tail's cursor in it: projects created
	// before it are still to be looked at. Done are the names created at Before exactly that
	// were already looked at.
	Account string    `json:"account,omitempty"`
	Before  time.Time `json:"before,omitzero"`
	Done    []string  `json:"done,omitempty"`
	// Started is when the current cycle began; LastFinished when the last one ended.
	Started      time.Time `json:"started,omitzero"`
	LastFinished time.Time `json:"lastFinished,omitzero"`
}

// Begin starts a discovery cycle at now: the tail starts at now, and the head looks at what is
// created from now on.
func (d *Discovery) Begin(now time.Time) {
	*d = Discovery{Newest: now, Before: now, Started: now, LastFinished: d.LastFinished}
}

// Visited records that the tail of the discovery has looked at the project name, created at
// created: it moves the cursor there. Of the names created at one instant it keeps the last
// maxDone; should more share one, some are looked at again, which costs a call and changes
// nothing.
func (d *Discovery) Visited(created time.Time, name string) {
	if !created.Equal(d.Before) {
		d.Before, d.Done = created, nil
	}
	d.Done = append(d.Done, name)
	if len(d.Done) > maxDone {
		d.Done = d.Done[len(d.Done)-maxDone:]
	}
}

// Scopes returns pull access scopes as State.Granted keeps them: each as the first 12 hex
// digits of its SHA-256, sorted.
func Scopes(scopes []string) []string {
	out := make([]string, 0, len(scopes))
	for _, s := range scopes {
		sum := sha256.Sum256([]byte(s))
		out = append(out, hex.EncodeToString(sum[:6]))
	}
	slices.Sort(out)
	return out
}

// Lease says which run sweeps, until when.
type Lease struct {
	Holder string    `json:"holder"`
	Until  time.Time `json:"until"`
}

// ParameterAPI is the Parameter Store calls the state needs. *ssm.Client satisfies it.
type ParameterAPI interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, opts ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
	PutParameter(ctx context.Context, in *ssm.PutParameterInput, opts ...func(*ssm.Options)) (*ssm.PutParameterOutput, error)
}

// Store keeps the state in one String parameter. Its name must not be under the configuration
// path: a write there would start a configuration-change run.
type Store struct {
	API  ParameterAPI
	Name string
}

// Load reads the state; a parameter that does not exist yet is the empty state. A value that
// does not parse is an error that names the parameter: it was not written by the product.
func (s *Store) Load(ctx context.Context) (State, error) {
	out, err := s.API.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(s.Name)})
	var missing *ssmtypes.ParameterNotFound
	switch {
	case errors.As(err, &missing):
		return State{}, nil
	case err != nil:
		return State{}, fmt.Errorf("read the sweep's state %s: %w", s.Name, err)
	}
	var st State
	if err := json.Unmarshal([]byte(aws.ToString(out.Parameter.Value)), &st); err != nil {
		return State{}, fmt.Errorf("the sweep's state %s does not parse (%v); delete the parameter to start over", s.Name, err)
	}
	return st, nil
}

// Save writes the state.
func (s *Store) Save(ctx context.Context, st State) error {
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode the sweep's state: %w", err)
	}
	if len(b) > maxSize {
		return fmt.Errorf("the sweep's state is %d bytes, over the %d of a standard SSM parameter; not written to %s", len(b), maxSize, s.Name)
	}
	_, err = s.API.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(s.Name), Value: aws.String(string(b)),
		Type: ssmtypes.ParameterTypeString, Overwrite: aws.Bool(true)})
	if err != nil {
		return fmt.Errorf("write the sweep's state %s: %w", s.Name, err)
	}
	return nil
}

// Acquire takes the lease for holder until until, unless another holder's lease runs past now;
// prepare (nil: nothing) changes the state before it is written with the lease, so what it
// changes is kept even if the run never gets to Release. held is false, with the state as
// found, when the sweep is busy.
//
// The lease is best effort: Parameter Store has no compare-and-swap, so Acquire writes its
// lease and reads it back, and backs off when another's landed since. That catches a run that
// starts while another sweeps (a slow run meeting the next schedule, a configuration change
// during a run); two runs whose reads both come before either's write can both sweep. That
// costs calls and nothing else: every write of the plan is idempotent.
func (s *Store) Acquire(ctx context.Context, holder string, now, until time.Time, prepare func(*State)) (st State, held bool, err error) {
	if st, err = s.Load(ctx); err != nil {
		return st, false, err
	}
	if l := st.Lease; l != nil && l.Holder != holder && l.Until.After(now) {
		return st, false, nil
	}
	if prepare != nil {
		prepare(&st)
	}
	st.Lease = &Lease{Holder: holder, Until: until}
	if err := s.Save(ctx, st); err != nil {
		return st, false, err
	}
	again, err := s.Load(ctx)
	if err != nil {
		return st, false, err
	}
	if again.Lease == nil || again.Lease.Holder != holder {
		return again, false, nil
	}
	return again, true, nil
}

// Release reads the state again (so that what other runs asked for meanwhile is kept), applies
// change (nil: nothing), gives up holder's lease (another's is left as it is) and writes it.
func (s *Store) Release(ctx context.Context, holder string, change func(*State)) error {
	st, err := s.Load(ctx)
	if err != nil {
		return err
	}
	if change != nil {
		change(&st)
	}
	if st.Lease != nil && st.Lease.Holder == holder {
		st.Lease = nil
	}
	return s.Save(ctx, st)
}
