// Package drift is the handler of DriftFunction, the level-triggered half of the product: on a
// schedule, on a configuration change or by hand it makes every managed repository say what
// the configuration says (fix mode), or reports precisely where it does not (report mode); on
// the CloudTrail record of a hand edit it does the same for that one repository at once.
// Whatever events were missed and whatever people changed by hand, the sweep converges, however
// many invocations it takes (see internal/sweep).
package drift

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/accounts"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/config"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/function"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/reconcile"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/registry"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/studio"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/sweep"
)

// ParametersAPI is what the reconciler asks Parameter Store: the configuration, and its own
// state between invocations.
type ParametersAPI interface {
	config.ParametersAPI
	sweep.ParameterAPI
}

// Service runs drift reconciliations.
type Service struct {
	SSM ParametersAPI
	ECR registry.API
	// Accounts knows this account and reaches member accounts' SageMaker: which projects
	// exist, their tags and whether one is being deleted are read in each project's account.
	Accounts *accounts.Directory
	// DataZone reads SageMaker Unified Studio projects and Tags finds their repositories by
	// their identity tags (see internal/studio), with datazone-domains set.
	DataZone   studio.API
	Tags       studio.Index
	Publisher  *publish.Publisher
	ConfigPath string
	// Region is the Region the functions run in: the images in use are those of this
	// account's registry in it (see protectInUse).
	Region string
	// StateParameter is the SSM parameter the sweep keeps its state in (see sweep.Store).
	StateParameter string
	// Concurrency bounds the repositories and projects handled at once.
	Concurrency int
	// ECRPerSecond is the ECR client's rate cap (0: none); it bounds how many repositories one
	// invocation takes on, and so what it holds in memory.
	ECRPerSecond float64
	Logger       *slog.Logger
	// Metrics receives the run's Embedded Metric Format line; stdout when nil.
	Metrics io.Writer
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Summary is the result of a run; its JSON is what the function returns and the detail of
// its ECR Reconcile Completed event (see publish.ReconcileSummary).
type Summary = publish.ReconcileSummary

// Handle runs one reconciliation. It fails when the configuration is unusable (nothing is
// written then) or when any repository could not be checked or fixed; the summary and the
// events still say what was done.
func (s *Service) Handle(ctx context.Context, raw json.RawMessage) (Summary, error) {
	if isStackRequest(raw) { // CloudFormation's Custom::Configuration: see stack.go
		return s.stackRequest(ctx, raw)
	}
	start := s.now()
	log := cmp.Or(s.Logger, slog.Default())
	trig, err := decodeTrigger(raw, s.ConfigPath, s.Accounts.Home, s.Accounts.Partition)
	if err != nil {
		log.ErrorContext(ctx, "invalid payload", "error", err.Error())
		return Summary{Status: publish.StatusRejected, Reason: err.Error()}, err
	}
	if trig.ignored != "" {
		log.InfoContext(ctx, "event ignored", "reason", trig.ignored)
		return Summary{Status: publish.StatusIgnored, Reason: trig.ignored}, nil
	}
	log = log.With("trigger", trig.kind)

	cfg, err := function.Open(ctx, s.SSM, s.Publisher, s.ConfigPath, s.Accounts.Home, log)
	mode := cmp.Or(trig.mode, cfg.DriftMode)
	sum := Summary{Mode: mode, Trigger: trig.kind}
	switch {
	case errors.Is(err, function.ErrDisabled):
		sum.Status, sum.Reason, sum.Complete = publish.StatusDisabled, err.Error(), true
		return sum, nil
	case err != nil:
		return Summary{Trigger: trig.kind, Status: publish.StatusFailed, Reason: err.Error()}, err
	}

	r := &run{svc: s, cfg: cfg, mode: mode, trigger: trig, log: log, accounts: s.Accounts.Session(cfg),
		engine: reconcile.Engine{Registry: registry.New(s.ECR, cfg.Managed)},
		events: publish.NewBuffer(s.Publisher),
		studio: studioRun{teams: &studio.Teams{API: s.DataZone, TeamTag: cfg.DataZoneTeamTag}}}
	invocation := ctx
	var cancel context.CancelFunc
	r.stopBy, r.finalBy, ctx, cancel = budget(ctx, start)
	defer cancel()
	switch {
	case trig.edit != nil:
		sum, err = r.repair(ctx, trig.edit, trig.at)
		sum.Event, sum.Complete = trig.edit.Call, err == nil
	case trig.use != nil:
		sum, err = r.protectRecord(ctx, trig.use)
		sum.Complete = err == nil
	default:
		deadline, ok := invocation.Deadline()
		if !ok {
			deadline = start.Add(15 * time.Minute) // Lambda's longest; only runs outside Lambda have none
		}
		sum, err = r.sweep(ctx, invocation, holder(invocation, start), deadline)
	}
	sum.Mode, sum.Trigger = mode, trig.kind
	sum.DurationMs = s.now().Sub(start).Milliseconds()
	if !r.fix() {
		sum.WouldWrite = r.tally.wouldWrite()
	}

	// The last events go out even when the calls' context has ended, but not past the
	// invocation's own deadline: a summary cut off by the timeout is lost either way.
	final, cancelFinal := finalContext(invocation, r.finalBy)
	defer cancelFinal()
	r.events.Flush(final) // so the completed event counts every undelivered result before it
	sum.Unpublished = r.events.Undelivered()
	r.events.Add(final, publish.Event{DetailType: publish.ReconcileCompleted, Detail: sum})
	sum.Unpublished = r.events.Flush(final)
	s.writeMetrics(sum, &r.tally)
	if err == nil && sum.Errors > 0 {
		err = &ReconcileError{Failed: sum.Errors}
	}
	if err != nil {
		log.ErrorContext(ctx, "reconcile finished with errors", "error", err.Error(), "summary", sum)
	} else {
		log.InfoContext(ctx, "reconcile finished", "summary", sum)
	}
	return sum, err
}

// ReconcileError says how many repositories or projects a run could not reconcile; the others
// were. Its type name is what Lambda reports as the errorType.
type ReconcileError struct {
	Failed int
}

func (e *ReconcileError) Error() string {
	return fmt.Sprintf("%d repositories or projects could not be reconciled; see the log and the events", e.Failed)
}

// budget reads the Lambda deadline and returns when to stop starting new work, when what must
// go out whatever happens (the sweep's state, the last events) must be out, and a context for
// the AWS calls, so that the run reports what it did instead of being killed. Work stops at a
// tenth of the time left (between 2 s and 60 s) before the deadline: the calls under way and
// their retries have until half that margin before the deadline, the state and the events until
// a quarter. Outside Lambda (no deadline) every bound is zero: no bound.
func budget(ctx context.Context, start time.Time) (stopBy, finalBy time.Time, calls context.Context, cancel context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return time.Time{}, time.Time{}, ctx, func() {}
	}
	margin := min(max(deadline.Sub(start)/10, 2*time.Second), 60*time.Second)
	calls, cancel = context.WithDeadline(ctx, deadline.Add(-margin/2))
	return deadline.Add(-margin), deadline.Add(-margin / 4), calls, cancel
}

// finalContext outlives the calls' context, up to by (no bound when zero).
func finalContext(invocation context.Context, by time.Time) (context.Context, context.CancelFunc) {
	ctx := context.WithoutCancel(invocation)
	if by.IsZero() {
		return ctx, func() {}
	}
	return context.WithDeadline(ctx, by)
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// store is the sweep's state parameter.
func (s *Service) store() *sweep.Store {
	return &sweep.Store{API: s.SSM, Name: cmp.Or(s.StateParameter, function.StateParameter(s.ConfigPath))}
}

// inventoryStore is the parameter of the inventory of images in use: the sweep's state
// parameter's name and "-inventory" (see sweep.Inventory).
func (s *Service) inventoryStore() *sweep.InventoryStore {
	return &sweep.InventoryStore{API: s.SSM, Name: s.store().Name + "-inventory"}
}

// holder names this invocation in the sweep's lease: its Lambda request id, or its start time.
func holder(ctx context.Context, start time.Time) string {
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		return lc.AwsRequestID
	}
	return fmt.Sprintf("run-%d", start.UnixNano())
}
