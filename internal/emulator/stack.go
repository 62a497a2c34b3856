package emulator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"
)

// Options steer a Stack.
type Options struct {
	// Binaries are the functions to run (see Build).
	Binaries Binaries
	// LogDir, when not empty, gets a copy of each process's output: moto.log, provision.log
	// and drift.log.
	LogDir string
}

// Stack is the whole product running locally: moto_server, the SageMaker stand-in, and both
// functions under aws-lambda-rie, wired to each other as in AWS.
type Stack struct {
	Moto      *Moto
	SageMaker *SageMaker
	// Provision and Drift are ProvisionFunction and DriftFunction.
	Provision *Function
	Drift     *Function
	// Account reads and arranges the emulated account.
	Account *Account
	// Events receives the product's events; set by Reset.
	Events *EventQueue

	logs     []*os.File
	stopOnce sync.Once
}

// CheckTools reports what is missing to run a Stack, with how to install it, before anyone
// waits for a build.
func CheckTools(ctx context.Context) error {
	var errs []error
	if os.Getenv("MOTO_URL") == "" {
		if _, err := exec.LookPath("moto_server"); err != nil {
			errs = append(errs, ErrMotoMissing)
		}
	}
	if _, err := FindRIE(ctx); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Start starts everything. When any part fails to start, what did start is stopped.
func Start(ctx context.Context, opts Options) (_ *Stack, err error) {
	s := &Stack{}
	defer func() {
		if err != nil {
			s.Stop()
		}
	}()
	rie, err := FindRIE(ctx)
	if err != nil {
		return nil, err
	}
	if s.Moto, err = StartMoto(ctx, s.logFile(opts.LogDir, "moto.log")); err != nil {
		return nil, err
	}
	if s.SageMaker, err = StartSageMaker(); err != nil {
		return nil, err
	}
	s.Account = NewAccount(s.Moto.URL)

	base := FunctionConfig{RIE: rie, MotoURL: s.Moto.URL, SageMakerURL: s.SageMaker.URL}
	provision := base
	provision.Name, provision.Bootstrap, provision.Timeout = "ProvisionFunction", opts.Binaries.Provision, 60*time.Second
	provision.LogTo = s.logFile(opts.LogDir, "provision.log")
	if s.Provision, err = StartFunction(ctx, provision); err != nil {
		return nil, err
	}
	// template.yaml's settings for DriftFunction.
	drift := base
	drift.Name, drift.Bootstrap, drift.Timeout = "DriftFunction", opts.Binaries.Drift, 900*time.Second
	drift.Env = map[string]string{"MAX_CONCURRENCY": "8", "ECR_MAX_RPS": "20", "SAGEMAKER_MAX_RPS": "5"}
	drift.LogTo = s.logFile(opts.LogDir, "drift.log")
	if s.Drift, err = StartFunction(ctx, drift); err != nil {
		return nil, err
	}
	return s, nil
}

// logFile opens dir/name for a copy of a process's output; nil when dir is empty or the file
// cannot be made (the output is still kept in memory).
func (s *Stack) logFile(dir, name string) io.Writer {
	if dir == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil
	}
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		return nil
	}
	s.logs = append(s.logs, f)
	return f
}

// Reset brings the world back to its start: moto emptied (POST /moto-api/reset), the stand-in
// holding no project, the default configuration in SSM, and the product's events routed to a
// fresh queue (s.Events).
func (s *Stack) Reset(ctx context.Context) error {
	if err := s.Moto.Reset(); err != nil {
		return err
	}
	s.SageMaker.Reset()
	if err := s.Account.PutConfig(ctx, DefaultConfig()); err != nil {
		return err
	}
	q, err := s.Account.RouteEvents(ctx)
	if err != nil {
		return err
	}
	s.Events = q
	return nil
}

// Stop ends every process and server the Stack started. It is safe to call more than once and
// on a partly started Stack.
func (s *Stack) Stop() {
	s.stopOnce.Do(func() {
		var wg sync.WaitGroup
		for _, f := range []*Function{s.Provision, s.Drift} {
			wg.Go(f.Stop)
		}
		wg.Go(s.Moto.Stop)
		wg.Go(s.SageMaker.Stop)
		wg.Wait()
		for _, f := range s.logs {
			_ = f.Close()
		}
	})
}

// Describe says where everything listens, for a person reading a log.
func (s *Stack) Describe() string {
	return fmt.Sprintf("moto_server %s, SageMaker stand-in %s, ProvisionFunction %s, DriftFunction %s",
		s.Moto.URL, s.SageMaker.URL, s.Provision.URL, s.Drift.URL)
}
