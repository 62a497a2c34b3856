// Package drift is the handler of DriftFunction, the level-triggered half of the product: on a
// schedule, on a configuration change or by hand it makes every managed repository say what
// the configuration says (fix mode), or reports precisely where it does not (report mode).
// Whatever events were missed and whatever people changed by hand, a run converges.
package drift

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/config"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/handler"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/metrics"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/reconcile"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/registry"
)

// ProjectsAPI is what the backfill asks SageMaker: which projects exist, and their tags.
type ProjectsAPI interface {
	sagemaker.ListProjectsAPIClient
	sagemaker.ListTagsAPIClient
}

// Service runs drift reconciliations.
type Service struct {
	SSM        config.ParametersAPI
	ECR        registry.API
	SageMaker  ProjectsAPI
	Publisher  *publish.Publisher
	ConfigPath string
	// Concurrency bounds the repositories and projects handled at once.
	Concurrency int
	Logger      *slog.Logger
	// Metrics receives the run's Embedded Metric Format line; stdout when nil.
	Metrics io.Writer
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Summary is the result of a run; its JSON is what the function returns.
type Summary struct {
	Mode      config.Mode     `json:"mode"`
	Trigger   handler.Trigger `json:"trigger,omitempty"`
	Scanned   int             `json:"scanned"`
	Compliant int             `json:"compliant"`
	Drifted   int             `json:"drifted"`
	Fixed     int             `json:"fixed"`
	Exempt    int             `json:"exempt"`
	// Created counts repositories created for shared types and missed projects; Missing those
	// found missing (in report mode they stay missing).
	Created  int `json:"created"`
	Missing  int `json:"missing"`
	Rejected int `json:"rejected"`
	// Unpublished counts result events EventBridge refused after every retry; they are in the
	// log instead.
	Unpublished int  `json:"unpublished"`
	Errors      int  `json:"errors"`
	Complete    bool `json:"complete"`
	// DurationMs is the run's wall time.
	DurationMs int64 `json:"durationMs"`
	// Status is set only when the run did not reconcile (ignored, disabled, rejected, failed),
	// with Reason.
	Status handler.Status `json:"status,omitempty"`
	Reason string         `json:"reason,omitempty"`
}

// Handle runs one reconciliation. It fails when the configuration is unusable (nothing is
// written then) or when any repository could not be checked or fixed; the summary and the
// events still say what was done.
func (s *Service) Handle(ctx context.Context, raw json.RawMessage) (Summary, error) {
	start := s.now()
	log := cmp.Or(s.Logger, slog.Default())
	trig, err := decodeTrigger(raw, s.ConfigPath)
	if err != nil {
		log.ErrorContext(ctx, "invalid payload", "error", err.Error())
		return Summary{Status: handler.StatusRejected, Reason: err.Error()}, err
	}
	if trig.ignored != "" {
		log.InfoContext(ctx, "event ignored", "reason", trig.ignored)
		return Summary{Status: handler.StatusIgnored, Reason: trig.ignored}, nil
	}
	log = log.With("trigger", trig.kind)

	cfg, err := handler.Open(ctx, s.SSM, s.Publisher, s.ConfigPath, log)
	mode := cmp.Or(trig.mode, cfg.DriftMode)
	sum := Summary{Mode: mode, Trigger: trig.kind}
	switch {
	case errors.Is(err, handler.ErrDisabled):
		sum.Status, sum.Reason, sum.Complete = handler.StatusDisabled, err.Error(), true
		return sum, nil
	case err != nil:
		return Summary{Trigger: trig.kind, Status: handler.StatusFailed, Reason: err.Error()}, err
	}

	r := &run{svc: s, cfg: cfg, fix: mode == config.ModeFix, log: log, access: trig.access,
		engine: reconcile.Engine{Registry: registry.New(s.ECR, cfg.Managed)},
		events: publish.NewBuffer(s.Publisher)}
	invocation := ctx
	var cancel context.CancelFunc
	r.stopBy, ctx, cancel = budget(ctx, start)
	defer cancel()
	err = r.reconcile(ctx, &sum)
	sum.DurationMs = s.now().Sub(start).Milliseconds()

	// The last events go out even when the calls' context has ended, but not past the
	// invocation's own deadline: a summary cut off by the timeout is lost either way.
	final, cancelFinal := finalContext(invocation)
	defer cancelFinal()
	r.events.Flush(final) // so the completed event counts every undelivered result before it
	sum.Unpublished = r.events.Undelivered()
	r.events.Add(final, publish.Event{DetailType: publish.ReconcileCompleted, Detail: sum})
	sum.Unpublished = r.events.Flush(final)
	s.writeMetrics(sum)
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

// budget reads the Lambda deadline and returns when to stop starting new work, and a context
// for the AWS calls that ends a few seconds before the deadline, so the run reports what it did
// instead of being killed. Work stops at a tenth of the time left (between 2 s and 60 s) before
// the deadline: enough for the calls under way, their retries, and the final events.
func budget(ctx context.Context, start time.Time) (time.Time, context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return time.Time{}, ctx, func() {}
	}
	margin := min(max(deadline.Sub(start)/10, 2*time.Second), 60*time.Second)
	calls, cancel := context.WithDeadline(ctx, deadline.Add(-margin/2))
	return deadline.Add(-margin), calls, cancel
}

// finalContext outlives the work's context but ends a second before the invocation's deadline.
func finalContext(invocation context.Context) (context.Context, context.CancelFunc) {
	ctx := context.WithoutCancel(invocation)
	if deadline, ok := invocation.Deadline(); ok {
		return context.WithDeadline(ctx, deadline.Add(-time.Second))
	}
	return ctx, func() {}
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) writeMetrics(sum Summary) {
	w := s.Metrics
	if w == nil {
		w = os.Stdout
	}
	count := func(name string, v int) metrics.Metric {
		return metrics.Metric{Name: name, Value: float64(v), Unit: "Count"}
	}
	_ = metrics.Write(w, s.now(), map[string]string{"Function": "drift", "Mode": string(sum.Mode)},
		count("Scanned", sum.Scanned), count("Drifted", sum.Drifted), count("Fixed", sum.Fixed),
		count("Created", sum.Created), count("Errors", sum.Errors), count("Unpublished", sum.Unpublished),
		count("Incomplete", map[bool]int{true: 0, false: 1}[sum.Complete]),
		metrics.Metric{Name: "Duration", Value: float64(sum.DurationMs), Unit: "Milliseconds"})
}
