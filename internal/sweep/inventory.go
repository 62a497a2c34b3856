package sweep

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"time"
)

// MaxOpen is how many accounts an inventory of images in use reads at once: the accounts a
// run stopped in the middle of are at most that many, and one more whose protections the run
// cut short, which bounds Round.Open.
const MaxOpen = 4

// Inventory is what the inventory of images in use (protect-in-use) keeps between runs, in a
// parameter of its own beside the sweep's State (its filter alone is most of a standard
// parameter's 4 KB): one round a mode, as the sweep keeps one cycle a mode. At most about
// 3.9 KB whatever SageMaker holds and however many accounts are served (see
// TestInventoryStateIsBounded).
type Inventory struct {
	Rounds map[string]*Round `json:"rounds,omitempty"`
}

// Round is one inventory of every account served, taken over as many runs as it needs: each
// run goes on reading where the last stopped (the accounts not yet read, and in the accounts
// a run stopped in, after the last resource read), protects what it finds, and adds each
// image in use it found to Seen. Only the run whose reads complete a round without a failure
// may release a protection, and the runs after it that go on with that release (Released)
// before the next round begins; and only one that neither they nor Seen justify: an image
// found in use by any run of the round is kept.
type Round struct {
	// Started is when the round's first run started; Restarts is State.Restarts then, and
	// Accounts the Fingerprint of the accounts served then. A round begun under another
	// restart count (a configuration change) or for other accounts begins again.
	Started  time.Time `json:"started,omitzero"`
	Restarts int       `json:"restarts,omitempty"`
	Accounts string    `json:"accounts,omitempty"`
	// Through is the last account (in sorted order) whose read began; "" before any did.
	// Every account up to it that is not in Open was read to its end.
	Through string `json:"through,omitempty"`
	// Open is the accounts a run stopped in the middle of, with where to go on: at most
	// MaxOpen+1.
	Open []Position `json:"open,omitempty"`
	// Failed says an account's read failed in this round: the round goes on to protect what
	// it finds, but releases nothing.
	Failed bool `json:"failed,omitempty"`
	// Seen holds the images in use found by the round's runs so far (fix mode only: report
	// mode releases nothing).
	Seen *Filter `json:"seen,omitempty"`
	// Released is where the release goes on when it did not fit in the run that completed the
	// round: the Place of the last repository holding protections that was done.
	Released string `json:"released,omitempty"`
	// LastFinished is when the last round that read every account ended; Runs how many runs
	// the current round has taken so far.
	LastFinished time.Time `json:"lastFinished,omitzero"`
	Runs         int       `json:"runs,omitempty"`
}

// Position is where the read of one account goes on: after the resource key After (see
// inuse.ReadFrom).
type Position struct {
	Account string `json:"account"`
	After   string `json:"after,omitempty"`
}

// RoundOf returns the round of mode for a run at now that serves accounts (sorted), begun
// anew when there is none, or it was begun under another restart count or for other
// accounts; seen says the round keeps a Seen filter.
func (inv *Inventory) RoundOf(mode string, now time.Time, restarts int, accounts []string, seen bool) *Round {
	if inv.Rounds == nil {
		inv.Rounds = map[string]*Round{}
	}
	r := inv.Rounds[mode]
	if r == nil {
		r = &Round{}
		inv.Rounds[mode] = r
	}
	fingerprint := Fingerprint(accounts)
	if r.Started.IsZero() || r.Restarts != restarts || r.Accounts != fingerprint {
		*r = Round{Started: now, Restarts: restarts, Accounts: fingerprint, LastFinished: r.LastFinished}
		if seen {
			r.Seen = NewFilter(now.UnixNano())
		}
	}
	return r
}

// Work is the reads the round still has to make, in the order to make them: the accounts it
// stopped in the middle of, then those it has not begun (accounts is sorted).
func (r *Round) Work(accounts []string) []Position {
	work := slices.Clone(r.Open)
	for _, a := range accounts {
		if a > r.Through {
			work = append(work, Position{Account: a})
		}
	}
	return work
}

