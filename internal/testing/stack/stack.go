package stack

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/account"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/datazonefake"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/ecrpager"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/faultproxy"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/moto"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/rie"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/sagemakerfake"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/stsgate"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/taggingfake"
)

// Options steer a Stack.
type Options struct {
	// Binaries are the functions to run (see rie.Build).
	Binaries rie.Binaries
	// LogDir, when not empty, gets a copy of each process's output: moto.log, provision.log
	// and drift.log.
	LogDir string
	// DriftTimeout replaces DriftFunction's 900 s timeout, and DriftEnv adds to or overrides
	// its environment: a smaller budget for a benchmark, say.
	DriftTimeout time.Duration
	DriftEnv     map[string]string
}

// Stack is the whole product running locally: moto_server, the SageMaker stand-in, and both
// functions under aws-lambda-rie, wired to each other as in AWS.
type Stack struct {
	Moto      *moto.Server
	SageMaker *sagemakerfake.Listener
	// ECR sits between the functions and moto's ECR, passing every request through and
	// logging it, so that a test can count the calls a function made. In front of it, Pager
	// pages DescribeRepositories as ECR does and counts every call, pages included.
	ECR   *faultproxy.Proxy
	Pager *ecrpager.Pager
	// STS stands between the functions and moto's STS: Deny makes a member account's role
	// impossible to assume. The SageMaker stand-in serves each account's projects
	// (SageMaker.Account(id)), telling accounts apart by the caller's credentials.
	STS *stsgate.Gate
	// DataZone is the SageMaker Unified Studio (DataZone) stand-in, and Tagging the Resource
	// Groups Tagging API's, answering from what moto's ECR holds.
	DataZone *datazonefake.Listener
	Tagging  *taggingfake.Server
	// Provision and Drift are ProvisionFunction and DriftFunction.
	Provision *rie.Function
	Drift     *rie.Function
	// Account reads and arranges the emulated account.
	Account *account.Account
	// Events receives the product's events; set by Reset.
	Events *account.EventQueue

	ecrURL     string
	stsURL     string
	taggingSrv *httptest.Server
	logs       []*os.File
	stopOnce   sync.Once
}

