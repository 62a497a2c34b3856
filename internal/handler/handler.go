// Package handler holds what the two functions share around their handlers: the set-up of a
// cold start and the environment it reads, the opening every invocation makes (the
// configuration loaded and validated, names nothing reads warned about, the master switch
// honoured), the words their summaries use, and the details of the result events they publish.
package handler

import (
	"context"
	"errors"
	"log/slog"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/config"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
)

// Status says what an invocation did, in its summary and in failure events.
type Status string

// The statuses. Provisioned, InSync, Skipped and Retired are ProvisionFunction's; the others
// either function's. A drift run that did its work has no status, only its counts.
const (
	StatusProvisioned Status = "provisioned"
	StatusInSync      Status = "in-sync"
	// StatusDrifted: the repositories exist, but differ in ways this run did not fix (report
	// mode, or a setting ECR cannot change); each result lists its differences.
	StatusDrifted  Status = "drifted"
	StatusSkipped  Status = "skipped"
	StatusRetired  Status = "retired"
	StatusDisabled Status = "disabled"
	StatusIgnored  Status = "ignored"
	// StatusRejected: bad input that retrying cannot fix.
	StatusRejected Status = "rejected"
	// StatusFailed: AWS failed, or the configuration is unusable; Lambda retries.
	StatusFailed Status = "failed"
)

// Trigger names what started a piece of work: a SageMaker CloudTrail eventName or EventBridge
// detail-type for ProvisionFunction, one of the constants for DriftFunction.
type Trigger string

// DriftFunction's triggers.
const (
	TriggerSchedule     Trigger = "schedule"
	TriggerConfigChange Trigger = "config-change"
	TriggerManual       Trigger = "manual"
	// TriggerDrift is the trigger of repositories the reconciler created.
	TriggerDrift Trigger = "drift"
	// TriggerRepair is a CloudTrail record of a hand edit of one managed repository.
	TriggerRepair Trigger = "repair"
)

// ErrDisabled is what Open returns when the configuration says enabled=false: nothing is to be
// created or changed, and that is no failure.
var ErrDisabled = errors.New("enabled is false")

// Open is the start of every invocation. It loads the configuration under configPath and
// validates it whole, in the account home (this account's id; "" when unknown, and then what
// depends on it is not checked); an unusable one is logged, an invalid one also announced (ECR
// Configuration Invalid, every problem named), and returned as the error, before anything is
// written. A parameter name nothing reads is logged as a warning. When the configuration is
// valid but switched off, Open returns it with ErrDisabled.
func Open(ctx context.Context, ssm config.ParametersAPI, pub *publish.Publisher, configPath, home string, log *slog.Logger) (config.Config, error) {
	cfg, err := config.Load(ctx, ssm, configPath, home)
	if err != nil {
		log.ErrorContext(ctx, "configuration unusable; nothing done", "error", err.Error())
		if problems := config.Invalid(err); len(problems) > 0 {
			pub.Announce(ctx, publish.Event{DetailType: publish.ConfigurationInvalid,
				Detail: config.Report{ConfigPath: configPath, Errors: problems}})
		}
		return config.Config{}, err
	}
	for _, name := range cfg.Unknown {
		log.WarnContext(ctx, "configuration parameter is not read by anything; is it misspelt?", "parameter", name)
	}
	if !cfg.Enabled {
		log.InfoContext(ctx, "disabled by configuration; nothing done", "parameter", cfg.Path+"/enabled")
		return cfg, ErrDisabled
	}
	return cfg, nil
}
