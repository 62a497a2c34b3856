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

// maxDone bounds Discovery.Done, so that the state stays small whatever SageMaker holds: a
// SageMaker project name is at most 32 characters, so a mode's list is at most about 700 bytes.
const maxDone = 20

// State is what the reconciler keeps between invocations: a few hundred bytes of JSON, below
// the 4 KB of a standard SSM parameter whatever the configuration (its only lists are bounded,
// and the pull access scopes are one fingerprint however many there are).
type State struct {
	// Cycles are the repository sweep's cycles, one a mode: a report run does not advance the
	// fix runs' cursor, or what it only reported would not be fixed in that cycle.
	Cycles map[string]*Cycle `json:"cycles,omitempty"`
	// Discoveries are the project discovery's cycles, one a mode, for the same reason: a
	// report run that only reported a missed project must not move the cursor past it before
	// a fix run has created its repositories.
	Discoveries map[string]*Discovery `json:"discoveries,omitempty"`
	// Studio is the Unified Studio discovery's cursor, one a mode (see StudioCursor).
	Studio map[string]*StudioCursor `json:"studio,omitempty"`
	// Restarts counts the requests to start every cycle over (a configuration change, a pull
	// access scope changed): a cycle begun under another count is begun again, with the
	// configuration its run reads. A counter, not a flag, so that no run has to clear it and
	// a request made while a run sweeps is not lost when that run saves its cursor.
	Restarts int `json:"restarts,omitempty"`
	// Scopes is the fingerprint of the access scopes (config.AccessScopes) of the last run
	// that swept (see Fingerprint): 32 characters however many scopes there are. When it
	// changes, Withdrawn is set: the product's statements may be where they are no longer
	// wanted, so cycles read every repository policy until a fix cycle that read every one and
	// removed what it had to without a failure completes.
	Scopes    string `json:"scopes,omitempty"`
	Withdrawn bool   `json:"withdrawn,omitempty"`
	// Lease is the run that sweeps now, if any.
	Lease *Lease `json:"lease,omitempty"`
}

// Discovery returns the project discovery's cycle of mode, a new one the first time.
func (st *State) Discovery(mode string) *Discovery {
	if st.Discoveries == nil {
		st.Discoveries = map[string]*Discovery{}
	}
	d := st.Discoveries[mode]
	if d == nil {
		d = &Discovery{}
		st.Discoveries[mode] = d
	}
	return d
}

// StudioCursor is where the discovery of Unified Studio projects stands: a few dozen bytes
// whatever the domains hold.
type StudioCursor struct {
	// Next is the domain the next run starts with: the one a run ran out of time in, so that
	// every domain gets its turn ("" from the first).
	Next string `json:"next,omitempty"`
	// Since is when the last run that read every domain to its end without an error started;
	// Restarts is State.Restarts then. A project without repositories that has not changed
	// since was looked at by that run (a project that cannot have repositories is not
	// rejected again every run); under another Restarts count (the configuration changed),
	// every project is looked at again.
	Since    time.Time `json:"since,omitzero"`
	Restarts int       `json:"restarts,omitempty"`
}

// StudioOf returns the Unified Studio discovery's cursor of mode, a new one the first time.
// Its Since holds only under the restart count it was set under: zero otherwise.
func (st *State) StudioOf(mode string) StudioCursor {
	c := st.Studio[mode]
	if c == nil {
		return StudioCursor{}
	}
	out := *c
	if out.Restarts != st.Restarts {
		out.Since = time.Time{}
	}
	return out
}

// Prepare brings the state up to a run before it sweeps; the run writes it with its lease.
// scopes is the fingerprint of what decides where the product's statements may be (see
// Fingerprint); accessChanged says a pull access parameter changed, restart that the run was
// started by a configuration change. Scopes other than the last run's, or a restart, start
// every cycle over; scopes changed or a pull access parameter changed mean the product's
// statements may be where they are no longer wanted, so the cycles read every repository policy
// until a fix cycle has (see Withdrawn). A state that has swept but keeps no fingerprint (one
// written before it kept one) counts as changed: one cycle reads every policy.
func (st *State) Prepare(scopes string, accessChanged, restart bool) {
	changed := st.Scopes != scopes && (st.Scopes != "" || len(st.Cycles) > 0)
	if changed || accessChanged {
		st.Withdrawn = true
	}
	if changed || restart {
		st.Restarts++
	}
}

