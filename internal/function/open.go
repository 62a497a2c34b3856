// Package function is what each of the two Lambda functions sets up around its handler: at a
// cold start, the environment it reads and its SDK clients (Process); at every invocation, the
// configuration opened (Open: loaded and validated, names nothing reads warned about, the
// master switch honoured). The words of their summaries and the events they publish are
// publish's.
package function

import (
	"context"
	"errors"
	"log/slog"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/config"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/publish"
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
				Detail: publish.ConfigurationReport{ConfigPath: configPath, Errors: problems}})
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
