package drift

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/stackconfig"
)

// TriggerStack is the trigger of a CloudFormation custom resource request: the stack's
// Custom::Configuration, which seeds the configuration in Parameter Store (see
// internal/stackconfig).
const TriggerStack publish.Trigger = "cloudformation"

// isStackRequest reports whether the payload is a CloudFormation custom resource request
// rather than an event or a manual payload.
func isStackRequest(raw []byte) bool { return stackconfig.IsRequest(raw) }

// stackRequest serves a CloudFormation custom resource request: no reconciliation, and no
// configuration read (the configuration may not exist yet: this request seeds it). What it
// writes under the configuration path starts a configuration-change run through the
// Parameter Store Change rule, as any change there does.
func (s *Service) stackRequest(ctx context.Context, raw []byte) (Summary, error) {
	start := s.now()
	log := cmp.Or(s.Logger, slog.Default()).With("trigger", TriggerStack)
	h := &stackconfig.Handler{SSM: s.SSM, ConfigPath: s.ConfigPath, Logger: log}
	out, err := h.Handle(ctx, raw)
	sum := Summary{Trigger: TriggerStack, Complete: err == nil, DurationMs: s.now().Sub(start).Milliseconds()}
	switch {
	case err != nil:
		sum.Status, sum.Reason = publish.StatusFailed, err.Error()
	default:
		sum.Reason = fmt.Sprintf("CloudFormation %s answered %s: %d parameters written, %d kept as Parameter Store holds them",
			out.RequestType, out.Status, len(out.Written), len(out.Kept))
	}
	return sum, err
}
