//go:build integration

package faultproxy_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/google/go-cmp/cmp"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/lifecycle"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/account"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/faultproxy"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/wire"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/world"
)

// start resets moto and serves a proxy in front of it.
func start(t *testing.T, opts faultproxy.Options) (*faultproxy.Proxy, string) {
	t.Helper()
	if err := server.Reset(); err != nil {
		t.Fatal(err)
	}
	p := faultproxy.New(server.URL, opts)
	url, err := p.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p, url
}

// client is an ECR client for endpoint with the SDK's standard retryer, making up to attempts
// attempts a call with a millisecond between them (the real backoff would only slow the tests).
func client(endpoint string, attempts int) *ecr.Client {
	return ecr.NewFromConfig(account.SDK(endpoint, &wire.Recorder{}), func(o *ecr.Options) {
		o.Retryer = retry.NewStandard(func(s *retry.StandardOptions) {
			s.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
		})
		o.RetryMaxAttempts = attempts
	})
}

func createRepository(ctx context.Context, c *ecr.Client, name string) error {
	_, err := c.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String(name)})
	return err
}

func putPolicy(ctx context.Context, c *ecr.Client, name string) error {
	_, err := c.PutLifecyclePolicy(ctx, &ecr.PutLifecyclePolicyInput{RepositoryName: aws.String(name), LifecyclePolicyText: aws.String(lifecycle.Policy(10))})
	return err
}

func describe(ctx context.Context, c *ecr.Client) error {
	_, err := c.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{})
	return err
}

func errorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func TestFaultsAsTheSDKSeesThem(t *testing.T) {
	const repo = "acme-sm-risk-fraud/training"
	for _, tc := range []struct {
		name         string
		opts         faultproxy.Options
		wantFault    faultproxy.Fault
		wantStatus   int    // HTTP status the SDK reports; 0 for none
		wantCode     string // API error code; "" for none
		wantThrottle bool   // the standard retryer counts it as throttling
	}{
		{name: "pass through", opts: faultproxy.Options{}, wantStatus: 0},
		{name: "throttle", opts: faultproxy.Options{ThrottleRate: 1}, wantFault: faultproxy.Throttle, wantStatus: 400, wantCode: "ThrottlingException", wantThrottle: true},
		{name: "internal error", opts: faultproxy.Options{ErrorRate: 1}, wantFault: faultproxy.InternalError, wantStatus: 500, wantCode: "InternalFailure"},
		{name: "drop", opts: faultproxy.Options{DropRate: 1}, wantFault: faultproxy.Drop},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, url := start(t, tc.opts)
			ctx := world.Deadline(t)
			err := createRepository(ctx, client(url, 3), repo)

			if tc.wantFault == "" {
				if err != nil {
					t.Fatalf("CreateRepository: %v", err)
				}
				want := []faultproxy.Entry{{Service: "ecr", Operation: "CreateRepository", Repository: repo, Status: 200}}
				if diff := cmp.Diff(want, p.Log()); diff != "" {
					t.Errorf("log (-want +got):\n%s", diff)
				}
				return
			}
			if err == nil {
				t.Fatal("CreateRepository: got no error; want one")
			}
			if got := errorCode(err); got != tc.wantCode {
				t.Errorf("API error code: got %q; want %q (%v)", got, tc.wantCode, err)
			}
			if got := httpStatus(err); got != tc.wantStatus {
				t.Errorf("HTTP status: got %d; want %d (%v)", got, tc.wantStatus, err)
			}
			var sendErr *smithyhttp.RequestSendError
			if got := errors.As(err, &sendErr); got != (tc.wantFault == faultproxy.Drop) {
				t.Errorf("connection error: got %v; want %v (%v)", got, tc.wantFault == faultproxy.Drop, err)
			}
			var maxErr *retry.MaxAttemptsError
			if !errors.As(err, &maxErr) || maxErr.Attempt != 3 {
				t.Errorf("got %v; want the standard retryer to give up after 3 attempts", err)
			}
			if !retry.NewStandard().IsErrorRetryable(err) {
				t.Errorf("the standard retryer does not retry %v", err)
			}
			if got := retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err).Bool(); got != tc.wantThrottle {
				t.Errorf("classified as throttling: got %v; want %v", got, tc.wantThrottle)
			}

			// Every attempt met the fault, and none reached moto.
			status := map[faultproxy.Fault]int{faultproxy.Throttle: 400, faultproxy.InternalError: 500, faultproxy.Drop: 0}[tc.wantFault]
			attempt := faultproxy.Entry{Service: "ecr", Operation: "CreateRepository", Repository: repo, Fault: tc.wantFault, Status: status}
			if diff := cmp.Diff([]faultproxy.Entry{attempt, attempt, attempt}, p.Log()); diff != "" {
				t.Errorf("log (-want +got):\n%s", diff)
			}
			out, err := client(server.URL, 1).DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{})
			if err != nil || len(out.Repositories) != 0 {
				t.Errorf("repositories in moto: got %d, %v; want none (the fault comes before the service)", len(out.Repositories), err)
			}
		})
	}
}