// CycleOf returns the sweep cycle of mode, begun anew at now when it was begun under another
// restart count (or never); a new cycle reads every repository policy while a withdrawal is
// under way.
func (st *State) CycleOf(mode string, now time.Time) *Cycle {
	c := st.Cycles[mode]
	if c == nil {
		c = &Cycle{}
	}
	if c.Started.IsZero() || c.Restarts != st.Restarts {
		c.Begin(now, st.Withdrawn, st.Restarts)
	}
	return c
}

// Cycle is one pass of the sweep over every managed repository.
type Cycle struct {
	// Started is when the cycle's first run started.
	Started time.Time `json:"started"`
	// After is the cursor: the name of the last repository checked; "" at the start.
	After string `json:"after,omitempty"`
	// Checked counts the repositories checked in the cycle so far; Failed those whose check
	// failed, which Checked does not count. A cycle with a failure is not complete: it does
	// not move what the last completed cycle says (LastStarted), and it does not end a
	// withdrawal.
	Checked int `json:"checked"`
	Failed  int `json:"failed,omitempty"`
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

// TailStart is the index in accounts (this account first, then the members in order) where
// the tail goes on: at the cursor's account, or, if that one is no longer served, at the next
// in order (len(accounts) when none is left); at the first when the cycle has just begun,
// whose account it records.
func (d *Discovery) TailStart(accounts []string) int {
	if d.Account == "" {
		d.Account = accounts[0]
		return 0
	}
	if i := slices.Index(accounts, d.Account); i >= 0 {
		return i
	}
	for i := 1; i < len(accounts); i++ {
		if accounts[i] > d.Account {
			return i
		}
	}
	return len(accounts)
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

// Fingerprint returns pull access scopes as State.Scopes keeps them: the first 16 bytes of the
// SHA-256 of the sorted scopes, in hex; "" for none.
func Fingerprint(scopes []string) string {
	if len(scopes) == 0 {
		return ""
	}
	h := sha256.New()
	for _, s := range slices.Sorted(slices.Values(scopes)) {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
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
	var st State
	err := load(ctx, s.API, s.Name, "the sweep's state", &st)
	return st, err
}

// Save writes the state.
func (s *Store) Save(ctx context.Context, st State) error {
	return save(ctx, s.API, s.Name, "the sweep's state", st)
}

// load reads the JSON value of the parameter name (what it holds, for the errors) into v; a
// parameter that does not exist yet leaves v as it is.
func load(ctx context.Context, api ParameterAPI, name, what string, v any) error {
	out, err := api.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
	var missing *ssmtypes.ParameterNotFound
	switch {
	case errors.As(err, &missing):
		return nil
	case err != nil:
		return fmt.Errorf("read %s %s: %w", what, name, err)
	}
	if err := json.Unmarshal([]byte(aws.ToString(out.Parameter.Value)), v); err != nil {
		return fmt.Errorf("%s %s does not parse (%v); delete the parameter to start over", what, name, err)
	}
	return nil
}

// save writes v as the JSON value of the parameter name, refusing a value over the 4 KB of a
// standard parameter.
func save(ctx context.Context, api ParameterAPI, name, what string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", what, err)
	}
	if len(b) > maxSize {
		return fmt.Errorf("%s is %d bytes, over the %d of a standard SSM parameter; not written to %s (the cursors stay where the last saved state left them)",
			what, len(b), maxSize, name)
	}
	_, err = api.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String(string(b)),
		Type: ssmtypes.ParameterTypeString, Overwrite: aws.Bool(true)})
	if err != nil {
		return fmt.Errorf("write %s %s: %w", what, name, err)
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
