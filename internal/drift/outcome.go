package drift

import (
	"slices"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/reconcile"
)

// outcome is what one piece of work of a run did, in the summary's counts. Each piece returns
// its outcome as a value (a visit of a project, the completion of a set of repositories, the
// discovery, a repair), the pieces' outcomes are added up, and the run folds the total into
// its summary once.
type outcome struct {
	scanned, compliant, drifted, fixed, exempt int
	created, missing, rejected, errors         int
	// unreachable lists the accounts that could not be read: each is one error.
	unreachable []string
}

// add adds p to o.
func (o *outcome) add(p outcome) {
	o.scanned += p.scanned
	o.compliant += p.compliant
	o.drifted += p.drifted
	o.fixed += p.fixed
	o.exempt += p.exempt
	o.created += p.created
	o.missing += p.missing
	o.rejected += p.rejected
	o.errors += p.errors // p's unreachable accounts among them
	for _, a := range p.unreachable {
		if !slices.Contains(o.unreachable, a) {
			o.unreachable = append(o.unreachable, a)
		}
	}
}

// passOver names an account that could not be read, once, and counts it as one error.
func (o *outcome) passOver(account string) bool {
	if slices.Contains(o.unreachable, account) {
		return false
	}
	o.unreachable = append(o.unreachable, account)
	o.errors++
	return true
}

// checked is the outcome of one repository's check.
func checked(r reconcile.Result, err error) outcome {
	var o outcome
	switch {
	case reconcile.Rejected(err):
		// A repository that names another project is reported, never adopted: not a failure
		// to retry.
		o.rejected = 1
		return o
	case err != nil:
		o.errors = 1
	case len(r.Differences) == 0:
		o.scanned, o.compliant = 1, 1
	default:
		o.scanned = 1
	}
	if len(r.Differences) > 0 {
		o.drifted = 1
		if r.Fixed() {
			o.fixed = 1
		}
	}
	return o
}

// fold adds the outcome to sum.
func (o outcome) fold(sum *publish.ReconcileSummary) {
	sum.Scanned += o.scanned
	sum.Compliant += o.compliant
	sum.Drifted += o.drifted
	sum.Fixed += o.fixed
	sum.Exempt += o.exempt
	sum.Created += o.created
	sum.Missing += o.missing
	sum.Rejected += o.rejected
	sum.Errors += o.errors
	sum.Unreachable = append(sum.Unreachable, o.unreachable...)
}