func TestRetriesGetThrough(t *testing.T) {
	// Half the attempts are throttled: with the standard retryer's 3 attempts a call fails only
	// when it meets three throttles in a row.
	p, url := start(t, faultproxy.Options{ThrottleRate: 0.5, Seed: 3})
	ctx := world.Deadline(t)
	c := client(url, 3)
	failed := 0
	for i := range 20 {
		if err := createRepository(ctx, c, fmt.Sprintf("acme-sm-risk-r%d/training", i)); err != nil {
			failed++
		}
	}
	throttled := 0
	for _, e := range p.Log() {
		if e.Fault == faultproxy.Throttle {
			throttled++
		}
	}
	if throttled == 0 || len(p.Log()) != 20+throttled-failed {
		t.Errorf("got %d requests, %d throttled, %d calls failed; want 20 calls plus one retry per throttle", len(p.Log()), throttled, failed)
	}
	out, err := client(server.URL, 1).DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{})
	if err != nil || len(out.Repositories) != 20-failed {
		t.Errorf("repositories created: got %d, %v; want %d", len(out.Repositories), err, 20-failed)
	}
}

// The wire format of a throttle, as ECR sends it: checked without the SDK, through httptest.
func TestThrottleWireFormat(t *testing.T) {
	p := faultproxy.New(server.URL, faultproxy.Options{ThrottleRate: 1})
	srv := httptest.NewServer(p)
	defer srv.Close()

	req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(`{"repositoryName":"acme-sm-a/b"}`))
	req.Header.Set("X-Amz-Target", "AmazonEC2ContainerRegistry_V20150921.GetLifecyclePolicy")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 400 {
		t.Errorf("status: got %d; want 400", resp.StatusCode)
	}
	for name, want := range map[string]string{"Content-Type": "application/x-amz-json-1.1", "X-Amzn-ErrorType": "ThrottlingException"} {
		if got := resp.Header.Get(name); got != want {
			t.Errorf("%s: got %q; want %q", name, got, want)
		}
	}
	if resp.Header.Get("X-Amzn-RequestId") == "" {
		t.Error("X-Amzn-RequestId: got none; want one")
	}
	var got map[string]string
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("body %s: %v", body, err)
	}
	if diff := cmp.Diff(map[string]string{"__type": "ThrottlingException", "message": "Rate exceeded"}, got); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
	want := []faultproxy.Entry{{Service: "ecr", Operation: "GetLifecyclePolicy", Repository: "acme-sm-a/b", Fault: faultproxy.Throttle, Status: 400}}
	if diff := cmp.Diff(want, p.Log()); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
}

