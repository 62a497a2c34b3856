package drift

import (
	"log/slog"
	"time"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/accounts"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/config"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/reconcile"
)

// run is one invocation: what it reconciles with and against, and its run-level concerns (the
// time budget, the events under way, the metrics' tally). Its sources of work (the sweep with
// the discovery beside it, or the repair of one repository) each return their summary, built
// from the outcomes of their pieces.
type run struct {
	svc      *Service
	cfg      config.Config
	accounts *accounts.Session
	mode     config.Mode
	trigger  trigger
	log      *slog.Logger
	engine   reconcile.Engine
	events   *publish.Buffer
	// stopBy is when to stop starting work; finalBy when the state and the last events must
	// be out (see budget).
	stopBy, finalBy time.Time
	// tally counts differences found and fixed by setting, for the metrics.
	tally tally
	// studio is what the run learns of Unified Studio once (see studioRun).
	studio studioRun
}

func (r *run) fix() bool { return r.mode == config.ModeFix }

// stopped reports whether the run's time budget is spent.
func (r *run) stopped() bool {
	return !r.stopBy.IsZero() && r.svc.now().After(r.stopBy)
}
