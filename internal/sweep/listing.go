// Package sweep is the reconciler's cycle over every managed repository, across as many
// invocations as it takes: what one invocation lists and takes on after the cursor, and the
// state kept between invocations in one SSM parameter (the cursors of the repository sweep and
// of the project discovery, and a lease so that two runs do not sweep at once).
//
// The sweep goes through repositories in name order, whatever order ECR lists them in, so a
// cursor is a repository name and survives repositories being created and deleted between
// invocations: every repository that exists for a whole cycle is checked in it.
package sweep

import (
	"context"
	"slices"
	"strings"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/registry"
)

// Listing is what one invocation knows of the registry: the name of every managed repository,
// and the batch it is to check.
type Listing struct {
	// names are every managed repository's name, sorted.
	names []string
	// Batch are the first repositories after the cursor, in name order: at most the limit
	// List was given, each as DescribeRepositories described it.
	Batch []registry.Summary
	// Rest is true when more repositories follow the batch: the cycle goes on in a later
	// invocation.
	Rest bool
}

// List walks the registry once, a page at a time, and keeps the names of the managed
// repositories (those for which managed is true) and the summaries of the limit first ones
// after the name after ("" for the start of a cycle); limit 0 means no limit. It holds at most
// about twice limit summaries at any time, however many repositories there are.
func List(ctx context.Context, reg *registry.Registry, managed func(string) bool, after string, limit int) (*Listing, error) {
	l := &Listing{}
	var batch []registry.Summary
	trim := func() {
		slices.SortFunc(batch, func(a, b registry.Summary) int { return strings.Compare(a.Name, b.Name) })
		if limit > 0 && len(batch) > limit {
			batch, l.Rest = batch[:limit:limit], true
		}
	}
	err := reg.Walk(ctx, func(s registry.Summary) error {
		if !managed(s.Name) {
			return nil
		}
		l.names = append(l.names, s.Name)
		if s.Name > after {
			batch = append(batch, s)
			if limit > 0 && len(batch) >= 2*limit {
				trim()
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	trim()
	l.Batch = batch
	slices.Sort(l.names)
	return l, nil
}

// Has reports whether a managed repository of that name was listed.
func (l *Listing) Has(name string) bool {
	_, found := slices.BinarySearch(l.names, name)
	return found
}

// Total is how many managed repositories were listed.
func (l *Listing) Total() int { return len(l.names) }

// Position is how many managed repositories sort at or before name: how far a cycle whose
// cursor is name has come.
func (l *Listing) Position(name string) int {
	i, found := slices.BinarySearch(l.names, name)
	if found {
		i++
	}
	return i
}