// Begin records that a run began to read account.
func (r *Round) Begin(account string) {
	if account > r.Through {
		r.Through = account
	}
}

// Read records how a run's read of account ended: read to its end (done), stopped with where
// to go on (next), or failed (the account counts as read, and the round releases nothing).
func (r *Round) Read(account string, done bool, next string, failed bool) {
	r.Open = slices.DeleteFunc(r.Open, func(p Position) bool { return p.Account == account })
	switch {
	case failed:
		r.Failed = true
	case !done:
		r.Open = append(r.Open, Position{Account: account, After: next})
	}
}

// Complete reports whether every account of accounts (sorted) has been read in the round.
func (r *Round) Complete(accounts []string) bool {
	return len(r.Open) == 0 && (len(accounts) == 0 || r.Through >= accounts[len(accounts)-1])
}

// Finish ends the round at now: the next run begins a new one.
func (r *Round) Finish(now time.Time, complete bool) {
	last := r.LastFinished
	if complete {
		last = now
	}
	*r = Round{LastFinished: last}
}

// Place is where a repository holding protections comes in the release's order (the release
// goes on across runs in it): the first 8 bytes of the SHA-256 of its name, in hex. Sixteen
// characters whatever the name's length (up to 256).
func Place(repository string) string {
	sum := sha256.Sum256([]byte(repository))
	return hex.EncodeToString(sum[:8])
}

// Filter is a Bloom filter of a fixed 1,664 bytes: what was added is always found (Has never
// misses), and what was not is found by mistake with a probability that grows with how much
// was added: about 0.2% after 1,000 images, 10% after 2,500, 50% after 5,000 (see
// TestFilterFalsePositives). A mistake keeps a protection one round longer, never loses one,
// and each round hashes with its own seed, so an image wrongly kept once is not kept by the
// same mistake again.
type Filter struct {
	Seed int64  `json:"seed"`
	Bits []byte `json:"bits"`
	// Added counts the additions, for the log.
	Added int `json:"added,omitempty"`
}

const (
	filterBytes  = 1664
	filterHashes = 6
)

// NewFilter returns an empty filter that hashes with seed.
func NewFilter(seed int64) *Filter {
	return &Filter{Seed: seed, Bits: make([]byte, filterBytes)}
}

// Add adds key.
func (f *Filter) Add(key string) {
	for _, i := range f.positions(key) {
		f.Bits[i/8] |= 1 << (i % 8)
	}
	f.Added++
}

// Has reports whether key may have been added: always true when it was.
func (f *Filter) Has(key string) bool {
	for _, i := range f.positions(key) {
		if f.Bits[i/8]&(1<<(i%8)) == 0 {
			return false
		}
	}
	return true
}

// positions is key's bits: filterHashes words of the SHA-256 of the seed and key. A filter
// whose bits are not its own size (edited by hand) has every bit set: it keeps everything.
func (f *Filter) positions(key string) []uint32 {
	if len(f.Bits) != filterBytes {
		f.Bits = make([]byte, filterBytes)
		for i := range f.Bits {
			f.Bits[i] = 0xff
		}
	}
	h := sha256.New()
	_ = binary.Write(h, binary.BigEndian, f.Seed)
	h.Write([]byte(key))
	sum := h.Sum(nil)
	out := make([]uint32, filterHashes)
	for i := range out {
		out[i] = binary.BigEndian.Uint32(sum[4*i:]) % (filterBytes * 8)
	}
	return out
}

// InventoryStore keeps the Inventory in one String parameter, written only by the run that
// holds the sweep's lease. Its name must not be under the configuration path.
type InventoryStore struct {
	API  ParameterAPI
	Name string
}

// Load reads the inventory's state; a parameter that does not exist yet is the empty state.
func (s *InventoryStore) Load(ctx context.Context) (Inventory, error) {
	var inv Inventory
	err := load(ctx, s.API, s.Name, "the inventory's state", &inv)
	return inv, err
}

// Save writes the inventory's state.
func (s *InventoryStore) Save(ctx context.Context, inv Inventory) error {
	return save(ctx, s.API, s.Name, "the inventory's state", inv)
}