func TestAlwaysFailsOneOperationOnOneRepository(t *testing.T) {
	const victim, bystander = "acme-sm-risk-fraud/training", "acme-sm-risk-fraud/inference"
	for _, fault := range []faultproxy.Fault{faultproxy.Throttle, faultproxy.InternalError, faultproxy.Drop} {
		t.Run(string(fault), func(t *testing.T) {
			p, url := start(t, faultproxy.Options{Match: faultproxy.Only("PutLifecyclePolicy", victim), Always: fault})
			ctx := world.Deadline(t)
			c := client(url, 3)
			for _, name := range []string{victim, bystander} {
				if err := createRepository(ctx, c, name); err != nil {
					t.Fatalf("CreateRepository %s: %v", name, err)
				}
			}
			if err := putPolicy(ctx, c, bystander); err != nil {
				t.Errorf("PutLifecyclePolicy %s: %v; want it through", bystander, err)
			}
			if err := putPolicy(ctx, c, victim); err == nil {
				t.Errorf("PutLifecyclePolicy %s: got no error; want %s on every attempt", victim, fault)
			}
			status := map[faultproxy.Fault]int{faultproxy.Throttle: 400, faultproxy.InternalError: 500, faultproxy.Drop: 0}[fault]
			failed := faultproxy.Entry{Service: "ecr", Operation: "PutLifecyclePolicy", Repository: victim, Fault: fault, Status: status}
			want := []faultproxy.Entry{
				{Service: "ecr", Operation: "CreateRepository", Repository: victim, Status: 200},
				{Service: "ecr", Operation: "CreateRepository", Repository: bystander, Status: 200},
				{Service: "ecr", Operation: "PutLifecyclePolicy", Repository: bystander, Status: 200},
				failed, failed, failed,
			}
			if diff := cmp.Diff(want, p.Log()); diff != "" {
				t.Errorf("log (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLatency(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts faultproxy.Options
	}{
		{"pass through", faultproxy.Options{Latency: 50 * time.Millisecond}},
		{"longer", faultproxy.Options{Latency: 200 * time.Millisecond}},
		{"before a throttle", faultproxy.Options{Latency: 100 * time.Millisecond, ThrottleRate: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, url := start(t, tc.opts)
			c := client(url, 1)
			ctx := world.Deadline(t)
			for range 3 {
				began := time.Now()
				err := describe(ctx, c)
				took := time.Since(began)
				if (err != nil) != (tc.opts.ThrottleRate > 0) {
					t.Errorf("error: got %v; want one only when throttled", err)
				}
				// Only a lower bound: an upper one would fail on a busy machine.
				if took < tc.opts.Latency {
					t.Errorf("call took %s; want at least %s", took, tc.opts.Latency)
				}
			}
		})
	}
}

func count(log []faultproxy.Entry, f faultproxy.Fault) int {
	n := 0
	for _, e := range log {
		if e.Fault == f {
			n++
		}
	}
	return n
}

func faults(log []faultproxy.Entry) []faultproxy.Fault {
	out := make([]faultproxy.Fault, len(log))
	for i, e := range log {
		out[i] = e.Fault
	}
	return out
}

func TestSeededRates(t *testing.T) {
	const n = 200
	for _, tc := range []struct {
		name  string
		opts  faultproxy.Options
		fault faultproxy.Fault
		rate  float64
	}{
		{"throttle 0.3", faultproxy.Options{ThrottleRate: 0.3, Seed: 1}, faultproxy.Throttle, 0.3},
		{"error 0.2", faultproxy.Options{ErrorRate: 0.2, Seed: 2}, faultproxy.InternalError, 0.2},
		{"drop 0.1", faultproxy.Options{DropRate: 0.1, Seed: 3}, faultproxy.Drop, 0.1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, url := start(t, tc.opts)
			c := client(url, 1)
			ctx := world.Deadline(t)
			errs := 0
			for range n {
				if describe(ctx, c) != nil {
					errs++
				}
			}
			log := p.Log()
			if len(log) != n {
				t.Fatalf("log: got %d entries; want %d", len(log), n)
			}
			got := count(log, tc.fault)
			if got != errs || got != n-count(log, "") {
				t.Errorf("faults: got %d %s, %d errors, %d passed; want every fault to be an error and the rest passed", got, tc.fault, errs, count(log, ""))
			}
			// Four standard deviations of a binomial: a wrong rate fails, chance does not.
			mean, sd := tc.rate*n, math.Sqrt(n*tc.rate*(1-tc.rate))
			if math.Abs(float64(got)-mean) > 4*sd {
				t.Errorf("%s: got %d of %d; want about %.0f (±%.0f)", tc.fault, got, n, mean, 4*sd)
			}

			// The same seed again: the very same sequence.
			p.SetOptions(tc.opts)
			p.ResetLog()
			for range n {
				_ = describe(ctx, c)
			}
			if diff := cmp.Diff(faults(log), faults(p.Log())); diff != "" {
				t.Errorf("second run with the same seed (-first +second):\n%s", diff)
			}
		})
	}
}

func TestRatesAreDrawnIndependently(t *testing.T) {
	// Adding an error rate must not move the throttles a seed gives: each rate has its own draw.
	p, url := start(t, faultproxy.Options{ThrottleRate: 0.3, Seed: 9})
	c := client(url, 1)
	ctx := world.Deadline(t)
	run := func(opts faultproxy.Options) []bool {
		p.SetOptions(opts)
		p.ResetLog()
		for range 100 {
			_ = describe(ctx, c)
		}
		out := make([]bool, 0, 100)
		for _, e := range p.Log() {
			out = append(out, e.Fault == faultproxy.Throttle)
		}
		return out
	}
	alone := run(faultproxy.Options{ThrottleRate: 0.3, Seed: 9})
	mixed := run(faultproxy.Options{ThrottleRate: 0.3, ErrorRate: 0.3, Seed: 9})
	if diff := cmp.Diff(alone, mixed); diff != "" {
		t.Errorf("throttled requests with and without an error rate (-alone +mixed):\n%s", diff)
	}
	if n := count(p.Log(), faultproxy.InternalError); n == 0 {
		t.Error("errors with ErrorRate 0.3: got none")
	}
}

func TestLogRecordsEveryRequest(t *testing.T) {
	p, url := start(t, faultproxy.Options{ThrottleRate: 0.4, ErrorRate: 0.2, DropRate: 0.1, Seed: 5})
	c := client(url, 1)
	ctx := world.Deadline(t)
	type call struct {
		op, repo string
		do       func() error
	}
	var calls []call
	for i := range 10 {
		name := fmt.Sprintf("acme-sm-team-p%d/training", i)
		calls = append(calls,
			call{"CreateRepository", name, func() error { return createRepository(ctx, c, name) }},
			call{"PutLifecyclePolicy", name, func() error { return putPolicy(ctx, c, name) }},
			call{"DescribeRepositories", "", func() error { return describe(ctx, c) }})
	}
	var want []faultproxy.Entry
	for _, cl := range calls {
		err := cl.do()
		e := faultproxy.Entry{Service: "ecr", Operation: cl.op, Repository: cl.repo}
		switch {
		case err == nil:
			e.Status = 200
		case errorCode(err) == "ThrottlingException":
			e.Fault, e.Status = faultproxy.Throttle, 400
		case errorCode(err) == "InternalFailure":
			e.Fault, e.Status = faultproxy.InternalError, 500
		case errorCode(err) != "": // moto's own answer: PutLifecyclePolicy on a repository whose creation failed
			e.Status = httpStatus(err)
		default:
			e.Fault = faultproxy.Drop
		}
		want = append(want, e)
	}
	if diff := cmp.Diff(want, p.Log()); diff != "" {
		t.Errorf("log (-from the errors the SDK returned +logged):\n%s", diff)
	}
	for _, f := range []faultproxy.Fault{"", faultproxy.Throttle, faultproxy.InternalError, faultproxy.Drop} {
		if count(want, f) == 0 {
			t.Errorf("no request met %q; the seed should give every kind in 30 requests", f)
		}
	}
	p.ResetLog()
	if got := p.Log(); len(got) != 0 {
		t.Errorf("log after ResetLog: got %d entries; want none", len(got))
	}
}

// Changing options while requests are under way is safe (run with -race) and loses no entry.
func TestSetOptionsWhileBusy(t *testing.T) {
	p, url := start(t, faultproxy.Options{})
	c := client(url, 1)
	ctx := world.Deadline(t)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 25 {
				_ = describe(ctx, c)
			}
		})
	}
	stop := make(chan struct{})
	toggled := make(chan struct{})
	go func() {
		defer close(toggled)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			p.SetOptions(faultproxy.Options{ThrottleRate: float64(i%2) * 0.5, Seed: int64(i), Latency: time.Duration(i%3) * time.Millisecond})
			_ = p.Log()
			time.Sleep(time.Millisecond)
		}
	}()
	wg.Wait()
	close(stop)
	<-toggled
	if got := len(p.Log()); got != 100 {
		t.Errorf("log: got %d entries; want 100", got)
	}
}

func TestBadTarget(t *testing.T) {
	for _, target := range []string{"", "127.0.0.1:5000", "://x"} {
		if _, err := faultproxy.New(target, faultproxy.Options{}).Start(); err == nil {
			t.Errorf("Start with target %q: got no error; want one", target)
		}
	}
}
