package publish

import (
	"context"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/config"
)

// InvalidConfiguration announces a configuration that cannot be used, with every problem named,
// when err holds any (an unreadable configuration is not announced: it is not invalid). It
// returns err, for the caller to fail with.
func (p *Publisher) InvalidConfiguration(ctx context.Context, configPath string, err error) error {
	if problems := config.Invalid(err); len(problems) > 0 {
		p.Announce(ctx, Event{DetailType: ConfigurationInvalid, Detail: config.Report{ConfigPath: configPath, Errors: problems}})
	}
	return err
}