// CheckTools reports what is missing to run a Stack, with how to install it, before anyone
// waits for a build.
func CheckTools(ctx context.Context) error {
	var errs []error
	if os.Getenv("MOTO_URL") == "" {
		if _, err := exec.LookPath("moto_server"); err != nil {
			errs = append(errs, moto.ErrMissing)
		}
	}
	if _, err := rie.Find(ctx); err != nil {
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
	runner, err := rie.Find(ctx)
	if err != nil {
		return nil, err
	}
	if s.Moto, err = moto.Start(ctx, s.logFile(opts.LogDir, "moto.log")); err != nil {
		return nil, err
	}
	if s.SageMaker, err = sagemakerfake.Listen(account.Region, account.ID); err != nil {
		return nil, err
	}
	s.SageMaker.SetAccounts(sagemakerfake.MotoAccounts(s.Moto.URL))
	s.Account = account.New(s.Moto.URL)
	if s.DataZone, err = datazonefake.Listen(); err != nil {
		return nil, err
	}
	s.Tagging = taggingfake.New(s.Account.ECR)
	s.taggingSrv = httptest.NewServer(s.Tagging)
	if s.STS, err = stsgate.New(s.Moto.URL); err != nil {
		return nil, err
	}
	if s.stsURL, err = s.STS.Start(); err != nil {
		return nil, err
	}
	s.ECR = faultproxy.New(s.Moto.URL, faultproxy.Options{})
	s.Pager = ecrpager.New(s.ECR)
	if s.ecrURL, err = s.Pager.Start(); err != nil {
		return nil, err
	}

	// template.yaml's settings for each function.
	provision := rie.Config{Name: "ProvisionFunction", RIE: runner, Bootstrap: opts.Binaries.Provision, Timeout: 60 * time.Second,
		Env: s.environment(nil), LogTo: s.logFile(opts.LogDir, "provision.log")}
	if s.Provision, err = rie.Start(ctx, provision); err != nil {
		return nil, err
	}
	driftEnv := map[string]string{"STATE_PARAMETER": account.ConfigPath + "-state",
		"MAX_CONCURRENCY": "8", "ECR_MAX_RPS": "20", "SAGEMAKER_MAX_RPS": "5", "GOMEMLIMIT": "100MiB"}
	maps.Copy(driftEnv, opts.DriftEnv)
	drift := rie.Config{Name: "DriftFunction", RIE: runner, Bootstrap: opts.Binaries.Drift, Timeout: cmp.Or(opts.DriftTimeout, 900*time.Second),
		Env: s.environment(driftEnv), LogTo: s.logFile(opts.LogDir, "drift.log")}
	if s.Drift, err = rie.Start(ctx, drift); err != nil {
		return nil, err
	}
	return s, nil
}

// environment is a function's environment in the emulated account: the SDK's region, static
// test credentials and endpoints (moto for everything, the stand-in for SageMaker), the
// product's contract, and extra.
func (s *Stack) environment(extra map[string]string) map[string]string {
	env := map[string]string{
		"AWS_REGION":                 account.Region,
		"AWS_ACCESS_KEY_ID":          "testing",
		"AWS_SECRET_ACCESS_KEY":      "testing",
		"AWS_ENDPOINT_URL":           s.Moto.URL,
		"AWS_ENDPOINT_URL_SAGEMAKER": s.SageMaker.URL,
		"AWS_ENDPOINT_URL_ECR":       s.ecrURL,
		"AWS_ENDPOINT_URL_STS":       s.stsURL,
		"AWS_ENDPOINT_URL_DATAZONE":  s.DataZone.URL,
		// The Resource Groups Tagging API's service id, as the SDK spells it in the variable.
		"AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API": s.taggingSrv.URL,
		"ACCOUNT_ID": account.ID,
		// Three attempts, not the product's eight: moto never throttles, so the retries are
		// for the connections it closes under the client now and then (see
		// account.ConnectionRetryer), and eight attempts with backoff up to 10 s would make a
		// real failure take a minute to show.
		"AWS_MAX_ATTEMPTS": "3",
		"CONFIG_PATH":      account.ConfigPath,
		"EVENT_BUS_NAME":   account.EventBus,
	}
	maps.Copy(env, extra)
	return env
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
// holding no project, the ECR log empty, the default configuration in SSM, and the product's
// events routed to a fresh queue (s.Events).
func (s *Stack) Reset(ctx context.Context) error {
	if err := s.Moto.Reset(); err != nil {
		return err
	}
	s.SageMaker.Reset()
	s.DataZone.Reset()
	s.ECR.ResetLog()
	s.STS.Reset()
	if err := s.Account.PutConfig(ctx, account.DefaultConfig()); err != nil {
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
		for _, f := range []*rie.Function{s.Provision, s.Drift} {
			wg.Go(f.Stop)
		}
		wg.Go(s.Moto.Stop)
		if s.Pager != nil {
			wg.Go(s.Pager.Close)
		}
		if s.STS != nil {
			wg.Go(s.STS.Close)
		}
		wg.Go(s.SageMaker.Stop)
		wg.Go(s.DataZone.Stop)
		if s.taggingSrv != nil {
			wg.Go(s.taggingSrv.Close)
		}
		wg.Wait()
		for _, f := range s.logs {
			_ = f.Close()
		}
	})
}

// Describe says where everything listens, for a person reading a log.
func (s *Stack) Describe() string {
	return fmt.Sprintf("moto_server %s (ECR through %s), SageMaker stand-in %s, ProvisionFunction %s, DriftFunction %s",
		s.Moto.URL, s.ecrURL, s.SageMaker.URL, s.Provision.URL, s.Drift.URL)
}
