package publish

import (
	"context"
	"errors"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/config"
)

// InvalidConfiguration announces a configuration that cannot be used, with every problem named,
// when err holds any (an unreadable configuration is not announced: it is not invalid). It
// returns err, joined with the publishing failure if there was one.
func (p *Publisher) InvalidConfiguration(ctx context.Context, configPath string, err error) error {
	problems := config.Invalid(err)
	if len(problems) == 0 {
		return err
	}
	perr := p.Publish(ctx, Event{DetailType: ConfigurationInvalid, Detail: config.Report{ConfigPath: configPath, Errors: problems}})
	if perr != nil {
		return errors.Join(err, perr)
	}
	return err
}
